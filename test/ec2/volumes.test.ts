// SPDX-License-Identifier: AGPL-3.0-or-later
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ec2Fixture, imageId } from './helpers.js';

const GiB = 1024 ** 3;

t.test('CreateVolume: a sparse file of its size; creating → available; validation', async (t) => {
  const f = await ec2Fixture(t);
  const acct = f.principal.accountId;
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 4, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'd' }] }] });
  t.match(v.VolumeId, /^vol-[0-9a-f]{17}$/);
  t.equal(v.State, 'creating');
  t.equal(v.VolumeType, 'gp2');
  t.equal(v.Iops, 100);
  t.equal(v.Encrypted, false);
  t.ok(v.CreateTime instanceof Date);
  const file = join(f.gw.dataDir, 'ec2', 'volumes', acct, `${v.VolumeId}.img`);
  const st = await stat(file);
  t.equal(st.size, 4 * GiB, 'full logical size');
  t.ok(st.blocks * 512 < 1024 * 1024, 'but sparse');
  f.advance(300);
  t.equal((await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] })).Volumes[0].State, 'available');

  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1z', Size: 1 }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a' }), { code: 'MissingParameter' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'io1' }), { code: 'MissingParameter' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'gp2', Iops: 300 }), { code: 'InvalidParameterCombination' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 20000, VolumeType: 'gp3' }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1, VolumeType: 'nvme' }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1, DryRun: true }), { code: 'DryRunOperation' });
  const io2 = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 10, VolumeType: 'io2', Iops: 5000, Encrypted: true });
  t.equal(io2.Iops, 5000);
  t.match(io2.KmsKeyId, /^arn:aws:kms:us-east-1:\d{12}:alias\/aws\/ebs$/);

  const one = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1, ClientToken: 'x' });
  const two = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1, ClientToken: 'x' });
  t.equal(two.VolumeId, one.VolumeId, 'ClientToken makes CreateVolume idempotent');

  const filtered = await f.call('DescribeVolumes', { Filters: [{ Name: 'tag:Name', Values: ['d'] }, { Name: 'status', Values: ['available'] }] });
  t.same(filtered.Volumes.map((x: { VolumeId: string }) => x.VolumeId), [v.VolumeId]);
  await t.rejects(f.call('DescribeVolumes', { VolumeIds: ['vol-0123456789abcdef0'] }), { code: 'InvalidVolume.NotFound', message: "The volume 'vol-0123456789abcdef0' does not exist." });
  await t.rejects(f.call('DescribeVolumes', { VolumeIds: ['vol-x'] }), { code: 'InvalidVolumeID.Malformed' });
});

t.test('attach / detach / delete with EC2 states and errors', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' } });
  const iid = Instances[0].InstanceId;
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  const far = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1b', Size: 1 });
  await t.rejects(f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: '/dev/sdh' }), { code: 'IncorrectState' }, 'volume still creating');
  f.advance(1000);
  await t.rejects(f.call('AttachVolume', { VolumeId: far.VolumeId, InstanceId: iid, Device: '/dev/sdh' }), { code: 'InvalidVolume.ZoneMismatch' });
  await t.rejects(f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: '/dev/xvda' }), { code: 'InvalidParameterValue' }, 'device in use');
  await t.rejects(f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: 'bogus' }), { code: 'InvalidParameterValue' });
  const a = await f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: '/dev/sdh' });
  t.same({ State: a.State, Device: a.Device, InstanceId: a.InstanceId, VolumeId: a.VolumeId }, { State: 'attaching', Device: '/dev/sdh', InstanceId: iid, VolumeId: v.VolumeId });
  let d = await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] });
  t.equal(d.Volumes[0].State, 'in-use');
  t.equal(d.Volumes[0].Attachments[0].State, 'attaching');
  f.advance(300);
  d = await f.call('DescribeVolumes', { Filters: [{ Name: 'attachment.instance-id', Values: [iid] }, { Name: 'attachment.device', Values: ['/dev/sdh'] }] });
  t.equal(d.Volumes[0].Attachments[0].State, 'attached');
  const inst = await f.call('DescribeInstances', { InstanceIds: [iid] });
  t.same(inst.Reservations[0].Instances[0].BlockDeviceMappings.map((b: { DeviceName: string }) => b.DeviceName), ['/dev/xvda', '/dev/sdh']);
  await t.rejects(f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: '/dev/sdi' }), { code: 'VolumeInUse' });
  await t.rejects(f.call('DeleteVolume', { VolumeId: v.VolumeId }), { code: 'VolumeInUse', message: `Volume ${v.VolumeId} is currently attached to ${iid}` });
  const rootId = Instances[0].BlockDeviceMappings[0].Ebs.VolumeId;
  await t.rejects(f.call('DetachVolume', { VolumeId: rootId }), { code: 'IncorrectState' }, 'root of a running instance');
  await t.rejects(f.call('DetachVolume', { VolumeId: v.VolumeId, InstanceId: 'i-0123456789abcdef0' }), { code: 'InvalidAttachment.NotFound' });
  const det = await f.call('DetachVolume', { VolumeId: v.VolumeId });
  t.equal(det.State, 'detaching');
  d = await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] });
  t.not(d.Volumes[0].Attachments[0]?.State, 'attached', 'no longer attached right after DetachVolume');
  f.advance(300);
  d = await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] });
  t.equal(d.Volumes[0].State, 'available');
  t.same(d.Volumes[0].Attachments, []);
  await t.rejects(f.call('DetachVolume', { VolumeId: v.VolumeId }), { code: 'IncorrectState' });
  t.same(await f.call('DeleteVolume', { VolumeId: v.VolumeId }), {});
  d = await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] });
  t.equal(d.Volumes[0].State, 'deleting');
  f.advance(300);
  await t.rejects(f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] }), { code: 'InvalidVolume.NotFound' });
  await t.rejects(stat(join(f.gw.dataDir, 'ec2', 'volumes', f.principal.accountId, `${v.VolumeId}.img`)), { code: 'ENOENT' }, 'the file is gone');
});

t.test('snapshots carry real bytes into new volumes; ModifyVolume grows only', async (t) => {
  const f = await ec2Fixture(t, { lmdb: true });
  const acct = f.principal.accountId;
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1, VolumeType: 'gp3' });
  f.advance(300);
  const path = (id: string) => join(f.gw.dataDir, 'ec2', 'volumes', acct, `${id}.img`);
  const fh = await open(path(v.VolumeId), 'r+');
  await fh.write(Buffer.from('hello block device'), 0, 18, 512 * 1024 * 1024);
  await fh.close();

  const s = await f.call('CreateSnapshot', { VolumeId: v.VolumeId, Description: 'first', TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'k', Value: 'v' }] }] });
  t.match(s.SnapshotId, /^snap-[0-9a-f]{17}$/);
  t.equal(s.State, 'pending');
  t.equal(s.VolumeSize, 1);
  t.equal(s.OwnerId, acct);
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', SnapshotId: s.SnapshotId }), { code: 'IncorrectState' });
  f.advance(500);
  const ds = await f.call('DescribeSnapshots', { OwnerIds: ['self'], Filters: [{ Name: 'tag:k', Values: ['v'] }] });
  t.equal(ds.Snapshots[0].State, 'completed');
  t.equal(ds.Snapshots[0].Progress, '100%');

  const copy = await f.call('CopySnapshot', { SourceRegion: 'us-east-1', SourceSnapshotId: s.SnapshotId });
  await t.rejects(f.call('CopySnapshot', { SourceRegion: 'eu-west-1', SourceSnapshotId: s.SnapshotId }), { code: 'InvalidParameterValue' });
  f.advance(500);
  const restored = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1b', SnapshotId: copy.SnapshotId, Size: 2 });
  t.equal(restored.SnapshotId, copy.SnapshotId);
  t.equal(restored.Size, 2);
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1b', SnapshotId: s.SnapshotId, Size: 0 }), { code: 'InvalidParameterValue' });
  const rh = await open(path(restored.VolumeId), 'r');
  const buf = Buffer.alloc(18);
  await rh.read(buf, 0, 18, 512 * 1024 * 1024);
  await rh.close();
  t.equal(buf.toString(), 'hello block device', 'the bytes went volume → snapshot → copy → new volume');
  t.equal((await stat(path(restored.VolumeId))).size, 2 * GiB);

  await t.rejects(f.call('ModifyVolume', { VolumeId: v.VolumeId, Size: 0 }), { code: 'InvalidParameterValue', message: 'New size cannot be smaller than existing size' });
  const m = await f.call('ModifyVolume', { VolumeId: v.VolumeId, Size: 10, Iops: 4000 });
  t.equal(m.VolumeModification.ModificationState, 'modifying');
  t.equal(m.VolumeModification.OriginalSize, 1);
  t.equal(m.VolumeModification.TargetSize, 10);
  t.equal(m.VolumeModification.TargetIops, 4000);
  await t.rejects(f.call('ModifyVolume', { VolumeId: v.VolumeId, Size: 12 }), { code: 'IncorrectModificationState' });
  f.advance(500);
  const mods = await f.call('DescribeVolumesModifications', { VolumeIds: [v.VolumeId] });
  t.equal(mods.VolumesModifications[0].ModificationState, 'completed');
  t.equal((await f.call('DescribeVolumes', { VolumeIds: [v.VolumeId] })).Volumes[0].Size, 10);
  t.equal((await stat(path(v.VolumeId))).size, 10 * GiB, 'the file grew');
  const attr = await f.call('DescribeVolumeAttribute', { VolumeId: v.VolumeId, Attribute: 'autoEnableIO' });
  t.same(attr.AutoEnableIO, { Value: false });

  t.same(await f.call('DeleteSnapshot', { SnapshotId: s.SnapshotId }), {});
  await t.rejects(f.call('DescribeSnapshots', { SnapshotIds: [s.SnapshotId] }), { code: 'InvalidSnapshot.NotFound' });
});

t.test('CreateSnapshots of an instance', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', {
    ImageId: ami,
    MinCount: 1,
    MaxCount: 1,
    BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 1 } }],
  });
  f.advance(1000);
  const r = await f.call('CreateSnapshots', { InstanceSpecification: { InstanceId: Instances[0].InstanceId, ExcludeBootVolume: true } });
  t.equal(r.Snapshots.length, 1);
  t.equal(r.Snapshots[0].VolumeSize, 1);
});

t.test('RunInstances with a data volume from a snapshot gets its bytes', async (t) => {
  const f = await ec2Fixture(t);
  const acct = f.principal.accountId;
  const path = (id: string) => join(f.gw.dataDir, 'ec2', 'volumes', acct, `${id}.img`);
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  f.advance(300);
  const fh = await open(path(v.VolumeId), 'r+');
  await fh.write(Buffer.from('seed data'), 0, 9, 4096);
  await fh.close();
  const s = await f.call('CreateSnapshot', { VolumeId: v.VolumeId });
  const ami = await imageId(f);
  const bdm = [{ DeviceName: '/dev/sdg', Ebs: { SnapshotId: s.SnapshotId } }];
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, BlockDeviceMappings: bdm }), { code: 'IncorrectState' }, 'snapshot still pending');
  f.advance(500);
  const r = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, BlockDeviceMappings: bdm });
  const dev = r.Instances[0].BlockDeviceMappings.find((b: { DeviceName: string }) => b.DeviceName === '/dev/sdg');
  const vol = (await f.call('DescribeVolumes', { VolumeIds: [dev.Ebs.VolumeId] })).Volumes[0];
  t.equal(vol.SnapshotId, s.SnapshotId);
  t.equal(vol.Size, 1);
  const rh = await open(path(dev.Ebs.VolumeId), 'r');
  const buf = Buffer.alloc(9);
  await rh.read(buf, 0, 9, 4096);
  await rh.close();
  t.equal(buf.toString(), 'seed data');
});

t.test('sharing a snapshot with another account (createVolumePermission)', async (t) => {
  const f = await ec2Fixture(t);
  const other = await f.gw.account('other');
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  f.advance(300);
  const fh = await open(join(f.gw.dataDir, 'ec2', 'volumes', f.principal.accountId, `${v.VolumeId}.img`), 'r+');
  await fh.write(Buffer.from('shared bytes'), 0, 12, 0);
  await fh.close();
  const s = await f.call('CreateSnapshot', { VolumeId: v.VolumeId });
  f.advance(500);
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', SnapshotId: s.SnapshotId }, other), { code: 'InvalidSnapshot.NotFound' });
  t.same((await f.call('DescribeSnapshots', {}, other)).Snapshots, []);
  await f.call('ModifySnapshotAttribute', { SnapshotId: s.SnapshotId, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [other.accountId] });
  t.same((await f.call('DescribeSnapshotAttribute', { SnapshotId: s.SnapshotId, Attribute: 'createVolumePermission' })).CreateVolumePermissions, [{ UserId: other.accountId }]);
  await t.rejects(f.call('DescribeSnapshotAttribute', { SnapshotId: s.SnapshotId, Attribute: 'createVolumePermission' }, other), { code: 'InvalidSnapshot.NotFound' }, 'only the owner reads the permissions');
  const seen = await f.call('DescribeSnapshots', { RestorableByUserIds: ['self'] }, other);
  t.same(seen.Snapshots.map((x: { SnapshotId: string; OwnerId: string }) => [x.SnapshotId, x.OwnerId]), [[s.SnapshotId, f.principal.accountId]]);
  t.same((await f.call('DescribeSnapshots', { OwnerIds: ['self'] }, other)).Snapshots, [], 'not owned by the other account');
  const nv = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1b', SnapshotId: s.SnapshotId }, other);
  const rh = await open(join(f.gw.dataDir, 'ec2', 'volumes', other.accountId, `${nv.VolumeId}.img`), 'r');
  const buf = Buffer.alloc(12);
  await rh.read(buf, 0, 12, 0);
  await rh.close();
  t.equal(buf.toString(), 'shared bytes', 'the other account got the bytes');
  const copy = await f.call('CopySnapshot', { SourceRegion: 'us-east-1', SourceSnapshotId: s.SnapshotId }, other);
  f.advance(500);
  t.equal((await f.call('DescribeSnapshots', { SnapshotIds: [copy.SnapshotId] }, other)).Snapshots[0].OwnerId, other.accountId);
  await t.rejects(f.call('DeleteSnapshot', { SnapshotId: s.SnapshotId }, other), { code: 'InvalidSnapshot.NotFound' });
  await f.call('ResetSnapshotAttribute', { SnapshotId: s.SnapshotId, Attribute: 'createVolumePermission' });
  await t.rejects(f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', SnapshotId: s.SnapshotId }, other), { code: 'InvalidSnapshot.NotFound' });
});
