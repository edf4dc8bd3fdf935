// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ec2Fixture, imageId } from './helpers.js';

t.test('catalogue images: owners, filters, ids stable', async (t) => {
  const f = await ec2Fixture(t);
  const all = await f.call('DescribeImages', { Owners: ['amazon'] });
  t.ok(all.Images.length >= 4);
  const deb = all.Images.find((i: { Name: string }) => i.Name.startsWith('debian-12-amd64'));
  t.match(deb.ImageId, /^ami-[0-9a-f]{17}$/);
  t.equal(deb.Public, true);
  t.equal(deb.ImageOwnerAlias, 'amazon');
  t.equal(deb.State, 'available');
  const arm = await f.call('DescribeImages', { Filters: [{ Name: 'architecture', Values: ['arm64'] }] });
  t.same(arm.Images.map((i: { Name: string }) => i.Name), ['debian-12-arm64-20250601']);
  t.same((await f.call('DescribeImages', { Owners: ['self'] })).Images, []);
  await t.rejects(f.call('DescribeImages', { ImageIds: ['ami-0123456789abcdef0'] }), { code: 'InvalidAMIID.NotFound', message: "The image id '[ami-0123456789abcdef0]' does not exist" });
  const armAmi = arm.Images[0].ImageId;
  await t.rejects(f.call('RunInstances', { ImageId: armAmi, MinCount: 1, MaxCount: 1 }), { code: 'InvalidParameterValue' }, 'x86 type with an arm image');
});

t.test('CreateImage from an instance → pending until its snapshots complete → launch from it; sharing; deregister', async (t) => {
  const f = await ec2Fixture(t);
  const other = await f.gw.account('other');
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1 });
  const iid = Instances[0].InstanceId;
  await t.rejects(f.call('CreateImage', { InstanceId: iid, Name: 'golden' }), { code: 'IncorrectInstanceState' }, 'still pending');
  f.advance(1000);
  await t.rejects(f.call('CreateImage', { InstanceId: iid, Name: 'x' }), { code: 'InvalidParameterValue' });
  const { ImageId } = await f.call('CreateImage', { InstanceId: iid, Name: 'golden', Description: 'base', NoReboot: true, TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'role', Value: 'base' }] }] });
  t.match(ImageId, /^ami-[0-9a-f]{17}$/);
  await t.rejects(f.call('CreateImage', { InstanceId: iid, Name: 'golden' }), { code: 'InvalidAMIName.Duplicate' });
  let img = (await f.call('DescribeImages', { ImageIds: [ImageId] })).Images[0];
  t.equal(img.State, 'pending');
  t.equal(img.OwnerId, f.principal.accountId);
  t.equal(img.SourceInstanceId, iid);
  const snapId = img.BlockDeviceMappings[0].Ebs.SnapshotId;
  t.match(snapId, /^snap-/);
  f.advance(500);
  img = (await f.call('DescribeImages', { Owners: ['self'] })).Images[0];
  t.equal(img.State, 'available');
  t.same(img.Tags, [{ Key: 'role', Value: 'base' }]);
  await t.rejects(f.call('DeleteSnapshot', { SnapshotId: snapId }), { code: 'InvalidSnapshot.InUse' });

  const run = await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1 });
  t.equal(run.Instances[0].ImageId, ImageId);

  await t.rejects(f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1 }, other), { code: 'InvalidAMIID.NotFound' }, 'private to its owner');
  await f.call('ModifyImageAttribute', { ImageId, LaunchPermission: { Add: [{ UserId: other.accountId }] } });
  const perms = await f.call('DescribeImageAttribute', { ImageId, Attribute: 'launchPermission' });
  t.same(perms.LaunchPermissions, [{ UserId: other.accountId }]);
  const seen = await f.call('DescribeImages', { ExecutableUsers: ['self'] }, other);
  t.same(seen.Images.map((i: { ImageId: string }) => i.ImageId), [ImageId]);
  const shared = await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1 }, other);
  t.equal(shared.Instances[0].ImageId, ImageId, 'the other account launches from the shared image');
  await t.rejects(f.call('DeregisterImage', { ImageId }, other), { code: 'AuthFailure' });
  await f.call('ModifyImageAttribute', { ImageId, Attribute: 'launchPermission', OperationType: 'remove', UserIds: [other.accountId] });
  t.same((await f.call('DescribeImages', { ExecutableUsers: ['self'] }, other)).Images, []);

  const copy = await f.call('CopyImage', { SourceImageId: ImageId, SourceRegion: 'us-east-1', Name: 'golden-copy' });
  t.not((await f.call('DescribeImages', { ImageIds: [copy.ImageId] })).Images[0].BlockDeviceMappings[0].Ebs.SnapshotId, snapId);
  t.same(await f.call('DeregisterImage', { ImageId, DeleteAssociatedSnapshots: true }), {});
  await t.rejects(f.call('DescribeImages', { ImageIds: [ImageId] }), { code: 'InvalidAMIID.NotFound' });
  await t.rejects(f.call('DescribeSnapshots', { SnapshotIds: [snapId] }), { code: 'InvalidSnapshot.NotFound' });
});

t.test('RegisterImage from a snapshot', async (t) => {
  const f = await ec2Fixture(t);
  const v = await f.call('CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 2 });
  f.advance(300);
  const s = await f.call('CreateSnapshot', { VolumeId: v.VolumeId });
  await t.rejects(f.call('RegisterImage', { Name: 'reg', RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 2 } }] }), { code: 'InvalidParameterValue' });
  const { ImageId } = await f.call('RegisterImage', { Name: 'reg', Architecture: 'x86_64', RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: s.SnapshotId } }] });
  f.advance(500);
  const img = (await f.call('DescribeImages', { ImageIds: [ImageId] })).Images[0];
  t.equal(img.State, 'available');
  t.equal(img.BlockDeviceMappings[0].Ebs.VolumeSize, 2);
  const d = await f.call('DescribeImageAttribute', { ImageId, Attribute: 'description' });
  t.same(d.Description, {});
  await f.call('ModifyImageAttribute', { ImageId, Description: { Value: 'now described' } });
  t.same((await f.call('DescribeImageAttribute', { ImageId, Attribute: 'description' })).Description, { Value: 'now described' });
});

t.test('an image with a data volume launches both; mappings resize or leave out image devices', async (t) => {
  const f = await ec2Fixture(t);
  const other = await f.gw.account('other');
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', {
    ImageId: ami,
    MinCount: 1,
    MaxCount: 1,
    BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 3, VolumeType: 'gp2', DeleteOnTermination: false } }],
  });
  const iid = Instances[0].InstanceId;
  f.advance(1000);
  const { ImageId } = await f.call('CreateImage', { InstanceId: iid, Name: 'two-disks', NoReboot: true });
  f.advance(1000);
  const img = (await f.call('DescribeImages', { ImageIds: [ImageId] })).Images[0];
  t.same(img.BlockDeviceMappings.map((m: { DeviceName: string; Ebs: { VolumeSize: number } }) => [m.DeviceName, m.Ebs.VolumeSize]).sort(), [['/dev/sdf', 3], ['/dev/xvda', 8]]);
  const dataSnap = img.BlockDeviceMappings.find((m: { DeviceName: string }) => m.DeviceName === '/dev/sdf').Ebs.SnapshotId;

  const volumesOf = async (id: string, as = f.principal) =>
    (await f.call('DescribeVolumes', { Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }, as)).Volumes.map((v: { Attachments: Array<{ Device: string; DeleteOnTermination: boolean }>; Size: number; SnapshotId: string; VolumeType: string }) => [v.Attachments[0].Device, v.Size, v.VolumeType, v.SnapshotId, v.Attachments[0].DeleteOnTermination]).sort();

  const plain = (await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1 })).Instances[0].InstanceId;
  const got = await volumesOf(plain);
  t.equal(got.length, 2, 'the root and the data volume of the image');
  t.same(got[0], ['/dev/sdf', 3, 'gp2', dataSnap, false], 'the data volume from the image snapshot, with its recorded settings');

  const bigger = (await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 10, DeleteOnTermination: true } }] })).Instances[0].InstanceId;
  t.same((await volumesOf(bigger))[0], ['/dev/sdf', 10, 'gp2', dataSnap, true], 'a mapping for an image device overrides its size and flag');
  await t.rejects(f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 1 } }] }), { code: 'InvalidBlockDeviceMapping' });

  const without = (await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', NoDevice: '' }] })).Instances[0].InstanceId;
  t.same((await volumesOf(without)).map((v: unknown[]) => v[0]), ['/dev/xvda'], 'NoDevice leaves the image device out');

  await f.call('ModifyImageAttribute', { ImageId, LaunchPermission: { Add: [{ UserId: other.accountId }] } });
  const theirs = (await f.call('RunInstances', { ImageId, MinCount: 1, MaxCount: 1 }, other)).Instances[0].InstanceId;
  t.equal((await volumesOf(theirs, other)).length, 2, 'another account launching the shared image gets both volumes too');
});
