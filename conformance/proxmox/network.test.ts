// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VPCs, subnets and security groups as they land in PVE (the fake): the subnet becomes an SDN
 * vnet (applied) that the VM's NIC plugs into with the firewall on; each security group a cluster
 * firewall group whose rules carry the sgr- ids as comments; a group-to-group rule uses an IPSet
 * holding the member instances' addresses; the VM's firewall references its groups.
 */
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, EC2Client, RunInstancesCommand, waitUntilInstanceRunning } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from '../ec2/backend.js';
import type { FirewallState } from '../../test/fakes/pve/firewall.js';
import type { SdnState } from '../../test/fakes/pve/sdn.js';
import { groupAlias } from '../../translators/proxmox/ec2/firewall.js';
import { vnetId, zoneId } from '../../translators/proxmox/ec2/sdn.js';

const be = await ec2Backend(t, {}, { backend: 'proxmox', ceph: false });
(be.config.backends!.proxmox as Record<string, unknown>).sdn = { zoneType: 'simple' };
const gw = await startTestGateway(t, { config: be.config });
const ec2 = new EC2Client(gw.clientConfig);
t.teardown(() => ec2.destroy());
const wait = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };

t.test('subnet -> vnet, groups -> firewall groups and IPSets', async (t) => {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.20.1.0/24', AvailabilityZone: `${gw.region}a` }))).Subnet!.SubnetId!;
  const web = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpc }))).GroupId!;
  const app = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app', VpcId: vpc }))).GroupId!;
  const r80 = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }, { IpProtocol: 'tcp', FromPort: 8000, ToPort: 8080, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] }));
  const rApp = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: app, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: web }] }] }));
  const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
  const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, SubnetId: subnet, SecurityGroupIds: [web, app] }));
  const inst = run.Instances![0];
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [inst.InstanceId!] });

  const fake = be.pve!.control.state;
  const sdn = fake.ext.get('sdn') as SdnState;
  const fw = fake.ext.get('firewall') as FirewallState;
  const vnet = vnetId(gw.accountId, subnet);
  t.ok(sdn.running.zones.has(zoneId(gw.accountId, vpc)), 'the VPC zone is applied');
  t.ok(sdn.running.vnets.has(vnet), 'the subnet vnet is applied');
  t.notOk(sdn.hasPending(), 'nothing left pending');
  const vm = [...fake.vms.values()].find((v) => v.conf.name === inst.InstanceId)!;
  t.match(vm.conf.net0, new RegExp(`bridge=${vnet},firewall=1`));
  t.match(vm.conf.ipconfig0, `ip=${inst.PrivateIpAddress}/24,gw=10.20.1.1`);

  const webRules = fw.groups.get(groupAlias(gw.accountId, web))!.rules;
  const ids = [...r80.SecurityGroupRules!.map((x) => x.SecurityGroupRuleId!)];
  for (const id of ids) t.ok(webRules.some((r) => r.comment === id), `rule ${id} is in the PVE group`);
  t.ok(webRules.some((r) => r.dport === '8000:8080' && r.source === '192.0.2.0/24' && r.proto === 'tcp' && r.action === 'ACCEPT' && r.type === 'in'));
  const appRule = fw.groups.get(groupAlias(gw.accountId, app))!.rules.find((r) => r.comment === rApp.SecurityGroupRules![0].SecurityGroupRuleId)!;
  t.equal(appRule.source, `+dc/${groupAlias(gw.accountId, web)}`);
  t.same(fw.ipsets.get(groupAlias(gw.accountId, web))!.entries.map((e) => e.cidr.replace(/\/32$/, '')), [inst.PrivateIpAddress], 'the IPSet holds the member address');
  const vmRules = fw.vm(vm.vmid).rules.filter((r) => r.type === 'group').map((r) => r.action).sort();
  t.same(vmRules, [groupAlias(gw.accountId, web), groupAlias(gw.accountId, app)].sort());
  t.equal(String(fw.vm(vm.vmid).options.policy_in), 'DROP');

  // the NoCloud seed the VM's SMBIOS serial points at is served on the gateway's port, to the
  // instance's own address only (this test runs from 127.0.0.1, which owns no instance)
  const seed = Buffer.from(/serial=([^,]+)/.exec(vm.conf.smbios1)![1], 'base64').toString();
  t.equal(seed, `ds=nocloud-net;s=http://127.0.0.1:4566/_mcgw/nocloud/${inst.InstanceId}/`);
  const res = await fetch(`${gw.url}/_mcgw/nocloud/${inst.InstanceId}/meta-data`);
  t.equal(res.status, 404);
  t.equal(await res.text(), 'Not Found\n');
  const imds = await fetch(`${gw.url}/latest/meta-data/instance-id`);
  t.match(await imds.text(), /<Error>/, 'from an address owning no instance, /latest/ is an S3 request (a bucket called latest)');
});
