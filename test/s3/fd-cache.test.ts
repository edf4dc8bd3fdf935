// SPDX-License-Identifier: AGPL-3.0-or-later
/** translators/embedded/s3/fd-cache.ts, alone and under the embedded store's reads and deletes. */
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { FdCache } from '../../translators/embedded/s3/fd-cache.js';
import { EmbeddedS3 } from '../../translators/embedded/s3/index.js';
import { readAll } from './helpers.js';

/** Paths this process has open under `dir` ("(deleted)" marks unlinked ones). */
function openUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      if (l.startsWith(dir)) out.push(l);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Data files (not directories: the store keeps data/ and data/<xx>/ open for their fsyncs) open under `dir`. */
function openFiles(dir: string): string[] {
  return openUnder(dir).filter((l) => /\/[0-9a-f]{32}( \(deleted\))?$/.test(l));
}

const settle = () => new Promise((r) => setTimeout(r, 30));

t.test('one descriptor per file, shared by readers; LRU beyond max; dropped files close after their last reader', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-fdc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['a', 'b', 'c']) writeFileSync(join(dir, f), f);
  const c = new FdCache(2);
  const [a1, a2] = await Promise.all([c.acquire('a', join(dir, 'a')), c.acquire('a', join(dir, 'a'))]);
  t.equal(a1.fd, a2.fd, 'concurrent readers share one descriptor');
  await settle();
  t.equal(openUnder(dir).length, 1, 'the second open was closed');
  a1.release();
  a2.release();
  a2.release(); // a second release of the same lease is ignored
  t.equal(c.size, 1, 'kept after its readers are done');
  const b = await c.acquire('b', join(dir, 'b'));
  b.release();
  const cc = await c.acquire('c', join(dir, 'c'));
  await settle();
  t.equal(c.size, 2);
  t.same(openUnder(dir).sort(), [join(dir, 'b'), join(dir, 'c')], 'the least recently used (a) was closed');
  c.drop('c');
  await settle();
  t.equal(openUnder(dir).length, 2, 'a dropped file in use stays open');
  cc.release();
  await settle();
  t.same(openUnder(dir), [join(dir, 'b')], '…until its reader is done');
  c.closeAll();
  await settle();
  t.same(openUnder(dir), []);
  await t.rejects(c.acquire('nope', join(dir, 'nope')), { code: 'ENOENT' });
});

t.test('the embedded store: reads reuse descriptors; an overwritten or deleted object holds no descriptor', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-fdc-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s3 = new EmbeddedS3({ dataDir: dir, now: () => Date.now() });
  await s3.createBucket('bkt');
  const opts = { versioning: undefined, owner: '1' };
  const put = (k: string, v: string) => s3.putObject('bkt', k, Readable.from([Buffer.from(v)]), { userMetadata: {} }, opts);
  const get = async (k: string) => (await readAll(await s3.openObject((await s3.headObject('bkt', k))!, 'bkt'))).toString();
  await put('k', 'one');
  t.equal(await get('k'), 'one');
  t.equal(await get('k'), 'one');
  await settle();
  t.equal(openFiles(join(dir, 's3', 'data')).length, 1, 'one descriptor for two reads');
  await put('k', 'two');
  t.equal(await get('k'), 'two', 'the new version, not the cached file of the old one');
  await settle();
  const open = openFiles(join(dir, 's3', 'data'));
  t.equal(open.length, 1);
  t.notMatch(open[0], /deleted/, 'the replaced file was closed');
  await s3.deleteObject('bkt', 'k', undefined, undefined, '1');
  await settle();
  t.same(openFiles(join(dir, 's3', 'data')), [], 'deleting the object closed its descriptor');
  await put('z', 'zz');
  t.equal(await get('z'), 'zz');
  await s3.close();
  await settle();
  t.same(openUnder(join(dir, 's3', 'data')), [], 'close() closes the cache');
});

t.test('the embedded store keeps one descriptor per data directory for its fsyncs, and closes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-fdc-dirs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 's3', 'data');
  const s3 = new EmbeddedS3({ dataDir: dir, now: () => Date.now() });
  await s3.createBucket('bkt');
  const opts = { versioning: undefined, owner: '1' };
  await Promise.all(Array.from({ length: 40 }, (_, i) => s3.putObject('bkt', `k${i % 20}`, Readable.from([Buffer.from(`v${i}`)]), { userMetadata: {} }, opts)));
  await settle();
  const dirs = openUnder(data).filter((l) => l === data || /\/data\/[0-9a-f]{2}$/.test(l));
  t.ok(dirs.length >= 2, 'data/ and at least one data/<xx>/ are open');
  t.equal(new Set(dirs).size, dirs.length, 'each directory is open once, whatever the number of writes into it');
  const made = readdirSync(data).map((d) => join(data, d));
  t.ok(dirs.every((d) => d === data || made.includes(d)), 'only existing data directories');
  await s3.close();
  await settle();
  t.same(openUnder(data), [], 'close() closes them');
});
