// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { DEBIAN, ec2Fixture, imageId } from './helpers.js';

t.test('RunInstances → pending, then running after the boot time; describe, filters, reservations', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const r = await f.call('RunInstances', {
    ImageId: ami,
    InstanceType: 't3.micro',
    MinCount: 2,
    MaxCount: 2,
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }, { Key: 'env', Value: 'prod' }] }],
  });
  t.match(r.ReservationId, /^r-[0-9a-f]{17}$/);
  t.equal(r.OwnerId, f.principal.accountId);
  t.equal(r.Instances.length, 2);
  const [a, b] = r.Instances;
  t.match(a.InstanceId, /^i-[0-9a-f]{17}$/);
  t.same(a.State, { Code: 0, Name: 'pending' });
  t.equal(a.ImageId, ami);
  t.equal(a.InstanceType, 't3.micro');
  t.not(a.PrivateIpAddress, b.PrivateIpAddress, 'addresses never clash');
  t.match(a.PrivateIpAddress, /^172\.31\./);
  t.equal(a.Placement.AvailabilityZone, 'us-east-1a');
  t.equal(a.BlockDeviceMappings.length, 1);
  t.match(a.BlockDeviceMappings[0].Ebs.VolumeId, /^vol-/);
  t.equal(a.NetworkInterfaces[0].Attachment.DeviceIndex, 0);
  t.same(a.SecurityGroups.map((g: { GroupName: string }) => g.GroupName), ['default']);
  t.same(a.Tags, [{ Key: 'Name', Value: 'web' }, { Key: 'env', Value: 'prod' }]);

  f.advance(999);
  let d = await f.call('DescribeInstances', { InstanceIds: [a.InstanceId] });
  t.equal(d.Reservations[0].Instances[0].State.Name, 'pending', 'still pending before the boot time');
  f.advance(1);
  d = await f.call('DescribeInstances', { InstanceIds: [a.InstanceId] });
  t.same(d.Reservations[0].Instances[0].State, { Code: 16, Name: 'running' });

  d = await f.call('DescribeInstances', {});
  t.equal(d.Reservations.length, 1, 'one reservation groups both instances');
  t.equal(d.Reservations[0].Instances.length, 2);

  d = await f.call('DescribeInstances', { Filters: [{ Name: 'tag:Name', Values: ['w*'] }, { Name: 'instance-state-name', Values: ['running', 'stopped'] }] });
  t.equal(d.Reservations[0].Instances.length, 2, 'tag wildcard AND state filter');
  d = await f.call('DescribeInstances', { Filters: [{ Name: 'private-ip-address', Values: [a.PrivateIpAddress] }] });
  t.same(d.Reservations[0].Instances.map((i: { InstanceId: string }) => i.InstanceId), [a.InstanceId]);
  d = await f.call('DescribeInstances', { Filters: [{ Name: 'tag-key', Values: ['nope'] }] });
  t.same(d.Reservations, []);
  await t.rejects(f.call('DescribeInstances', { Filters: [{ Name: 'bogus', Values: ['x'] }] }), { code: 'InvalidParameterValue', message: "The filter 'bogus' is invalid" });
});

t.test('pagination with MaxResults/NextToken; MaxResults with InstanceIds is refused', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  await f.call('RunInstances', { ImageId: ami, MinCount: 7, MaxCount: 7 });
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const d = await f.call('DescribeInstances', { MaxResults: 5, NextToken: token });
    for (const r of d.Reservations) for (const i of r.Instances) seen.add(i.InstanceId);
    token = d.NextToken;
    pages++;
  } while (token);
  t.equal(pages, 2);
  t.equal(seen.size, 7);
  await t.rejects(f.call('DescribeInstances', { MaxResults: 4 }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('DescribeInstances', { MaxResults: 5, InstanceIds: [[...seen][0]] }), { code: 'InvalidParameterCombination' });
});

t.test('stop / start / reboot / terminate with previous and current states', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1 });
  const id = Instances[0].InstanceId;
  await t.rejects(f.call('StartInstances', { InstanceIds: [id], DryRun: true }), { code: 'DryRunOperation', status: 412, message: 'Request would have succeeded, but DryRun flag is set.' });
  f.advance(1000);
  const stop = await f.call('StopInstances', { InstanceIds: [id] });
  t.same(stop.StoppingInstances, [{ InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } }]);
  await t.rejects(f.call('StartInstances', { InstanceIds: [id] }), { code: 'IncorrectInstanceState' });
  f.advance(1000);
  let d = await f.call('DescribeInstances', { InstanceIds: [id] });
  const inst = d.Reservations[0].Instances[0];
  t.equal(inst.State.Name, 'stopped');
  t.match(inst.StateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
  t.equal(inst.StateReason.Code, 'Client.UserInitiatedShutdown');
  await t.rejects(f.call('RebootInstances', { InstanceIds: ['i-0123456789abcdef0'] }), { code: 'InvalidInstanceID.NotFound', message: "The instance ID 'i-0123456789abcdef0' does not exist" });
  const start = await f.call('StartInstances', { InstanceIds: [id] });
  t.same(start.StartingInstances[0].CurrentState, { Code: 0, Name: 'pending' });
  f.advance(1000);
  t.same(await f.call('RebootInstances', { InstanceIds: [id] }), {});

  await f.call('ModifyInstanceAttribute', { InstanceId: id, DisableApiTermination: { Value: true } });
  await t.rejects(f.call('TerminateInstances', { InstanceIds: [id] }), { code: 'OperationNotPermitted' });
  await f.call('ModifyInstanceAttribute', { InstanceId: id, DisableApiTermination: { Value: false } });
  const term = await f.call('TerminateInstances', { InstanceIds: [id] });
  t.same(term.TerminatingInstances[0].CurrentState, { Code: 32, Name: 'shutting-down' });
  const again = await f.call('TerminateInstances', { InstanceIds: [id] });
  t.same(again.TerminatingInstances[0].PreviousState, again.TerminatingInstances[0].CurrentState, 'terminate is idempotent');
  f.advance(1000);
  d = await f.call('DescribeInstances', { InstanceIds: [id] });
  t.same(d.Reservations[0].Instances[0].State, { Code: 48, Name: 'terminated' });
  t.same(d.Reservations[0].Instances[0].NetworkInterfaces, []);
  const vols = await f.call('DescribeVolumes', {});
  t.ok(vols.Volumes.every((v: { State: string }) => v.State === 'deleting'), 'the root volume (DeleteOnTermination) is being deleted');
  f.advance(60 * 60 * 1000 + 1);
  d = await f.call('DescribeInstances', {});
  t.same(d.Reservations, [], 'terminated instances disappear after an hour');
  await t.rejects(f.call('DescribeInstances', { InstanceIds: [id] }), { code: 'InvalidInstanceID.NotFound' });
  t.same((await f.call('DescribeVolumes', {})).Volumes, [], 'and the root volume is gone');
});

t.test('RunInstances validation and ClientToken idempotency', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 1 }), { code: 'MissingParameter' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 2, MaxCount: 1 }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('RunInstances', { ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1 }), { code: 'InvalidAMIID.NotFound' });
  await t.rejects(f.call('RunInstances', { ImageId: 'nope', MinCount: 1, MaxCount: 1 }), { code: 'InvalidAMIID.Malformed' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, InstanceType: 'z9.huge', MinCount: 1, MaxCount: 1 }), { code: 'InvalidParameterValue', message: "Invalid value 'z9.huge' for InstanceType." });
  await t.rejects(f.call('RunInstances', { ImageId: ami, KeyName: 'missing', MinCount: 1, MaxCount: 1 }), { code: 'InvalidKeyPair.NotFound' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, SubnetId: 'subnet-0123456789abcdef0', MinCount: 1, MaxCount: 1 }), { code: 'InvalidSubnetID.NotFound' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, UserData: '%%%', MinCount: 1, MaxCount: 1 }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 2 } }] }), { code: 'InvalidBlockDeviceMapping' });
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, DryRun: true }), { code: 'DryRunOperation' });
  t.same((await f.call('DescribeInstances', {})).Reservations, [], 'nothing was created by failed or dry runs');

  const one = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, ClientToken: 'tok-1' });
  const two = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, ClientToken: 'tok-1' });
  t.equal(two.Instances[0].InstanceId, one.Instances[0].InstanceId, 'same token, same instance');
  t.equal(two.ReservationId, one.ReservationId);
  await t.rejects(f.call('RunInstances', { ImageId: ami, MinCount: 2, MaxCount: 2, ClientToken: 'tok-1' }), { code: 'IdempotentParameterMismatch' });
  t.equal((await f.call('DescribeInstances', {})).Reservations.length, 1);

  // retries sent while the first call still runs (an SDK timing out and resending) create nothing more
  const burst = await Promise.all(Array.from({ length: 5 }, () => f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, ClientToken: 'tok-2' })));
  t.equal(new Set(burst.map((r) => r.Instances[0].InstanceId)).size, 1, 'concurrent calls with one token share one instance');
  t.equal((await f.call('DescribeInstances', {})).Reservations.length, 2);
});

t.test('explicit subnet, private IP, extra EBS volume, user data and attributes', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Vpc } = await f.call('CreateVpc', { CidrBlock: '10.1.0.0/16' });
  const { Subnet } = await f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.1.2.0/24', AvailabilityZone: 'us-east-1b' });
  const { GroupId } = await f.call('CreateSecurityGroup', { GroupName: 'web', Description: 'web', VpcId: Vpc.VpcId });
  const ud = Buffer.from('#!/bin/sh\necho hi\n').toString('base64');
  const r = await f.call('RunInstances', {
    ImageId: ami,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: Subnet.SubnetId,
    SecurityGroupIds: [GroupId],
    PrivateIpAddress: '10.1.2.50',
    UserData: ud,
    Placement: { AvailabilityZone: '' },
    BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 3, VolumeType: 'gp3', DeleteOnTermination: false } }],
    InstanceInitiatedShutdownBehavior: 'terminate',
  });
  const i = r.Instances[0];
  t.equal(i.PrivateIpAddress, '10.1.2.50');
  t.equal(i.SubnetId, Subnet.SubnetId);
  t.equal(i.VpcId, Vpc.VpcId);
  t.equal(i.Placement.AvailabilityZone, 'us-east-1b');
  t.same(i.SecurityGroups, [{ GroupId, GroupName: 'web' }]);
  t.equal(i.BlockDeviceMappings.length, 2);
  await t.rejects(
    f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, SubnetId: Subnet.SubnetId, PrivateIpAddress: '10.1.2.50' }),
    { code: 'InvalidIPAddress.InUse' },
  );
  const attr = (a: string) => f.call('DescribeInstanceAttribute', { InstanceId: i.InstanceId, Attribute: a });
  t.same((await attr('userData')).UserData, { Value: ud });
  t.same((await attr('instanceInitiatedShutdownBehavior')).InstanceInitiatedShutdownBehavior, { Value: 'terminate' });
  t.same((await attr('disableApiStop')).DisableApiStop, { Value: false });
  t.same((await attr('disableApiTermination')).DisableApiTermination, { Value: false });
  t.same((await attr('groupSet')).Groups, [{ GroupId, GroupName: 'web' }]);
  await t.rejects(attr('nonsense'), { code: 'InvalidParameterValue' });

  await t.rejects(f.call('ModifyInstanceAttribute', { InstanceId: i.InstanceId, InstanceType: { Value: 't3.large' } }), { code: 'IncorrectInstanceState' });
  await t.rejects(
    f.call('ModifyInstanceAttribute', { InstanceId: i.InstanceId, InstanceType: { Value: 't3.large' }, SourceDestCheck: { Value: false } }),
    { code: 'InvalidParameterCombination' },
  );
  f.advance(1000);
  await f.call('StopInstances', { InstanceIds: [i.InstanceId] });
  f.advance(1000);
  await f.call('ModifyInstanceAttribute', { InstanceId: i.InstanceId, InstanceType: { Value: 't3.large' } });
  await f.call('ModifyInstanceAttribute', { InstanceId: i.InstanceId, Attribute: 'sourceDestCheck', Value: 'false' });
  await f.call('ModifyInstanceAttribute', { InstanceId: i.InstanceId, UserData: { Value: Buffer.from('new') } });
  t.same((await attr('instanceType')).InstanceType, { Value: 't3.large' });
  t.same((await attr('sourceDestCheck')).SourceDestCheck, { Value: false });
  t.same((await attr('userData')).UserData, { Value: Buffer.from('new').toString('base64') });

  const out = await f.call('GetConsoleOutput', { InstanceId: i.InstanceId });
  t.match(Buffer.from(out.Output, 'base64').toString(), /creating t3\.micro/);

  await f.call('TerminateInstances', { InstanceIds: [i.InstanceId] });
  f.advance(1000);
  const vols = await f.call('DescribeVolumes', { Filters: [{ Name: 'size', Values: ['3'] }] });
  t.equal(vols.Volumes[0].State, 'available', 'DeleteOnTermination=false keeps the data volume');
  const sn = await f.call('DescribeSubnets', { SubnetIds: [Subnet.SubnetId] });
  t.equal(sn.Subnets[0].AvailableIpAddressCount, 251, 'the address went back to the subnet');
});

t.test('tenancy: one account never sees another account’s instances', async (t) => {
  const f = await ec2Fixture(t);
  const other = await f.gw.account('other');
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1 });
  t.same((await f.call('DescribeInstances', {}, other)).Reservations, []);
  await t.rejects(f.call('TerminateInstances', { InstanceIds: [Instances[0].InstanceId] }, other), { code: 'InvalidInstanceID.NotFound' });
  await t.rejects(f.call('DescribeInstances', { DryRun: true }), { code: 'DryRunOperation' });
});

t.test('DescribeInstanceStatus and credit specifications', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f, DEBIAN);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: 't3.small' });
  const id = Instances[0].InstanceId;
  t.same((await f.call('DescribeInstanceStatus', {})).InstanceStatuses, [], 'pending instances are only listed with IncludeAllInstances');
  const all = await f.call('DescribeInstanceStatus', { IncludeAllInstances: true });
  t.equal(all.InstanceStatuses[0].InstanceStatus.Status, 'not-applicable');
  f.advance(1000);
  const s = await f.call('DescribeInstanceStatus', { InstanceIds: [id] });
  t.equal(s.InstanceStatuses[0].InstanceStatus.Status, 'ok');
  t.equal(s.InstanceStatuses[0].SystemStatus.Details[0].Status, 'passed');
  const c = await f.call('DescribeInstanceCreditSpecifications', { InstanceIds: [id] });
  t.same(c.InstanceCreditSpecifications, [{ InstanceId: id, CpuCredits: 'unlimited' }]);
});

t.test('tag filters answered from the tag index (LMDB store), kept in step with CreateTags/DeleteTags', async (t) => {
  const f = await ec2Fixture(t, { lmdb: true });
  const ami = await imageId(f);
  const a = await f.call('RunInstances', { ImageId: ami, MinCount: 3, MaxCount: 3, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'alpha beta' }] }] });
  await f.call('RunInstances', { ImageId: ami, MinCount: 2, MaxCount: 2, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'gamma' }] }] });
  const count = async (values: string[]) => {
    const d = await f.call('DescribeInstances', { Filters: [{ Name: 'tag:Name', Values: values }] });
    return d.Reservations.reduce((n: number, r: { Instances: unknown[] }) => n + r.Instances.length, 0);
  };
  t.equal(await count(['alpha beta']), 3);
  t.equal(await count(['gamma', 'alpha beta']), 5);
  t.equal(await count(['alpha*']), 3, 'wildcards still work (full scan)');
  const first = a.Instances[0].InstanceId;
  await f.call('CreateTags', { Resources: [first], Tags: [{ Key: 'Name', Value: 'gamma' }] });
  t.equal(await count(['alpha beta']), 2);
  t.equal(await count(['gamma']), 3);
  await f.call('DeleteTags', { Resources: [first], Tags: [{ Key: 'Name' }] });
  t.equal(await count(['gamma']), 2);
  await f.call('TerminateInstances', { InstanceIds: [a.Instances[1].InstanceId] });
  f.advance(1000);
  t.equal(await count(['alpha beta']), 2, 'terminated instances stay visible for an hour');
  f.advance(60 * 60 * 1000 + 1);
  t.equal(await count(['alpha beta']), 1, 'expired terminated instances are not answered from the index');
});

t.test('a backend that fails to launch: the instance ends terminated with Server.InternalError, its address freed', async (t) => {
  const { buildEc2Service } = await import('../../apis/ec2/index.js');
  const { EmbeddedEc2Backend } = await import('../../translators/embedded/ec2/index.js');
  const { testGateway, TestClock } = await import('../helpers/context.js');
  const gw = await testGateway({ clock: new TestClock() });
  t.teardown(() => gw.dispose());
  const { def } = buildEc2Service(gw, (g, sink) => {
    const b = new EmbeddedEc2Backend(g, sink);
    b.launch = async () => {
      throw new Error('hypervisor unreachable');
    };
    b.terminate = async () => {
      throw new Error('hypervisor unreachable');
    };
    return b;
  });
  gw.services.set('ec2', def);
  const p = await gw.account();
  const call = (op: string, input: Record<string, unknown>) => def.operations[op]!(gw.context(p, 'ec2', op), input);
  const img = await call('DescribeImages', { Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] });
  const r = await call('RunInstances', { ImageId: img.Images[0].ImageId, MinCount: 1, MaxCount: 1 });
  const i = r.Instances[0];
  t.equal(i.State.Name, 'terminated');
  t.equal(i.StateReason.Code, 'Server.InternalError');
  const subnets = await call('DescribeSubnets', {});
  t.same(subnets.Subnets.map((s: { AvailableIpAddressCount: number }) => s.AvailableIpAddressCount), [4091, 4091, 4091], 'the private address went back');
  const vols = await call('DescribeVolumes', {});
  t.ok(vols.Volumes.every((v: { State: string }) => v.State === 'deleting'), 'the root volume is being deleted');
});
