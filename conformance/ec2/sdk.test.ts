// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2/EBS through the real @aws-sdk/client-ec2 (EC2 query protocol, SigV4) against a gateway on a
 * free port with the embedded backend: lifecycles seen through the SDK's own waiters, filters,
 * pagination, errors as the SDK parses them.
 */
import t, { type Test } from 'tap';
import {
  AttachVolumeCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteVolumeCommand,
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  ImportKeyPairCommand,
  paginateDescribeInstances,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
  waitUntilVolumeInUse,
} from '@aws-sdk/client-ec2';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from './backend.js';

const FAST = { boot: 300, stop: 300, terminate: 300, reboot: 100, volume: 100, attach: 100, detach: 100, snapshot: 200, modify: 100 };
const wait = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };

async function gateway(t: Test) {
  const be = await ec2Backend(t, FAST);
  const gw = await startTestGateway(t, { config: be.config });
  const ec2 = new EC2Client(gw.clientConfig);
  t.teardown(() => ec2.destroy());
  return { gw, ec2, caps: be.caps };
}

t.test('regions, zones, account attributes, instance types, images', async (t) => {
  const { gw, ec2 } = await gateway(t);
  const regions = await ec2.send(new DescribeRegionsCommand({}));
  t.same(regions.Regions?.map((r) => r.RegionName), [gw.region]);
  const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  t.same(zones.AvailabilityZones?.map((z) => z.ZoneName), [`${gw.region}a`, `${gw.region}b`, `${gw.region}c`]);
  t.equal(zones.AvailabilityZones?.[0].State, 'available');
  const attrs = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
  t.match(attrs.AccountAttributes?.[0].AttributeValues?.[0].AttributeValue, /^vpc-[0-9a-f]{17}$/);
  const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro', 'm5.large'] }));
  const micro = types.InstanceTypes?.find((x) => x.InstanceType === 't3.micro');
  t.equal(micro?.VCpuInfo?.DefaultVCpus, 2);
  t.equal(micro?.MemoryInfo?.SizeInMiB, 1024);
  t.equal(micro?.BurstablePerformanceSupported, true);
  t.same(micro?.ProcessorInfo?.SupportedArchitectures, ['x86_64']);
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }));
  t.equal(images.Images?.length, 1);
  t.equal(images.Images?.[0].RootDeviceName, '/dev/xvda');
});

t.test('instance lifecycle through the SDK waiters', async (t) => {
  const { ec2 } = await gateway(t);
  const img = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }));
  const ami = img.Images![0].ImageId!;
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: ami,
      InstanceType: 't3.micro',
      MinCount: 3,
      MaxCount: 3,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'conf' }] }],
    }),
  );
  const ids = run.Instances!.map((i) => i.InstanceId!);
  t.equal(ids.length, 3);
  t.equal(run.Instances![0].State?.Name, 'pending');
  t.ok(run.Instances![0].LaunchTime instanceof Date);
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: ids });

  const found: string[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, { Filters: [{ Name: 'tag:Name', Values: ['conf'] }] })) {
    for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) found.push(i.InstanceId!);
  }
  t.same(found.sort(), [...ids].sort());

  const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: ids[0], Attribute: 'disableApiTermination' }));
  t.equal(attr.DisableApiTermination?.Value, false);

  const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0]] }));
  t.same(stop.StoppingInstances?.[0].PreviousState, { Code: 16, Name: 'running' });
  await waitUntilInstanceStopped({ client: ec2, ...wait }, { InstanceIds: [ids[0]] });
  await ec2.send(new StartInstancesCommand({ InstanceIds: [ids[0]] }));
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [ids[0]] });

  const err = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })).catch((e) => e);
  t.equal(err.name, 'InvalidInstanceID.NotFound');
  t.equal(err.message, "The instance ID 'i-0123456789abcdef0' does not exist");
  t.equal(err.$metadata.httpStatusCode, 400);
  const dry = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids, DryRun: true })).catch((e) => e);
  t.equal(dry.name, 'DryRunOperation');
  t.equal(dry.$metadata.httpStatusCode, 412);

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: ids });
});

t.test('key pairs, security groups and rules, tags', async (t) => {
  const { ec2, gw } = await gateway(t);
  const kp = await ec2.send(new CreateKeyPairCommand({ KeyName: 'conf-rsa' }));
  t.match(kp.KeyMaterial, /^-----BEGIN RSA PRIVATE KEY-----/);
  t.match(kp.KeyFingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  const ed = await ec2.send(new CreateKeyPairCommand({ KeyName: 'conf-ed', KeyType: 'ed25519' }));
  t.match(ed.KeyMaterial, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  const imp = await ec2.send(new ImportKeyPairCommand({ KeyName: 'conf-imp', PublicKeyMaterial: Buffer.from(ed.KeyMaterial ? 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test' : '') }));
  t.equal(imp.KeyFingerprint?.length, 44);
  const dup = await ec2.send(new CreateKeyPairCommand({ KeyName: 'conf-rsa' })).catch((e) => e);
  t.equal(dup.name, 'InvalidKeyPair.Duplicate');
  const kps = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['conf-imp'] }));
  t.equal(kps.KeyPairs?.[0].KeyType, 'ed25519');
  t.match(kps.KeyPairs?.[0].KeyPairId, /^key-[0-9a-f]{17}$/);
  await ec2.send(new DeleteKeyPairCommand({ KeyName: 'conf-imp' }));
  const gone = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['conf-imp'] })).catch((e) => e);
  t.equal(gone.name, 'InvalidKeyPair.NotFound');

  const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'conf-web', Description: 'web servers' }));
  const groupId = sg.GroupId!;
  // what Terraform does right after creating a group
  await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
  const auth = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    }),
  );
  t.equal(auth.SecurityGroupRules?.length, 2);
  t.match(auth.SecurityGroupRules?.[0].SecurityGroupRuleId, /^sgr-[0-9a-f]{17}$/);
  const again = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })).catch((e) => e);
  t.equal(again.name, 'InvalidPermission.Duplicate');
  const d = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  const g = d.SecurityGroups![0];
  t.same(g.IpPermissionsEgress, []);
  t.equal(g.IpPermissions?.[0].FromPort, 22);
  t.same(g.IpPermissions?.[0].IpRanges, [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }]);
  t.same(g.IpPermissions?.[0].Ipv6Ranges, [{ CidrIpv6: '::/0' }]);
  t.equal(g.OwnerId, gw.accountId);
  const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  t.equal(rules.SecurityGroupRules?.length, 2);

  await ec2.send(new CreateTagsCommand({ Resources: [groupId, kp.KeyPairId!], Tags: [{ Key: 'team', Value: 'infra' }] }));
  const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['team'] }] }));
  t.same(tags.Tags?.map((x) => x.ResourceType).sort(), ['key-pair', 'security-group']);
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  const missing = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })).catch((e) => e);
  t.equal(missing.name, 'InvalidGroup.NotFound');
});

t.test('volumes: create, attach, detach, snapshot, delete', async (t) => {
  const { ec2, gw, caps } = await gateway(t);
  const img = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }));
  const run = await ec2.send(new RunInstancesCommand({ ImageId: img.Images![0].ImageId, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: `${gw.region}b` } }));
  const instanceId = run.Instances![0].InstanceId!;
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}b`, Size: 2, VolumeType: 'gp3', TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'data' }] }] }));
  t.equal(vol.State, 'creating');
  t.equal(vol.Iops, 3000);
  t.equal(vol.Throughput, 125);
  t.ok(vol.CreateTime instanceof Date);
  const volumeId = vol.VolumeId!;
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [volumeId] });
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [instanceId] });
  const att = await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdh' }));
  t.equal(att.State, 'attaching');
  t.equal(att.Device, '/dev/sdh');
  await waitUntilVolumeInUse({ client: ec2, ...wait }, { VolumeIds: [volumeId] });
  const busy = await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })).catch((e) => e);
  t.equal(busy.name, 'VolumeInUse');
  // the volume is in-use from 'attaching' on (as on EC2); the attachment itself turns 'attached' a moment later
  let state: string | undefined;
  for (let n = 0; n < 50 && state !== 'attached'; n++) {
    const byAttachment = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }, { Name: 'attachment.device', Values: ['/dev/sdh'] }] }),
    );
    state = byAttachment.Volumes?.[0].Attachments?.[0].State;
    if (state !== 'attached') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(state, 'attached');
  await t.test('snapshot of the attached volume', { skip: caps.volumeSnapshots ? false : caps.why }, async () => {
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'conf' }));
    await waitUntilSnapshotCompleted({ client: ec2, ...wait }, { SnapshotIds: [snap.SnapshotId!] });
  });
  const det = await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId }));
  t.equal(det.State, 'detaching');
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [volumeId] });
  await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  const after = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })).catch((e) => e);
  t.ok(after.name === 'InvalidVolume.NotFound' || after.Volumes?.[0].State === 'deleting', 'deleting or gone');
});
