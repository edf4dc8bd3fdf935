// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RGW answers through translators/ceph/s3/proxy-body.ts, against a local HTTP server standing in
 * for RGW: the body piped to a (slow) client straight from undici, read as a plain Readable,
 * dumped, and cut short from either side.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import t, { type Test } from 'tap';
import { Pool } from 'undici';
import { RgwResponseHandler, type RgwResponse } from '../../translators/ceph/s3/proxy-body.js';
import { slowGet } from '../s3/helpers.js';

/** An upstream serving `body` in 64 KiB writes (`paceMs` apart); counts responses cut before their end. */
async function upstream(t: Test, body: Buffer, paceMs = 0) {
  let cut = 0;
  const srv = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-length': body.length, 'x-amz-meta-color': 'blue' });
    let off = 0;
    const more = (): void => {
      while (off < body.length) {
        const ok = res.write(body.subarray(off, (off += 64 * 1024)));
        if (paceMs) return void setTimeout(more, paceMs);
        if (!ok) return void res.once('drain', more);
      }
      if (!res.destroyed) res.end();
    };
    res.on('close', () => {
      if (!res.writableFinished) cut++;
    });
    more();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const pool = new Pool(origin, { connections: 4 });
  t.teardown(async () => {
    await pool.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  });
  const sendWith = (unreadMs?: number, signal?: AbortSignal) =>
    new Promise<RgwResponse>((resolve, reject) => pool.dispatch({ origin, path: '/obj', method: 'GET' }, new RgwResponseHandler(resolve, reject, signal, undefined, unreadMs)));
  const send = (signal?: AbortSignal) => sendWith(undefined, signal);
  return { send, sendWith, cuts: () => cut };
}

/** A gateway-like server: each request pipes the next upstream body into its response. */
async function front(t: Test, next: () => Promise<RgwResponse>) {
  const srv = createServer(async (_req, res) => {
    const r = await next();
    res.writeHead(200, { 'content-length': r.headers['content-length'] as string });
    pipeline(r.body, res, () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as AddressInfo).port;
}

const until = async (f: () => boolean) => {
  for (let i = 0; i < 100 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
};

t.test('piped to a slow client: every byte, in order', async (t) => {
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const up = await upstream(t, data);
  const port = await front(t, () => up.send());
  const got = await slowGet(port);
  t.equal(got.length, data.length);
  t.ok(got.equals(data));
  t.equal(up.cuts(), 0);
});

t.test('headers parsed; read as a Readable, text() and dump()', async (t) => {
  const data = Buffer.from('x'.repeat(300 * 1024));
  const up = await upstream(t, data);
  const r = await up.send();
  t.equal(r.statusCode, 200);
  t.equal(r.headers['x-amz-meta-color'], 'blue');
  // let chunks arrive before anyone reads: they wait for the consumer
  await new Promise((res) => setTimeout(res, 50));
  t.equal(await r.body.text(), data.toString());
  const chunks: Buffer[] = [];
  for await (const c of (await up.send()).body) chunks.push(c as Buffer);
  t.ok(Buffer.concat(chunks).equals(data), 'async iteration');
  await (await up.send()).body.dump();
  t.equal(up.cuts(), 0, 'a small body is read out, not cut');
});

t.test('dump beyond its limit aborts the upstream response; so does a client going away', async (t) => {
  const data = randomBytes(8 * 1024 * 1024);
  const up = await upstream(t, data, 2);
  await (await up.send()).body.dump({ limit: 64 * 1024 });
  await until(() => up.cuts() === 1);
  t.equal(up.cuts(), 1, 'dump({limit}) cut the big response');
  const port = await front(t, () => up.send());
  const got = await slowGet(port, 512 * 1024);
  t.ok(got.equals(data.subarray(0, got.length)), 'what arrived is the start of the object');
  await until(() => up.cuts() === 2);
  t.equal(up.cuts(), 2, 'the upstream response was aborted when the client left');
});

t.test('errors: before the headers the promise rejects; an abort signal aborts', async (t) => {
  const pool = new Pool('http://127.0.0.1:9', { connections: 1 });
  t.teardown(() => pool.destroy());
  await t.rejects(new Promise<RgwResponse>((resolve, reject) => pool.dispatch({ origin: 'http://127.0.0.1:9', path: '/', method: 'GET' }, new RgwResponseHandler(resolve, reject))), { code: 'ECONNREFUSED' });
  const up = await upstream(t, randomBytes(8 * 1024 * 1024));
  const ac = new AbortController();
  const r = await up.send(ac.signal);
  ac.abort(new Error('client gone'));
  await t.rejects(r.body.text(), /client gone/);
  await until(() => up.cuts() === 1);
  t.equal(up.cuts(), 1);
});

t.test('a body nobody reads is dropped after unreadMs, ending the upstream exchange (no paused connection kept)', async (t) => {
  // paced, so the upstream is still writing when the body is dropped
  const up = await upstream(t, randomBytes(8 * 1024 * 1024), 5);
  const r = await up.sendWith(150);
  t.equal(r.statusCode, 200);
  let err: Error | undefined;
  r.body.on('error', (e) => (err = e));
  await until(() => r.body.destroyed);
  t.ok(r.body.destroyed, 'destroyed once nobody had read it for unreadMs');
  t.match(err?.message ?? '', /not read within 150 ms/);
  await until(() => up.cuts() === 1);
  t.equal(up.cuts(), 1, "RGW's response was cut (its connection freed), not left paused");
});

t.test('a body piped into a response that is already gone is destroyed at once', async (t) => {
  const up = await upstream(t, randomBytes(8 * 1024 * 1024), 5);
  const r = await up.send();
  const { ServerResponse: SR, IncomingMessage: IM } = await import('node:http');
  const { Socket } = await import('node:net');
  const res = new SR(new IM(new Socket()));
  res.destroy();
  r.body.on('error', () => undefined);
  r.body.pipe(res);
  t.ok(r.body.destroyed, 'destroyed');
  await until(() => up.cuts() === 1);
  t.equal(up.cuts(), 1, "RGW's response was cut");
});

t.test('chunks that arrive in one event-loop turn leave in one write', async (t) => {
  const { createServer: tcpServer, Socket } = await import('node:net');
  const { ProxyBody } = await import('../../translators/ceph/s3/proxy-body.js');
  const received: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const srv = tcpServer((s) => {
    s.on('data', (c: Buffer) => received.push(c));
    s.on('end', () => ended());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const sock = new Socket();
  await new Promise<void>((r) => sock.connect((srv.address() as AddressInfo).port, '127.0.0.1', r));
  const writes: number[] = [];
  const w = sock as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
  const write1 = w._write.bind(sock);
  const writev = w._writev.bind(sock);
  w._write = (...a: unknown[]) => (writes.push(1), write1(...a));
  w._writev = (chunks: unknown[], cb: unknown) => (writes.push(chunks.length), writev(chunks, cb));
  let resumed = 0;
  const body = new ProxyBody(() => resumed++, () => undefined);
  body.pipe(sock);
  const data = randomBytes(8 * 16 * 1024);
  for (let i = 0; i < 8; i++) body.deliver(data.subarray(i * 16 * 1024, (i + 1) * 16 * 1024));
  t.same(writes, [], 'nothing sent during the turn');
  await new Promise((r) => setImmediate(r));
  t.same(writes, [8], 'one writev with the eight chunks at its end');
  body.finish();
  await done;
  t.ok(Buffer.concat(received).equals(data), 'every byte, in order');
});
