// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The RBD volume driver on its own, against the up.sh cluster: its snapshot records survive a
 * restart (LMDB), every call is idempotent (the embedded backend retries deletions), accounts
 * cannot reach each other's snapshots, and failures leave as EC2's AWS errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import t from 'tap';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { RbdVolumes } from '../../translators/ceph/rbd/volumes.js';
import { purgeRbdHolder, rbdClientOf } from '../backends/ceph/rbd.js';
import { cephUp } from '../backends/ceph/cluster.js';
import { digestByDiff } from './rbd-digest.js';

const A = '111111111111';
const B = '222222222222';
const hex = () => randomBytes(9).toString('hex').slice(0, 17);

t.test('records survive a restart; calls are idempotent; accounts stay apart', async (t) => {
  const ceph = await cephUp();
  const rbd = rbdClientOf(ceph);
  const holder = randomInt(1_000_000, 999_999_999);
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-rbdvol-'));
  t.teardown(async () => {
    await purgeRbdHolder(rbd, holder);
    rmSync(dir, { recursive: true, force: true });
  });
  const vol = `vol-${hex()}`;
  const snap = `snap-${hex()}`;
  let store = new LmdbStateStore(dir);
  let d = new RbdVolumes(rbd, holder, store);
  await d.createVolume(A, vol, 1);
  await d.createVolume(A, vol, 1);
  t.equal((await rbd.info(d.imageOf(vol))).size, 1024 ** 3, 'a repeated create is a no-op');
  await rbd.writeAt(d.imageOf(vol), 123_456, 4096, randomBytes(4096));
  const want = await digestByDiff(rbd, d.imageOf(vol));
  await d.createSnapshot(A, snap, vol);
  await d.createSnapshot(A, snap, vol);
  t.same((await rbd.snapList(d.imageOf(vol))).map((s) => s.name), [snap], 'a repeated snapshot is a no-op');
  await store.close();

  store = new LmdbStateStore(dir);
  d = new RbdVolumes(rbd, holder, store);
  t.teardown(() => store.close());
  const clone = `vol-${hex()}`;
  await t.rejects(d.createVolume(B, clone, 1, { accountId: B, snapshotId: snap }), { name: 'AwsError', code: 'InvalidSnapshot.NotFound' }, "not B's snapshot");
  await d.createVolume(A, clone, 2, { accountId: A, snapshotId: snap });
  t.equal(await digestByDiff(rbd, d.imageOf(vol), snap), want, 'the snapshot found after the restart holds the bytes');
  const ci = await rbd.info(d.imageOf(clone));
  t.same([ci.size, ci.parent?.image, ci.parent?.snapshot], [2 * 1024 ** 3, d.imageOf(vol), snap], 'a clone of it, grown to 2 GiB');
  await d.createVolume(A, clone, 2, { accountId: A, snapshotId: snap });
  t.pass('a repeated create from a snapshot is a no-op');

  const copy = `snap-${hex()}`;
  await d.copySnapshot(B, copy, { accountId: A, snapshotId: snap });
  await d.deleteSnapshot(B, snap);
  t.equal((await rbd.snapList(d.imageOf(vol))).length, 1, "B cannot delete A's snapshot");
  await d.deleteVolume(A, vol);
  t.ok(await rbd.stat(d.imageOf(vol)), 'kept for its snapshot');
  await d.deleteVolume(A, vol);
  await d.deleteSnapshot(A, snap);
  t.ok(await rbd.stat(d.imageOf(vol)), "kept for B's copy");
  await d.deleteSnapshot(B, copy);
  t.equal(await rbd.stat(d.imageOf(vol)), undefined, 'gone with the last reference');
  t.equal((await rbd.info(d.imageOf(clone))).parent, undefined, 'the clone was flattened');
  await d.deleteSnapshot(B, copy);
  await d.deleteVolume(A, vol);
  t.pass('repeated deletes are no-ops');
  await t.rejects(d.growVolume(A, `vol-${hex()}`, 2), { name: 'AwsError', code: 'InvalidVolume.NotFound' });
  await t.rejects(d.createSnapshot(A, `snap-${hex()}`, `vol-${hex()}`), { name: 'AwsError', code: 'InvalidVolume.NotFound' });
  await d.deleteVolume(A, clone);
  t.same((await rbd.list()).filter((n) => n.startsWith(`vm-${holder}-`)), [], 'nothing left');
  t.match(await d.health(), { state: 'ok', detail: /^rbd pool rbd: \d+ images$/ });
});
