// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Every authentication failure, per service, in one place: which AWS error code, HTTP status and
 * message a real endpoint of that service answers with. Families:
 *   s3     rest-xml; 403 AccessDenied/InvalidAccessKeyId/SignatureDoesNotMatch… with extra fields
 *   json   DynamoDB, DynamoDB Streams, CloudWatch Logs: …Exception codes, always 400
 *   ec2    AuthFailure (401), RequestExpired, IncompleteSignature
 *   query  STS, IAM, CloudWatch (and anything else): InvalidClientTokenId/SignatureDoesNotMatch (403)
 */
import { AwsError } from '../errors.js';
import type { ChecksumAlgorithm } from '../checksums.js';

export type AuthFamily = 's3' | 'json' | 'ec2' | 'query';

export function familyOf(service: string): AuthFamily {
  switch (service) {
    case 's3':
      return 's3';
    case 'ec2':
      return 'ec2';
    case 'dynamodb':
    case 'streams.dynamodb':
    case 'logs':
      return 'json';
    default:
      return 'query';
  }
}

export const MAX_SKEW_MS = 15 * 60 * 1000;

const SIG_MISMATCH_S3 = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const SIG_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const TOKEN_INVALID = 'The security token included in the request is invalid.';
const TOKEN_EXPIRED = 'The security token included in the request is expired';
const EC2_AUTH_FAILURE = 'AWS was not able to validate the provided access credentials';

/** yyyyMMddTHHmmssZ of an epoch-ms instant. */
export function basicIso(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hexBytes(s: string): string {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  return hex.replace(/(..)(?!$)/g, '$1 ');
}

/** A malformed signature (Authorization header or presigned query). */
export function malformed(service: string, message: string, presigned: boolean): AwsError {
  switch (familyOf(service)) {
    case 's3':
      return presigned
        ? new AwsError('AuthorizationQueryParametersError', message, { status: 400 })
        : new AwsError('AuthorizationHeaderMalformed', message, { status: 400 });
    case 'json':
      return new AwsError('IncompleteSignatureException', message, { status: 400 });
    default:
      return new AwsError('IncompleteSignature', message, { status: 400 });
  }
}

/** S3 answers non-SigV4 authorization (SigV2, unknown schemes) with InvalidRequest / InvalidArgument. */
export function unsupportedAlgorithm(service: string, algorithm: string, presigned: boolean): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.', { status: 400 });
  }
  return malformed(service, `Unsupported AWS 'algorithm': '${algorithm}'`, presigned);
}

export function bothAuthMechanisms(service: string): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { status: 400, fields: { ArgumentName: 'Authorization' } },
    );
  }
  return malformed(service, 'Found both X-Amz-Algorithm query parameter and Authorization header; only one auth mechanism is allowed.', false);
}

/** X-Amz-Date / Date missing or not a basic ISO-8601 date. */
export function badDate(service: string, value: string | undefined, presigned: boolean): AwsError {
  if (familyOf(service) === 's3') {
    if (presigned) return malformed(service, 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"', true);
    return new AwsError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', { status: 403 });
  }
  if (value === undefined) return malformed(service, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", presigned);
  return malformed(service, `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`, presigned);
}

export type ScopeProblem =
  | { kind: 'region'; got: string; expected: string }
  | { kind: 'service'; got: string; expected: string }
  | { kind: 'date'; got: string; expected: string; amzDate: string }
  | { kind: 'terminator'; got: string };

/** The credential scope names another region, service or date than the request. */
export function badScope(service: string, p: ScopeProblem, presigned: boolean): AwsError {
  if (familyOf(service) === 's3') {
    const prefix = presigned ? 'Error parsing the X-Amz-Credential parameter; ' : 'The authorization header is malformed; ';
    let detail: string;
    const fields: Record<string, unknown> = {};
    switch (p.kind) {
      case 'region':
        detail = `the region '${p.got}' is wrong; expecting '${p.expected}'`;
        fields.Region = p.expected;
        break;
      case 'service':
        detail = `incorrect service "${p.got}". This endpoint belongs to "${p.expected}".`;
        break;
      case 'date':
        detail = presigned ? `Invalid credential date "${p.got}". This date is not the same as X-Amz-Date: "${p.expected}".` : 'Invalid credential date. Date is not the same as X-Amz-Date.';
        break;
      case 'terminator':
        detail = `incorrect terminal "${p.got}". This endpoint uses "aws4_request".`;
        break;
    }
    return new AwsError(presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed', prefix + detail, { status: 400, fields });
  }
  let message: string;
  switch (p.kind) {
    case 'region':
      message = `Credential should be scoped to a valid region, not '${p.got}'. `;
      break;
    case 'service':
      message = `Credential should be scoped to correct service: '${p.expected}'. `;
      break;
    case 'date':
      message = `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${p.got}' != '${p.expected}', from '${p.amzDate}'.`;
      break;
    case 'terminator':
      message = `Credential should be scoped with a valid terminator: 'aws4_request', not '${p.got}'. `;
      break;
  }
  return signatureFamilyError(service, message);
}

/** The error code a service uses for "signature rejected" (mismatch, expiry, scope). */
function signatureFamilyError(service: string, message: string): AwsError {
  switch (familyOf(service)) {
    case 's3':
      return new AwsError('SignatureDoesNotMatch', message, { status: 403 });
    case 'json':
      return new AwsError('InvalidSignatureException', message, { status: 400 });
    case 'ec2':
      return new AwsError('AuthFailure', message, { status: 401 });
    default:
      return new AwsError('SignatureDoesNotMatch', message, { status: 403 });
  }
}

/** Request time more than 15 minutes away from the server's clock (header auth). */
export function timeSkewed(service: string, amzDate: string, requestMs: number, nowMs: number): AwsError {
  const fam = familyOf(service);
  if (fam === 's3') {
    return new AwsError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      status: 403,
      fields: { RequestTime: amzDate, ServerTime: isoSeconds(nowMs), MaxAllowedSkewMilliseconds: MAX_SKEW_MS },
    });
  }
  if (fam === 'ec2') return new AwsError('RequestExpired', 'Request has expired.', { status: 400 });
  const message =
    requestMs < nowMs
      ? `Signature expired: ${amzDate} is now earlier than ${basicIso(nowMs - MAX_SKEW_MS)} (${basicIso(nowMs)} - 15 min.)`
      : `Signature not yet current: ${amzDate} is still later than ${basicIso(nowMs + MAX_SKEW_MS)} (${basicIso(nowMs)} + 15 min.)`;
  return signatureFamilyError(service, message);
}

/** A presigned URL past X-Amz-Date + X-Amz-Expires. */
export function presignExpired(service: string, expiresSeconds: number, expiresAtMs: number, nowMs: number): AwsError {
  const fam = familyOf(service);
  if (fam === 's3') {
    return new AwsError('AccessDenied', 'Request has expired', {
      status: 403,
      fields: { 'X-Amz-Expires': expiresSeconds, Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) },
    });
  }
  if (fam === 'ec2') return new AwsError('RequestExpired', 'Request has expired.', { status: 400 });
  return signatureFamilyError(service, `Signature expired: ${basicIso(expiresAtMs)} is now earlier than ${basicIso(nowMs)}.`);
}

/** A presigned URL dated more than 15 minutes ahead of the server's clock. */
export function presignNotYetValid(service: string, amzDate: string, requestMs: number, expiresAtMs: number, nowMs: number): AwsError {
  if (familyOf(service) !== 's3') return timeSkewed(service, amzDate, requestMs, nowMs);
  // S3 reports X-Amz-Date as epoch milliseconds here
  return new AwsError('AccessDenied', 'Request is not yet valid', {
    status: 403,
    fields: { 'X-Amz-Date': requestMs, Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) },
  });
}

/** Unknown or inactive access key. */
export function unknownKey(service: string, accessKeyId: string): AwsError {
  switch (familyOf(service)) {
    case 's3':
      return new AwsError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
        status: 403,
        fields: { AWSAccessKeyId: accessKeyId },
      });
    case 'json':
      return new AwsError('UnrecognizedClientException', TOKEN_INVALID, { status: 400 });
    case 'ec2':
      return new AwsError('AuthFailure', EC2_AUTH_FAILURE, { status: 401 });
    default:
      return new AwsError('InvalidClientTokenId', TOKEN_INVALID, { status: 403 });
  }
}

/** Session token absent, wrong, or given for a long-term key. */
export function invalidToken(service: string, token: string | undefined): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError('InvalidToken', 'The provided token is malformed or otherwise invalid.', { status: 400, fields: { 'Token-0': token ?? '' } });
  }
  return unknownKey(service, '');
}

export function expiredToken(service: string, token: string | undefined): AwsError {
  switch (familyOf(service)) {
    case 's3':
      return new AwsError('ExpiredToken', 'The provided token has expired.', { status: 400, fields: { 'Token-0': token ?? '' } });
    case 'json':
      return new AwsError('ExpiredTokenException', TOKEN_EXPIRED, { status: 400 });
    case 'ec2':
      return new AwsError('RequestExpired', 'Request has expired.', { status: 400 });
    default:
      return new AwsError('ExpiredToken', TOKEN_EXPIRED, { status: 403 });
  }
}

export interface MismatchDetails {
  accessKeyId: string;
  stringToSign: string;
  signatureProvided: string;
  canonicalRequest: string;
}

export function signatureMismatch(service: string, d: MismatchDetails): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError('SignatureDoesNotMatch', SIG_MISMATCH_S3, {
      status: 403,
      fields: {
        AWSAccessKeyId: d.accessKeyId,
        StringToSign: d.stringToSign,
        SignatureProvided: d.signatureProvided,
        StringToSignBytes: hexBytes(d.stringToSign),
        CanonicalRequest: d.canonicalRequest,
        CanonicalRequestBytes: hexBytes(d.canonicalRequest),
      },
    });
  }
  if (familyOf(service) === 'ec2') return new AwsError('AuthFailure', EC2_AUTH_FAILURE, { status: 401 });
  const message = `${SIG_MISMATCH}\n\nThe Canonical String for this request should have been\n'${d.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${d.stringToSign}'\n`;
  return signatureFamilyError(service, message);
}

/** A chunk or trailer signature of an aws-chunked body did not verify. */
export function chunkSignatureMismatch(service: string, accessKeyId: string, stringToSign: string, provided: string): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError('SignatureDoesNotMatch', SIG_MISMATCH_S3, {
      status: 403,
      fields: { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, SignatureProvided: provided, StringToSignBytes: hexBytes(stringToSign) },
    });
  }
  return signatureFamilyError(service, SIG_MISMATCH);
}

/** S3: x-amz-* headers that the signature does not cover (Host too). */
export function headersNotSigned(service: string, names: string[]): AwsError {
  if (familyOf(service) === 's3') {
    return new AwsError('AccessDenied', 'There were headers present in the request which were not signed', {
      status: 403,
      fields: { HeadersNotSigned: names.join(', ') },
    });
  }
  return signatureFamilyError(service, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

/** Header smuggling: a security-relevant header given twice, or control characters. */
export function badHeader(service: string, message: string): AwsError {
  if (familyOf(service) === 's3') return new AwsError('InvalidRequest', message, { status: 400 });
  return malformed(service, message, false);
}

export function missingContentSha256(): AwsError {
  return new AwsError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', { status: 400 });
}

export function invalidContentSha256(): AwsError {
  return new AwsError(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    { status: 400, fields: { ArgumentName: 'x-amz-content-sha256' } },
  );
}

/** S3: the body's SHA-256 is not the x-amz-content-sha256 the client signed. */
export function contentSha256Mismatch(client: string, computed: string): AwsError {
  return new AwsError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
    status: 400,
    fields: { ClientComputedContentSHA256: client, S3ComputedContentSHA256: computed },
  });
}

const CHECKSUM_NAMES: Record<ChecksumAlgorithm, string> = { CRC32: 'CRC32', CRC32C: 'CRC32C', CRC64NVME: 'CRC64NVME', SHA1: 'SHA1', SHA256: 'SHA256' };

export function badDigest(alg: ChecksumAlgorithm): AwsError {
  return new AwsError('BadDigest', `The ${CHECKSUM_NAMES[alg]} you specified did not match the calculated checksum.`, { status: 400 });
}

/** The aws-chunked body ended early or declared another decoded length than it carried. */
export function incompleteBody(service: string, message = 'You did not provide the number of bytes specified by the Content-Length HTTP header.'): AwsError {
  if (familyOf(service) === 's3') return new AwsError('IncompleteBody', message, { status: 400 });
  return new AwsError(familyOf(service) === 'json' ? 'SerializationException' : 'MalformedInput', message, { status: 400 });
}

/** Bad aws-chunked framing (chunk header, CRLFs, trailers). */
export function badChunkFraming(service: string, detail: string): AwsError {
  return new AwsError(familyOf(service) === 's3' ? 'InvalidRequest' : 'MalformedInput', `The aws-chunked request body is malformed: ${detail}.`, { status: 400 });
}

export function missingDecodedLength(): AwsError {
  return new AwsError('MissingContentLength', 'You must provide the Content-Length HTTP header.', { status: 411 });
}

export function invalidStreamingHeader(message: string): AwsError {
  return new AwsError('InvalidRequest', message, { status: 400 });
}

/** A request to a service other than S3 that carries no signature at all. */
export function missingAuthentication(service: string): AwsError {
  if (familyOf(service) === 'json') return new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', { status: 400 });
  return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', { status: 403 });
}
