// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * translators/embedded/s3/staged.ts: every byte given reaches the file and nothing more (slab
 * boundaries, the padded and truncated last block), O_DIRECT really used where the filesystem
 * takes it, the buffered fallback when it is refused, and the embedded store writing through it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { EmbeddedS3 } from '../../translators/embedded/s3/index.js';
import { SinkFactory, SLAB, type Opener } from '../../translators/embedded/s3/staged.js';
import { readAll } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-staged-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** O_DIRECT (octal 040000 on x86-64 and arm64) in the flags the kernel reports for `fd`. */
function isDirect(fd: number): boolean {
  const m = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return (parseInt(m![1]!, 8) & constants.O_DIRECT) !== 0;
}

/** Whether this filesystem takes O_DIRECT at all (then the sink must use it). */
function fsTakesDirect(): boolean {
  const p = join(dir, 'probe');
  try {
    closeSync(openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600));
    return true;
  } catch {
    return false;
  } finally {
    if (existsSync(p)) unlinkSync(p);
  }
}

const opener =
  (path: string, seen: { direct?: boolean }): Opener =>
  async (direct) => {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (direct ? constants.O_DIRECT : 0), 0o600);
    seen.direct = isDirect(fd);
    return fd;
  };

/** Feeds `data` to a new sink in chunks of the given sizes (cycled); returns what the file holds. */
async function through(factory: SinkFactory, data: Buffer, sizes: number[], open?: (path: string, seen: { direct?: boolean }) => Opener): Promise<{ file: Buffer; seen: { direct?: boolean } }> {
  const path = join(dir, randomBytes(8).toString('hex'));
  const seen: { direct?: boolean } = {};
  const sink = factory.create((open ?? opener)(path, seen), path);
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    // a fresh copy per chunk, as a socket's reads are
    const w = sink.add(Buffer.from(data.subarray(off, off + n)));
    if (w) await w;
    off += n;
  }
  await sink.end();
  sink.release();
  if (sink.fd !== undefined) closeSync(sink.fd);
  const file = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  if (existsSync(path)) unlinkSync(path);
  return { file, seen };
}

t.test('every size around the block and slab boundaries arrives whole, and only it', async (t) => {
  const factory = new SinkFactory();
  const direct = fsTakesDirect();
  for (const size of [1, 100, 4095, 4096, 4097, 65536, SLAB - 1, SLAB, SLAB + 1, 2 * SLAB + 4097, 3 * SLAB + 17]) {
    const data = randomBytes(size);
    for (const sizes of [[65536], [1000, 63, 64 * 1024 + 3], [size]]) {
      const { file, seen } = await through(factory, data, sizes);
      t.equal(file.length, size, `${size} bytes in chunks of ${sizes.join('/')}: length`);
      t.ok(file.equals(data), `${size} bytes in chunks of ${sizes.join('/')}: content`);
      t.equal(seen.direct, direct, `${size}: O_DIRECT ${direct ? 'used' : 'not available here'}`);
    }
  }
  const empty = await through(factory, Buffer.alloc(0), [1]);
  t.equal(empty.seen.direct, undefined, 'no bytes: no file made');
});

t.test('a filesystem that refuses O_DIRECT: the file made by the refused open goes, the buffered path takes over for good', async (t) => {
  const factory = new SinkFactory();
  let refusals = 0;
  // Linux makes the file, then refuses O_DIRECT with EINVAL (tmpfs before 6.6, some FUSE filesystems)
  const refusing = (path: string, seen: { direct?: boolean }): Opener => async (direct) => {
    if (direct) {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
      refusals++;
      throw Object.assign(new Error('EINVAL: invalid argument, open'), { code: 'EINVAL' });
    }
    return opener(path, seen)(false);
  };
  for (const size of [5000, SLAB + 5000, 10]) {
    const data = randomBytes(size);
    const { file, seen } = await through(factory, data, [65536], refusing);
    t.ok(file.equals(data), `${size} bytes intact`);
    t.equal(seen.direct, false, `${size}: written without O_DIRECT`);
  }
  t.equal(refusals, 1, 'asked once, then never again');
});

t.test('other open errors are not mistaken for a refusal of O_DIRECT', async (t) => {
  const factory = new SinkFactory();
  const failing: Opener = async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  };
  const sink = factory.create(failing, join(dir, 'never'));
  await t.rejects(async () => {
    const w = sink.add(Buffer.alloc(SLAB + 1));
    if (w) await w;
    await sink.end();
  }, { code: 'ENOSPC' });
  sink.release();
  const { seen } = await through(factory, randomBytes(10), [10]);
  t.equal(seen.direct, fsTakesDirect(), 'O_DIRECT still tried afterwards');
});

t.test('more uploads at once than slabs: the rest take the buffered path, all intact', async (t) => {
  const factory = new SinkFactory();
  const datas = Array.from({ length: 70 }, (_, i) => randomBytes(SLAB + i * 1000));
  const results = await Promise.all(datas.map((d) => through(factory, d, [65536])));
  results.forEach((r, i) => t.ok(r.file.equals(datas[i]!), `upload ${i} intact`));
  t.ok(results.some((r) => r.seen.direct === false), 'some went through the page cache (no slab left)');
});

t.test('a full slab is written at once; its hashing is waited for only when the slab is filled again', async (t) => {
  const factory = new SinkFactory();
  const path = join(dir, randomBytes(8).toString('hex'));
  const sink = factory.create(opener(path, {}), path);
  let release: () => void = () => undefined;
  let asked = 0;
  let staged = 0;
  const md5 = {
    update: () => undefined,
    updateStaged: (_slab: unknown, _start: number, n: number) => void (staged += n),
    drained: () => (asked++, new Promise<void>((r) => (release = r))),
    digest: async () => Buffer.alloc(16),
    discard: () => undefined,
  };
  const first = randomBytes(SLAB);
  const w = sink.add(first, md5);
  if (w) await w;
  t.equal(asked, 0, 'the full slab went to disk without waiting for its hash');
  t.equal(staged, SLAB, 'all of it staged for hashing in place');
  let refilled = false;
  const second = sink.add(Buffer.from('more'), md5);
  t.ok(second, 'refilling the slab waits');
  void second!.then(() => (refilled = true));
  await new Promise((r) => setImmediate(r));
  t.equal(asked, 1, 'for the hash of the slab');
  t.notOk(refilled, 'and not before it is hashed');
  release();
  await second;
  await sink.end();
  sink.release();
  closeSync(sink.fd!);
  const file = readFileSync(path);
  unlinkSync(path);
  t.ok(file.equals(Buffer.concat([first, Buffer.from('more')])), 'every byte in the file');
});

t.test('the embedded store: objects written through the sink read back, their ETag the MD5', async (t) => {
  const root = mkdtempSync(join(dir, 'store-'));
  const s3 = new EmbeddedS3({ dataDir: root, now: () => Date.now() });
  await s3.createBucket('bkt');
  const opts = { versioning: undefined, owner: '1' };
  for (const size of [0, 1, 4097, SLAB, SLAB + 3, 2 * SLAB]) {
    const data = randomBytes(size);
    const chunks: Buffer[] = [];
    for (let o = 0; o < size; o += 65536) chunks.push(data.subarray(o, o + 65536));
    const info = await s3.putObject('bkt', `k${size}`, Readable.from(chunks), { userMetadata: {} }, opts);
    t.equal(info.etag, `"${createHash('md5').update(data).digest('hex')}"`, `${size}: ETag is the MD5`);
    const got = await readAll(await s3.openObject((await s3.headObject('bkt', `k${size}`))!, 'bkt'));
    t.ok(got.equals(data), `${size}: read back`);
  }
  await s3.close();
});
