// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * HTTP to Ceph RGW: one keep-alive undici Pool, every request SigV4-signed (src/auth/upstream.ts) with the keys of
 * the RGW user it acts as, bodies as streams (UNSIGNED-PAYLOAD, so nothing is hashed or buffered
 * for the signature; answers through proxy-body.ts), and RGW's error answers turned into AwsErrors.
 */
import type { Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { Pool } from 'undici';
import { UpstreamSigner } from '../../../src/auth/upstream.js';
import { AwsError } from '../../../src/errors.js';
import type { RgwConfig } from './config.js';
import { RgwResponseHandler, type RgwResponse } from './proxy-body.js';

export interface RgwCreds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RgwRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Path, already percent-encoded (see objectPath). */
  path: string;
  /** Query parameters; '' for valueless sub-resources (?versioning). */
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: Readable | string | Buffer;
  signal?: AbortSignal;
}

export type { RgwResponse };

/** RFC 3986 encoding of one path segment (what SigV4 canonicalises to, so RGW agrees). */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function objectPath(bucket: string, key?: string): string {
  if (key === undefined) return '/' + bucket;
  return '/' + bucket + '/' + key.split('/').map(encodeSegment).join('/');
}

/** The query string (without '?'), encoded; '' for none. */
function queryString(q: Record<string, string | undefined> | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    parts.push(v === '' ? encodeSegment(k) : `${encodeSegment(k)}=${encodeSegment(v)}`);
  }
  return parts.join('&');
}

export const xml = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => ['Contents', 'CommonPrefixes', 'Version', 'DeleteMarker', 'Part', 'Upload'].includes(name),
});

export function header(res: RgwResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * How long an answer's body may sit unread with RGW's socket paused (proxy-body.ts): the server
 * pipes a GET's body as soon as the handler returns, and the translator reads the bodies it
 * parses at once, so a body untouched this long was abandoned (its client left first).
 */
const UNREAD_MS = 5_000;

export class RgwClient {
  private readonly pool: Pool;
  private readonly signer: UpstreamSigner;

  constructor(readonly cfg: RgwConfig) {
    this.signer = new UpstreamSigner(cfg.region, 's3');
    this.pool = new Pool(cfg.endpoint.origin, {
      connections: cfg.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
    });
  }

  /** Sends one signed request; answers whatever status RGW gave (the body still to consume). */
  async send(creds: RgwCreds, r: RgwRequest): Promise<RgwResponse> {
    const query = queryString(r.query);
    const headers: Record<string, string> = { host: this.cfg.endpoint.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    if (r.headers) for (const k in r.headers) headers[k.toLowerCase()] = r.headers[k]!;
    this.signer.sign(creds, { method: r.method, path: r.path, query, headers, payloadHash: headers['x-amz-content-sha256']! });
    const path = query === '' ? r.path : `${r.path}?${query}`;
    try {
      return await new Promise<RgwResponse>((resolve, reject) => {
        this.pool.dispatch({ origin: this.cfg.endpoint.origin, path, method: r.method, headers, body: r.body }, new RgwResponseHandler(resolve, reject, r.signal, r.body, UNREAD_MS));
      });
    } catch (e) {
      if (e instanceof AwsError) throw e;
      // the body stream's own error (BadDigest, IncompleteBody, client gone) wins over the transport's
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof AwsError) throw cause;
      if (r.body && typeof r.body === 'object' && 'errored' in r.body && r.body.errored instanceof AwsError) throw r.body.errored;
      if (r.signal?.aborted) throw e;
      throw unavailable(e as Error);
    }
  }

  /** Sends and requires one of `ok` statuses; any other answer becomes an AwsError (body consumed). */
  async expect(creds: RgwCreds, r: RgwRequest, ok: number[]): Promise<RgwResponse> {
    const res = await this.send(creds, r);
    if (ok.includes(res.statusCode)) return res;
    throw await rgwError(res, r);
  }

  /** Sends, requires 2xx and answers the parsed XML body. */
  async xml<T>(creds: RgwCreds, r: RgwRequest): Promise<T> {
    const res = await this.expect(creds, r, [200]);
    return xml.parse(await res.body.text()) as T;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export function unavailable(e: Error): AwsError {
  return new AwsError('ServiceUnavailable', `The storage backend (Ceph RGW) cannot be reached: ${e.message}`, { status: 503 });
}

/** RGW's error code and message from its answer (XML for S3, JSON for the admin API). */
export async function rgwErrorInfo(res: RgwResponse): Promise<{ code: string; message: string }> {
  const text = res.body ? await res.body.text().catch(() => '') : '';
  let code = '';
  let message = '';
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { Code?: string; Message?: string };
      code = j.Code ?? '';
      message = j.Message ?? '';
    } catch {
      /* not JSON after all */
    }
  } else if (text) {
    try {
      const e = (xml.parse(text) as { Error?: { Code?: string; Message?: string } }).Error;
      code = e?.Code ?? '';
      message = e?.Message ?? '';
    } catch {
      /* not XML */
    }
  }
  return { code, message };
}

/**
 * An RGW answer the translator did not expect, as the AwsError the client should see: RGW's own
 * S3 code and status where it is a client error, InternalError/ServiceUnavailable otherwise.
 */
export async function rgwError(res: RgwResponse, r: Pick<RgwRequest, 'method' | 'path'>): Promise<AwsError> {
  const { code, message } = await rgwErrorInfo(res);
  const what = `${r.method} ${r.path.split('?')[0]}`;
  const status = res.statusCode;
  if (status === 503) return new AwsError('SlowDown', 'Please reduce your request rate.', { status: 503 });
  if (status >= 500) return new AwsError('InternalError', `Ceph RGW failed on ${what}: ${status} ${code || ''} ${message}`.trim(), { status: 500 });
  if (status === 403 || status === 401) {
    // the gateway authorised the request already: RGW refusing it means the mapping is broken
    return new AwsError('InternalError', `Ceph RGW refused ${what} (${code || status}) for the account's RGW user`, { status: 500 });
  }
  return new AwsError(code || 'InvalidRequest', message || `Ceph RGW answered ${status} to ${what}`, { status });
}
