// SPDX-License-Identifier: AGPL-3.0-or-later
/** Shared pieces of the auth tests: building WireRequests, identities, reading verified bodies. */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { HttpRequest } from '@smithy/core/protocols';
import type { HeaderMap, WireRequest } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { Authenticator } from '../../src/auth/index.js';
import { IdentityStore, type KeyRecord } from '../../src/state/identity.js';
import { MemoryStateStore } from '../../src/state/memory.js';

export function fixture<T>(name: string): T {
  // compiled tests live in <outDir>/test/auth/: the fixtures stay in the source tree
  return JSON.parse(readFileSync(new URL(`../../../test/auth/fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** Node's header merge, as far as the auth layer cares: first value for singletons, ', ' otherwise. */
function mergeHeaders(raw: string[]): HeaderMap {
  const h: HeaderMap = {};
  const single = new Set(['host', 'authorization', 'content-length', 'content-type', 'user-agent', 'date']);
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i].toLowerCase();
    const v = raw[i + 1];
    const cur = h[k];
    if (cur === undefined) h[k] = v;
    else if (!single.has(k)) h[k] = `${cur as string}, ${v}`;
  }
  return h;
}

export interface WireInit {
  method: string;
  target: string;
  rawHeaders: string[];
  body?: Buffer | Readable;
}

export function wire(init: WireInit): WireRequest {
  const q = init.target.indexOf('?');
  if (Buffer.isBuffer(init.body) && init.body.length > 0 && !init.rawHeaders.some((h, i) => i % 2 === 0 && /^(content-length|transfer-encoding)$/i.test(h))) {
    // HTTP framing: a body always comes with a length (or chunked transfer coding)
    init = { ...init, rawHeaders: [...init.rawHeaders, 'Content-Length', String(init.body.length)] };
  }
  const headers = mergeHeaders(init.rawHeaders);
  const body = init.body instanceof Readable ? init.body : Readable.from(init.body && init.body.length > 0 ? [init.body] : []);
  return {
    method: init.method,
    rawUrl: init.target,
    path: q < 0 ? init.target : init.target.slice(0, q),
    query: q < 0 ? '' : init.target.slice(q + 1),
    headers,
    rawHeaders: init.rawHeaders,
    host: (headers.host as string) ?? '',
    remoteAddress: '127.0.0.1',
    body,
  };
}

/** Parses the test-suite format: "METHOD target HTTP/1.1\nName:value\n…\n\nbody". */
export function wireFromRaw(text: string, extraHeaders: string[] = []): WireRequest {
  const sep = text.indexOf('\n\n');
  const head = sep < 0 ? text.replace(/\n$/, '') : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 2);
  const lines = head.split('\n');
  const first = lines[0];
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(method.length + 1, first.lastIndexOf(' HTTP/'));
  const rawHeaders: string[] = [];
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    rawHeaders.push(l.slice(0, c), l.slice(c + 1).trim());
  }
  rawHeaders.push(...extraHeaders);
  return wire({ method, target, rawHeaders, body: Buffer.from(body, 'utf8') });
}

export interface TestIdentity {
  identity: IdentityStore;
  addKey(k: Partial<KeyRecord> & { accessKeyId: string; secretAccessKey: string }): Promise<KeyRecord>;
}

export function testIdentity(): TestIdentity {
  const identity = new IdentityStore(new MemoryStateStore());
  return {
    identity,
    async addKey(k) {
      const rec: KeyRecord = { accountId: '123456789012', kind: 'user', status: 'Active', createDate: Date.now(), userName: 'alice', userId: 'AIDAEXAMPLE', ...k };
      await identity.addKey(rec);
      return rec;
    },
  };
}

export function clockAt(ms: number) {
  return { ms, now() { return this.ms; } };
}

export function authenticator(identity: IdentityStore, nowMs: number, dev = false): Authenticator {
  return new Authenticator({ identity, clock: clockAt(nowMs), dev });
}

export function isoMs(basic: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(basic);
  if (!m) throw new Error(`bad date ${basic}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

export async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Reads the stream; resolves with the AwsError it failed with (or throws when it did not fail). */
export async function streamError(s: Readable): Promise<AwsError> {
  try {
    await readAll(s);
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error('stream ended without error');
}

/** Splits a buffer into pieces of `size` bytes (to exercise parsers across chunk boundaries). */
export function pieces(b: Buffer, size: number): Readable {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return Readable.from(out);
}

export interface Captured {
  request: HttpRequest;
  body: Buffer;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The request line and headers a Node HTTP server would see for this SDK request. */
export function toWire(c: Captured): WireRequest {
  const r = c.request;
  const q: string[] = [];
  for (const [k, v] of Object.entries(r.query ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) q.push(one === null ? rfc3986(k) : `${rfc3986(k)}=${rfc3986(one as string)}`);
  }
  const rawHeaders: string[] = [];
  let host = false;
  for (const [k, v] of Object.entries(r.headers)) {
    rawHeaders.push(k, v);
    if (k.toLowerCase() === 'host') host = true;
  }
  if (!host) rawHeaders.push('Host', r.hostname + (r.port ? `:${r.port}` : ''));
  return wire({ method: r.method, target: r.path + (q.length ? `?${q.join('&')}` : ''), rawHeaders, body: c.body });
}
