// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A root volume launched with DeleteOnTermination=false survives TerminateInstances as an
 * `available` EBS volume of the same size (AWS behaviour): on Proxmox its RBD image is renamed to
 * the EBS naming `vm-<holder>-vol-…` before the VM is destroyed, and attaches to another instance.
 * Needs the RBD volume driver, hence Ceph (the up.sh cluster, started when not running).
 */
import { AttachVolumeCommand, DeleteVolumeCommand, DescribeImagesCommand, DescribeVolumesCommand, DetachVolumeCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilInstanceTerminated, waitUntilVolumeAvailable } from '@aws-sdk/client-ec2';
import t from 'tap';
import { RbdClient } from '../../translators/ceph/rbd/client.js';
import { startTestGateway } from '../harness.js';
import { ec2Backend } from '../ec2/backend.js';

const be = await ec2Backend(t, {}, { backend: 'proxmox', ceph: true });
const gw = await startTestGateway(t, { config: be.config });
const ec2 = new EC2Client(gw.clientConfig);
t.teardown(() => ec2.destroy());
const wait = { maxWaitTime: 60, minDelay: 1, maxDelay: 1 };
const pve = be.pve!;
const rbd = new RbdClient(pve.rbd!);

async function volume(id: string) {
  return (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0];
}

/** The first `n` bytes of an image (the export stream is cut there). */
async function head(image: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const stream = rbd.exportStream(image);
  for await (const c of stream) {
    chunks.push(c as Buffer);
    got += (c as Buffer).length;
    if (got >= n) break;
  }
  return Buffer.concat(chunks).subarray(0, n);
}

const t0 = Date.now();
const lap = (what: string) => t.comment(`${what}: ${Date.now() - t0} ms`);

async function attached(id: string): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await volume(id)).Attachments?.[0]?.State !== 'attached') {
    if (Date.now() > end) throw new Error(`${id} not attached`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('root volume with DeleteOnTermination=false outlives its instance', async (t) => {
  const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0];
  const run = await ec2.send(new RunInstancesCommand({
    ImageId: ami.ImageId, MinCount: 1, MaxCount: 1,
    BlockDeviceMappings: [{ DeviceName: ami.RootDeviceName, Ebs: { DeleteOnTermination: false, VolumeSize: 9 } }],
  }));
  const id = run.Instances![0].InstanceId!;
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [id] });
  lap('running');
  const rootId = run.Instances![0].BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }))).Volumes![0].VolumeId!;
  const vm = [...pve.control.state.vms.values()].find((v) => v.conf.name === id)!;
  const payload = Buffer.from('bytes written by the first instance');
  await rbd.writeAt(`vm-${vm.vmid}-disk-0`, 1 << 20, payload.length, payload);

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [id] });
  lap('terminated');
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [rootId] });
  lap('root available');
  const v = await volume(rootId);
  t.equal(v.State, 'available');
  t.equal(v.Size, 9, 'same size');
  t.same(v.Attachments, []);
  t.notOk(pve.control.state.vms.has(vm.vmid), 'the VM is gone');
  const images = await rbd.list();
  t.ok(images.includes(`vm-99999-${rootId}`), 'the disk is an EBS image now');
  t.notOk(images.includes(`vm-${vm.vmid}-disk-0`));
  t.notOk((await rbd.info(`vm-99999-${rootId}`)).parent, 'flattened: no longer tied to the template');

  const other = (await ec2.send(new RunInstancesCommand({ ImageId: ami.ImageId, MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [other] });
  await ec2.send(new AttachVolumeCommand({ VolumeId: rootId, InstanceId: other, Device: '/dev/sdf' }));
  await attached(rootId);
  lap('attached to another');
  const ovm = [...pve.control.state.vms.values()].find((x) => x.conf.name === other)!;
  t.ok(Object.values(ovm.conf).some((line) => line.startsWith(`${pve.storageId}:vm-99999-${rootId},`)), 'attached to the other VM');
  t.equal((await head(`vm-99999-${rootId}`, (1 << 20) + payload.length)).subarray(1 << 20).toString(), payload.toString(), "with the first instance's bytes");

  await ec2.send(new DetachVolumeCommand({ VolumeId: rootId }));
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [rootId] });
  await ec2.send(new DeleteVolumeCommand({ VolumeId: rootId }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [other] }));
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [other] });
});
