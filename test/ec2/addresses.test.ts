// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ec2Fixture, imageId } from './helpers.js';

t.test('Elastic IPs: allocate from the pool, associate, disassociate, release; one owner per address', async (t) => {
  const f = await ec2Fixture(t);
  const other = await f.gw.account('other');
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 2, MaxCount: 2 });
  const [i1, i2] = Instances.map((i: { InstanceId: string }) => i.InstanceId);
  const a = await f.call('AllocateAddress', { Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: 'ip' }] }] });
  t.match(a.AllocationId, /^eipalloc-[0-9a-f]{17}$/);
  t.equal(a.PublicIp, '198.51.100.1');
  t.equal(a.Domain, 'vpc');
  const b = await f.call('AllocateAddress', {}, other);
  t.equal(b.PublicIp, '198.51.100.2', 'addresses are unique across accounts');
  await t.rejects(f.call('AllocateAddress', { Address: '198.51.100.2' }), { code: 'InvalidAddress.InUse' });
  await t.rejects(f.call('AssociateAddress', { AllocationId: b.AllocationId, InstanceId: i1 }), { code: 'InvalidAllocationID.NotFound' }, 'not ours');

  const { AssociationId } = await f.call('AssociateAddress', { AllocationId: a.AllocationId, InstanceId: i1 });
  t.match(AssociationId, /^eipassoc-/);
  let d = await f.call('DescribeInstances', { Filters: [{ Name: 'ip-address', Values: [a.PublicIp] }] });
  t.equal(d.Reservations[0].Instances[0].InstanceId, i1);
  t.equal(d.Reservations[0].Instances[0].PublicIpAddress, a.PublicIp);
  t.equal(d.Reservations[0].Instances[0].NetworkInterfaces[0].Association.PublicIp, a.PublicIp);
  await t.rejects(f.call('AssociateAddress', { AllocationId: a.AllocationId, InstanceId: i2, AllowReassociation: false }), { code: 'Resource.AlreadyAssociated' });
  await t.rejects(f.call('ReleaseAddress', { AllocationId: a.AllocationId }), { code: 'InvalidIPAddress.InUse' });
  await f.call('AssociateAddress', { AllocationId: a.AllocationId, InstanceId: i2 });
  d = await f.call('DescribeInstances', { InstanceIds: [i1] });
  t.equal(d.Reservations[0].Instances[0].PublicIpAddress, undefined, 'moved away from the first instance');
  const addrs = await f.call('DescribeAddresses', { Filters: [{ Name: 'instance-id', Values: [i2] }] });
  t.equal(addrs.Addresses[0].AllocationId, a.AllocationId);
  t.same(addrs.Addresses[0].Tags, [{ Key: 'Name', Value: 'ip' }]);
  t.same((await f.call('DescribeAddressesAttribute', { AllocationIds: [a.AllocationId], Attribute: 'domain-name' })).Addresses, [{ PublicIp: a.PublicIp, AllocationId: a.AllocationId }]);

  await f.call('TerminateInstances', { InstanceIds: [i2] });
  f.advance(1000);
  const after = await f.call('DescribeAddresses', { AllocationIds: [a.AllocationId] });
  t.equal(after.Addresses[0].AssociationId, undefined, 'termination disassociates');
  await f.call('AssociateAddress', { AllocationId: a.AllocationId, InstanceId: i1 });
  const assoc = (await f.call('DescribeAddresses', {})).Addresses[0].AssociationId;
  await f.call('DisassociateAddress', { AssociationId: assoc });
  await t.rejects(f.call('DisassociateAddress', { AssociationId: assoc }), { code: 'InvalidAssociationID.NotFound' });
  t.same(await f.call('ReleaseAddress', { AllocationId: a.AllocationId }), {});
  await t.rejects(f.call('DescribeAddresses', { AllocationIds: [a.AllocationId] }), { code: 'InvalidAllocationID.NotFound' });
  const again = await f.call('AllocateAddress', {});
  t.equal(again.PublicIp, '198.51.100.1', 'a released address goes back to the pool');
  for (let n = 0; n < 4; n++) await f.call('AllocateAddress', {});
  await t.rejects(f.call('AllocateAddress', {}), { code: 'AddressLimitExceeded' });
});
