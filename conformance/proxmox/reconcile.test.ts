// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The reconciler (translators/proxmox/ec2/reconcile.ts) against VMs changed with the PVE API
 * behind the gateway's back (the fake PVE, driven as an operator would): a VM stopped there shows
 * `stopped` with EC2's Client.UserInitiatedShutdown reason, one started shows `running`, one
 * destroyed shows `terminated` with its EBS volume released (available, attachable again).
 */
import { AttachVolumeCommand, CreateVolumeCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeVolumesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilVolumeAvailable, type Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from '../ec2/backend.js';
import { PveHttp } from '../../translators/proxmox/client/http.js';
import { waitTask } from '../../translators/proxmox/client/tasks.js';

const be = await ec2Backend(t, {}, { backend: 'proxmox', ceph: false });
const gw = await startTestGateway(t, { config: be.config });
const ec2 = new EC2Client(gw.clientConfig);
const pve = be.pve!;
const admin = new PveHttp({ url: new URL(pve.url), tokenId: pve.tokenId, tokenSecret: pve.tokenSecret, ca: pve.caPem, fingerprint: pve.fingerprint, requestTimeoutMs: 10_000 });
t.teardown(() => {
  ec2.destroy();
  admin.close();
});
const wait = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };

async function instance(id: string): Promise<Instance> {
  return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
}

async function attached(volumeId: string): Promise<void> {
  const end = Date.now() + 15_000;
  while ((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0].Attachments?.[0]?.State !== 'attached') {
    if (Date.now() > end) throw new Error(`${volumeId} not attached`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(what: string, id: string, ok: (i: Instance) => boolean, ms = 15_000): Promise<Instance> {
  const end = Date.now() + ms;
  for (;;) {
    const i = await instance(id);
    if (ok(i)) return i;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${i.State?.Name}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What an operator does in PVE: a power action or a destroy, waited for. */
async function operator(method: 'POST' | 'DELETE', path: string): Promise<void> {
  await waitTask(admin, await admin.call<string>(method, path), 20);
}

const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
const id = (await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [id] });
const vm = [...pve.control.state.vms.values()].find((v) => v.conf.name === id)!;
const base = `/nodes/${vm.node}/qemu/${vm.vmid}`;

t.test('stopped in PVE: stopped, with the user-initiated shutdown reason', async (t) => {
  await operator('POST', `${base}/status/stop`);
  const i = await until('stopped', id, (x) => x.State?.Name === 'stopped');
  t.same(i.StateReason, { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' });
  t.match(i.StateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
  t.equal(i.State?.Code, 80);
});

t.test('started in PVE: running again, the reason cleared', async (t) => {
  await operator('POST', `${base}/status/start`);
  const i = await until('running', id, (x) => x.State?.Name === 'running');
  t.equal(i.StateReason, undefined);
  t.equal(i.StateTransitionReason ?? '', '');
});

t.test('destroyed in PVE: terminated, its EBS volume released', async (t) => {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, Size: 2 }));
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [vol.VolumeId!] });
  await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: id, Device: '/dev/sdf' }));
  await attached(vol.VolumeId!);
  await operator('POST', `${base}/status/stop`);
  await operator('DELETE', `${base}?purge=1`);
  const i = await until('terminated', id, (x) => x.State?.Name === 'terminated');
  t.match(i.StateReason, { Code: 'Server.InternalError', Message: /deleted outside the gateway/ });
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [vol.VolumeId!] });
  const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }))).Volumes![0];
  t.same(v.Attachments, [], 'detached');
  t.equal(v.Size, 2);
  // the holder-owned image survived the destroy and attaches to another instance
  const other = (await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [other] });
  await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: other, Device: '/dev/sdf' }));
  await attached(vol.VolumeId!);
  const ovm = [...pve.control.state.vms.values()].find((x) => x.conf.name === other)!;
  t.ok(Object.values(ovm.conf).some((line) => line.includes(`vm-99999-${vol.VolumeId}`)), 'the same image in the new VM');
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [other] }));
});
