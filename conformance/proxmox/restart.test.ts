// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Kill -9 the gateway in the middle of RunInstances and TerminateInstances jobs on the fake PVE,
 * start it again on the same data dir, and check that every instance ends in the right state and
 * that PVE holds exactly the VMs it should (none orphaned, none leaked); the same mid CreateImage
 * (one template, the image available, the instance running again). Also: a launch whose
 * start task fails ends terminated with a StateReason and leaves no VM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateImageCommand, DeregisterImageCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, DescribeImagesCommand, type Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { Ec2Store } from '../../apis/ec2/core/store.js';
import type { InstanceRec } from '../../apis/ec2/records.js';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { startFakePve } from '../../test/fakes/pve/index.js';
import { seedTemplates } from '../ec2/backend.js';
import { PveHttp } from '../../translators/proxmox/client/http.js';
import { waitTask } from '../../translators/proxmox/client/tasks.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const pve = await startFakePve({ taskMs: 400, unauthorizedDelayMs: 50 });
t.teardown(() => pve.close());
await seedTemplates(pve);
const dir = mkdtempSync(join(tmpdir(), 'mcgw-pve-restart-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const port = await freePort();
const configFile = join(dir, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    ec2: { backend: 'proxmox' },
    backends: {
      proxmox: {
        url: pve.url, tokenId: pve.tokenId, tokenSecret: pve.tokenSecret, ca: pve.caPem, fingerprint: pve.fingerprint,
        nodes: { a: pve.nodes[0], b: pve.nodes[1] }, storage: pve.storageId, taskPollMs: 25, resourcesCacheMs: 100, retryDelayMs: 50,
      },
    },
  }),
);

let child: ChildProcess | undefined;
const url = `http://127.0.0.1:${port}`;

async function startChild(): Promise<void> {
  child = spawn(process.execPath, [MAIN, 'serve', '--port', String(port), '--data-dir', join(dir, 'data'), '--config', configFile, '--dev'], { stdio: ['ignore', process.env.PVE_CHILD_LOG ? 'inherit' : 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/_mcgw/health`)).ok) return;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`gateway exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('gateway did not come up');
}

function kill(): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
t.teardown(kill);

const ec2 = new EC2Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
t.teardown(() => ec2.destroy());

const guestVms = () => [...pve.control.state.vms.values()].filter((v) => !v.isTemplate);

async function states(ids: string[]): Promise<Instance[]> {
  const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return r.Reservations!.flatMap((x) => x.Instances!);
}

async function until(what: string, ids: string[], ok: (i: Instance) => boolean, ms = 30_000): Promise<Instance[]> {
  const end = Date.now() + ms;
  for (;;) {
    const list = await states(ids);
    if (list.every(ok)) return list;
    if (Date.now() > end) throw new Error(`${what}: ${JSON.stringify(list.map((i) => [i.InstanceId, i.State?.Name, i.StateReason?.Message]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

await startChild();
const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
let ids: string[] = [];

t.test('killed while cloning: the launch resumes, every instance runs, no VM is orphaned', async (t) => {
  const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 3, MaxCount: 3 }));
  ids = r.Instances!.map((i) => i.InstanceId!);
  await waitFor('a clone in progress', () => guestVms().some((v) => v.conf.lock === 'clone'));
  await kill();
  await startChild();
  const done = await until('running', ids, (i) => i.State?.Name === 'running');
  t.equal(done.length, 3);
  const vms = guestVms();
  t.same(vms.map((v) => v.conf.name).sort(), [...ids].sort(), 'exactly one VM per instance');
  t.ok(vms.every((v) => v.status === 'running' && !v.conf.lock), 'all started, none locked');
});

t.test('killed while CreateImage clones: the image ends available, one template, the instance running', async (t) => {
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: ids[0], Name: 'image-across-a-kill' }));
  const vms = () => [...pve.control.state.vms.values()].filter((v) => v.conf.name === ImageId);
  await waitFor('the image clone in progress', () => vms().some((v) => v.conf.lock === 'clone'));
  await kill();
  await startChild();
  const end = Date.now() + 30_000;
  let img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
  while (img.State === 'pending' && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
  }
  t.equal(img.State, 'available');
  t.equal(vms().length, 1, 'one template VM');
  t.ok(vms()[0].isTemplate && !vms()[0].conf.lock, 'a template, unlocked');
  const [inst] = await until('running', [ids[0]], (i) => i.State?.Name === 'running');
  t.equal(inst.State?.Name, 'running');
  await waitFor('its VM running', () => guestVms().find((v) => v.conf.name === ids[0])?.status === 'running');
  t.same(guestVms().map((v) => v.conf.name).sort(), [...ids].sort(), 'still one VM per instance');
  await ec2.send(new DeregisterImageCommand({ ImageId, DeleteAssociatedSnapshots: true }));
  await waitFor('template destroyed', () => vms().length === 0);
});

t.test('killed while terminating: the terminate resumes, no VM is leaked', async (t) => {
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  await waitFor('a stop or destroy in progress', () => guestVms().some((v) => v.status === 'stopped' || v.conf.lock !== undefined) || guestVms().length < 3);
  await kill();
  await startChild();
  await until('terminated', ids, (i) => i.State?.Name === 'terminated');
  await waitFor('VMs gone', () => guestVms().length === 0);
  t.same(guestVms(), [], 'no guest VM left in PVE');
});

t.test('a failed start: terminated with a StateReason, the VM destroyed', async (t) => {
  pve.control.failTask({ type: 'qmstart', message: 'start failed: QEMU exited with code 1' });
  const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  const id = r.Instances![0].InstanceId!;
  const [i] = await until('terminated', [id], (x) => x.State?.Name === 'terminated');
  t.match(i.StateReason, { Code: 'Server.InternalError', Message: /start.*QEMU exited with code 1/ });
  await waitFor('VM gone', () => guestVms().length === 0);
  t.same(guestVms(), []);
});

t.test('a VM deleted outside the gateway: the instance is reported terminated with the reason', async (t) => {
  const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  const id = r.Instances![0].InstanceId!;
  await until('running', [id], (x) => x.State?.Name === 'running');
  const vm = guestVms().find((v) => v.conf.name === id)!;
  // an operator removes it with the PVE API
  const admin = new PveHttp({ url: new URL(pve.url), tokenId: pve.tokenId, tokenSecret: pve.tokenSecret, ca: pve.caPem, fingerprint: pve.fingerprint, requestTimeoutMs: 10_000 });
  t.teardown(() => admin.close());
  await waitTask(admin, await admin.call<string>('POST', `/nodes/${vm.node}/qemu/${vm.vmid}/status/stop`), 20);
  await waitTask(admin, await admin.call<string>('DELETE', `/nodes/${vm.node}/qemu/${vm.vmid}`), 20);
  const [i] = await until('terminated', [id], (x) => x.State?.Name === 'terminated');
  t.match(i.StateReason, { Code: 'Server.InternalError', Message: /deleted outside the gateway/ });
});

t.test('killed between the API commit and the job: a lost launch ends terminated, a lost CreateImage fails', async (t) => {
  // the records such a kill leaves (API records waiting, no job), written while the gateway is down
  const reservations = (await ec2.send(new DescribeInstancesCommand({}))).Reservations!;
  const acct = reservations[0].OwnerId!;
  const last = reservations.flatMap((r) => r.Instances!).at(-1)!;
  await kill();
  const state = new LmdbStateStore(join(dir, 'data'));
  const store = new Ec2Store(state);
  const rec = await store.get<InstanceRec>(acct, 'instance', last.InstanceId!);
  t.ok(rec, 'found the account of the records');
  const lostInst = 'i-0a0a0a0a0a0a0a0a0';
  await store.put(acct, 'instance', lostInst, { ...rec!, id: lostInst, state: 'pending', stateSince: Date.now(), StateReason: undefined, blockDevices: [] });
  const snap = 'snap-0b0b0b0b0b0b0b0b0';
  const img = 'ami-0c0c0c0c0c0c0c0c0';
  await store.put(acct, 'snapshot', snap, { id: snap, VolumeId: 'vol-0d0d0d0d0d0d0d0d0', VolumeSize: 8, Description: '', StartTime: Date.now(), State: 'pending', Progress: '0%', OwnerId: acct, Encrypted: false, StorageTier: 'standard', createVolumePermissions: [] });
  await store.put(acct, 'image', img, { id: img, Name: 'lost-image', Architecture: 'x86_64', RootDeviceName: '/dev/xvda', State: 'pending', CreationDate: Date.now(), OwnerId: acct, PlatformDetails: 'Linux/UNIX', devices: [{ DeviceName: '/dev/xvda', SnapshotId: snap, VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: false }], launchPermissions: [] });
  await state.close();
  await startChild();
  const [i] = await until('terminated', [lostInst], (x) => x.State?.Name === 'terminated');
  t.match(i.StateReason, { Code: 'Server.InternalError', Message: /the gateway stopped before the launch reached Proxmox/ });
  const end = Date.now() + 15_000;
  let image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [img] }))).Images![0];
  while (image.State === 'pending' && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [img] }))).Images![0];
  }
  t.equal(image.State, 'failed', 'the image fails instead of staying pending');
});
