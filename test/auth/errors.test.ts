// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Every way a signature fails, with the error code/status/fields each service family answers:
 * malformed headers, scope, clock skew, unknown/inactive keys, session tokens, signature
 * mismatch, header smuggling, oversized values, non-UTF-8 paths, presigned parameters, --dev.
 */
import t from 'tap';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { Authenticator, parseSignature, SigningKeyCache } from '../../src/auth/index.js';
import { canonicalRequest } from '../../src/auth/canonical.js';
import { deriveSigningKey, scopeOf, signHex, stringToSign } from '../../src/auth/signing.js';
import type { WireRequest } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { IdentityStore } from '../../src/state/identity.js';
import { MemoryStateStore } from '../../src/state/memory.js';
import { authenticator, clockAt, readAll, testIdentity, toWire, wire } from './helpers.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TEMP = 'ASIAIOSFODNN7EXAMPLE';
const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKEN';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

const id = testIdentity();
await id.addKey({ accessKeyId: AKID, secretAccessKey: SECRET });
await id.addKey({ accessKeyId: 'AKIAINACTIVEEXAMPLE0', secretAccessKey: SECRET, status: 'Inactive' });
await id.addKey({ accessKeyId: TEMP, secretAccessKey: SECRET, kind: 'session', sessionToken: TOKEN, expiration: NOW + 3600_000 });

interface SignOpts {
  service: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  at?: number;
  akid?: string;
  secret?: string;
  token?: string;
  region?: string;
  unsignable?: string[];
  /** S3: do not add x-amz-content-sha256. */
  noContentSha?: boolean;
}

async function signed(o: SignOpts): Promise<WireRequest> {
  const signer = new SignatureV4({
    service: o.service,
    region: o.region ?? 'us-east-1',
    credentials: { accessKeyId: o.akid ?? AKID, secretAccessKey: o.secret ?? SECRET, sessionToken: o.token },
    sha256: Sha256,
    uriEscapePath: o.service !== 's3',
    applyChecksum: o.service === 's3' && !o.noContentSha,
  });
  const req = new HttpRequest({
    method: o.method ?? 'POST',
    hostname: 'localhost',
    port: 4566,
    path: o.path ?? '/',
    query: o.query ?? {},
    headers: { host: 'localhost:4566', ...o.headers },
    body: o.body,
  });
  const s = (await signer.sign(req, { signingDate: new Date(o.at ?? NOW), unsignableHeaders: new Set(o.unsignable ?? []) })) as HttpRequest;
  return toWire({ request: s, body: Buffer.from(o.body ?? '') });
}

async function fails(req: WireRequest, service: string, now = NOW, auth?: Authenticator): Promise<AwsError> {
  try {
    const sig = parseSignature(req, service);
    if (!sig) throw new Error('no signature');
    await (auth ?? authenticator(id.identity, now)).authenticate(req, sig, service);
    await readAll(req.body);
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error('request was accepted');
}

function withAuth(req: WireRequest, value: string): WireRequest {
  const raw = req.rawHeaders.filter((_, i, a) => a[i - (i % 2)].toLowerCase() !== 'authorization');
  return wire({ method: req.method, target: req.rawUrl, rawHeaders: [...raw, 'Authorization', value] });
}

t.test('malformed Authorization headers', async (t) => {
  const base = await signed({ service: 'sts', body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  const auth = base.headers.authorization as string;
  const cred = /Credential=([^,]+)/.exec(auth)![1];

  let e = await fails(withAuth(base, `AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc`), 'sts');
  t.match(e, { code: 'IncompleteSignature', status: 400, message: /^Authorization header requires 'Credential' parameter\. Authorization=/ });
  e = await fails(withAuth(base, `AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc`), 's3');
  t.match(e, { code: 'AuthorizationHeaderMalformed', status: 400, message: /requires three components/ });
  e = await fails(withAuth(base, `AWS4-HMAC-SHA256 Credential=${cred}`), 'dynamodb');
  t.match(e, { code: 'IncompleteSignature', message: /requires 'Signature' parameter\. Authorization header requires 'SignedHeaders'/ }, 'scope says sts');
  e = await fails(withAuth(base, `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb, SignedHeaders=host, Signature=ab`), 'dynamodb');
  t.match(e, { code: 'IncompleteSignatureException', message: /^Credential must have exactly 5 slash-delimited elements/ });
  e = await fails(withAuth(base, `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3, SignedHeaders=host, Signature=ab`), 's3');
  t.match(e, { code: 'AuthorizationHeaderMalformed', message: /the Credential is mal-formed; expecting "<YOUR-AKID>\/YYYYMMDD\/REGION\/SERVICE\/aws4_request"/ });
  e = await fails(withAuth(base, auth.replace('Credential=', 'Credential= ').replace(/Credential= (\w+)\//, 'Credential=$1 /')), 'sts');
  t.match(e, { code: 'IncompleteSignature', message: /^'\/\d{8}\/us-east-1\/sts\/aws4_request' not a valid key=value pair \(missing equal-sign\) in Authorization header: 'AWS4-HMAC-SHA256 / }, 'space inside the credential');
  e = await fails(withAuth(base, `AWS ${AKID}:c2lnbmF0dXJl`), 's3');
  t.match(e, { code: 'InvalidRequest', message: /Please use AWS4-HMAC-SHA256/ }, 'SigV2 refused');
  e = await fails(withAuth(base, `AWS4-ECDSA-P256-SHA256 Credential=${cred}, SignedHeaders=host, Signature=ab`), 'sts');
  t.match(e, { code: 'IncompleteSignature', message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'" });
  e = await fails(withAuth(base, auth.replace('SignedHeaders=', 'SignedHeaders=host;')), 'sts');
  t.match(e, { code: 'IncompleteSignature', message: /names header 'host' more than once/ }, 'duplicated signed header');
  e = await fails(withAuth(base, auth.replace(/aws4_request/, 'aws5_request')), 'sts');
  t.match(e, { code: 'SignatureDoesNotMatch', status: 403, message: /valid terminator: 'aws4_request', not 'aws5_request'/ });
});

t.test('Host must be signed; S3 wants every x-amz-* header signed', async (t) => {
  const s3 = await signed({ service: 's3', method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, unsignable: ['host'] });
  t.match(await fails(s3, 's3'), { code: 'AccessDenied', status: 403, fields: { HeadersNotSigned: 'host' } });
  const ddb = await signed({ service: 'dynamodb', body: '{}', unsignable: ['host'] });
  t.match(await fails(ddb, 'dynamodb'), { code: 'InvalidSignatureException', message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." });
  const extra = await signed({ service: 's3', method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  extra.rawHeaders.push('X-Amz-Meta-Smuggled', 'yes');
  extra.headers['x-amz-meta-smuggled'] = 'yes';
  t.match(await fails(extra, 's3'), { code: 'AccessDenied', message: 'There were headers present in the request which were not signed', fields: { HeadersNotSigned: 'x-amz-meta-smuggled' } });
});

t.test('a signed header missing from the request fails the signature', async (t) => {
  for (const service of ['s3', 'dynamodb']) {
    const r = await signed({ service, method: 'PUT', path: '/b/k', body: 'x', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-custom': 'v' } });
    const i = r.rawHeaders.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'x-custom');
    r.rawHeaders.splice(i, 2);
    delete r.headers['x-custom'];
    const e = await fails(r, service);
    t.match(e, { code: service === 's3' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException' }, service);
    if (service === 's3') t.match(e.fields?.CanonicalRequest, /\nx-custom:\n/, 'the canonical request shows the empty value');
  }
});

t.test('header smuggling: duplicates, mixed-case duplicates, control characters', async (t) => {
  const mk = async () => signed({ service: 's3', method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-a': '1' } });
  let r = await mk();
  r.rawHeaders.push('Host', 'evil.example');
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /more than one host header/ });
  r = await mk();
  r.rawHeaders.push('X-Amz-Date', '20260101T120000Z');
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /more than one x-amz-date header/ });
  r = await mk();
  r.rawHeaders.push('X-AMZ-META-A', '2');
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /x-amz-meta-a is sent twice with different spellings/ });
  // the same checks on a request with many headers (scanHeaders keeps a map past a few dozen)
  const many = (): string[] => Array.from({ length: 40 }, (_, i) => [`X-Filler-${i}`, 'x']).flat();
  r = await mk();
  r.rawHeaders.push(...many(), 'Host', 'evil.example');
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /more than one host header/ });
  r = await mk();
  r.rawHeaders.push(...many(), 'X-AMZ-META-A', '2');
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /x-amz-meta-a is sent twice with different spellings/ });
  r = await mk();
  r.rawHeaders = r.rawHeaders.map((v, i, a) => (i % 2 === 1 && a[i - 1] === 'x-amz-meta-a' ? '1\r\nX-Evil: 1' : v));
  t.match(await fails(r, 's3'), { code: 'InvalidRequest', message: /control character/ });
  const ddb = await signed({ service: 'dynamodb', body: '{}' });
  ddb.rawHeaders.push('HOST', 'other');
  t.match(await fails(ddb, 'dynamodb'), { code: 'IncompleteSignatureException', status: 400 });
});

t.test('credential scope: region, service, date', async (t) => {
  const bad = await signed({ service: 's3', method: 'GET', path: '/b', region: 'Bad_Region', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  t.match(await fails(bad, 's3'), { code: 'AuthorizationHeaderMalformed', message: "The authorization header is malformed; the region 'Bad_Region' is wrong; expecting 'us-east-1'", fields: { Region: 'us-east-1' } });
  const sts = await signed({ service: 'sts', region: 'Bad_Region', body: 'Action=GetCallerIdentity' });
  t.match(await fails(sts, 'sts'), { code: 'SignatureDoesNotMatch', status: 403, message: /^Credential should be scoped to a valid region/ });
  const ec2 = await signed({ service: 'ec2', body: 'Action=DescribeRegions' });
  const sig = parseSignature(ec2, 'ec2')!;
  await t.rejects(authenticator(id.identity, NOW).authenticate(ec2, sig, 'sts'), { code: 'SignatureDoesNotMatch', message: "Credential should be scoped to correct service: 'sts'. " });
  await t.rejects(authenticator(id.identity, NOW).authenticate(ec2, sig, 's3'), { code: 'AuthorizationHeaderMalformed', message: /incorrect service "ec2". This endpoint belongs to "s3"/ });
  const streams = await signed({ service: 'dynamodb', body: '{}' });
  await authenticator(id.identity, NOW).authenticate(streams, parseSignature(streams, 'dynamodb')!, 'streams.dynamodb');
  t.pass('DynamoDB Streams requests are signed with the dynamodb scope');
  const dated = await signed({ service: 'dynamodb', body: '{}' });
  const auth = (dated.headers.authorization as string).replace('/20260101/', '/20251231/');
  t.match(await fails(withAuth(dated, auth), 'dynamodb'), {
    code: 'InvalidSignatureException',
    message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T120000Z'.",
  });
});

t.test('clock skew per service', async (t) => {
  const late = NOW + 16 * 60_000;
  const s3 = await signed({ service: 's3', method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  t.match(await fails(s3, 's3', late), {
    code: 'RequestTimeTooSkewed',
    status: 403,
    fields: { RequestTime: '20260101T120000Z', ServerTime: '2026-01-01T12:16:00Z', MaxAllowedSkewMilliseconds: 900000 },
  });
  t.match(await fails(await signed({ service: 'dynamodb', body: '{}' }), 'dynamodb', late), {
    code: 'InvalidSignatureException',
    status: 400,
    message: 'Signature expired: 20260101T120000Z is now earlier than 20260101T120100Z (20260101T121600Z - 15 min.)',
  });
  t.match(await fails(await signed({ service: 'sts', body: 'Action=GetCallerIdentity' }), 'sts', NOW - 16 * 60_000), {
    code: 'SignatureDoesNotMatch',
    status: 403,
    message: 'Signature not yet current: 20260101T120000Z is still later than 20260101T115900Z (20260101T114400Z + 15 min.)',
  });
  t.match(await fails(await signed({ service: 'ec2', body: 'Action=DescribeRegions' }), 'ec2', late), { code: 'RequestExpired', status: 400 });
  // within 15 minutes: fine
  const ok = await signed({ service: 'sts', body: 'Action=GetCallerIdentity' });
  await authenticator(id.identity, NOW + 14 * 60_000).authenticate(ok, parseSignature(ok, 'sts')!, 'sts');
  t.pass('14 minutes of skew accepted');
});

t.test('unknown and inactive keys per service', async (t) => {
  const cases: Array<[string, string, number, string?]> = [
    ['s3', 'InvalidAccessKeyId', 403],
    ['dynamodb', 'UnrecognizedClientException', 400],
    ['logs', 'UnrecognizedClientException', 400],
    ['ec2', 'AuthFailure', 401],
    ['sts', 'InvalidClientTokenId', 403],
    ['iam', 'InvalidClientTokenId', 403],
    ['monitoring', 'InvalidClientTokenId', 403],
  ];
  for (const [service, code, status] of cases) {
    for (const akid of ['AKIANOSUCHKEYEXAMPLE', 'AKIAINACTIVEEXAMPLE0']) {
      const r = await signed({ service, akid, method: service === 's3' ? 'GET' : 'POST', headers: service === 's3' ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {}, body: service === 's3' ? undefined : 'x' });
      const e = await fails(r, service);
      t.match(e, { code, status }, `${service} ${akid}`);
      if (service === 's3') t.match(e, { message: 'The AWS Access Key Id you provided does not exist in our records.', fields: { AWSAccessKeyId: akid } });
    }
  }
});

t.test('temporary credentials: token required, must match, must not be expired', async (t) => {
  const ok = await signed({ service: 'sts', akid: TEMP, token: TOKEN, body: 'Action=GetCallerIdentity' });
  const p = await authenticator(id.identity, NOW).authenticate(ok, parseSignature(ok, 'sts')!, 'sts');
  t.match(p, { temporary: true, accessKeyId: TEMP });
  t.match(await fails(await signed({ service: 'sts', akid: TEMP, body: 'x' }), 'sts'), { code: 'InvalidClientTokenId' }, 'no token');
  t.match(await fails(await signed({ service: 'sts', akid: TEMP, token: 'wrong', body: 'x' }), 'sts'), { code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
  const s3wrong = await signed({ service: 's3', akid: TEMP, token: 'wrong', method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  t.match(await fails(s3wrong, 's3'), { code: 'InvalidToken', status: 400, fields: { 'Token-0': 'wrong' } });
  t.match(await fails(await signed({ service: 'sts', akid: AKID, token: TOKEN, body: 'x' }), 'sts'), { code: 'InvalidClientTokenId' }, 'token with a long-term key');
  const later = NOW + 2 * 3600_000;
  const exp = (service: string, extra: Partial<SignOpts> = {}) => signed({ service, akid: TEMP, token: TOKEN, at: later, body: 'x', ...extra });
  t.match(await fails(await exp('sts'), 'sts', later), { code: 'ExpiredToken', status: 403, message: 'The security token included in the request is expired' });
  t.match(await fails(await exp('dynamodb'), 'dynamodb', later), { code: 'ExpiredTokenException', status: 400 });
  t.match(await fails(await exp('s3', { method: 'GET', body: undefined, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }), 's3', later), {
    code: 'ExpiredToken',
    status: 400,
    message: 'The provided token has expired.',
  });
});

t.test('wrong secret: S3 returns the canonical request and string to sign', async (t) => {
  const r = await signed({ service: 's3', method: 'GET', path: '/b/k', secret: 'not-the-secret', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const e = await fails(r, 's3');
  t.match(e, { code: 'SignatureDoesNotMatch', status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' });
  t.match(e.fields, {
    AWSAccessKeyId: AKID,
    StringToSign: /^AWS4-HMAC-SHA256\n20260101T120000Z\n20260101\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/,
    SignatureProvided: /^[0-9a-f]{64}$/,
    StringToSignBytes: /^41 57 53 34 /,
    CanonicalRequest: /^GET\n\/b\/k\n\nhost:localhost:4566\n/,
    CanonicalRequestBytes: /^47 45 54 0a /,
  });
  t.match(await fails(await signed({ service: 'ec2', secret: 'x', body: 'Action=DescribeRegions' }), 'ec2'), { code: 'AuthFailure', status: 401 });
  t.match(await fails(await signed({ service: 'logs', secret: 'x', body: '{}' }), 'logs'), { code: 'InvalidSignatureException', status: 400 });
});

t.test('S3 x-amz-content-sha256 required and validated', async (t) => {
  t.match(await fails(await signed({ service: 's3', method: 'GET', path: '/b', noContentSha: true }), 's3'), { code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' });
  t.match(await fails(await signed({ service: 's3', method: 'GET', path: '/b', headers: { 'x-amz-content-sha256': 'nonsense' } }), 's3'), { code: 'InvalidArgument' });
});

t.test('100 KB signed header value and non-UTF-8 path bytes', async (t) => {
  const big = 'v'.repeat(100 * 1024);
  const r = await signed({ service: 's3', method: 'GET', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-big': big } });
  await authenticator(id.identity, NOW).authenticate(r, parseSignature(r, 's3')!, 's3');
  t.pass('verified');

  // a key made of bytes that are not UTF-8, signed by hand from the same canonical rules
  const path = '/b/%FF%FE%80k';
  const amzDate = '20260101T120000Z';
  const rawHeaders = ['Host', 'localhost:4566', 'x-amz-date', amzDate, 'x-amz-content-sha256', 'UNSIGNED-PAYLOAD'];
  const signedHeaders = ['host', 'x-amz-content-sha256', 'x-amz-date'];
  const creq = canonicalRequest({ method: 'GET', path, query: '', rawHeaders, signedHeaders, payloadHash: 'UNSIGNED-PAYLOAD', s3: true, presigned: false });
  t.match(creq, /^GET\n\/b\/%FF%FE%80k\n/);
  const scope = scopeOf('20260101', 'us-east-1', 's3');
  const sigHex = signHex(deriveSigningKey(SECRET, '20260101', 'us-east-1', 's3'), stringToSign(amzDate, scope, creq));
  const req = wire({ method: 'GET', target: path, rawHeaders: [...rawHeaders, 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sigHex}`] });
  await authenticator(id.identity, NOW).authenticate(req, parseSignature(req, 's3')!, 's3');
  t.pass('non-UTF-8 path verified');
  const lower = wire({ method: 'GET', target: '/b/%ff%fe%80k', rawHeaders: req.rawHeaders });
  await authenticator(id.identity, NOW).authenticate(lower, parseSignature(lower, 's3')!, 's3');
  t.pass('lower-case escapes canonicalize to the same bytes');
});

t.test('the Date header stands in for X-Amz-Date', async (t) => {
  const date = 'Thu, 01 Jan 2026 12:00:00 GMT';
  const rawHeaders = ['Host', 'localhost:4566', 'Date', date, 'Content-Type', 'application/x-www-form-urlencoded'];
  const signedHeaders = ['content-type', 'date', 'host'];
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const creq = canonicalRequest({ method: 'POST', path: '/', query: '', rawHeaders, signedHeaders, payloadHash: (await import('node:crypto')).createHash('sha256').update(body).digest('hex'), s3: false, presigned: false });
  const scope = scopeOf('20260101', 'us-east-1', 'sts');
  const sigHex = signHex(deriveSigningKey(SECRET, '20260101', 'us-east-1', 'sts'), stringToSign('20260101T120000Z', scope, creq));
  const req = wire({ method: 'POST', target: '/', rawHeaders: [...rawHeaders, 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sigHex}`], body: Buffer.from(body) });
  const sig = parseSignature(req, 'sts')!;
  t.equal(sig.amzDate, '20260101T120000Z');
  await authenticator(id.identity, NOW).authenticate(req, sig, 'sts');
  t.equal((await readAll(req.body)).toString(), body);
  const none = wire({ method: 'POST', target: '/', rawHeaders: ['Host', 'x', 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/${scope}, SignedHeaders=host, Signature=${sigHex}`] });
  t.throws(() => parseSignature(none, 'sts'), { code: 'IncompleteSignature', message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header." });
  const noneS3 = wire({ method: 'GET', target: '/b', rawHeaders: ['Host', 'x', 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sigHex}`] });
  t.throws(() => parseSignature(noneS3, 's3'), { code: 'AccessDenied', status: 403, message: 'AWS authentication requires a valid Date or x-amz-date header' });
});

t.test('presigned query parameters', async (t) => {
  const q = (extra: string) => wire({ method: 'GET', target: `/b/k?${extra}`, rawHeaders: ['Host', 'localhost'] });
  const cred = `X-Amz-Credential=${AKID}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request`;
  const all = `X-Amz-Algorithm=AWS4-HMAC-SHA256&${cred}&X-Amz-Date=20260101T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab`;
  t.throws(() => parseSignature(q(`${all}&X-Amz-Expires=604801`), 's3'), { code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires must be less than a week (in seconds) that is 604800' });
  t.throws(() => parseSignature(q(`${all}&X-Amz-Expires=-1`), 's3'), { code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires must be non-negative' });
  t.throws(() => parseSignature(q(all), 's3'), { code: 'AuthorizationQueryParametersError', message: /requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters/ });
  t.throws(() => parseSignature(q(`${all.replace('20260101T120000Z', '2026-01-01')}&X-Amz-Expires=60`), 's3'), { code: 'AuthorizationQueryParametersError', message: /ISO8601 Long Format/ });
  const both = wire({ method: 'GET', target: `/b/k?${all}&X-Amz-Expires=60`, rawHeaders: ['Host', 'localhost', 'Authorization', 'AWS4-HMAC-SHA256 Credential=x'] });
  t.throws(() => parseSignature(both, 's3'), { code: 'InvalidArgument', fields: { ArgumentName: 'Authorization' } });
  t.equal(parseSignature(wire({ method: 'GET', target: '/b/k?list-type=2', rawHeaders: ['Host', 'localhost'] }), 's3'), null, 'anonymous');
  t.throws(() => parseSignature(wire({ method: 'GET', target: '/b/k', rawHeaders: ['Host', 'localhost'] , }), 's3') ?? (() => { throw new Error('null'); })(), { message: 'null' });
});

t.test('--dev: access key test/test is the root of the first account', async (t) => {
  const identity = new IdentityStore(new MemoryStateStore());
  const { account } = await identity.createAccount('first');
  await new Promise((r) => setTimeout(r, 5));
  await identity.createAccount('second');
  const r = await signed({ service: 'sts', akid: 'test', secret: 'test', body: 'Action=GetCallerIdentity' });
  const dev = new Authenticator({ identity, clock: clockAt(NOW), dev: true });
  const p = await dev.authenticate(r, parseSignature(r, 'sts')!, 'sts');
  t.match(p, { kind: 'root', accountId: account.accountId, accessKeyId: 'test', arn: `arn:aws:iam::${account.accountId}:root` });
  const r2 = await signed({ service: 'sts', akid: 'test', secret: 'test', body: 'Action=GetCallerIdentity' });
  await t.rejects(new Authenticator({ identity, clock: clockAt(NOW), dev: false }).authenticate(r2, parseSignature(r2, 'sts')!, 'sts'), { code: 'InvalidClientTokenId' });
  const r3 = await signed({ service: 'sts', akid: 'test', secret: 'wrong', body: 'x' });
  t.match(await fails(r3, 'sts', NOW, dev), { code: 'SignatureDoesNotMatch' }, 'wrong secret for test (checked when the body ends)');
});

t.test('deferred body hash: already-buffered bodies are checked at once', async (t) => {
  const r = await signed({ service: 'dynamodb', body: '{"TableName":"t"}' });
  r.bodyBuffer = Buffer.from('{"TableName":"t"}');
  await authenticator(id.identity, NOW).authenticate(r, parseSignature(r, 'dynamodb')!, 'dynamodb');
  const bad = await signed({ service: 'dynamodb', body: '{"TableName":"t"}' });
  bad.bodyBuffer = Buffer.from('{"TableName":"u"}');
  await t.rejects(authenticator(id.identity, NOW).authenticate(bad, parseSignature(bad, 'dynamodb')!, 'dynamodb'), { code: 'InvalidSignatureException' });
});

t.test('non-S3 request with a literal x-amz-content-sha256 and another body', async (t) => {
  const sha = (await import('node:crypto')).createHash('sha256').update('{"a":1}').digest('hex');
  const r = await signed({ service: 'dynamodb', body: '{"a":1}', headers: { 'x-amz-content-sha256': sha } });
  const b = Buffer.from('{"a":2}');
  r.body = (await import('node:stream')).Readable.from([b]);
  const e = await fails(r, 'dynamodb');
  t.match(e, { code: 'InvalidSignatureException', message: /should have been\n'POST\n/ });
  t.match(e.message, (await import('node:crypto')).createHash('sha256').update(b).digest('hex'), 'the canonical request shows the real body hash');
});

t.test('signing key cache is bounded', async (t) => {
  const c = new SigningKeyCache(2);
  const a = c.get('s', '20260101', 'r1', 'x');
  c.get('s', '20260101', 'r2', 'x');
  c.get('s', '20260101', 'r1', 'x');
  c.get('s', '20260101', 'r3', 'x');
  t.equal(c.size, 2);
  t.equal(c.get('s', '20260101', 'r1', 'x'), a, 'recently used key kept');
  t.equal(c.hits, 2);
  t.equal(c.misses, 3);
});
