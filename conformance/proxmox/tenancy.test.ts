// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Two accounts on one Proxmox cluster (the fake PVE): each sees only its own instances, security
 * groups and volumes; each account's VMs sit in its own PVE pool; one account cannot act on the
 * other's ids.
 */
import { AttachVolumeCommand, CreateSecurityGroupCommand, CreateVolumeCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVolumesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilVolumeAvailable } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from '../ec2/backend.js';
import { poolOf } from '../../translators/proxmox/ec2/map.js';

const be = await ec2Backend(t, {}, { backend: 'proxmox' });
const gw = await startTestGateway(t, { config: be.config });
const b = await gw.newAccount('tenant-b');
const ec2A = new EC2Client(gw.clientConfig);
const ec2B = new EC2Client(b.clientConfig);
t.teardown(() => {
  ec2A.destroy();
  ec2B.destroy();
});
const wait = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };
const errName = (e: unknown) => (e as { name?: string }).name;

t.test('each account sees only its own instances, groups and volumes', async (t) => {
  const ami = (await ec2A.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
  const runA = await ec2A.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }));
  const runB = await ec2B.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }));
  const idA = runA.Instances![0].InstanceId!;
  const idB = runB.Instances![0].InstanceId!;
  await waitUntilInstanceRunning({ client: ec2A, ...wait }, { InstanceIds: [idA] });
  await waitUntilInstanceRunning({ client: ec2B, ...wait }, { InstanceIds: [idB] });
  const seenA = (await ec2A.send(new DescribeInstancesCommand({}))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId));
  const seenB = (await ec2B.send(new DescribeInstancesCommand({}))).Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId));
  t.same(seenA, [idA]);
  t.same(seenB, [idB]);
  t.equal(errName(await ec2B.send(new DescribeInstancesCommand({ InstanceIds: [idA] })).catch((e) => e)), 'InvalidInstanceID.NotFound');
  t.equal(errName(await ec2B.send(new StopInstancesCommand({ InstanceIds: [idA] })).catch((e) => e)), 'InvalidInstanceID.NotFound');
  t.equal(errName(await ec2B.send(new TerminateInstancesCommand({ InstanceIds: [idA] })).catch((e) => e)), 'InvalidInstanceID.NotFound');

  // PVE: each VM in its account's pool
  const vms = [...be.pve!.control.state.vms.values()].filter((v) => !v.isTemplate);
  t.equal(vms.find((v) => v.conf.name === idA)?.pool, poolOf(gw.accountId));
  t.equal(vms.find((v) => v.conf.name === idB)?.pool, poolOf(b.accountId));

  const sgA = await ec2A.send(new CreateSecurityGroupCommand({ GroupName: 'only-a', Description: 'a' }));
  const groupsB = (await ec2B.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupId);
  t.notOk(groupsB.includes(sgA.GroupId), "B does not see A's group");

  const volA = await ec2A.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, Size: 1 }));
  await waitUntilVolumeAvailable({ client: ec2A, ...wait }, { VolumeIds: [volA.VolumeId!] });
  const volsB = (await ec2B.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId);
  t.notOk(volsB.includes(volA.VolumeId), "B does not see A's volume");
  t.equal(errName(await ec2B.send(new AttachVolumeCommand({ VolumeId: volA.VolumeId, InstanceId: idB, Device: '/dev/sdf' })).catch((e) => e)), 'InvalidVolume.NotFound');
  await ec2A.send(new TerminateInstancesCommand({ InstanceIds: [idA] }));
  await ec2B.send(new TerminateInstancesCommand({ InstanceIds: [idB] }));
});
