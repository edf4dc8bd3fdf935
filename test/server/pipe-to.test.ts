// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * pipeTo (src/server/http.ts), how the server streams an answer's body: the two ends tied as
 * stream.pipeline ties them — every byte on success; a body that fails or closes early cuts the
 * response; a client that leaves destroys the body (a file closed, an upstream exchange ended).
 */
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { pipeTo } from '../../src/server/http.js';

/** A server answering every request with `make()` piped through pipeTo; resolves the port. */
async function serve(t: Test, make: (res: ServerResponse) => Readable): Promise<number> {
  const srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(1024 * 1024) });
    pipeTo(make(res), res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as AddressInfo).port;
}

/** GETs and reports the bytes received and whether the response ended cleanly. */
function get(port: number, leaveAfter?: number): Promise<{ bytes: number; complete: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const req = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (leaveAfter !== undefined && bytes >= leaveAfter) req.destroy();
      });
      res.on('end', () => resolve({ bytes, complete: res.complete }));
      res.on('error', () => resolve({ bytes, complete: false }));
      res.on('close', () => resolve({ bytes, complete: res.complete }));
    });
    req.on('error', () => resolve({ bytes, complete: false }));
    req.end();
  });
}

const chunks = (n: number, size = 64 * 1024) => Array.from({ length: n }, () => Buffer.alloc(size, 0x61));

/** A body that gives `n` chunks of 64 KiB, then hands itself to `cut` instead of ending. */
function cutAfter(n: number, cut: (body: Readable) => void): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < n) this.push(Buffer.alloc(64 * 1024, 0x62));
      else cut(this);
    },
  });
}

t.test('every byte when the body ends', async (t) => {
  const port = await serve(t, () => Readable.from(chunks(16)));
  t.same(await get(port), { bytes: 1024 * 1024, complete: true });
});

t.test('a body that fails midway cuts the response', async (t) => {
  const port = await serve(t, () => cutAfter(4, (b) => b.destroy(new Error('disk gone'))));
  const r = await get(port);
  t.equal(r.complete, false, 'not a complete response');
  t.ok(r.bytes < 1024 * 1024, 'short');
});

t.test('a body closed before its end (no error) cuts the response', async (t) => {
  const port = await serve(t, () => cutAfter(2, (b) => setImmediate(() => b.destroy())));
  t.equal((await get(port)).complete, false);
});

t.test('a client that leaves destroys the body', async (t) => {
  let body!: Readable;
  let destroyed!: () => void;
  const gone = new Promise<void>((r) => (destroyed = r));
  const port = await serve(t, () => {
    body = new Readable({
      read() {
        setTimeout(() => this.push(Buffer.alloc(16 * 1024, 0x64)), 2);
      },
    });
    body.on('close', () => destroyed());
    return body;
  });
  await get(port, 64 * 1024);
  await gone;
  t.ok(body.destroyed, 'destroyed once the client left');
});
