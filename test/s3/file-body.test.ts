// SPDX-License-Identifier: AGPL-3.0-or-later
/** The embedded store's object body (translators/embedded/s3/body.ts) read, piped and cut short. */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline, Readable, Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { CHUNK, FileBody, pooledBuffers, type Piece } from '../../translators/embedded/s3/body.js';
import { FileStore } from '../../translators/embedded/s3/files.js';
import { slowGet } from './helpers.js';

/** A piece over bytes start..end of the file at `path`, its fd closed on release. */
function piece(path: string, start: number, end: number): Piece {
  const fd = openSync(path, 'r');
  return { fd, start, end, release: () => closeSync(fd) };
}

/** Open fds of this process on files of the test's fixtures (sockets and the rest not counted). */
function openFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).includes('mcgw-body-')) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

/** Waits (briefly) for asynchronous closes to bring the open fds down to `n`. */
async function settle(n: number): Promise<void> {
  for (let i = 0; i < 50 && openFds() > n; i++) await new Promise((r) => setTimeout(r, 10));
}

/**
 * A destination that keeps every chunk it was given (by reference) and acknowledges each write
 * only later: a body that reused a buffer before its write callback would show up as corrupted
 * bytes in what it kept.
 */
class Hoarder extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(private readonly ackAfter = 1, hwm = 16 * 1024) {
    super({ highWaterMark: hwm });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    let n = this.ackAfter;
    const later = () => (--n > 0 ? setImmediate(later) : cb());
    setImmediate(later);
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function fixture(t: Test, sizes: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-body-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = sizes.map((n, i) => {
    const data = randomBytes(n);
    const path = join(dir, `f${i}`);
    writeFileSync(path, data);
    return { path, data };
  });
  return { dir, files };
}

/** Serves one body per request (the `next` queue) the way the gateway does: writeHead, then stream.pipeline. */
async function server(t: Test, next: Array<() => FileBody>, onDone: (e: Error | null) => void = () => undefined) {
  const srv = createServer((_req, res) => {
    const body = next.shift()!();
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pipeline(body, res, (e) => onDone(e ?? null));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as AddressInfo).port;
}

t.test('served to an HTTP client through stream.pipeline: exact bytes across pieces and ranges, from pooled buffers', async (t) => {
  const { files } = fixture(t, [3 * CHUNK + 123, 17, CHUNK, 2 * CHUNK + 1]);
  const before = openFds();
  const port = await server(t, [
    () =>
      new FileBody([
        piece(files[0].path, 5, files[0].data.length - 1),
        piece(files[1].path, 0, 16),
        piece(files[2].path, 0, CHUNK - 2),
      ]),
    () => new FileBody([piece(files[3].path, 0, files[3].data.length - 1)]),
  ]);
  const got = await slowGet(port);
  const want = Buffer.concat([files[0].data.subarray(5), files[1].data, files[2].data.subarray(0, CHUNK - 1)]);
  t.equal(got.length, want.length);
  t.ok(got.equals(want), 'bytes intact while the reader was slow (a buffer reused too early would corrupt them)');
  t.ok(pooledBuffers() > 0, 'buffers went back to the pool');
  // the next body reuses those buffers: it must carry its own bytes, none of the previous ones
  t.ok((await slowGet(port)).equals(files[3].data), 'the next body, from reused buffers');
  await settle(before);
  t.equal(openFds(), before, 'every file closed');
});

t.test('any other destination gets fresh buffers (it may keep chunks after acknowledging them)', async (t) => {
  const { files } = fixture(t, [2 * CHUNK + 1, 2 * CHUNK + 1]);
  const pooled = pooledBuffers();
  for (const f of files) {
    const dest = new Hoarder(2);
    await new Promise<void>((resolve, reject) => pipeline(new FileBody([piece(f.path, 0, f.data.length - 1)]), dest, (e) => (e ? reject(e) : resolve())));
    t.ok(dest.bytes().equals(f.data));
  }
  t.equal(pooledBuffers(), pooled, 'the pool was not used');
});

t.test('an HTTP client that goes away mid-body: the body is destroyed and its files closed', async (t) => {
  const { files } = fixture(t, [16 * CHUNK]);
  const before = openFds();
  let body: FileBody | undefined;
  let done!: (e: Error | null) => void;
  const finished = new Promise<Error | null>((r) => (done = r));
  const port = await server(t, [() => (body = new FileBody([piece(files[0].path, 0, files[0].data.length - 1)]))], done);
  const got = await slowGet(port, CHUNK);
  t.ok(got.equals(files[0].data.subarray(0, got.length)), 'what arrived is the start of the object');
  t.ok(await finished, 'the server side saw the response cut short');
  t.ok(body?.destroyed);
  await settle(before);
  t.equal(openFds(), before, 'file closed');
});

t.test('read as a plain Readable (async iteration) gives the same bytes', async (t) => {
  const { files } = fixture(t, [CHUNK + 10, 100]);
  const body = new FileBody([
    piece(files[0].path, 0, files[0].data.length - 1),
    piece(files[1].path, 10, 19),
  ]);
  const got: Buffer[] = [];
  for await (const c of body) got.push(c as Buffer);
  t.ok(Buffer.concat(got).equals(Buffer.concat([files[0].data, files[1].data.subarray(10, 20)])));
});

t.test('a destination that goes away mid-body: the body is destroyed and its files closed', async (t) => {
  const { files } = fixture(t, [8 * CHUNK, 1000]);
  const before = openFds();
  const body = new FileBody([
    piece(files[0].path, 0, files[0].data.length - 1),
    piece(files[1].path, 0, 999),
  ]);
  t.equal(openFds(), before + 2);
  let seen = 0;
  const dest = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _e, cb) {
      seen += chunk.length;
      if (seen > CHUNK) return cb(new Error('client went away'));
      setImmediate(cb);
    },
  });
  const err = await new Promise<Error | undefined>((resolve) => pipeline(body, dest, (e) => resolve(e ?? undefined)));
  t.match(err?.message, /client went away/);
  t.ok(body.destroyed);
  // fds close asynchronously once the read in flight returns
  await settle(before);
  t.equal(openFds(), before, 'both files closed');
});

t.test('a data file shorter than recorded errors the body (never a silently short object)', async (t) => {
  const { files } = fixture(t, [1000]);
  const body = new FileBody([piece(files[0].path, 0, 1999)]);
  const err = await new Promise<Error | undefined>((resolve) => pipeline(body, new Hoarder(), (e) => resolve(e ?? undefined)));
  t.match(err, { code: 'InternalError', message: /ended 1000 bytes before/ });
});

t.test('encrypted at rest: FileStore.read deciphers ranges of every piece, piped and iterated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-body-enc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fs = new FileStore(dir);
  const a = randomBytes(CHUNK + 77);
  const b = randomBytes(3000);
  const wa = await fs.write(Readable.from([a]), { encrypt: true });
  const wb = await fs.write(Readable.from([b]), { encrypt: true });
  const segs = [
    { f: wa.file, n: wa.size, iv: wa.iv },
    { f: wb.file, n: wb.size, iv: wb.iv },
  ];
  const whole = Buffer.concat([a, b]);
  for (const range of [undefined, { start: 13, end: CHUNK + 2000 }, { start: CHUNK + 100, end: CHUNK + 100 }]) {
    const want = range ? whole.subarray(range.start, range.end + 1) : whole;
    const dest = new Hoarder(2);
    const body = await fs.read(segs, range);
    await new Promise<void>((resolve, reject) => pipeline(body, dest, (e) => (e ? reject(e) : resolve())));
    t.ok(dest.bytes().equals(want), `piped ${JSON.stringify(range)}`);
    const got: Buffer[] = [];
    for await (const c of await fs.read(segs, range)) got.push(c as Buffer);
    t.ok(Buffer.concat(got).equals(want), `iterated ${JSON.stringify(range)}`);
  }
});
