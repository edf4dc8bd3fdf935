// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 test fixtures: a test gateway with the S3 service, handler calls with the right request
 * context, and a minimal in-process HTTP front (codec + handlers, principal from the access key in
 * the Authorization header, no signature check) so the real SDK v3 client can drive the rest-xml
 * codec before src/server and src/auth are wired.
 */
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Principal, ServiceDefinition, WireRequest } from '../../src/context.js';
import { AwsError, internalError, isAwsError, notImplemented } from '../../src/errors.js';
import { loadModel } from '../../src/protocols/model.js';
import { createRestXmlCodec } from '../../src/protocols/restxml.js';
import { ANONYMOUS, principalOf } from '../../src/state/identity.js';
import { createService } from '../../apis/s3/index.js';
import { testGateway, type TestGateway } from '../helpers/context.js';

/** The parts of a tap Test the fixtures use (top-level t and subtests alike). */
export interface T {
  teardown(fn: () => unknown): void;
  fail(msg: string): unknown;
  equal(found: unknown, wanted: unknown, msg: string): unknown;
}

export interface S3Fixture {
  gw: TestGateway;
  def: ServiceDefinition;
  alice: Principal;
  bob: Principal;
  call<O = Record<string, unknown>>(op: string, input: Record<string, unknown>, opts?: { as?: Principal; headers?: Record<string, string>; http?: Partial<WireRequest> }): Promise<O>;
  put(bucket: string, key: string, data: string | Buffer, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<Record<string, unknown>>;
  get(bucket: string, key: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ out: Record<string, unknown>; body: Buffer }>;
}

export async function readAll(r: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(r)) return r;
  const chunks: Buffer[] = [];
  for await (const c of r as Readable) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

export async function s3Fixture(t: T, config: Record<string, unknown> = {}): Promise<S3Fixture> {
  const gw = await testGateway({ config: config as never });
  t.teardown(() => gw.dispose());
  const def = await gw.add(createService);
  const alice = await gw.account('alice');
  const bob = await gw.account('bob');
  const call: S3Fixture['call'] = async (op, input, opts = {}) => {
    const h = def.operations[op];
    if (!h) throw notImplemented('s3', op);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    const ctx = gw.context(opts.as ?? alice, 's3', op, { headers, ...opts.http });
    return h(ctx, input);
  };
  const put: S3Fixture['put'] = (bucket, key, data, extra = {}, headers = {}) => {
    const buf = Buffer.from(data);
    return call('PutObject', { Bucket: bucket, Key: key, Body: Readable.from([buf]), ContentLength: buf.length, ...extra }, { headers });
  };
  const get: S3Fixture['get'] = async (bucket, key, extra = {}, headers = {}) => {
    const out = await call('GetObject', { Bucket: bucket, Key: key, ...extra }, { headers });
    return { out, body: await readAll(out.Body) };
  };
  return { gw, def, alice, bob, call, put, get };
}

/** Asserts that `p` rejects with an AwsError of `code` (and `status` when given). */
export async function rejectsCode(t: T, p: Promise<unknown>, code: string, status?: number, msg?: string): Promise<AwsError | undefined> {
  try {
    await p;
    t.fail(`${msg ?? code}: expected ${code}, got success`);
    return undefined;
  } catch (e) {
    if (!isAwsError(e)) {
      t.fail(`${msg ?? code}: expected ${code}, got ${String(e)}`);
      return undefined;
    }
    t.equal(e.code, code, msg ?? code);
    if (status !== undefined) t.equal(e.status, status, `${msg ?? code} status`);
    return e;
  }
}

function toWireRequest(req: IncomingMessage): WireRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    rawUrl: url,
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    host: req.headers.host ?? '',
    remoteAddress: req.socket.remoteAddress ?? '',
    body: req,
  };
}

/** A plain-HTTP S3 endpoint for the SDK: codec + handlers, principal from the key id (unverified). */
export async function startS3Http(t: T, fx: S3Fixture): Promise<{ url: string; server: Server }> {
  const model = loadModel('s3-2006-03-01');
  const codec = createRestXmlCodec({ s3BaseDomains: ['localhost', 's3.localhost'] });
  let seq = 0;
  const server = createServer((req, res) => {
    const wire = toWireRequest(req);
    const requestId = `REQ${++seq}`;
    const rc = { requestId, service: 's3', region: 'us-east-1', request: wire } as { requestId: string; service: string; region: string; request: WireRequest; operation?: string };
    void (async () => {
      let out;
      try {
        const auth = String(req.headers.authorization ?? '');
        const m = /Credential=([A-Z0-9]+)\//.exec(auth);
        const key = m ? await fx.gw.identity.getKey(m[1]) : undefined;
        const principal = key ? principalOf(key) : ANONYMOUS;
        const parsed = await codec.parse(wire, model);
        rc.operation = parsed.operation;
        const h = fx.def.operations[parsed.operation];
        if (!h) throw notImplemented('s3', parsed.operation);
        const ctx = fx.gw.context(principal, 's3', parsed.operation, wire);
        const output = await h(ctx, parsed.input);
        out = codec.serialize(model, parsed.operation, output, rc);
      } catch (e) {
        out = codec.serializeError(model, isAwsError(e) ? e : (console.error(e), internalError('s3')), rc);
      }
      req.resume();
      res.writeHead(out.status, out.headers);
      if (out.body instanceof Readable) out.body.pipe(res);
      else res.end(out.body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * GETs / from 127.0.0.1:`port` reading slowly (paused a moment after every chunk) so the server
 * meets backpressure; with `stopAfter`, drops the connection once more than that many bytes came.
 */
export function slowGet(port: number, stopAfter = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      const got: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        got.push(c);
        n += c.length;
        if (n > stopAfter) {
          req.destroy();
          resolve(Buffer.concat(got));
          return;
        }
        res.pause();
        setTimeout(() => res.resume(), 1);
      });
      res.on('end', () => resolve(Buffer.concat(got)));
      res.on('error', reject);
    });
    req.on('error', (e) => (stopAfter < Infinity ? undefined : reject(e)));
  });
}
