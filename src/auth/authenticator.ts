// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 verification: credential scope, clock skew / presign expiry, access key and session
 * token, header hygiene, the canonical request and signature, and the payload (literal hash,
 * unsigned, aws-chunked with chunk signatures and trailing checksums, or a deferred body hash).
 */
import type { Principal, WireRequest } from '../context.js';
import type { Clock } from '../gateway.js';
import { principalOf, type IdentityStore, type KeyRecord, type ResolvedKey as ResolvedIdentity } from '../state/identity.js';
import { canonicalRequest } from './canonical.js';
import { AwsChunkedDecoder, type ChunkSigning } from './chunked.js';
import * as E from './errors.js';
import { header, parseBasicIso, signedSetOf, type SignatureInfo } from './parse.js';
import { bodyIsEmpty, Sha256Check, splice } from './payload.js';
import { EMPTY_SHA256, SigningKeyCache, sameSignature, scopeOf, sha256Hex, signHex, stringToSign } from './signing.js';

export interface AuthOptions {
  identity: IdentityStore;
  clock: Clock;
  dev: boolean;
  /** Region named in "expecting '…'" messages when a scope's region is invalid. Default us-east-1. */
  region?: string;
  /** Signing keys kept in the LRU cache. Default 1024. */
  signingKeyCacheSize?: number;
}

const REGION = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const STREAMING = new Set([
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
]);
/** Headers that must not appear twice: a second copy could be read by one layer and signed by another. */
const SINGLETONS = new Set(['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'x-amz-decoded-content-length', 'x-amz-trailer', 'content-length', 'date']);
/** Services whose clients sign with another service's name (DynamoDB Streams signs as dynamodb). */
const SCOPE_NAME: Record<string, string> = { 'streams.dynamodb': 'dynamodb' };
const DEV_KEY = 'test';
/** Header counts up to which scanHeaders looks back instead of keeping a map. */
const FEW_HEADERS = 32;
const DEV_CACHE_MS = 10_000;

interface ResolvedKey {
  secret: string;
  principal: Principal;
}

export class Authenticator {
  private readonly keys: SigningKeyCache;
  private dev?: { at: number; principal: Principal };

  constructor(private readonly opts: AuthOptions) {
    this.keys = new SigningKeyCache(opts.signingKeyCacheSize ?? 1024);
  }

  /** For benchmarks and tests: forget every cached signing key. */
  clearSigningKeyCache(): void {
    this.keys.clear();
  }

  async authenticate(req: WireRequest, sig: SignatureInfo, service: string): Promise<Principal> {
    const presigned = sig.kind === 'presigned';
    const s3 = service === 's3';
    this.checkScope(sig, service, presigned);
    const values = scanHeaders(req, sig, service);
    const now = this.opts.clock.now();
    this.checkTime(sig, service, now);
    // a key this turn already resolved is taken as it is, without the lookup's async hops
    const known = this.opts.identity.resolveNow(sig.accessKeyId);
    const key = known ? usableKey(known, sig, service, now) : await this.resolveKey(sig, service, now);
    checkSignedHeaders(req, sig, service, presigned);

    const payloadHash = resolvePayloadHash(sig, service, s3, presigned);
    const signingKey = this.keys.get(key.secret, sig.date, sig.region, sig.service);
    const scope = scopeOf(sig.date, sig.region, sig.service);
    const verify = (hash: string): void => {
      const creq = canonicalRequest({
        method: req.method,
        path: req.path,
        query: req.query,
        rawHeaders: req.rawHeaders,
        signedHeaders: sig.signedHeaders,
        payloadHash: hash,
        s3,
        presigned,
        headerValues: values,
      });
      const sts = stringToSign(sig.amzDate, scope, creq);
      if (!sameSignature(signHex(signingKey, sts), sig.signature)) {
        throw E.signatureMismatch(service, { accessKeyId: sig.accessKeyId, stringToSign: sts, signatureProvided: sig.signature, canonicalRequest: creq });
      }
    };

    if (payloadHash === undefined) {
      // the body's own hash is signed: check now if it is already read, else when it ends
      if (req.bodyBuffer) verify(sha256Hex(req.bodyBuffer));
      else if (bodyIsEmpty(req)) verify(EMPTY_SHA256);
      else splice(req, new Sha256Check((hex) => (verify(hex), undefined)));
      return key.principal;
    }
    verify(payloadHash);
    if (payloadHash === 'UNSIGNED-PAYLOAD') return key.principal;
    if (STREAMING.has(payloadHash)) {
      const signing: ChunkSigning | undefined = payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256')
        ? { signingKey, amzDate: sig.amzDate, scope, seedSignature: sig.signature, accessKeyId: sig.accessKeyId }
        : undefined;
      this.decodeChunked(req, service, payloadHash, signing);
      return key.principal;
    }
    // a literal SHA-256 of the body
    const literal = payloadHash.toLowerCase();
    const mismatch = (computed: string): Error | undefined => {
      if (computed === literal) return undefined;
      if (s3) return E.contentSha256Mismatch(payloadHash, computed);
      // other services sign the body itself: the signature over the real body's hash fails
      try {
        verify(computed);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    };
    if (req.bodyBuffer) {
      const err = mismatch(sha256Hex(req.bodyBuffer));
      if (err) throw err;
    } else if (!(literal === EMPTY_SHA256 && bodyIsEmpty(req))) {
      splice(req, new Sha256Check(mismatch));
    }
    return key.principal;
  }

  private decodeChunked(req: WireRequest, service: string, mode: string, signing: ChunkSigning | undefined): void {
    const dl = header(req, 'x-amz-decoded-content-length');
    if (dl === undefined) throw E.missingDecodedLength();
    if (!/^\d{1,15}$/.test(dl)) throw E.invalidStreamingHeader(`Invalid x-amz-decoded-content-length: '${dl.slice(0, 40)}'`);
    const decodedLength = Number(dl);
    const trailerHeader = header(req, 'x-amz-trailer');
    const declared = mode.endsWith('-TRAILER') && trailerHeader
      ? trailerHeader.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')
      : [];
    const decoder = new AwsChunkedDecoder({
      service,
      signing,
      signedTrailer: mode === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      declaredTrailers: declared,
      decodedLength,
      onTrailers: (t) => {
        req.trailers = t;
      },
    });
    req.decodedContentLength = decodedLength;
    splice(req, decoder);
  }

  private checkScope(sig: SignatureInfo, service: string, presigned: boolean): void {
    const expected = SCOPE_NAME[service] ?? service;
    if (sig.service !== expected && sig.service !== service) throw E.badScope(service, { kind: 'service', got: sig.service, expected }, presigned);
    if (!REGION.test(sig.region)) throw E.badScope(service, { kind: 'region', got: sig.region, expected: this.opts.region ?? 'us-east-1' }, presigned);
    const day = sig.amzDate.slice(0, 8);
    if (sig.date !== day) throw E.badScope(service, { kind: 'date', got: sig.date, expected: day, amzDate: sig.amzDate }, presigned);
  }

  private checkTime(sig: SignatureInfo, service: string, now: number): void {
    const t = parseBasicIso(sig.amzDate);
    if (sig.kind === 'presigned' && sig.expiresSeconds !== undefined) {
      const expiresAt = t + sig.expiresSeconds * 1000;
      if (t - now > E.MAX_SKEW_MS) throw E.presignNotYetValid(service, sig.amzDate, t, expiresAt, now);
      if (now > expiresAt) throw E.presignExpired(service, sig.expiresSeconds, expiresAt, now);
      return;
    }
    if (Math.abs(now - t) > E.MAX_SKEW_MS) throw E.timeSkewed(service, sig.amzDate, t, now);
  }

  private async resolveKey(sig: SignatureInfo, service: string, now: number): Promise<ResolvedKey> {
    const resolved = await this.opts.identity.resolve(sig.accessKeyId);
    if (!resolved) {
      if (this.opts.dev && sig.accessKeyId === DEV_KEY) return { secret: DEV_KEY, principal: await this.devPrincipal(service, now) };
      throw E.unknownKey(service, sig.accessKeyId);
    }
    return usableKey(resolved, sig, service, now);
  }

  /** --dev: access key `test` is the root of the first account created. */
  private async devPrincipal(service: string, now: number): Promise<Principal> {
    if (this.dev && now - this.dev.at < DEV_CACHE_MS) return this.dev.principal;
    const accounts = (await this.opts.identity.listAccounts()).sort((a, b) => a.createDate - b.createDate);
    const root = accounts.length > 0 ? await this.opts.identity.rootKeyOf(accounts[0].accountId) : undefined;
    if (!root) throw E.unknownKey(service, DEV_KEY);
    const principal = { ...principalOf(root), accessKeyId: DEV_KEY };
    this.dev = { at: now, principal };
    return principal;
  }
}

/** The secret and principal of a resolved key, once it is active and its session token matches. */
function usableKey(resolved: ResolvedIdentity, sig: SignatureInfo, service: string, now: number): ResolvedKey {
  const key = resolved.record;
  if (key.status !== 'Active') throw E.unknownKey(service, sig.accessKeyId);
  checkToken(key, sig, service, now);
  return { secret: key.secretAccessKey, principal: resolved.principal };
}

function checkToken(key: KeyRecord, sig: SignatureInfo, service: string, now: number): void {
  const token = sig.securityToken;
  if (key.sessionToken === undefined) {
    if (token !== undefined && token !== '') throw E.invalidToken(service, token);
    return;
  }
  if (token === undefined || token === '') throw E.unknownKey(service, sig.accessKeyId);
  if (!sameSignature(key.sessionToken, token)) throw E.invalidToken(service, token);
  if (key.expiration !== undefined && key.expiration <= now) throw E.expiredToken(service, token);
}

/**
 * One pass over the raw headers: refuses duplicated security-relevant headers, mixed-case
 * duplicates of signed headers and control characters in signed values; returns the values of
 * the signed headers in the order received.
 */
function scanHeaders(req: WireRequest, sig: SignatureInfo, service: string): Map<string, string[]> {
  const signed = signedSetOf(sig.signedHeaders);
  const values = new Map<string, string[]>();
  const raw = req.rawHeaders;
  // first spelling of each lower-case name: a request has a dozen headers, so looking back
  // through them costs less than a map; past FEW_HEADERS, a map keeps it linear
  const few = raw.length <= FEW_HEADERS * 2;
  const lnames: string[] | undefined = few ? new Array(raw.length >> 1) : undefined;
  const seen = few ? undefined : new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lname = name.toLowerCase();
    let first: string | undefined;
    if (lnames) {
      lnames[i >> 1] = lname;
      for (let p = 0; p < i >> 1; p++) {
        if (lnames[p] === lname) {
          first = raw[p * 2];
          break;
        }
      }
    } else {
      first = seen!.get(lname);
      if (first === undefined) seen!.set(lname, name);
    }
    if (first !== undefined) {
      if (SINGLETONS.has(lname)) throw E.badHeader(service, `The request carries more than one ${lname} header.`);
      if (first !== name && signed.has(lname)) throw E.badHeader(service, `The signed header ${lname} is sent twice with different spellings.`);
    }
    if (!signed.has(lname)) continue;
    const v = raw[i + 1];
    // eslint-disable-next-line no-control-regex
    if (/[\r\n\0]/.test(v)) throw E.badHeader(service, `The value of header ${lname} holds a control character.`);
    const list = values.get(lname);
    if (list) list.push(v);
    else values.set(lname, [v]);
  }
  return values;
}

/** Host must be signed; S3 also wants every x-amz-* header it receives signed. */
function checkSignedHeaders(req: WireRequest, sig: SignatureInfo, service: string, presigned: boolean): void {
  const signed = sig.signedHeaders;
  if (!signed.includes('host')) throw E.headersNotSigned(service, ['host']);
  if (service !== 's3') return;
  const unsigned: string[] = [];
  for (const name in req.headers) {
    if (!name.startsWith('x-amz-') || signed.includes(name)) continue;
    if (presigned && (name === 'x-amz-content-sha256' || name === 'x-amz-security-token')) continue;
    unsigned.push(name);
  }
  if (unsigned.length > 0) throw E.headersNotSigned(service, unsigned.sort());
}

/** The payload hash line of the canonical request; undefined when it is the body's own SHA-256. */
function resolvePayloadHash(sig: SignatureInfo, service: string, s3: boolean, presigned: boolean): string | undefined {
  const h = sig.payloadHash;
  if (s3) {
    if (h === undefined) {
      if (presigned) return 'UNSIGNED-PAYLOAD';
      throw E.missingContentSha256();
    }
    if (h === 'UNSIGNED-PAYLOAD' || STREAMING.has(h) || HEX64.test(h)) return h;
    throw E.invalidContentSha256();
  }
  if (h !== undefined && (h === 'UNSIGNED-PAYLOAD' || HEX64.test(h) || STREAMING.has(h))) return h;
  return undefined;
}
