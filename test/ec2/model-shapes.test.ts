// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Every output the handlers return in a broad scenario is checked against the EC2 model: no member
 * the model does not know (the codec would drop it silently), and the right JS type for each
 * scalar (Date for timestamps, numbers, booleans, strings).
 */
import t from 'tap';
import { EC2_MODEL } from '../../apis/ec2/index.js';
import { loadModel, type Shape } from '../../src/protocols/model.js';
import { ec2Fixture, imageId } from './helpers.js';

function check(shape: Shape, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  switch (shape.type) {
    case 'structure':
      if (typeof value !== 'object' || Array.isArray(value)) return void out.push(`${path}: expected a structure`);
      for (const [k, v] of Object.entries(value)) {
        if (k === '$status' || k === '$headers') continue;
        const m = shape.members?.[k];
        if (!m) out.push(`${path}.${k}: not in the model`);
        else check(m, v, `${path}.${k}`, out);
      }
      return;
    case 'list':
      if (!Array.isArray(value)) return void out.push(`${path}: expected a list`);
      value.forEach((v, n) => check(shape.member!, v, `${path}[${n}]`, out));
      return;
    case 'timestamp':
      if (!(value instanceof Date)) out.push(`${path}: expected a Date`);
      return;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      if (typeof value !== 'number') out.push(`${path}: expected a number`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${path}: expected a boolean`);
      return;
    case 'string':
      if (typeof value !== 'string') out.push(`${path}: expected a string`);
      return;
    default:
      return;
  }
}

t.test('handler outputs match the EC2 model', async (t) => {
  const f = await ec2Fixture(t);
  const model = loadModel(EC2_MODEL);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [op, h] of Object.entries(f.def.operations)) {
    f.def.operations[op] = async (ctx, input) => {
      const out = await h!(ctx, input);
      const opm = model.operations.get(op);
      if (!opm) problems.push(`${op}: no such operation in the model`);
      else if (!opm.output) {
        if (Object.keys(out as object).length) problems.push(`${op}: the model has no output, got ${JSON.stringify(out)}`);
      } else check(opm.output, out, op, problems);
      seen.add(op);
      return out;
    };
  }
  const ami = await imageId(f);
  await f.call('DescribeRegions');
  await f.call('DescribeAvailabilityZones');
  await f.call('DescribeAccountAttributes');
  await f.call('DescribeInstanceTypes', { InstanceTypes: ['t3.micro'] });
  await f.call('DescribeInstanceTypeOfferings', {});
  const kp = await f.call('CreateKeyPair', { KeyName: 'k', KeyType: 'ed25519' });
  await f.call('DescribeKeyPairs', { IncludePublicKey: true });
  const { Vpc } = await f.call('CreateVpc', { CidrBlock: '10.7.0.0/16' });
  await f.call('DescribeVpcs');
  await f.call('DescribeVpcAttribute', { VpcId: Vpc.VpcId, Attribute: 'enableDnsSupport' });
  const { Subnet } = await f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.7.1.0/24' });
  await f.call('DescribeSubnets');
  const { GroupId } = await f.call('CreateSecurityGroup', { GroupName: 'g', Description: 'g', VpcId: Vpc.VpcId });
  await f.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '1.0.0.0/8' }], UserIdGroupPairs: [{ GroupId }] }] });
  await f.call('DescribeSecurityGroups');
  await f.call('DescribeSecurityGroupRules', {});
  await f.call('RevokeSecurityGroupEgress', { GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '9.9.9.9/32' }] }] });
  const run = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, SubnetId: Subnet.SubnetId, SecurityGroupIds: [GroupId], KeyName: kp.KeyName, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] });
  const iid = run.Instances[0].InstanceId;
  f.advance(1000);
  await f.call('DescribeInstances');
  await f.call('DescribeInstanceStatus', { IncludeAllInstances: true });
  for (const a of ['instanceType', 'userData', 'blockDeviceMapping', 'groupSet', 'disableApiStop', 'kernel']) await f.call('DescribeInstanceAttribute', { InstanceId: iid, Attribute: a });
  await f.call('GetConsoleOutput', { InstanceId: iid });
  await f.call('DescribeInstanceCreditSpecifications', {});
  await f.call('DescribeNetworkInterfaces', {});
  await f.call('DescribeNetworkInterfaceAttribute', { NetworkInterfaceId: run.Instances[0].NetworkInterfaces[0].NetworkInterfaceId, Attribute: 'attachment' });
  const v = await f.call('CreateVolume', { AvailabilityZone: run.Instances[0].Placement.AvailabilityZone, Size: 1, VolumeType: 'gp3' });
  f.advance(300);
  await f.call('AttachVolume', { VolumeId: v.VolumeId, InstanceId: iid, Device: '/dev/sdf' });
  await f.call('DescribeVolumes');
  await f.call('ModifyVolume', { VolumeId: v.VolumeId, Size: 2 });
  await f.call('DescribeVolumesModifications', {});
  await f.call('DescribeVolumeAttribute', { VolumeId: v.VolumeId, Attribute: 'autoEnableIO' });
  const s = await f.call('CreateSnapshot', { VolumeId: v.VolumeId });
  await f.call('CreateSnapshots', { InstanceSpecification: { InstanceId: iid } });
  f.advance(500);
  await f.call('DescribeSnapshots', {});
  await f.call('CopySnapshot', { SourceRegion: 'us-east-1', SourceSnapshotId: s.SnapshotId });
  await f.call('DetachVolume', { VolumeId: v.VolumeId });
  const img = await f.call('CreateImage', { InstanceId: iid, Name: 'img', NoReboot: true });
  f.advance(500);
  await f.call('DescribeImages', { Owners: ['self', 'amazon'] });
  await f.call('DescribeImageAttribute', { ImageId: img.ImageId, Attribute: 'launchPermission' });
  await f.call('DescribeImageAttribute', { ImageId: img.ImageId, Attribute: 'blockDeviceMapping' });
  await f.call('CreateTags', { Resources: [iid], Tags: [{ Key: 'x', Value: 'y' }] });
  await f.call('DescribeTags', {});
  const eip = await f.call('AllocateAddress', {});
  await f.call('AssociateAddress', { AllocationId: eip.AllocationId, InstanceId: iid });
  await f.call('DescribeAddresses', {});
  await f.call('DescribeAddressesAttribute', { Attribute: 'domain-name' });
  const igw = await f.call('CreateInternetGateway', {});
  await f.call('AttachInternetGateway', { InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: Vpc.VpcId });
  await f.call('DescribeInternetGateways', {});
  const rt = await f.call('CreateRouteTable', { VpcId: Vpc.VpcId });
  await f.call('CreateRoute', { RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.InternetGateway.InternetGatewayId });
  await f.call('AssociateRouteTable', { RouteTableId: rt.RouteTable.RouteTableId, SubnetId: Subnet.SubnetId });
  await f.call('DescribeRouteTables', {});
  await f.call('DeleteKeyPair', { KeyName: 'k' });
  await f.call('DeleteTags', { Resources: [iid], Tags: [{ Key: 'x' }] });
  await f.call('DeregisterImage', { ImageId: img.ImageId });
  await f.call('DeleteSecurityGroup', { GroupId: (await f.call('CreateSecurityGroup', { GroupName: 'tmp', Description: 'tmp' })).GroupId });
  await f.call('StopInstances', { InstanceIds: [iid] });
  f.advance(1000);
  await f.call('StartInstances', { InstanceIds: [iid] });
  await f.call('TerminateInstances', { InstanceIds: [iid] });
  t.same(problems, [], 'no output member outside the model, every scalar of the right type');
  t.ok(seen.size >= 55, `${seen.size} operations checked`);
});
