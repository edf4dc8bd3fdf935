// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ec2Fixture } from './helpers.js';

t.test('internet gateways and route tables', async (t) => {
  const f = await ec2Fixture(t);
  const { Vpc } = await f.call('CreateVpc', { CidrBlock: '10.20.0.0/16' });
  const main = await f.call('DescribeRouteTables', { Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }, { Name: 'association.main', Values: ['true'] }] });
  t.equal(main.RouteTables.length, 1, 'every VPC has a main route table');
  t.same(main.RouteTables[0].Routes, [{ DestinationCidrBlock: '10.20.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }]);
  const { InternetGateway } = await f.call('CreateInternetGateway', { TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: [{ Key: 'Name', Value: 'gw' }] }] });
  const igw = InternetGateway.InternetGatewayId;
  t.match(igw, /^igw-[0-9a-f]{17}$/);
  const { RouteTable } = await f.call('CreateRouteTable', { VpcId: Vpc.VpcId });
  const rtb = RouteTable.RouteTableId;
  await t.rejects(f.call('CreateRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }), { code: 'InvalidParameterValue' }, 'not attached to this VPC');
  await f.call('AttachInternetGateway', { InternetGatewayId: igw, VpcId: Vpc.VpcId });
  await t.rejects(f.call('AttachInternetGateway', { InternetGatewayId: igw, VpcId: Vpc.VpcId }), { code: 'Resource.AlreadyAssociated' });
  t.same((await f.call('DescribeInternetGateways', { Filters: [{ Name: 'attachment.vpc-id', Values: [Vpc.VpcId] }] })).InternetGateways[0].Attachments, [{ State: 'available', VpcId: Vpc.VpcId }]);
  t.same(await f.call('CreateRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }), { Return: true });
  await t.rejects(f.call('CreateRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }), { code: 'RouteAlreadyExists' });
  await t.rejects(f.call('DeleteRoute', { RouteTableId: rtb, DestinationCidrBlock: '10.20.0.0/16' }), { code: 'InvalidParameterValue' }, 'local route stays');
  const { Subnet } = await f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.20.1.0/24' });
  const { AssociationId } = await f.call('AssociateRouteTable', { RouteTableId: rtb, SubnetId: Subnet.SubnetId });
  t.match(AssociationId, /^rtbassoc-/);
  await t.rejects(f.call('AssociateRouteTable', { RouteTableId: rtb, SubnetId: Subnet.SubnetId }), { code: 'Resource.AlreadyAssociated' });
  await t.rejects(f.call('DeleteRouteTable', { RouteTableId: rtb }), { code: 'DependencyViolation' });
  await t.rejects(f.call('DeleteInternetGateway', { InternetGatewayId: igw }), { code: 'DependencyViolation' });
  const byGw = await f.call('DescribeRouteTables', { Filters: [{ Name: 'route.gateway-id', Values: [igw] }] });
  t.same(byGw.RouteTables.map((r: { RouteTableId: string }) => r.RouteTableId), [rtb]);
  await f.call('DetachInternetGateway', { InternetGatewayId: igw, VpcId: Vpc.VpcId });
  const bh = await f.call('DescribeRouteTables', { RouteTableIds: [rtb] });
  t.equal(bh.RouteTables[0].Routes[1].State, 'blackhole', 'routes to a detached gateway turn blackhole');
  await f.call('DisassociateRouteTable', { AssociationId });
  await f.call('DeleteRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' });
  await f.call('DeleteRouteTable', { RouteTableId: rtb });
  await f.call('DeleteInternetGateway', { InternetGatewayId: igw });
  await f.call('DeleteSubnet', { SubnetId: Subnet.SubnetId });
  await f.call('DeleteVpc', { VpcId: Vpc.VpcId });
  t.same((await f.call('DescribeRouteTables', { Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] })).RouteTables, [], 'the main table went with its VPC');
});

t.test('default network ACL per VPC', async (t) => {
  const f = await ec2Fixture(t);
  const { Vpc } = await f.call('CreateVpc', { CidrBlock: '10.30.0.0/16' });
  const { Subnet } = await f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.30.1.0/24' });
  const d = await f.call('DescribeNetworkAcls', { Filters: [{ Name: 'default', Values: ['true'] }, { Name: 'vpc-id', Values: [Vpc.VpcId] }] });
  t.equal(d.NetworkAcls.length, 1);
  const acl = d.NetworkAcls[0];
  t.match(acl.NetworkAclId, /^acl-[0-9a-f]{17}$/);
  t.same(acl.Associations.map((a: { SubnetId: string }) => a.SubnetId), [Subnet.SubnetId]);
  t.same(acl.Entries.filter((e: { Egress: boolean }) => !e.Egress).map((e: { RuleNumber: number; RuleAction: string }) => [e.RuleNumber, e.RuleAction]), [[100, 'allow'], [32767, 'deny']]);
  const again = await f.call('DescribeNetworkAcls', { NetworkAclIds: [acl.NetworkAclId] });
  t.equal(again.NetworkAcls[0].VpcId, Vpc.VpcId, 'the id is stable');
  await t.rejects(f.call('DescribeNetworkAcls', { NetworkAclIds: ['acl-0123456789abcdef0'] }), { code: 'InvalidNetworkAclID.NotFound' });
});
