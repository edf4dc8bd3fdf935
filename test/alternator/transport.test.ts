// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * translators/alternator/transport.ts against a local HTTP server: small answers collected,
 * large or unsized ones streamed with back-pressure, errors buffered, an abandoned stream ending
 * the upstream exchange, a refused connection rejected.
 */
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { bodyBytes, exchange } from '../../translators/alternator/transport.js';

const MB = 1024 * 1024;

t.test('exchange', async (t) => {
  const events: string[] = [];
  let needDrain = false;
  const big = Buffer.alloc(2 * MB, 0x61);
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/small') res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}');
      else if (req.url === '/sized') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      else if (req.url === '/error') res.writeHead(400, { 'content-type': 'application/json' }).end('{"__type":"x#ValidationException","message":"no"}');
      else if (req.url === '/chunked') {
        // 8 MB in 64 KB chunks, as fast as the socket takes them
        res.writeHead(200);
        let left = 128;
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        const more = () => {
          while (left > 0) {
            left--;
            if (!res.write(chunk)) {
              needDrain = true;
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => events.push(`closed after ${128 - left} chunks, finished ${res.writableFinished}`));
        more();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
  t.teardown(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const post = (path: string) => exchange(pool, 'n1', path, { 'content-type': 'application/json' }, Buffer.from('{}'), MB);

  const small = await post('/small');
  t.equal(small.status, 200);
  t.equal(small.buffered?.toString(), '{"ok":true}', 'a small answer is collected');
  t.equal(small.stream, undefined);
  t.equal(small.node, 'n1');

  const sized = await post('/sized');
  t.ok(sized.stream && !sized.buffered, 'an answer above the limit is streamed');
  t.ok((await bodyBytes(sized)).equals(big), 'every byte of it');

  const error = await post('/error');
  t.equal(error.status, 400);
  t.match(error.buffered?.toString(), /ValidationException/, 'an error answer is collected');

  const chunked = await post('/chunked');
  t.ok(chunked.stream, 'an answer without a length is streamed');
  await new Promise((r) => setTimeout(r, 300));
  t.ok(needDrain, 'while nobody reads, the upstream is held back (back-pressure)');
  t.equal((await bodyBytes(chunked)).length, 8 * MB, 'then it all arrives');

  needDrain = false;
  const abandoned = await post('/chunked');
  await new Promise((r) => setTimeout(r, 200));
  abandoned.stream!.destroy();
  for (let i = 0; i < 50 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(events.at(-1), /finished false/, 'an abandoned stream ends the upstream exchange before the answer is complete');

  const unread = await exchange(pool, 'n1', '/chunked', { 'content-type': 'application/json' }, Buffer.from('{}'), MB, undefined, 150);
  let unreadErr: Error | undefined;
  unread.stream!.on('error', (e) => (unreadErr = e));
  const before = events.length;
  for (let i = 0; i < 100 && events.length === before; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(unread.stream!.destroyed, 'a streamed answer nobody starts reading is destroyed after unreadMs');
  t.match(unreadErr?.message, /not read within 150 ms/);
  t.match(events.at(-1), /finished false/, 'which ends the upstream exchange (its connection is not kept paused)');

  const dead = new Pool('http://127.0.0.1:1', { connections: 1 });
  await t.rejects(exchange(dead, 'n2', '/', {}, Buffer.from('{}'), MB), { code: 'ECONNREFUSED' }, 'a refused connection rejects');
  await dead.close();
});

t.test('requests started in one event-loop turn are dispatched together at its end, in order', async (t) => {
  const dispatched: string[] = [];
  const fake = {
    dispatch(opts: { path: string }, handler: { onResponseStart(c: unknown, s: number, h: Record<string, string>): void; onResponseData(c: unknown, b: Buffer): void; onResponseEnd(): void }) {
      dispatched.push(opts.path);
      setImmediate(() => {
        handler.onResponseStart({}, 200, { 'content-length': '2' });
        handler.onResponseData({}, Buffer.from(opts.path.slice(1, 3)));
        handler.onResponseEnd();
      });
      return true;
    },
  } as unknown as Pool;
  const a = exchange(fake, 'n', '/a1', {}, Buffer.from('{}'), 1024);
  const b = exchange(fake, 'n', '/b2', {}, Buffer.from('{}'), 1024);
  t.same(dispatched, [], 'nothing is sent while the turn that started the requests runs');
  const [ra, rb] = await Promise.all([a, b]);
  t.same(dispatched, ['/a1', '/b2'], 'both sent, in the order they were started');
  t.equal(ra.buffered?.toString(), 'a1');
  t.equal(rb.buffered?.toString(), 'b2');
  const c = exchange(fake, 'n', '/c3', {}, Buffer.from('{}'), 1024);
  t.equal((await c).buffered?.toString(), 'c3', 'a later turn starts a new batch');
  t.same(dispatched, ['/a1', '/b2', '/c3']);
});
