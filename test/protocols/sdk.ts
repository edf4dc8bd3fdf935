// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Real-SDK fixtures for codec tests: capture the HTTP request an AWS SDK v3 client builds
 * (as a WireRequest), and feed a codec's WireResponse to the client's own deserializer.
 */
import { PassThrough, Readable } from 'node:stream';
import type { WireRequest, WireResponse } from '../../src/context.js';

interface SmithyRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

function bodyOf(b: unknown): Buffer {
  if (b === undefined || b === null) return Buffer.alloc(0);
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  throw new Error(`unexpected request body type ${typeof b}`);
}

function queryString(q: SmithyRequest['query']): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) {
      parts.push(x === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(x)}`);
    }
  }
  return parts.join('&');
}

export function toWire(r: SmithyRequest): WireRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  const query = queryString(r.query);
  const body = bodyOf(r.body);
  return {
    method: r.method,
    rawUrl: query ? `${r.path}?${query}` : r.path,
    path: r.path,
    query,
    headers,
    rawHeaders: Object.entries(r.headers).flat(),
    host: headers.host ?? 'localhost:4566',
    remoteAddress: '127.0.0.1',
    body: Readable.from([body]),
    bodyBuffer: body,
  };
}

export type ClientCtor<C> = new (cfg: Record<string, unknown>) => C;
interface Sendable {
  send(cmd: unknown): Promise<unknown>;
  destroy(): void;
}

function handlerFor(respond: (req: SmithyRequest) => WireResponse, seen?: SmithyRequest[]) {
  return {
    async handle(request: SmithyRequest) {
      seen?.push(request);
      const r = respond(request);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const body = new PassThrough();
      body.end(r.body === undefined ? Buffer.alloc(0) : typeof r.body === 'string' ? Buffer.from(r.body) : (r.body as Buffer));
      return { response: { statusCode: r.status, reason: '', headers, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
}

function client<C extends Sendable>(Ctor: ClientCtor<C>, respond: (req: SmithyRequest) => WireResponse, seen: SmithyRequest[], extra: Record<string, unknown> = {}): C {
  return new Ctor({
    region: 'us-east-1',
    endpoint: 'http://localhost:4566',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: handlerFor(respond, seen),
    ...extra,
  });
}

/** The WireRequest the SDK sends for `command`. */
export async function capture<C extends Sendable>(Ctor: ClientCtor<C>, command: unknown, extra?: Record<string, unknown>): Promise<WireRequest> {
  const seen: SmithyRequest[] = [];
  const c = client(Ctor, () => ({ status: 599, headers: {}, body: '' }), seen, extra);
  try {
    await c.send(command);
  } catch {
    // the canned response is not meant to parse
  } finally {
    c.destroy();
  }
  if (!seen[0]) throw new Error('the client sent no request');
  return toWire(seen[0]);
}

/** What the SDK makes of `response` for `command`: its output, or the error it throws. */
export async function sdkRead<C extends Sendable>(
  Ctor: ClientCtor<C>,
  command: unknown,
  response: WireResponse,
  extra?: Record<string, unknown>,
): Promise<{ output?: Record<string, unknown>; error?: Error & Record<string, unknown> }> {
  const c = client(Ctor, () => response, [], extra);
  try {
    return { output: (await c.send(command)) as Record<string, unknown> };
  } catch (e) {
    return { error: e as Error & Record<string, unknown> };
  } finally {
    c.destroy();
  }
}
