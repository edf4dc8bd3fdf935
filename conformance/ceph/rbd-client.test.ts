// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RbdClient against the scratch Ceph that conformance/backends/ceph/up.sh starts: images,
 * snapshots, clones, flatten, bytes in and out, and the typed errors of each refusal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import t from 'tap';
import { RbdClient, RbdError } from '../../translators/ceph/rbd/client.js';
import { cephUp } from '../backends/ceph/cluster.js';
import { digestByDiff, digestByExport } from './rbd-digest.js';

const MiB = 1024 * 1024;

async function client(): Promise<RbdClient> {
  const env = await cephUp();
  return new RbdClient({ conf: env.conf, keyring: env.keyring, user: env.client.replace(/^client\./, ''), pool: env.rbdPool });
}

function sha256Sink(): { sink: Writable; digest: () => string; length: () => number } {
  const h = createHash('sha256');
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb();
    },
  });
  return { sink, digest: () => h.digest('hex'), length: () => n };
}

const prefix = `t-${randomBytes(4).toString('hex')}`;

t.test('images: create sparse, info, grow only, rename, list, remove; typed errors', async (t) => {
  const rbd = await client();
  const a = `${prefix}-a`;
  t.teardown(() => rbd.remove(`${a}-renamed`).catch(() => undefined));
  await rbd.create(a, 64 * MiB);
  const info = await rbd.info(a);
  t.equal(info.size, 64 * MiB);
  t.equal(info.format, 2);
  t.ok(info.features.includes('layering'));
  t.equal(info.parent, undefined);
  await t.rejects(rbd.create(a, MiB), { name: 'RbdError', kind: 'Exists', errno: 17 });
  await rbd.resize(a, 128 * MiB);
  t.equal((await rbd.info(a)).size, 128 * MiB);
  await t.rejects(rbd.resize(a, 64 * MiB), { name: 'RbdError', kind: 'Invalid' }, 'images only grow');
  t.same(await rbd.watchers(a), [], 'nobody has it open');
  await rbd.rename(a, `${a}-renamed`);
  t.equal(await rbd.stat(a), undefined, 'stat: undefined when missing');
  t.ok((await rbd.list()).includes(`${a}-renamed`));
  await rbd.remove(`${a}-renamed`);
  await t.rejects(rbd.info(`${a}-renamed`), { name: 'RbdError', kind: 'NotFound', errno: 2 });
  await t.rejects(rbd.remove(`${a}-renamed`), { name: 'RbdError', kind: 'NotFound' });
  t.throws(() => rbd.spec('bad/name'), { name: 'RbdError', kind: 'Invalid' });
  t.throws(() => rbd.spec('x', 'a@b'), { name: 'RbdError', kind: 'Invalid' });
  await t.rejects(rbd.create(`${a}-zero`, 0), { name: 'RbdError', kind: 'Invalid' });
});

t.test('bytes: writeAt + export; snapshot, clone, flatten, unprotect, remove in order', async (t) => {
  const rbd = await client();
  const base = `${prefix}-base`;
  const child = `${prefix}-child`;
  t.teardown(async () => {
    await rbd.remove(child).catch(() => undefined);
    for (const s of await rbd.snapList(base).catch(() => [])) {
      await rbd.snapUnprotect(base, s.name).catch(() => undefined);
      await rbd.snapRemove(base, s.name).catch(() => undefined);
    }
    await rbd.remove(base).catch(() => undefined);
  });
  await rbd.create(base, 8 * MiB);
  const data = randomBytes(300_000);
  await rbd.writeAt(base, 3 * MiB + 17, data.length, Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]));
  const whole = Buffer.alloc(8 * MiB);
  data.copy(whole, 3 * MiB + 17);
  const want = createHash('sha256').update(whole).digest('hex');
  const h = sha256Sink();
  await rbd.exportTo(h.sink, base);
  t.equal(h.length(), 8 * MiB, 'export streams the whole image');
  t.equal(h.digest(), want, 'the bytes written are the bytes read');
  await t.rejects(rbd.writeAt(base, 0, 10, Buffer.alloc(5)), { name: 'RbdError', kind: 'Invalid' }, 'short data is refused');

  await rbd.snapCreate(base, 'snap-1');
  await rbd.writeAt(base, 0, 4, Buffer.from('XXXX'));
  const snaps = await rbd.snapList(base);
  t.same(snaps.map((s) => [s.name, s.size, s.protected]), [['snap-1', 8 * MiB, false]]);
  await rbd.clone(base, 'snap-1', child);
  t.equal((await rbd.snapList(base))[0].protected, true, 'clone protected the snapshot');
  const ci = await rbd.info(child);
  t.same({ image: ci.parent?.image, snapshot: ci.parent?.snapshot }, { image: base, snapshot: 'snap-1' });
  t.same((await rbd.children(base, 'snap-1')).map((c) => c.image), [child]);
  const hc = sha256Sink();
  await rbd.exportTo(hc.sink, child);
  t.equal(hc.digest(), want, 'the clone has the snapshot bytes, not the later write');

  await t.rejects(rbd.snapRemove(base, 'snap-1'), { name: 'RbdError', kind: 'Protected' });
  await t.rejects(rbd.snapUnprotect(base, 'snap-1'), { name: 'RbdError', kind: 'HasChildren' });
  await t.rejects(rbd.remove(base), { name: 'RbdError', kind: 'HasSnapshots' });
  await rbd.flatten(child);
  t.equal((await rbd.info(child)).parent, undefined, 'flattened: no parent');
  t.same(await rbd.children(base, 'snap-1'), []);
  await rbd.snapUnprotect(base, 'snap-1');
  await rbd.snapUnprotect(base, 'snap-1');
  await rbd.snapRemove(base, 'snap-1');
  await t.rejects(rbd.snapProtect(base, 'snap-1'), { name: 'RbdError', kind: 'NotFound' });
  const hf = sha256Sink();
  await rbd.exportTo(hf.sink, child);
  t.equal(hf.digest(), want, 'the flattened clone still has the bytes');
  const content = await digestByExport(rbd, child);
  t.equal(await digestByDiff(rbd, child), content, 'content digest: export-diff (allocated extents) = full export');
  t.equal(await digestByDiff(rbd, base), await digestByExport(rbd, base), 'also for an image written after its snapshot');
  t.not(await digestByDiff(rbd, base), content, 'and different content digests differently');
  await rbd.remove(base);

  const started = Date.now();
  let chunks = 0;
  const failing = new Writable({
    write(_c, _e, cb) {
      cb(++chunks === 2 ? new Error('consumer failed') : null);
    },
  });
  failing.on('error', () => undefined);
  await t.rejects(rbd.exportTo(failing, child), { name: 'RbdError' }, 'a failing consumer stops the export');
  t.ok(Date.now() - started < 15_000, 'at once, not at the time limit');

  const imported = `${prefix}-imp`;
  t.teardown(() => rbd.remove(imported).catch(() => undefined));
  await rbd.importFrom(rbd.exportStream(child), imported);
  const hi = sha256Sink();
  await rbd.exportTo(hi.sink, imported);
  t.equal(hi.digest(), want, 'import of an export: same bytes');
});

t.test('no config, no pool, no tool: typed errors, not a hang', async (t) => {
  const env = await cephUp();
  const rbd = new RbdClient({ conf: '/nonexistent/ceph.conf', keyring: env.keyring, pool: 'rbd', timeoutMs: 20_000 });
  const e = await rbd.list().catch((x: unknown) => x);
  t.type(e, RbdError);
  t.equal((e as RbdError).kind, 'Unavailable', 'no config: Unavailable');
  const noPool = new RbdClient({ conf: env.conf, keyring: env.keyring, pool: 'mcgw-no-such-pool' });
  await t.rejects(noPool.list(), { name: 'RbdError', kind: 'NotFound' }, 'no such pool: NotFound');
  const missing = new RbdClient({ conf: env.conf, keyring: env.keyring, pool: 'rbd', rbdPath: '/nonexistent/rbd' });
  await t.rejects(missing.list(), { name: 'RbdError', kind: 'Unavailable' });
  t.throws(() => new RbdClient({ conf: env.conf, pool: 'a/b' }), { name: 'RbdError', kind: 'Invalid' });
});
