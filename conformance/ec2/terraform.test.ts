// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Terraform call sequences, replayed through the real server with the SDK v3 and the parameters
 * the Go provider sends (hashicorp/terraform-provider-aws, internal/service/ec2: create, read,
 * update, delete of aws_key_pair, aws_vpc, aws_subnet, aws_security_group (+ the default egress
 * revocation), aws_vpc_security_group_ingress_rule, aws_instance, aws_ebs_volume,
 * aws_volume_attachment, aws_eip, aws_ami_from_instance). Terraform itself cannot be installed
 * here: these replays check each call succeeds and that every attribute the provider's Read sets
 * is present in the answer.
 */
import t, { type Test } from 'tap';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachVolumeCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DeregisterImageCommand,
  DescribeAccountAttributesCommand,
  DescribeAddressesAttributeCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceCreditSpecificationsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachVolumeCommand,
  DisassociateAddressCommand,
  EC2Client,
  ImportKeyPairCommand,
  ModifyInstanceAttributeCommand,
  ModifySecurityGroupRulesCommand,
  ModifyVolumeCommand,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type VpcAttributeName,
} from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from './backend.js';

const FAST = { boot: 200, stop: 200, terminate: 200, reboot: 50, volume: 50, attach: 50, detach: 50, snapshot: 100, modify: 50 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The provider's StateRefreshFunc loop: call until `done`, or fail after ~10 s. */
async function until<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let n = 0; n < 100; n++) {
    const v = await fn();
    if (done(v)) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Fails unless every dotted path is present (not undefined) in `obj`. */
function present(t: Test, obj: unknown, paths: string[], what: string): void {
  const missing = paths.filter((p) => p.split('.').reduce<unknown>((o, k) => (o === undefined || o === null ? undefined : (o as Record<string, unknown>)[k]), obj) === undefined);
  t.same(missing, [], `${what}: every attribute the provider reads is present`);
}

const errName = (e: unknown) => (e as { name?: string }).name;
const tags = (rt: string, name: string) => [{ ResourceType: rt as never, Tags: [{ Key: 'Name', Value: name }] }];

t.test('Terraform call sequences', async (t) => {
  const be = await ec2Backend(t, FAST);
  const gw = await startTestGateway(t, { config: be.config });
  const ec2 = new EC2Client(gw.clientConfig);
  t.teardown(() => ec2.destroy());

  await t.test('provider start-up', async (t) => {
    const a = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['supported-platforms', 'default-vpc'] }));
    t.equal(a.AccountAttributes?.length, 2);
  });

  await t.test('aws_key_pair', async (t) => {
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl tf';
    const c = await ec2.send(new ImportKeyPairCommand({ KeyName: 'tf-key', PublicKeyMaterial: Buffer.from(pub), TagSpecifications: tags('key-pair', 'tf-key') }));
    const r = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['tf-key'], IncludePublicKey: true }));
    present(t, r.KeyPairs?.[0], ['KeyFingerprint', 'KeyName', 'KeyPairId', 'KeyType', 'Tags', 'PublicKey', 'CreateTime'], 'key pair');
    t.equal(r.KeyPairs?.[0].KeyPairId, c.KeyPairId);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'tf-key' }));
    t.equal(errName(await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['tf-key'] })).catch((e) => e)), 'InvalidKeyPair.NotFound');
  });

  let vpcId = '';
  let subnetId = '';
  let sgId = '';
  let instanceId = '';

  await t.test('aws_vpc create/read/update', async (t) => {
    const c = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16', InstanceTenancy: 'default', TagSpecifications: tags('vpc', 'tf') }));
    vpcId = c.Vpc!.VpcId!;
    await until('vpc available', () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })), (r) => r.Vpcs?.[0].State === 'available');
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const r = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    present(t, r.Vpcs?.[0], ['CidrBlock', 'DhcpOptionsId', 'InstanceTenancy', 'OwnerId', 'IsDefault', 'Tags', 'CidrBlockAssociationSet'], 'vpc');
    for (const a of ['enableDnsHostnames', 'enableDnsSupport', 'enableNetworkAddressUsageMetrics'] as VpcAttributeName[]) {
      const v = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: a }));
      t.type(Object.values(v).find((x) => typeof x === 'object' && x && 'Value' in x), 'object', `attribute ${a}`);
    }
    const main = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.main', Values: ['true'] }, { Name: 'vpc-id', Values: [vpcId] }] }));
    t.equal(main.RouteTables?.length, 1, 'main route table');
    const nacl = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'default', Values: ['true'] }, { Name: 'vpc-id', Values: [vpcId] }] }));
    t.match(nacl.NetworkAcls?.[0].NetworkAclId, /^acl-[0-9a-f]{17}$/, 'default network ACL');
    const sg = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }, { Name: 'vpc-id', Values: [vpcId] }] }));
    t.equal(sg.SecurityGroups?.length, 1, 'default security group');
  });

  await t.test('aws_subnet', async (t) => {
    const c = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24', AvailabilityZone: `${gw.region}a`, TagSpecifications: tags('subnet', 'tf') }));
    subnetId = c.Subnet!.SubnetId!;
    const r = await until('subnet available', () => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })), (x) => x.Subnets?.[0].State === 'available');
    present(t, r.Subnets?.[0], ['AvailabilityZone', 'AvailabilityZoneId', 'CidrBlock', 'MapPublicIpOnLaunch', 'MapCustomerOwnedIpOnLaunch', 'AssignIpv6AddressOnCreation', 'SubnetArn', 'OwnerId', 'EnableDns64', 'Ipv6Native', 'PrivateDnsNameOptionsOnLaunch.HostnameType', 'VpcId', 'Tags'], 'subnet');
    t.equal(r.Subnets?.[0].MapPublicIpOnLaunch, false, 'no default attribute is true (the provider would modify and wait)');
  });

  await t.test('aws_security_group + aws_vpc_security_group_ingress_rule', async (t) => {
    const c = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'tf-sg', Description: 'Managed by Terraform', VpcId: vpcId, TagSpecifications: tags('security-group', 'tf-sg') }));
    sgId = c.GroupId!;
    await until('group visible', () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })), (r) => (r.SecurityGroups?.length ?? 0) === 1);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sgId, IpPermissions: [{ FromPort: 0, ToPort: 0, IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const v6 = await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sgId, IpPermissions: [{ FromPort: 0, ToPort: 0, IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] })).catch((e) => e);
    t.equal(errName(v6), 'InvalidPermission.NotFound', 'IPv6 default egress absent: tolerated by the provider');
    const r = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] }));
    present(t, r.SecurityGroups?.[0], ['GroupId', 'GroupName', 'Description', 'OwnerId', 'VpcId', 'IpPermissions', 'IpPermissionsEgress', 'Tags'], 'security group');
    t.same(r.SecurityGroups?.[0].IpPermissionsEgress, []);

    const rule = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sgId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }] }],
        TagSpecifications: tags('security-group-rule', 'ssh'),
      }),
    );
    const ruleId = rule.SecurityGroupRules![0].SecurityGroupRuleId!;
    const rr = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }));
    present(t, rr.SecurityGroupRules?.[0], ['SecurityGroupRuleId', 'GroupId', 'IsEgress', 'IpProtocol', 'FromPort', 'ToPort', 'CidrIpv4', 'Description', 'Tags'], 'rule');
    await ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: sgId, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 2222, ToPort: 2222, CidrIpv4: '10.0.0.0/8', Description: 'ssh alt' } }] }));
    t.equal((await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }))).SecurityGroupRules?.[0].FromPort, 2222);
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: sgId, SecurityGroupRuleIds: [ruleId] }));
  });

  await t.test('aws_instance create/read/update', async (t) => {
    const img = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }));
    const ami = img.Images![0].ImageId!;
    const c = await ec2.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        ClientToken: `terraform-${randomUUID()}`.slice(0, 64),
        SubnetId: subnetId,
        SecurityGroupIds: [sgId],
        Placement: { AvailabilityZone: '' },
        EbsOptimized: false,
        DisableApiTermination: false,
        InstanceInitiatedShutdownBehavior: 'stop',
        Monitoring: { Enabled: false },
        CreditSpecification: { CpuCredits: 'standard' },
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
        UserData: Buffer.from('#cloud-config\n').toString('base64'),
        TagSpecifications: [...tags('instance', 'tf'), ...tags('volume', 'tf-root')],
      }),
    );
    instanceId = c.Instances![0].InstanceId!;
    await until('instance running', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), (r) => r.Reservations?.[0].Instances?.[0].State?.Name === 'running');
    const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = r.Reservations![0].Instances![0];
    present(t, inst, [
      'InstanceId', 'ImageId', 'InstanceType', 'Placement.AvailabilityZone', 'Placement.Tenancy', 'PrivateIpAddress', 'PrivateDnsName', 'SubnetId', 'VpcId',
      'SecurityGroups', 'RootDeviceName', 'RootDeviceType', 'BlockDeviceMappings', 'NetworkInterfaces.0.Attachment.AttachmentId', 'NetworkInterfaces.0.NetworkInterfaceId',
      'NetworkInterfaces.0.SourceDestCheck', 'SourceDestCheck', 'EbsOptimized', 'Monitoring.State', 'MetadataOptions.HttpTokens', 'CpuOptions.CoreCount',
      'HibernationOptions.Configured', 'EnclaveOptions.Enabled', 'MaintenanceOptions.AutoRecovery', 'PrivateDnsNameOptions.HostnameType', 'CapacityReservationSpecification', 'Tags', 'State.Name',
    ], 'instance');
    t.equal(inst.MetadataOptions?.HttpTokens, 'required');
    const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro'] }));
    t.equal(types.InstanceTypes?.[0].BurstablePerformanceSupported, true);
    const lt = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }, { Name: 'key', Values: ['aws:ec2launchtemplate:id'] }] }));
    t.same(lt.Tags, []);
    await ec2.send(new DescribeVpcsCommand({ VpcIds: [inst.VpcId!] }));
    for (const a of ['instanceInitiatedShutdownBehavior', 'disableApiStop', 'disableApiTermination', 'userData'] as const) {
      const v = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: a }));
      t.ok(Object.keys(v).some((k) => k !== 'InstanceId' && k !== '$metadata'), `attribute ${a} element present`);
    }
    const root = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [inst.BlockDeviceMappings![0].Ebs!.VolumeId!] }));
    present(t, root.Volumes?.[0], ['Size', 'VolumeType', 'Iops', 'Encrypted', 'Attachments.0.DeleteOnTermination', 'Tags'], 'root volume');
    const credits = await ec2.send(new DescribeInstanceCreditSpecificationsCommand({ InstanceIds: [instanceId] }));
    t.equal(credits.InstanceCreditSpecifications?.[0].CpuCredits, 'standard');

    // instance_type change: stop, modify, start
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await until('instance stopped', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), (x) => x.Reservations?.[0].Instances?.[0].State?.Name === 'stopped');
    await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro', 't3.small'] }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, InstanceType: { Value: 't3.small' } }));
    await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    const up = await until('instance running again', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), (x) => x.Reservations?.[0].Instances?.[0].State?.Name === 'running');
    t.equal(up.Reservations?.[0].Instances?.[0].InstanceType, 't3.small');
  });

  await t.test('aws_ebs_volume + aws_volume_attachment', async (t) => {
    const c = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, ClientToken: randomUUID(), Size: 2, VolumeType: 'gp3', Encrypted: false, MultiAttachEnabled: false, TagSpecifications: tags('volume', 'tf-data') }));
    const volumeId = c.VolumeId!;
    const r = await until('volume available', () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })), (x) => x.Volumes?.[0].State === 'available');
    present(t, r.Volumes?.[0], ['AvailabilityZone', 'CreateTime', 'Encrypted', 'Iops', 'MultiAttachEnabled', 'Size', 'SnapshotId', 'Throughput', 'VolumeType', 'Tags'], 'volume');

    const attachFilter = { VolumeIds: [volumeId], Filters: [{ Name: 'attachment.device', Values: ['/dev/sdh'] }, { Name: 'attachment.instance-id', Values: [instanceId] }] };
    t.same((await ec2.send(new DescribeVolumesCommand(attachFilter))).Volumes, [], 'no attachment yet');
    await ec2.send(new AttachVolumeCommand({ Device: '/dev/sdh', InstanceId: instanceId, VolumeId: volumeId }));
    const att = await until('attached', () => ec2.send(new DescribeVolumesCommand(attachFilter)), (x) => x.Volumes?.[0]?.Attachments?.[0]?.State === 'attached');
    t.equal(att.Volumes?.[0].Attachments?.[0].Device, '/dev/sdh', 'device echoed as requested');

    await ec2.send(new ModifyVolumeCommand({ VolumeId: volumeId, Size: 4 }));
    await until('modification done', () => ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [volumeId] })), (x) => x.VolumesModifications?.[0].ModificationState === 'completed');
    t.equal((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0].Size, 4);

    await ec2.send(new DetachVolumeCommand({ Device: '/dev/sdh', Force: false, InstanceId: instanceId, VolumeId: volumeId }));
    const right = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    t.not(right.Volumes?.[0].Attachments?.[0]?.State, 'attached');
    await until('detached', () => ec2.send(new DescribeVolumesCommand(attachFilter)), (x) => (x.Volumes ?? []).length === 0);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    const gone = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })).catch((e) => e);
    t.ok(errName(gone) === 'InvalidVolume.NotFound' || ['deleting', 'deleted'].includes(gone.Volumes?.[0].State), 'deleting, deleted or gone right after DeleteVolume');
    await until('volume gone', () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })).catch((e) => e), (x) => errName(x) === 'InvalidVolume.NotFound');
  });

  await t.test('aws_eip', async (t) => {
    const a = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tags('elastic-ip', 'tf') }));
    const r = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }));
    present(t, r.Addresses?.[0], ['AllocationId', 'Domain', 'PublicIp', 'PublicIpv4Pool', 'NetworkBorderGroup', 'Tags'], 'eip');
    t.match(a.AllocationId, /^eipalloc-/);
    const assoc = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: instanceId }));
    const ra = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }));
    present(t, ra.Addresses?.[0], ['AssociationId', 'InstanceId', 'NetworkInterfaceId', 'NetworkInterfaceOwnerId', 'PrivateIpAddress'], 'associated eip');
    await ec2.send(new DescribeAddressesAttributeCommand({ AllocationIds: [a.AllocationId!], Attribute: 'domain-name' }));
    await ec2.send(new DisassociateAddressCommand({ AssociationId: assoc.AssociationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  await t.test('aws_ami_from_instance', { skip: be.caps.rootSnapshots ? false : be.caps.why }, async (t) => {
    const c = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'tf-ami', Description: 'from terraform', NoReboot: true, TagSpecifications: tags('image', 'tf-ami') }));
    const r = await until('image available', () => ec2.send(new DescribeImagesCommand({ ImageIds: [c.ImageId!] })), (x) => x.Images?.[0].State === 'available');
    const img = r.Images![0];
    present(t, img, ['Architecture', 'BlockDeviceMappings.0.Ebs.SnapshotId', 'BlockDeviceMappings.0.Ebs.VolumeSize', 'CreationDate', 'EnaSupport', 'Hypervisor', 'ImageLocation', 'ImageType', 'Name', 'OwnerId', 'PlatformDetails', 'Public', 'RootDeviceName', 'RootDeviceType', 'SriovNetSupport', 'State', 'UsageOperation', 'VirtualizationType', 'Tags'], 'image');
    await ec2.send(new DeregisterImageCommand({ ImageId: c.ImageId }));
    await until('image gone', () => ec2.send(new DescribeImagesCommand({ ImageIds: [c.ImageId!] })).catch((e) => e), (x) => errName(x) === 'InvalidAMIID.NotFound');
    for (const b of img.BlockDeviceMappings ?? []) if (b.Ebs?.SnapshotId) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: b.Ebs.SnapshotId }));
  });

  await t.test('destroy: aws_instance, aws_security_group, aws_subnet, aws_vpc', async (t) => {
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await until('instance terminated', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })), (x) => x.Reservations?.[0].Instances?.[0].State?.Name === 'terminated');
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [sgId] }] }));
    t.same(enis.NetworkInterfaces, []);
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sgId }));
    t.equal(errName(await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })).catch((e) => e)), 'InvalidGroup.NotFound');
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    t.equal(errName(await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).catch((e) => e)), 'InvalidSubnetID.NotFound');
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    t.equal(errName(await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })).catch((e) => e)), 'InvalidVpcID.NotFound');
  });
});
