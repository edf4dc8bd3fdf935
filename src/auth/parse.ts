// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Reading a SigV4 signature off a request (Authorization header or presigned query), without
 * verifying anything. Malformed signatures fail here with the service's own error.
 */
import type { WireRequest } from '../context.js';
import { badDate, badHeader, badScope, bothAuthMechanisms, malformed, unsupportedAlgorithm } from './errors.js';
import { queryValue, splitQuery } from './canonical.js';
import { ALGORITHM } from './signing.js';

export interface SignatureInfo {
  kind: 'header' | 'presigned';
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** YYYYMMDDTHHMMSSZ */
  amzDate: string;
  expiresSeconds?: number;
  securityToken?: string;
  /** x-amz-content-sha256, or UNSIGNED-PAYLOAD for presigned S3. */
  payloadHash?: string;
}

/** Signing names whose error dialect is known; others fall back to the service guessed from the request. */
const KNOWN_SERVICES = new Set(['s3', 'ec2', 'dynamodb', 'streams.dynamodb', 'logs', 'monitoring', 'sts', 'iam']);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
export const MAX_PRESIGN_SECONDS = 604800;
const PRESIGNED_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];

export function header(req: WireRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Digits s[from..to) as a number, or -1 when one is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of a basic ISO-8601 date (20150830T123600Z), or NaN. */
export function parseBasicIso(s: string): number {
  if (s.length !== 16 || s.charCodeAt(8) !== 84 /* T */ || s.charCodeAt(15) !== 90 /* Z */) return NaN;
  const y = digits(s, 0, 4), mo = digits(s, 4, 6), d = digits(s, 6, 8), h = digits(s, 9, 11), mi = digits(s, 11, 13), se = digits(s, 13, 15);
  if (y < 0 || !(mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 59)) return NaN;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > MONTH_DAYS[mo - 1] + (leap ? 1 : 0)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

function toBasicIso(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function countRaw(req: WireRequest, lname: string): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].length === lname.length && req.rawHeaders[i].toLowerCase() === lname) n++;
  return n;
}

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

function parseCredential(cred: string, hint: string, presigned: boolean): Scope {
  const parts = cred.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    const svc = parts.length === 5 && KNOWN_SERVICES.has(parts[3]) ? parts[3] : hint;
    if (svc === 's3') {
      const prefix = presigned ? 'Error parsing the X-Amz-Credential parameter; ' : 'The authorization header is malformed; ';
      throw malformed(svc, `${prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`, presigned);
    }
    throw malformed(svc, `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${cred}'`, presigned);
  }
  const [accessKeyId, date, region, service, term] = parts;
  const svc = KNOWN_SERVICES.has(service) ? service : hint;
  if (term !== 'aws4_request') throw badScope(svc, { kind: 'terminator', got: term }, presigned);
  return { accessKeyId, date, region, service };
}

/**
 * Lists already validated, by their exact text: clients send the same SignedHeaders on every
 * request. Only successful parses are kept (a pure function of the string; errors depend on
 * the service and are rebuilt each time). Bounded: cleared when full.
 */
const validLists = new Map<string, { names: string[]; set: ReadonlySet<string> }>();
const VALID_LISTS_MAX = 256;
const signedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The signed header names as a Set (shared for a list parseSignedHeaders returned). */
export function signedSetOf(names: readonly string[]): ReadonlySet<string> {
  return signedSets.get(names) ?? new Set(names);
}

function parseSignedHeaders(list: string, svc: string, presigned: boolean): string[] {
  const hit = validLists.get(list);
  if (hit) return hit.names;
  const names = checkSignedHeaders(list, svc, presigned);
  if (validLists.size >= VALID_LISTS_MAX) validLists.clear();
  const set = new Set(names);
  validLists.set(list, { names, set });
  signedSets.set(names, set);
  return names;
}

function checkSignedHeaders(list: string, svc: string, presigned: boolean): string[] {
  const names = list.split(';');
  const seen = new Set<string>();
  for (const n of names) {
    if (!HEADER_NAME.test(n)) throw malformed(svc, `${presigned ? 'X-Amz-SignedHeaders' : 'SignedHeaders'} holds an invalid header name '${n}'.`, presigned);
    if (seen.has(n)) throw malformed(svc, `${presigned ? 'X-Amz-SignedHeaders' : 'SignedHeaders'} names header '${n}' more than once.`, presigned);
    seen.add(n);
  }
  return names;
}

function serviceOfCredential(cred: string | undefined, hint: string): string {
  const s = cred?.split('/')[3];
  return s !== undefined && KNOWN_SERVICES.has(s) ? s : hint;
}

/**
 * Reads only headers/query. null when the request carries no SigV4 at all (anonymous). Throws
 * AwsError for malformed auth; `serviceHint` is the service guessed from the request shape.
 */
export function parseSignature(req: WireRequest, serviceHint: string): SignatureInfo | null {
  const auth = header(req, 'authorization');
  let qp: Map<string, string> | undefined;
  if (req.query.includes('X-Amz-') || req.query.includes('Signature=')) {
    qp = new Map<string, string>();
    for (const p of splitQuery(req.query)) if (!qp.has(p.rawName)) qp.set(p.rawName, p.rawValue);
  }
  const hasPresigned = qp !== undefined && (qp.has('X-Amz-Algorithm') || qp.has('X-Amz-Credential') || qp.has('X-Amz-Signature'));
  if (auth !== undefined && countRaw(req, 'authorization') > 1) throw badHeader(serviceHint, 'The request carries more than one Authorization header.');
  const signedByHeader = auth !== undefined && auth.trim() !== '';
  if (signedByHeader && hasPresigned) throw bothAuthMechanisms(serviceHint);
  if (signedByHeader) return parseHeaderAuth(req, auth, serviceHint);
  if (hasPresigned) return parsePresigned(req, qp!, PRESIGNED_PARAMS, serviceHint);
  if (qp?.has('AWSAccessKeyId') && qp.has('Signature')) throw unsupportedAlgorithm(serviceHint, 'AWS', true);
  return null;
}

/**
 * The part of an Authorization header before its Signature value (algorithm, Credential,
 * SignedHeaders) is the same on every request a client signs that day: once it parsed cleanly,
 * its result is reused for any request whose header is that same text plus a signature token
 * (only for a known service in the scope: otherwise the errors' dialect depends on the request).
 * Bounded: cleared when full.
 */
interface AuthHead {
  scope: Scope;
  signedHeaders: string[];
  svc: string;
}
const authHeads = new Map<string, AuthHead>();
const AUTH_HEADS_MAX = 1024;
const SIGNATURE_EQ = 'Signature=';

/** A signature value the general parse would read back unchanged: no separators, not empty. */
function isSignatureToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 44 /* , */ || c === 61 /* = */ || c > 126) return false;
  }
  return true;
}

function parseHeaderAuth(req: WireRequest, auth: string, hint: string): SignatureInfo {
  const at = auth.lastIndexOf(SIGNATURE_EQ);
  const sigValue = at > 0 ? auth.slice(at + SIGNATURE_EQ.length) : '';
  const head = isSignatureToken(sigValue) ? auth.slice(0, at) : undefined;
  let parsed: AuthHead | undefined = head === undefined ? undefined : authHeads.get(head);
  let signature = sigValue;
  if (!parsed) {
    const full = parseAuthFields(auth, hint);
    signature = full.signature;
    parsed = full;
    if (head !== undefined && signature === sigValue && full.fieldCount === 3 && KNOWN_SERVICES.has(full.scope.service)) {
      if (authHeads.size >= AUTH_HEADS_MAX) authHeads.clear();
      authHeads.set(head, { scope: full.scope, signedHeaders: full.signedHeaders, svc: full.svc });
    }
  }
  const { scope, signedHeaders, svc } = parsed;
  let amzDate = header(req, 'x-amz-date');
  if (amzDate === undefined) {
    const d = header(req, 'date');
    if (d === undefined) throw badDate(svc, undefined, false);
    const ms = Date.parse(d);
    if (Number.isNaN(ms)) throw badDate(svc, d, false);
    amzDate = toBasicIso(ms);
  } else if (Number.isNaN(parseBasicIso(amzDate))) {
    throw badDate(svc, amzDate, false);
  }
  return {
    kind: 'header',
    accessKeyId: scope.accessKeyId,
    date: scope.date,
    region: scope.region,
    service: scope.service,
    signedHeaders,
    signature,
    amzDate,
    securityToken: header(req, 'x-amz-security-token'),
    payloadHash: header(req, 'x-amz-content-sha256'),
  };
}

/** The Authorization header's fields, checked; every malformed form fails here. */
function parseAuthFields(auth: string, hint: string): AuthHead & { signature: string; fieldCount: number } {
  const trimmed = auth.trim();
  const sp = trimmed.indexOf(' ');
  const algorithm = sp < 0 ? trimmed : trimmed.slice(0, sp);
  if (algorithm !== ALGORITHM) throw unsupportedAlgorithm(hint, algorithm, false);
  const fields = new Map<string, string>();
  const rest = sp < 0 ? '' : trimmed.slice(sp + 1);
  let svc = hint;
  // parameters are separated by commas and/or whitespace (AWS reads 'Credential=AKID /date/…' as two)
  for (const p of rest.split(/[\s,]+/)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (svc === 's3') throw malformed(svc, `The authorization header is malformed; the authorization component "${p}" is malformed.`, false);
      throw malformed(svc, `'${p}' not a valid key=value pair (missing equal-sign) in Authorization header: '${auth}'.`, false);
    }
    const k = p.slice(0, eq).trim();
    const v = p.slice(eq + 1).trim();
    if (k === 'Credential') svc = serviceOfCredential(v, hint);
    if (fields.has(k)) throw malformed(svc, `Authorization header has a duplicate '${k}' parameter. Authorization=${auth}`, false);
    fields.set(k, v);
  }
  const cred = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!cred || !signed || !signature) {
    if (svc === 's3') {
      throw malformed(svc, 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.', false);
    }
    const msgs: string[] = [];
    if (!cred) msgs.push("Authorization header requires 'Credential' parameter.");
    if (!signature) msgs.push("Authorization header requires 'Signature' parameter.");
    if (!signed) msgs.push("Authorization header requires 'SignedHeaders' parameter.");
    throw malformed(svc, `${msgs.join(' ')} Authorization=${auth}`, false);
  }
  const scope = parseCredential(cred, hint, false);
  svc = KNOWN_SERVICES.has(scope.service) ? scope.service : hint;
  const signedHeaders = parseSignedHeaders(signed, svc, false);
  return { scope, signedHeaders, svc, signature, fieldCount: fields.size };
}

function parsePresigned(req: WireRequest, raw: Map<string, string>, required: string[], hint: string): SignatureInfo {
  const get = (k: string): string | undefined => {
    const v = raw.get(k);
    return v === undefined ? undefined : queryValue(v);
  };
  const cred = get('X-Amz-Credential');
  const svc = serviceOfCredential(cred, hint);
  const missing = required.filter((k) => !get(k) && !(k === 'X-Amz-Expires' && svc !== 's3'));
  if (missing.length > 0) {
    if (svc === 's3') {
      throw malformed(svc, 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.', true);
    }
    throw malformed(svc, `${missing.map((k) => `AWS query-string parameters must include '${k}'.`).join(' ')} Re-examine the query-string parameters.`, true);
  }
  const algorithm = get('X-Amz-Algorithm') as string;
  if (algorithm !== ALGORITHM) {
    if (svc === 's3') throw malformed(svc, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"', true);
    throw unsupportedAlgorithm(svc, algorithm, true);
  }
  const amzDate = get('X-Amz-Date') as string;
  if (Number.isNaN(parseBasicIso(amzDate))) throw badDate(svc, amzDate, true);
  let expiresSeconds: number | undefined;
  const exp = get('X-Amz-Expires');
  if (exp !== undefined && exp !== '') {
    if (!/^-?\d+$/.test(exp)) throw malformed(svc, 'X-Amz-Expires should be a number', true);
    const n = Number(exp);
    if (n < 0) throw malformed(svc, 'X-Amz-Expires must be non-negative', true);
    if (n > MAX_PRESIGN_SECONDS) throw malformed(svc, 'X-Amz-Expires must be less than a week (in seconds) that is 604800', true);
    expiresSeconds = n;
  }
  const scope = parseCredential(cred as string, hint, true);
  const signedHeaders = parseSignedHeaders(get('X-Amz-SignedHeaders') as string, svc, true);
  return {
    kind: 'presigned',
    ...scope,
    signedHeaders,
    signature: get('X-Amz-Signature') as string,
    amzDate,
    expiresSeconds,
    securityToken: get('X-Amz-Security-Token') ?? header(req, 'x-amz-security-token'),
    payloadHash: get('X-Amz-Content-Sha256') ?? header(req, 'x-amz-content-sha256') ?? (scope.service === 's3' ? 'UNSIGNED-PAYLOAD' : undefined),
  };
}
