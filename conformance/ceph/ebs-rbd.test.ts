// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS on Ceph RBD, end to end: the real @aws-sdk/client-ec2 against a gateway whose embedded
 * compute keeps its volumes on the scratch Ceph of conformance/backends/ceph/up.sh
 * (`ec2.volumes: rbd`). Bytes go into a volume's RBD image (rbd import-diff), a snapshot is taken,
 * new volumes come from it (clones) — in this account and, through a shared snapshot and
 * CopySnapshot, in another — and every one of them holds the same bytes (content sha256, rbd-digest.ts),
 * through the deletion of the snapshots they came from (flatten) and of the volume the snapshot
 * was taken of (the image is kept until its last snapshot goes). CreateImage snapshots every volume
 * of an instance, and an instance launched from the image gets clones with the bytes as they were.
 * At the end of each test no image is left.
 */
import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
  ModifyVolumeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { randomBytes, randomInt } from 'node:crypto';
import t from 'tap';
import { RbdClient } from '../../translators/ceph/rbd/client.js';
import { cephUp } from '../backends/ceph/cluster.js';
import { startTestGateway } from '../harness.js';
import { digestByDiff } from './rbd-digest.js';

const GiB = 1024 ** 3;
const FAST = { boot: 100, stop: 100, terminate: 100, reboot: 50, volume: 50, attach: 50, detach: 50, snapshot: 50, modify: 50 };

/** Polls every 100 ms (the SDK waiters' floor is 1 s; conformance/ec2 uses those). */
async function until(what: string, probe: () => Promise<string | undefined>, want: string): Promise<void> {
  // 'error' ends the wait at once (volumes, snapshots and images all use that state name)
  let last: string | undefined;
  for (let n = 0; n < 600; n++) {
    last = await probe();
    if (last === want) return;
    if (last === 'error') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: ${String(last)}, not ${want}`);
}
const volumeAvailable = (ec2: EC2Client, id: string) =>
  until(id, async () => (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0].State, 'available');
const snapshotCompleted = (ec2: EC2Client, id: string) =>
  until(id, async () => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0].State, 'completed');

/** Content digest from export-diff (rbd-digest.ts; rbd-client.test.ts checks it against full exports). */
const sha256Of = (rbd: RbdClient, image: string, snap?: string) => digestByDiff(rbd, image, snap);

t.test('bytes → snapshot → volumes from it (same account, shared + copied) → same bytes, through every deletion', async (t) => {
  const ceph = await cephUp();
  const holderVmid = randomInt(700_000, 799_999);
  const rbd = new RbdClient({ conf: ceph.conf, keyring: ceph.keyring, pool: ceph.rbdPool });
  const gw = await startTestGateway(t, {
    config: {
      ec2: { backend: 'embedded', volumes: 'rbd', lifecycleMs: FAST },
      backends: { ceph: { conf: ceph.conf, keyring: ceph.keyring, user: ceph.client, pool: ceph.rbdPool, holderVmid } },
    },
  });
  const ec2 = new EC2Client(gw.clientConfig);
  const other = await gw.newAccount('ebs-rbd-b');
  const ec2b = new EC2Client(other.clientConfig);
  t.teardown(() => (ec2.destroy(), ec2b.destroy()));
  const image = (volumeId: string) => `vm-${holderVmid}-${volumeId}`;
  const az = `${gw.region}a`;

  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, VolumeType: 'gp3' }));
  const volumeId = vol.VolumeId!;
  await volumeAvailable(ec2, volumeId);
  const info = await rbd.info(image(volumeId));
  t.equal(info.size, GiB, 'the volume is an RBD image of its size, named for the Proxmox holder vmid');
  t.equal(info.parent, undefined);

  await rbd.writeAt(image(volumeId), 4096, 1024 * 1024, randomBytes(1024 * 1024));
  await rbd.writeAt(image(volumeId), 700 * 1024 * 1024 + 3, 5000, randomBytes(5000));
  const before = await sha256Of(rbd, image(volumeId));

  const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'rbd bytes' }));
  const snapId = snap.SnapshotId!;
  await snapshotCompleted(ec2, snapId);
  t.same((await rbd.snapList(image(volumeId))).map((s) => s.name), [snapId], 'the EBS snapshot is an RBD snapshot of the image');
  await rbd.writeAt(image(volumeId), 0, 16, Buffer.from('written after it'));
  t.not(await sha256Of(rbd, image(volumeId)), before, 'the volume moved on');
  t.equal(await sha256Of(rbd, image(volumeId), snapId), before, 'the snapshot did not');

  const fromSnap = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: snapId, VolumeType: 'gp3' }));
  const cloneId = fromSnap.VolumeId!;
  t.equal(fromSnap.Size, 1);
  await volumeAvailable(ec2, cloneId);
  const ci = await rbd.info(image(cloneId));
  t.same({ image: ci.parent?.image, snapshot: ci.parent?.snapshot }, { image: image(volumeId), snapshot: snapId }, 'a volume from a snapshot is a clone');
  t.equal(await sha256Of(rbd, image(cloneId)), before, 'the new volume holds the snapshot bytes');

  // another account: the snapshot shared with it, copied, and a volume made from the copy
  await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapId, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [other.accountId] }));
  const copy = await ec2b.send(new CopySnapshotCommand({ SourceSnapshotId: snapId, SourceRegion: gw.region, Description: 'copied' }));
  const copyId = copy.SnapshotId!;
  await snapshotCompleted(ec2b, copyId);
  t.same((await rbd.snapList(image(volumeId))).map((s) => s.name), [snapId], 'a copy shares the RBD snapshot');

  // the original snapshot goes; the copy keeps the RBD snapshot (and the clone its parent)
  await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapId }));
  t.equal((await rbd.snapList(image(volumeId))).length, 1, 'still referenced by the copy');
  const fromCopy = await ec2b.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: copyId, Size: 2, VolumeType: 'gp2' }));
  const copyVolId = fromCopy.VolumeId!;
  await volumeAvailable(ec2b, copyVolId);
  t.equal((await rbd.info(image(copyVolId))).size, 2 * GiB, 'a clone grown to the requested size');

  // the last reference goes: clones are flattened, the RBD snapshot removed, the bytes stay
  await ec2b.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
  t.same(await rbd.snapList(image(volumeId)), [], 'RBD snapshot removed with its last EBS snapshot');
  t.equal((await rbd.info(image(cloneId))).parent, undefined, 'clone flattened');
  t.equal((await rbd.info(image(copyVolId))).parent, undefined, "the other account's clone flattened");
  t.equal(await sha256Of(rbd, image(cloneId)), before, 'same bytes after flatten');

  // a volume deleted while its snapshot lives: the image stays for the snapshot, then goes
  await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  t.equal(await rbd.stat(image(volumeId)), undefined, 'no snapshots left: the image is removed');
  const snap2 = await ec2.send(new CreateSnapshotCommand({ VolumeId: cloneId }));
  await snapshotCompleted(ec2, snap2.SnapshotId!);
  await ec2.send(new DeleteVolumeCommand({ VolumeId: cloneId }));
  t.ok(await rbd.stat(image(cloneId)), 'deleted volume with a live snapshot: image kept');
  const again = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: snap2.SnapshotId, VolumeType: 'gp3' }));
  await volumeAvailable(ec2, again.VolumeId!);
  t.equal(await sha256Of(rbd, image(again.VolumeId!)), before, 'a snapshot of a deleted volume still makes volumes with the bytes');
  await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap2.SnapshotId }));
  t.equal(await rbd.stat(image(cloneId)), undefined, "the deleted volume's image goes with its last snapshot");
  t.equal(await sha256Of(rbd, image(again.VolumeId!)), before, 'and its clone keeps the bytes');

  // ModifyVolume grows the image
  await ec2.send(new ModifyVolumeCommand({ VolumeId: again.VolumeId, Size: 3 }));
  for (let n = 0; n < 50; n++) {
    const m = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [again.VolumeId!] }));
    if (m.VolumesModifications?.[0].ModificationState === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal((await rbd.info(image(again.VolumeId!))).size, 3 * GiB, 'grown');

  for (const [client, id] of [[ec2, again.VolumeId!], [ec2b, copyVolId]] as const) await client.send(new DeleteVolumeCommand({ VolumeId: id }));
  t.same((await rbd.list()).filter((n) => n.startsWith(`vm-${holderVmid}-`)), [], 'no image of this holder is left');
});

t.test('errors: a volume from a snapshot whose RBD snapshot vanished is error, not available', async (t) => {
  const ceph = await cephUp();
  const holderVmid = randomInt(800_000, 899_999);
  const rbd = new RbdClient({ conf: ceph.conf, keyring: ceph.keyring, pool: ceph.rbdPool });
  const gw = await startTestGateway(t, {
    config: { ec2: { backend: 'embedded', volumes: 'rbd', lifecycleMs: FAST }, backends: { ceph: { conf: ceph.conf, keyring: ceph.keyring, pool: ceph.rbdPool, holderVmid } } },
  });
  const ec2 = new EC2Client(gw.clientConfig);
  t.teardown(() => ec2.destroy());
  const az = `${gw.region}a`;
  const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1 }));
  await volumeAvailable(ec2, v.VolumeId!);
  const s = await ec2.send(new CreateSnapshotCommand({ VolumeId: v.VolumeId }));
  await snapshotCompleted(ec2, s.SnapshotId!);
  // someone removes the RBD snapshot behind the gateway's back
  await rbd.snapRemove(`vm-${holderVmid}-${v.VolumeId}`, s.SnapshotId!);
  const bad = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: s.SnapshotId }));
  t.equal(bad.State, 'error', 'the backend could not clone: the volume is in error');
  t.equal(await rbd.stat(`vm-${holderVmid}-${bad.VolumeId}`), undefined);
  await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId }));
  await ec2.send(new DeleteVolumeCommand({ VolumeId: v.VolumeId }));
  t.same((await rbd.list()).filter((n) => n.startsWith(`vm-${holderVmid}-`)), [], 'no image of this holder is left');
});

t.test('CreateImage snapshots every volume of an instance; an instance from the image gets clones with the same bytes', async (t) => {
  const ceph = await cephUp();
  const holderVmid = randomInt(600_000, 699_999);
  const rbd = new RbdClient({ conf: ceph.conf, keyring: ceph.keyring, pool: ceph.rbdPool });
  const gw = await startTestGateway(t, {
    config: { ec2: { backend: 'embedded', volumes: 'rbd', lifecycleMs: FAST }, backends: { ceph: { conf: ceph.conf, keyring: ceph.keyring, pool: ceph.rbdPool, holderVmid } } },
  });
  const ec2 = new EC2Client(gw.clientConfig);
  t.teardown(() => ec2.destroy());
  const image = (volumeId: string) => `vm-${holderVmid}-${volumeId}`;
  const az = `${gw.region}a`;
  const instanceState = (id: string) => async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0].Instances?.[0].State?.Name;
  const debian = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;

  const run = await ec2.send(new RunInstancesCommand({ ImageId: debian, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: az } }));
  const src = run.Instances![0].InstanceId!;
  const rootId = run.Instances![0].BlockDeviceMappings![0].Ebs!.VolumeId!;
  await until(src, instanceState(src), 'running');
  t.equal((await rbd.info(image(rootId))).size, 8 * GiB, 'the root volume is an RBD image of the image size');
  const data = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1 }));
  await volumeAvailable(ec2, data.VolumeId!);
  await ec2.send(new AttachVolumeCommand({ VolumeId: data.VolumeId, InstanceId: src, Device: '/dev/sdf' }));
  await rbd.writeAt(image(rootId), 0, 512, randomBytes(512));
  await rbd.writeAt(image(data.VolumeId!), 1 << 20, 8192, randomBytes(8192));
  const rootDigest = await sha256Of(rbd, image(rootId));
  const dataDigest = await sha256Of(rbd, image(data.VolumeId!));

  const ami = (await ec2.send(new CreateImageCommand({ InstanceId: src, Name: 'rbd-image', NoReboot: true }))).ImageId!;
  await until(ami, async () => (await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images?.[0].State, 'available');
  const mappings = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images![0].BlockDeviceMappings!;
  const snapOf = (dev: string) => mappings.find((m) => m.DeviceName === dev)!.Ebs!.SnapshotId!;
  t.same(mappings.map((m) => m.DeviceName).sort(), ['/dev/sdf', '/dev/xvda'], 'both volumes are in the image');
  t.same((await rbd.snapList(image(rootId))).map((x) => x.name), [snapOf('/dev/xvda')]);
  t.same((await rbd.snapList(image(data.VolumeId!))).map((x) => x.name), [snapOf('/dev/sdf')]);
  await rbd.writeAt(image(rootId), 0, 512, Buffer.alloc(512, 1)); // the source moves on

  const run2 = await ec2.send(new RunInstancesCommand({
    ImageId: ami, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: az },
    BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { SnapshotId: snapOf('/dev/sdf'), DeleteOnTermination: true } }],
  }));
  const copyInst = run2.Instances![0].InstanceId!;
  await until(copyInst, instanceState(copyInst), 'running');
  const vols = Object.fromEntries(run2.Instances![0].BlockDeviceMappings!.map((b) => [b.DeviceName!, b.Ebs!.VolumeId!]));
  t.equal((await rbd.info(image(vols['/dev/xvda']))).parent?.image, image(rootId), 'the new root is a clone of the old one');
  t.equal(await sha256Of(rbd, image(vols['/dev/xvda'])), rootDigest, 'root bytes as at CreateImage');
  t.equal(await sha256Of(rbd, image(vols['/dev/sdf'])), dataDigest, 'data bytes as at CreateImage');

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [src, copyInst] }));
  for (const id of [src, copyInst]) await until(id, instanceState(id), 'terminated');
  await ec2.send(new DeregisterImageCommand({ ImageId: ami }));
  for (const dev of ['/dev/xvda', '/dev/sdf']) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapOf(dev) }));
  await until(data.VolumeId!, async () => (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [data.VolumeId!] }))).Volumes?.[0].State, 'available');
  await ec2.send(new DeleteVolumeCommand({ VolumeId: data.VolumeId }));
  await until('images of this holder', async () => String((await rbd.list()).filter((n) => n.startsWith(`vm-${holderVmid}-`)).length), '0');
  t.pass('no image of this holder is left');
});
