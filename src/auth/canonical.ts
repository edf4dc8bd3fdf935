// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The SigV4 canonical request, computed from the request as received:
 *   method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
 * - URI: S3 encodes each path segment once (percent-decoded, then RFC 3986-encoded) and keeps dot
 *   segments and empty segments; every other service removes dot segments and repeated slashes and
 *   encodes the received (already encoded) path again, i.e. twice, as botocore and the JS SDK do.
 * - Query: each name and value percent-decoded then encoded, sorted by name then value; the
 *   signature parameter of a presigned request left out.
 * - Headers: the signed ones, lower-case names, values trimmed with inner whitespace runs collapsed,
 *   repeated headers joined with ',' in the order received.
 * Strings hold bytes the way Node hands them over: code points ≤ 0xFF are taken as raw bytes
 * (latin1), anything wider as UTF-8.
 */

const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';

/** Only unreserved characters: encoding leaves it unchanged. */
const PLAIN = /^[A-Za-z0-9\-_.~]*$/;

function toBytes(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1');
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decodes to bytes; a '%' not followed by two hex digits stays a literal '%'. */
export function percentDecode(s: string): Buffer {
  const b = toBytes(s);
  if (!b.includes(37)) return b;
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 37 && i + 2 < b.length) {
      const h = hexVal(b[i + 1]);
      const l = hexVal(b[i + 2]);
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/** RFC 3986 encoding of bytes: unreserved characters as they are, every other byte %XX. */
export function uriEncodeBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    s += UNRESERVED[c] ? String.fromCharCode(c) : '%' + HEX[c >> 4] + HEX[c & 15];
  }
  return s;
}

/** Encodes a string's bytes (see toBytes) without decoding first. */
export function uriEncode(s: string): string {
  return PLAIN.test(s) ? s : uriEncodeBytes(toBytes(s));
}

/**
 * True when `s` is already in canonical form: only unreserved characters and upper-case %XX
 * escapes of bytes that are not unreserved (`slash` also allows a literal '/').
 */
function isCanonical(s: string, slash: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 256 && UNRESERVED[c]) continue;
    if (slash && c === 47) continue;
    if (c !== 37 || i + 2 >= s.length) return false;
    const h = upperHex(s.charCodeAt(i + 1));
    const l = upperHex(s.charCodeAt(i + 2));
    if (h < 0 || l < 0 || UNRESERVED[(h << 4) | l]) return false;
    i += 2;
  }
  return true;
}

function upperHex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Decode, then encode: the canonical form of one already-encoded component. */
export function recode(s: string): string {
  return isCanonical(s, false) ? s : uriEncodeBytes(percentDecode(s));
}

export function canonicalUri(path: string, s3: boolean): string {
  if (path === '') return '/';
  if (s3) {
    if (isCanonical(path, true)) return path;
    return path.split('/').map(recode).join('/');
  }
  // remove dot segments and empty segments, keep a trailing slash; then encode the raw segments
  const segs: string[] = [];
  const parts = path.split('/');
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') segs.pop();
    else segs.push(p);
  }
  const last = parts[parts.length - 1];
  const trailing = segs.length > 0 && (last === '' || last === '.' || last === '..');
  if (segs.length === 0) return '/';
  return '/' + segs.map(uriEncode).join('/') + (trailing ? '/' : '');
}

export interface QueryParam {
  /** As received (still encoded). */
  rawName: string;
  rawValue: string;
}

export function splitQuery(query: string): QueryParam[] {
  const out: QueryParam[] = [];
  if (!query) return out;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) out.push({ rawName: pair, rawValue: '' });
    else out.push({ rawName: pair.slice(0, eq), rawValue: pair.slice(eq + 1) });
  }
  return out;
}

/** Decoded value of a query parameter (UTF-8). */
export function queryValue(raw: string): string {
  return percentDecode(raw).toString('utf8');
}

export function canonicalQuery(params: QueryParam[], skipName?: string): string {
  const enc: Array<[string, string]> = [];
  for (const p of params) {
    if (skipName !== undefined && p.rawName === skipName) continue;
    enc.push([recode(p.rawName), recode(p.rawValue)]);
  }
  if (enc.length === 0) return '';
  if (enc.length > 1) enc.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let s = enc[0][0] + '=' + enc[0][1];
  for (let i = 1; i < enc.length; i++) s += '&' + enc[i][0] + '=' + enc[i][1];
  return s;
}

/** A header value as SigV4 canonicalises it: trimmed, inner runs of whitespace as one space. */
export function trimAll(v: string): string {
  const t = v.trim();
  return /\s\s|[\t\n\r\v\f]/.test(t) ? t.replace(/\s+/g, ' ') : t;
}

/** Values of each wanted header, from rawHeaders, in the order received. */
export function collectHeaders(rawHeaders: string[], wanted: ReadonlySet<string>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!wanted.has(name)) continue;
    const list = m.get(name);
    if (list) list.push(rawHeaders[i + 1]);
    else m.set(name, [rawHeaders[i + 1]]);
  }
  return m;
}

/** canonical headers block (each line ends with \n), for the signed header names in order. */
export function canonicalHeaders(signed: readonly string[], values: Map<string, string[]>): string {
  let s = '';
  for (const name of signed) {
    const v = values.get(name);
    s += name + ':' + (v === undefined ? '' : v.length === 1 ? trimAll(v[0]) : v.map(trimAll).join(',')) + '\n';
  }
  return s;
}

export interface CanonicalInput {
  method: string;
  path: string;
  query: string;
  rawHeaders: string[];
  signedHeaders: readonly string[];
  payloadHash: string;
  s3: boolean;
  /** Presigned requests leave their own X-Amz-Signature out of the query. */
  presigned: boolean;
  /** Header values already collected for the signed headers (saves a pass over rawHeaders). */
  headerValues?: Map<string, string[]>;
}

export function canonicalRequest(i: CanonicalInput): string {
  const values = i.headerValues ?? collectHeaders(i.rawHeaders, new Set(i.signedHeaders));
  return (
    i.method + '\n' +
    canonicalUri(i.path, i.s3) + '\n' +
    canonicalQuery(splitQuery(i.query), i.presigned ? 'X-Amz-Signature' : undefined) + '\n' +
    canonicalHeaders(i.signedHeaders, values) + '\n' +
    i.signedHeaders.join(';') + '\n' +
    i.payloadHash
  );
}
