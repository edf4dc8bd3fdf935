// SPDX-License-Identifier: AGPL-3.0-or-later
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ec2Fixture, imageId } from './helpers.js';

t.test('regions, zones, account attributes, instance types and offerings', async (t) => {
  const f = await ec2Fixture(t);
  t.same((await f.call('DescribeRegions', {})).Regions, [{ RegionName: 'us-east-1', Endpoint: 'ec2.us-east-1.amazonaws.com', OptInStatus: 'opt-in-not-required' }]);
  const z = await f.call('DescribeAvailabilityZones', { Filters: [{ Name: 'zone-name', Values: ['us-east-1b'] }] });
  t.same(z.AvailabilityZones.map((x: { ZoneName: string; ZoneId: string }) => [x.ZoneName, x.ZoneId]), [['us-east-1b', 'use1-az2']]);
  await t.rejects(f.call('DescribeAvailabilityZones', { ZoneNames: ['us-east-1q'] }), { code: 'InvalidParameterValue' });
  const a = await f.call('DescribeAccountAttributes', {});
  const byName = Object.fromEntries(a.AccountAttributes.map((x: { AttributeName: string; AttributeValues: Array<{ AttributeValue: string }> }) => [x.AttributeName, x.AttributeValues.map((v) => v.AttributeValue)]));
  t.same(byName['supported-platforms'], ['VPC']);
  t.match(byName['default-vpc'][0], /^vpc-/);
  const types = await f.call('DescribeInstanceTypes', { Filters: [{ Name: 'instance-type', Values: ['c5.*'] }] });
  t.same(types.InstanceTypes.map((x: { InstanceType: string }) => x.InstanceType), ['c5.2xlarge', 'c5.4xlarge', 'c5.9xlarge', 'c5.large', 'c5.xlarge']);
  await t.rejects(f.call('DescribeInstanceTypes', { InstanceTypes: ['q1.big'] }), { code: 'InvalidInstanceType' });
  const off = await f.call('DescribeInstanceTypeOfferings', { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['t3.micro'] }] });
  t.same(off.InstanceTypeOfferings.map((o: { Location: string }) => o.Location), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
});

t.test('default VPC: one default subnet per zone, a default security group, created once', async (t) => {
  const f = await ec2Fixture(t);
  const vpcs = await f.call('DescribeVpcs', { Filters: [{ Name: 'is-default', Values: ['true'] }] });
  t.same(vpcs.Vpcs, [], 'nothing before first use');
  await Promise.all([f.call('DescribeAccountAttributes', {}), f.call('DescribeSecurityGroups', {})]);
  const v = (await f.call('DescribeVpcs', {})).Vpcs;
  t.equal(v.length, 1, 'concurrent first uses create one default VPC');
  t.equal(v[0].CidrBlock, '172.31.0.0/16');
  t.equal(v[0].IsDefault, true);
  const subnets = (await f.call('DescribeSubnets', { Filters: [{ Name: 'default-for-az', Values: ['true'] }] })).Subnets;
  t.same(subnets.map((s: { CidrBlock: string }) => s.CidrBlock).sort(), ['172.31.0.0/20', '172.31.16.0/20', '172.31.32.0/20']);
  t.equal(subnets[0].AvailableIpAddressCount, 4091);
  const sgs = (await f.call('DescribeSecurityGroups', { GroupNames: ['default'] })).SecurityGroups;
  t.equal(sgs.length, 1);
  t.equal(sgs[0].VpcId, v[0].VpcId);
  const attr = await f.call('DescribeVpcAttribute', { VpcId: v[0].VpcId, Attribute: 'enableDnsHostnames' });
  t.same(attr.EnableDnsHostnames, { Value: true });
});

t.test('VPCs and subnets: ranges, conflicts, dependencies, attributes', async (t) => {
  const f = await ec2Fixture(t);
  await t.rejects(f.call('CreateVpc', { CidrBlock: '10.0.0.0/8' }), { code: 'InvalidVpc.Range' });
  await t.rejects(f.call('CreateVpc', { CidrBlock: 'ten' }), { code: 'InvalidParameterValue' });
  const { Vpc } = await f.call('CreateVpc', { CidrBlock: '10.9.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }] });
  t.match(Vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
  t.same(Vpc.Tags, [{ Key: 'Name', Value: 'main' }]);
  t.equal(Vpc.IsDefault, false);
  await t.rejects(f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.10.0.0/24' }), { code: 'InvalidSubnet.Range' });
  const { Subnet } = await f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1c' });
  t.equal(Subnet.AvailabilityZone, 'us-east-1c');
  t.equal(Subnet.MapPublicIpOnLaunch, false);
  t.equal(Subnet.AvailableIpAddressCount, 251);
  await t.rejects(f.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.9.1.128/25' }), { code: 'InvalidSubnet.Conflict' });
  await t.rejects(f.call('DeleteVpc', { VpcId: Vpc.VpcId }), { code: 'DependencyViolation' });
  await f.call('ModifyVpcAttribute', { VpcId: Vpc.VpcId, EnableDnsHostnames: { Value: true } });
  t.same((await f.call('DescribeVpcAttribute', { VpcId: Vpc.VpcId, Attribute: 'enableDnsHostnames' })).EnableDnsHostnames, { Value: true });
  await f.call('ModifySubnetAttribute', { SubnetId: Subnet.SubnetId, MapPublicIpOnLaunch: { Value: false } });

  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, SubnetId: Subnet.SubnetId });
  const eni = await f.call('DescribeNetworkInterfaces', { Filters: [{ Name: 'subnet-id', Values: [Subnet.SubnetId] }] });
  t.equal(eni.NetworkInterfaces[0].Attachment.InstanceId, Instances[0].InstanceId);
  t.equal(eni.NetworkInterfaces[0].PrivateIpAddress, '10.9.1.4', 'first address after the four AWS reserves');
  await t.rejects(f.call('DeleteSubnet', { SubnetId: Subnet.SubnetId }), { code: 'DependencyViolation' });
  await f.call('TerminateInstances', { InstanceIds: [Instances[0].InstanceId] });
  f.advance(1000);
  await f.call('DeleteSubnet', { SubnetId: Subnet.SubnetId });
  await f.call('DeleteVpc', { VpcId: Vpc.VpcId });
  await t.rejects(f.call('DescribeVpcs', { VpcIds: [Vpc.VpcId] }), { code: 'InvalidVpcID.NotFound', message: `The vpc ID '${Vpc.VpcId}' does not exist` });
});

t.test('security groups and rules', async (t) => {
  const f = await ec2Fixture(t);
  await t.rejects(f.call('CreateSecurityGroup', { GroupName: 'x' }), { code: 'MissingParameter' });
  await t.rejects(f.call('CreateSecurityGroup', { GroupName: 'sg-1', Description: 'd' }), { code: 'InvalidParameterValue' });
  const { GroupId } = await f.call('CreateSecurityGroup', { GroupName: 'app', Description: 'app tier' });
  const { GroupId: db } = await f.call('CreateSecurityGroup', { GroupName: 'db', Description: 'db tier' });
  await t.rejects(f.call('CreateSecurityGroup', { GroupName: 'app', Description: 'again' }), { code: 'InvalidGroup.Duplicate' });
  let g = (await f.call('DescribeSecurityGroups', { GroupIds: [GroupId] })).SecurityGroups[0];
  t.same(g.IpPermissionsEgress, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }], 'default egress rule');
  const auth = await f.call('AuthorizeSecurityGroupIngress', {
    GroupId,
    IpPermissions: [
      { IpProtocol: '6', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '192.168.0.0/16', Description: 'lan' }] },
      { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, UserIdGroupPairs: [{ GroupId: db }] },
    ],
    TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'r', Value: '1' }] }],
  });
  t.equal(auth.SecurityGroupRules.length, 3);
  t.equal(auth.SecurityGroupRules[0].IpProtocol, 'tcp');
  t.same(auth.SecurityGroupRules[0].Tags, [{ Key: 'r', Value: '1' }]);
  await t.rejects(f.call('AuthorizeSecurityGroupIngress', { GroupId, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }), {
    code: 'InvalidPermission.Duplicate',
    message: 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW" already exists',
  });
  await t.rejects(f.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, PrefixListIds: [{ PrefixListId: 'pl-1' }] }] }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 10, ToPort: 5, IpRanges: [{ CidrIp: '1.2.3.4/32' }] }] }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '1.2.3/32' }] }] }), { code: 'InvalidParameterValue' });
  g = (await f.call('DescribeSecurityGroups', { Filters: [{ Name: 'ip-permission.from-port', Values: ['443'] }] })).SecurityGroups;
  t.same(g.map((x: { GroupId: string }) => x.GroupId), [GroupId]);
  t.same(g[0].IpPermissions[0].IpRanges, [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '192.168.0.0/16', Description: 'lan' }]);
  t.same(g[0].IpPermissions[1].UserIdGroupPairs, [{ GroupId: db, UserId: f.principal.accountId }]);

  await t.rejects(f.call('DeleteSecurityGroup', { GroupId: db }), { code: 'DependencyViolation' }, 'referenced by app');
  const rules = (await f.call('DescribeSecurityGroupRules', { Filters: [{ Name: 'group-id', Values: [GroupId] }] })).SecurityGroupRules;
  t.equal(rules.length, 4);
  const lan = rules.find((r: { CidrIpv4?: string }) => r.CidrIpv4 === '192.168.0.0/16');
  await f.call('ModifySecurityGroupRules', { GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: lan.SecurityGroupRuleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, CidrIpv4: '192.168.0.0/16', Description: 'alt' } }] });
  const after = (await f.call('DescribeSecurityGroupRules', { SecurityGroupRuleIds: [lan.SecurityGroupRuleId] })).SecurityGroupRules[0];
  t.same([after.FromPort, after.Description], [8443, 'alt']);
  const rv = await f.call('RevokeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, UserIdGroupPairs: [{ GroupId: db }] }, { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '1.1.1.1/32' }] }] });
  t.equal(rv.Return, true);
  t.equal(rv.UnknownIpPermissions[0].IpProtocol, 'udp', 'unknown rules are reported, known ones revoked');
  await t.rejects(f.call('RevokeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '1.1.1.1/32' }] }] }), { code: 'InvalidPermission.NotFound' });
  await f.call('RevokeSecurityGroupIngress', { GroupId, SecurityGroupRuleIds: [lan.SecurityGroupRuleId] });
  await t.rejects(f.call('RevokeSecurityGroupIngress', { GroupId, SecurityGroupRuleIds: [lan.SecurityGroupRuleId] }), { code: 'InvalidSecurityGroupRuleId.NotFound' });
  await f.call('DeleteSecurityGroup', { GroupId: db });
  const def = (await f.call('DescribeSecurityGroups', { GroupNames: ['default'] })).SecurityGroups[0];
  await t.rejects(f.call('DeleteSecurityGroup', { GroupId: def.GroupId }), { code: 'CannotDelete' });

  const ami = await imageId(f);
  await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, SecurityGroups: ['app'] });
  await t.rejects(f.call('DeleteSecurityGroup', { GroupName: 'app' }), { code: 'DependencyViolation' }, 'in use by an instance');
});

t.test('key pairs: generated and imported, AWS fingerprints', async (t) => {
  const f = await ec2Fixture(t);
  const dir = mkdtempSync(join(tmpdir(), 'ec2-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rsa = await f.call('CreateKeyPair', { KeyName: 'r', TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'a', Value: 'b' }] }] });
  t.match(rsa.KeyMaterial, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----$/);
  // AWS: SHA-1 of the PKCS#8 DER private key
  writeFileSync(join(dir, 'r.pem'), rsa.KeyMaterial + '\n', { mode: 0o600 });
  const der = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', join(dir, 'r.pem'), '-outform', 'DER']);
  const sha1 = execFileSync('openssl', ['sha1', '-c'], { input: der }).toString().trim().split('= ')[1];
  t.equal(rsa.KeyFingerprint, sha1);

  const ed = await f.call('CreateKeyPair', { KeyName: 'e', KeyType: 'ed25519' });
  writeFileSync(join(dir, 'e'), ed.KeyMaterial + '\n', { mode: 0o600 });
  const pub = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'e')]).toString().trim();
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'e')]).toString().split(' ')[1];
  t.equal(ed.KeyFingerprint.replace(/=+$/, ''), fp.replace(/^SHA256:/, ''), 'ssh-keygen reads the key and agrees on the fingerprint');

  const imp = await f.call('ImportKeyPair', { KeyName: 'imported', PublicKeyMaterial: Buffer.from(pub + ' me@host') });
  t.equal(imp.KeyFingerprint, ed.KeyFingerprint);
  execFileSync('ssh-keygen', ['-t', 'rsa', '-b', '2048', '-N', '', '-q', '-f', join(dir, 'rr')]);
  const rpub = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'rr')]).toString();
  const md5 = execFileSync('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', join(dir, 'rr.pub')]);
  const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: md5 });
  const want = execFileSync('openssl', ['md5', '-c'], { input: spki }).toString().trim().split('= ')[1];
  const rimp = await f.call('ImportKeyPair', { KeyName: 'rr', PublicKeyMaterial: Buffer.from(rpub) });
  t.equal(rimp.KeyFingerprint, want, 'imported RSA: MD5 of the DER public key');
  await t.rejects(f.call('ImportKeyPair', { KeyName: 'bad', PublicKeyMaterial: Buffer.from('ssh-rsa AAAA') }), { code: 'InvalidKey.Format' });
  await t.rejects(f.call('ImportKeyPair', { KeyName: 'rr', PublicKeyMaterial: Buffer.from(rpub) }), { code: 'InvalidKeyPair.Duplicate' });

  const d = await f.call('DescribeKeyPairs', { Filters: [{ Name: 'key-type', Values: ['ed25519'] }], IncludePublicKey: true });
  t.same(d.KeyPairs.map((k: { KeyName: string }) => k.KeyName).sort(), ['e', 'imported']);
  t.match(d.KeyPairs[0].PublicKey, /^ssh-ed25519 /);
  t.same((await f.call('DescribeKeyPairs', { KeyNames: ['r'] })).KeyPairs[0].Tags, [{ Key: 'a', Value: 'b' }]);
  await t.rejects(f.call('DescribeKeyPairs', { KeyNames: ['nope'] }), { code: 'InvalidKeyPair.NotFound', message: "The key pair 'nope' does not exist" });
  t.same(await f.call('DeleteKeyPair', { KeyName: 'r' }), { Return: true, KeyPairId: rsa.KeyPairId });
  t.same(await f.call('DeleteKeyPair', { KeyName: 'r' }), { Return: true, KeyPairId: undefined }, 'deleting a missing key succeeds, as on EC2');
  const ami = await imageId(f);
  const run = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1, KeyName: 'e' });
  t.equal(run.Instances[0].KeyName, 'e');
});

t.test('tags: CreateTags / DeleteTags / DescribeTags across kinds', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1 });
  const iid = Instances[0].InstanceId;
  const vid = Instances[0].BlockDeviceMappings[0].Ebs.VolumeId;
  await f.call('CreateTags', { Resources: [iid, vid], Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'owner', Value: '' }] });
  await t.rejects(f.call('CreateTags', { Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }), { code: 'InvalidInstanceID.NotFound' });
  await t.rejects(f.call('CreateTags', { Resources: ['x-1'], Tags: [{ Key: 'a', Value: 'b' }] }), { code: 'InvalidID' });
  await t.rejects(f.call('CreateTags', { Resources: [iid], Tags: [{ Key: 'aws:x', Value: 'b' }] }), { code: 'InvalidParameterValue' });
  await t.rejects(f.call('CreateTags', { Resources: [iid], Tags: [{ Key: 'a', Value: 'b' }], DryRun: true }), { code: 'DryRunOperation' });
  let d = await f.call('DescribeTags', { Filters: [{ Name: 'key', Values: ['env'] }] });
  t.same(d.Tags.map((x: { ResourceType: string }) => x.ResourceType).sort(), ['instance', 'volume']);
  d = await f.call('DescribeTags', { Filters: [{ Name: 'resource-id', Values: [iid] }] });
  t.same(d.Tags.map((x: { Key: string; Value: string }) => `${x.Key}=${x.Value}`), ['env=dev', 'owner=']);
  const page1 = await f.call('DescribeTags', { MaxResults: 5 });
  t.equal(page1.Tags.length, 4);
  t.equal(page1.NextToken, undefined);
  await f.call('DeleteTags', { Resources: [iid], Tags: [{ Key: 'env', Value: 'prod' }] });
  t.equal((await f.call('DescribeTags', { Filters: [{ Name: 'resource-id', Values: [iid] }] })).Tags.length, 2, 'value must match to delete');
  await f.call('DeleteTags', { Resources: [iid], Tags: [{ Key: 'env' }] });
  t.same((await f.call('DescribeTags', { Filters: [{ Name: 'resource-id', Values: [iid] }] })).Tags.map((x: { Key: string }) => x.Key), ['owner']);
  await f.call('DeleteTags', { Resources: [iid] });
  t.same((await f.call('DescribeTags', { Filters: [{ Name: 'resource-id', Values: [iid] }] })).Tags, []);
  const tooMany = Array.from({ length: 51 }, (_, n) => ({ Key: `k${n}`, Value: 'v' }));
  await t.rejects(f.call('CreateTags', { Resources: [vid], Tags: tooMany }), { code: 'TagLimitExceeded' });
});

t.test('primary network interfaces: describe, change groups and source/dest check', async (t) => {
  const f = await ec2Fixture(t);
  const ami = await imageId(f);
  const { Instances } = await f.call('RunInstances', { ImageId: ami, MinCount: 1, MaxCount: 1 });
  const eni = Instances[0].NetworkInterfaces[0].NetworkInterfaceId;
  const { GroupId } = await f.call('CreateSecurityGroup', { GroupName: 'extra', Description: 'extra' });
  await t.rejects(f.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni, Groups: [GroupId], SourceDestCheck: { Value: false } }), { code: 'InvalidParameterCombination' });
  await f.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni, Groups: [GroupId] });
  t.same((await f.call('DescribeNetworkInterfaceAttribute', { NetworkInterfaceId: eni, Attribute: 'groupSet' })).Groups, [{ GroupId, GroupName: 'extra' }]);
  const inst = await f.call('DescribeInstances', { Filters: [{ Name: 'instance.group-id', Values: [GroupId] }] });
  t.equal(inst.Reservations[0].Instances[0].InstanceId, Instances[0].InstanceId, 'the instance now carries the group');
  await f.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni, SourceDestCheck: { Value: false } });
  t.same((await f.call('DescribeNetworkInterfaceAttribute', { NetworkInterfaceId: eni, Attribute: 'sourceDestCheck' })).SourceDestCheck, { Value: false });
  const d = await f.call('DescribeNetworkInterfaces', { NetworkInterfaceIds: [eni] });
  t.equal(d.NetworkInterfaces[0].Attachment.InstanceId, Instances[0].InstanceId);
  t.equal(d.NetworkInterfaces[0].SourceDestCheck, false);
  await t.rejects(f.call('DescribeNetworkInterfaces', { NetworkInterfaceIds: ['eni-0123456789abcdef0'] }), { code: 'InvalidNetworkInterfaceID.NotFound' });
});
