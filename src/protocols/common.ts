// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Pieces every non-S3 codec shares: the buffered body (gzip request compression undone), scalar
 * conversions with the protocols' timestamp rules, and the request-id header.
 */
import { gunzipSync } from 'node:zlib';
import type { WireRequest } from '../context.js';
import { AwsError } from '../errors.js';

/** Largest body accepted once gunzipped (CloudWatch PutMetricData allows 1 MB; be generous). */
const MAX_INFLATED = 16 * 1024 * 1024;

export function header(req: WireRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The request body as bytes. Clients compress large CloudWatch PutMetricData bodies
 * (`requestcompression` in the model: JS v3 and botocore gzip bodies over 10 KiB).
 */
export function bodyBytes(req: WireRequest): Buffer {
  const raw = req.bodyBuffer ?? Buffer.alloc(0);
  // aws-chunked is undone by auth before codecs run; identity is no encoding.
  const codings = (header(req, 'content-encoding') ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity' && c !== 'aws-chunked');
  if (codings.length === 0) return raw;
  const enc = codings.join(', ');
  if (enc === 'gzip') {
    try {
      return gunzipSync(raw, { maxOutputLength: MAX_INFLATED });
    } catch {
      throw new AwsError('SerializationException', 'The request body could not be decompressed (Content-Encoding: gzip).');
    }
  }
  throw new AwsError('UnsupportedMediaType', `Content-Encoding ${enc} is not supported.`, { status: 415 });
}

/** ISO 8601 the way AWS's XML protocols write it: 2026-01-02T03:04:05.678Z (ms only if any). */
export function isoTimestamp(d: Date): string {
  const s = d.toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** Epoch seconds with millisecond precision, as JSON and CBOR protocols send them. */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

/** A Date from any timestamp representation clients send (ISO 8601, RFC 822, epoch seconds). */
export function parseTimestamp(v: unknown): Date | undefined {
  let d: Date | undefined;
  if (v instanceof Date) d = v;
  else if (typeof v === 'number') d = new Date(Math.round(v * 1000));
  else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) d = new Date(Math.round(Number(v) * 1000));
  else if (typeof v === 'string' && v !== '') d = new Date(Date.parse(v));
  // Out of range (beyond ±8.64e15 ms) or unparsable: no timestamp.
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** Whole numbers for integer/long, any finite number (or NaN/Infinity names) for float/double. */
export function parseNumber(v: string, integral: boolean): number | undefined {
  if (integral) return /^[-+]?\d+$/.test(v.trim()) ? Number(v) : undefined;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
}

export function parseBoolean(v: string): boolean | undefined {
  const l = v.toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : undefined;
}

/** Numbers as the XML protocols print them (NaN / Infinity / -Infinity spelled out). */
export function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

export function toBuffer(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return undefined;
}

/** Headers every response of the query/json/cbor protocols carries. */
export function baseHeaders(requestId: string, contentType: string, extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { 'x-amzn-RequestId': requestId, 'Content-Type': contentType };
  // copied rather than spread: object spreads cost more than the rest of a small response
  if (extra) for (const k in extra) h[k] = extra[k]!;
  return h;
}

/** Lower camel case, the way Coral names members in validation messages (`roleSessionName`). */
export function coralName(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

/** obj[key] = value, also for a key named `__proto__` (kept as an own property, as JSON.parse does). */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
