// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DeleteVolume and DeleteSnapshot when the volume driver cannot free the bytes yet (storage
 * unreachable, image open elsewhere): accepted as on EBS, the volume stays 'deleting', and the
 * deletion is retried as a durable job with a doubling delay until the driver succeeds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildEc2Service } from '../../apis/ec2/index.js';
import { EmbeddedEc2Backend } from '../../translators/embedded/ec2/index.js';
import type { VolumeDriver } from '../../translators/volumes/driver.js';
import { TestClock, testGateway } from '../helpers/context.js';

t.test('failed volume and snapshot deletions are retried until the driver succeeds', async (t) => {
  const clock = new TestClock();
  const gw = await testGateway({ clock });
  t.teardown(() => gw.dispose());
  let failures = 2;
  const attempts: number[] = [];
  let snapFailures = 1;
  const snapAttempts: string[] = [];
  const { def } = buildEc2Service(gw, (g, sink) => {
    const b = new EmbeddedEc2Backend(g, sink);
    const real = b.volumes;
    const flaky: VolumeDriver = Object.create(real);
    flaky.deleteVolume = async (acct, id) => {
      attempts.push(clock.now());
      if (failures-- > 0) throw new Error('rbd rm: (16) Device or resource busy');
      return real.deleteVolume(acct, id);
    };
    flaky.deleteSnapshot = async (acct, id) => {
      snapAttempts.push(id);
      if (snapFailures-- > 0) throw new Error('rbd: error connecting to the cluster');
      return real.deleteSnapshot(acct, id);
    };
    (b as { volumes: VolumeDriver }).volumes = flaky;
    return b;
  });
  const principal = await gw.account('retry');
  const call = (op: string, input: Record<string, unknown>) => def.operations[op]!(gw.context(principal, 'ec2', op), input);
  const v = await call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  clock.advance(1000);
  const s = await call('CreateSnapshot', { VolumeId: v.VolumeId });
  clock.advance(1000);
  const snapFile = join(gw.dataDir, 'ec2', 'snapshots', principal.accountId, `${s.SnapshotId}.img`);
  t.ok(existsSync(snapFile));
  t.same(await call('DeleteSnapshot', { SnapshotId: s.SnapshotId }), {}, 'accepted although the bytes could not be freed');
  t.ok(existsSync(snapFile), 'not freed yet');
  clock.advance(2000);
  await call('DescribeSnapshots', { OwnerIds: ['self'] });
  t.same(snapAttempts, [s.SnapshotId, s.SnapshotId], 'retried after 2 s');
  t.notOk(existsSync(snapFile), 'freed');

  t.same(await call('DeleteVolume', { VolumeId: v.VolumeId }), {}, 'accepted although the bytes could not be freed');
  const state = async () => (await call('DescribeVolumes', { VolumeIds: [v.VolumeId] }).catch((e: { code: string }) => ({ Volumes: [{ State: e.code }] }))).Volumes[0].State;
  t.equal(await state(), 'deleting');
  clock.advance(1999);
  t.equal(await state(), 'deleting');
  t.equal(attempts.length, 1, 'no retry before 2 s');
  clock.advance(1);
  t.equal(await state(), 'deleting');
  t.equal(attempts.length, 2, 'second attempt after 2 s (fails again)');
  clock.advance(3999);
  await state();
  t.equal(attempts.length, 2, 'the next one waits 4 s');
  clock.advance(1);
  await state();
  t.equal(attempts.length, 3, 'third attempt succeeds');
  clock.advance(1000);
  t.equal(await state(), 'InvalidVolume.NotFound', 'then the volume is gone');
  t.same(attempts.map((a) => a - attempts[0]), [0, 2000, 6000]);
});
