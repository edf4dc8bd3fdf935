// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CreateImage on Proxmox (the fake PVE): clone + template of the instance's VM, the instance shut
 * down and started again unless NoReboot, the image pending until the job ends, its root snapshot
 * describable, RunInstances from it a linked clone of the template, and the template kept while a
 * linked clone or a snapshot still needs it (DeregisterImage and DeleteSnapshot answer at once).
 * Failures leave no template VM and the instance running.
 */
import {
  AttachVolumeCommand, CopyImageCommand, CreateImageCommand, CreateKeyPairCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribeSnapshotsCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilInstanceTerminated, waitUntilVolumeAvailable, waitUntilVolumeInUse,
} from '@aws-sdk/client-ec2';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from '../ec2/backend.js';
import type { FirewallState } from '../../test/fakes/pve/firewall.js';
import { poolOf } from '../../translators/proxmox/ec2/map.js';
const errName = (e: unknown) => (e as { name?: string }).name;

const be = await ec2Backend(t, {}, { backend: 'proxmox', ceph: false, taskMs: 60 });
const gw = await startTestGateway(t, { config: be.config });
const ec2 = new EC2Client(gw.clientConfig);
t.teardown(() => ec2.destroy());
const wait = { maxWaitTime: 30, minDelay: 1, maxDelay: 1 };
const pve = be.pve!;
const state = pve.control.state;

async function until<T>(what: string, fn: () => Promise<T>, ok: (x: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const x = await fn();
    if (ok(x)) return x;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(x)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const imageOf = async (id: string) => (await ec2.send(new DescribeImagesCommand({ ImageIds: [id] }))).Images![0];
const vmNamed = (name: string) => [...state.vms.values()].find((v) => v.conf.name === name);
const vmidOf = (instanceId: string) => vmNamed(instanceId)!.vmid;
const shutdowns = () => pve.control.callCount('POST', '/nodes/{node}/qemu/{vmid}/status/shutdown');

async function launch(imageId: string, keyName?: string): Promise<string> {
  const id = (await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, KeyName: keyName }))).Instances![0].InstanceId!;
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [id] });
  return id;
}

const publicAmi = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
await ec2.send(new CreateKeyPairCommand({ KeyName: 'image-key' }));
const source = await launch(publicAmi, 'image-key');

t.test('CreateImage: clone + template, the instance shut down and started again', async (t) => {
  const before = shutdowns();
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: source, Name: 'pve-image-1', Description: 'from a running VM' }));
  t.equal((await imageOf(ImageId!)).State, 'pending', 'pending while the job runs');
  const img = await until('image available', () => imageOf(ImageId!), (i) => i.State !== 'pending');
  t.equal(img.State, 'available');
  t.equal(shutdowns() - before, 1, 'NoReboot=false: one ACPI shutdown of the instance');
  const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [source] }))).Reservations![0].Instances![0];
  t.equal(inst.State?.Name, 'running', 'the instance runs again');
  t.equal(vmNamed(source)!.status, 'running', 'its VM was started again');

  const bdm = img.BlockDeviceMappings!;
  t.equal(bdm.length, 1);
  t.equal(bdm[0].DeviceName, img.RootDeviceName);
  t.match(bdm[0].Ebs?.SnapshotId, /^snap-[0-9a-f]{17}$/);
  const snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [bdm[0].Ebs!.SnapshotId!] }))).Snapshots![0];
  t.equal(snap.State, 'completed');
  t.equal(snap.VolumeSize, bdm[0].Ebs!.VolumeSize);
  t.equal(img.SourceInstanceId, source);

  const tpl = vmNamed(ImageId!)!;
  t.ok(tpl, 'a VM named after the ami- id');
  t.ok(tpl.isTemplate, 'it is a template');
  t.equal(tpl.pool, poolOf(gw.accountId), "in the account's pool");
  t.notOk(tpl.conf.tags?.includes('ec2-ami'), 'not tagged as a public AMI');
  t.match(tpl.conf.scsi0, new RegExp(`:base-${tpl.vmid}-disk-0`), 'its root disk is a base image of its own (full clone)');
  t.ok(vmNamed(source)!.conf.sshkeys, "the instance's VM has the key pair's key");
  t.notOk(tpl.conf.sshkeys, 'the template does not');
  const fw = state.ext.get('firewall') as FirewallState;
  t.ok(fw.vm(vmidOf(source)).rules.some((r) => r.type === 'group'), "the instance's VM references its groups");
  t.same(fw.vm(tpl.vmid).rules, [], 'the template references none');
  const others = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images!.map((i) => i.ImageId);
  t.same(others, [ImageId], 'DescribeImages Owners=self lists it');

  t.test('RunInstances from it: a linked clone of the template; DeregisterImage defers the template', async (t) => {
    const clone = await launch(ImageId!);
    const vm = vmNamed(clone)!;
    t.match(vm.conf.scsi0, new RegExp(`:base-${tpl.vmid}-disk-0/vm-${vm.vmid}-disk-0`), 'linked clone of the template disk');
    const ci = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [clone] }))).Reservations![0].Instances![0];
    t.equal(ci.ImageId, ImageId);

    await ec2.send(new DeregisterImageCommand({ ImageId }));
    t.equal(errName(await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] })).catch((e) => e)), 'InvalidAMIID.NotFound');
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId }));
    await new Promise((r) => setTimeout(r, 500));
    t.ok(state.vms.get(tpl.vmid), 'the template stays while its linked clone lives');

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [clone] }));
    await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [clone] });
    await until('template destroyed', async () => state.vms.has(tpl.vmid), (x) => !x);
    t.pass('the template went with its last linked clone');
  });
});

t.test('CreateImage NoReboot=true: no shutdown; CopyImage shares the template', async (t) => {
  const before = shutdowns();
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: source, Name: 'pve-image-noreboot', NoReboot: true }));
  const img = await until('image available', () => imageOf(ImageId!), (i) => i.State !== 'pending');
  t.equal(img.State, 'available');
  t.equal(shutdowns(), before, 'no shutdown');
  t.equal(vmNamed(source)!.status, 'running');
  const tpl = vmNamed(ImageId!)!;

  // CopyImage: a second snapshot standing for the same template, which outlives the original
  const copy = (await ec2.send(new CopyImageCommand({ SourceImageId: ImageId, SourceRegion: gw.region, Name: 'pve-image-copy' }))).ImageId!;
  const copied = await until('copy available', () => imageOf(copy), (i) => i.State !== 'pending');
  t.equal(copied.State, 'available');
  t.not(copied.BlockDeviceMappings![0].Ebs!.SnapshotId, img.BlockDeviceMappings![0].Ebs!.SnapshotId, 'a snapshot of its own');
  await ec2.send(new DeregisterImageCommand({ ImageId, DeleteAssociatedSnapshots: true }));
  await new Promise((r) => setTimeout(r, 300));
  t.ok(state.vms.has(tpl.vmid), "the copy's snapshot keeps the template");
  const fromCopy = await launch(copy);
  t.match(vmNamed(fromCopy)!.conf.scsi0, new RegExp(`:base-${tpl.vmid}-disk-0/`), 'a launch from the copy is a linked clone of it');
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [fromCopy] }));
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [fromCopy] });
  // deregistered with its snapshots and no clone left: the template goes
  await ec2.send(new DeregisterImageCommand({ ImageId: copy, DeleteAssociatedSnapshots: true }));
  await until('template destroyed', async () => state.vms.has(tpl.vmid), (x) => !x);
  t.pass('DeregisterImage DeleteAssociatedSnapshots of the last image: the template is destroyed');
});

t.test('a failed clone: the image fails, no template is left, the instance runs again', async (t) => {
  pve.control.failTask({ type: 'qmclone', id: String(vmidOf(source)), message: 'rbd error: injected' });
  const vmsBefore = state.vms.size;
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: source, Name: 'pve-image-fails' }));
  const img = await until('image settled', () => imageOf(ImageId!), (i) => i.State !== 'pending');
  t.equal(img.State, 'failed');
  const snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [img.BlockDeviceMappings![0].Ebs!.SnapshotId!] }))).Snapshots![0];
  t.equal(snap.State, 'error');
  await until('instance VM running', async () => vmNamed(source)!.status, (s) => s === 'running');
  t.equal(state.vms.size, vmsBefore, 'no VM left behind');
  t.notOk(vmNamed(ImageId!));
});

t.test('data volumes need Ceph for their snapshots: without it the image fails cleanly', async (t) => {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, Size: 1 }));
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [vol.VolumeId!] });
  await ec2.send(new AttachVolumeCommand({ VolumeId: vol.VolumeId, InstanceId: source, Device: '/dev/sdf' }));
  await waitUntilVolumeInUse({ client: ec2, ...wait }, { VolumeIds: [vol.VolumeId!] });
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: source, Name: 'pve-image-data' }));
  const img = await until('image settled', () => imageOf(ImageId!), (i) => i.State !== 'pending');
  t.equal(img.State, 'failed');
  t.equal(img.BlockDeviceMappings!.length, 2);
  t.notOk(vmNamed(ImageId!), 'no template left');
  t.equal(vmNamed(source)!.status, 'running');
});

t.test('teardown', async () => {
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [source] }));
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [source] });
});
