// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Two gateways with the Proxmox backend on one shared state store (`state.backend: dynamodb`,
 * served by a third gateway), one fake PVE: A (a separate `mcgw serve` process) accepts a
 * RunInstances and is killed -9 while the clones run; B, which shares A's jobs, takes them over
 * once A's leases expired. Every instance ends running, PVE holds one VM per instance, and no VM
 * was cloned twice (each job ran on one gateway at a time).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { serve, type Served } from '../serve-process.js';
import { ec2Backend } from '../ec2/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-pve-scale-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const upstream = await startTestGateway(t);
const state = { backend: 'dynamodb' as const, endpoints: [upstream.url], region: upstream.region, table: 'mcgw-state', accessKeyId: upstream.credentials.accessKeyId, secretAccessKey: upstream.credentials.secretAccessKey, identityCacheMs: 500 };
const be = await ec2Backend(t, {}, { backend: 'proxmox', ceph: false, taskMs: 400 });
const pve = be.pve!;
const LEASE_MS = 1000;
const config = { state, ec2: { backend: 'proxmox' }, backends: { proxmox: { ...(be.config.backends!.proxmox as Record<string, unknown>), jobLeaseMs: LEASE_MS } } };

const b = await startTestGateway(t, { config: config as never });
const configFile = join(dir, 'mcgw.json');
writeFileSync(configFile, JSON.stringify(config));
const a: Served = await serve(['--data-dir', join(dir, 'a'), '--config', configFile]);
t.teardown(() => (a.child.exitCode === null ? a.child.kill('SIGKILL') : undefined));

const ec2A = new EC2Client({ endpoint: a.url, region: b.region, credentials: b.credentials });
const ec2B = new EC2Client(b.clientConfig);
t.teardown(() => {
  ec2A.destroy();
  ec2B.destroy();
});
const guestVms = () => [...pve.control.state.vms.values()].filter((v) => !v.isTemplate);

async function until(ids: string[], ok: (i: Instance) => boolean, ms = 30_000): Promise<Instance[]> {
  const end = Date.now() + ms;
  for (;;) {
    const list = (await ec2B.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!);
    if (list.every(ok)) return list;
    if (Date.now() > end) throw new Error(JSON.stringify(list.map((i) => [i.InstanceId, i.State?.Name])));
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('A killed mid-launch: B takes its jobs over after the lease, each clone made once', async (t) => {
  const ami = (await ec2A.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
  const clones = () => pve.control.callCount('POST', '/nodes/{node}/qemu/{vmid}/clone');
  const before = clones();
  const r = await ec2A.send(new RunInstancesCommand({ ImageId: ami, MinCount: 3, MaxCount: 3 }));
  const ids = r.Instances!.map((i) => i.InstanceId!);
  const end = Date.now() + 15_000;
  while (!guestVms().some((v) => v.conf.lock === 'clone') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  a.child.kill('SIGKILL');
  const killed = Date.now();
  const done = await until(ids, (i) => i.State?.Name === 'running');
  t.equal(done.length, 3, 'all running');
  t.comment(`all running ${Date.now() - killed} ms after the kill (lease ${LEASE_MS} ms)`);
  t.same(guestVms().map((v) => v.conf.name).sort(), [...ids].sort(), 'one VM per instance');
  t.equal(clones() - before, 3, 'each VM cloned once');
  t.ok(guestVms().every((v) => v.status === 'running' && !v.conf.lock));
  await ec2B.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  await until(ids, (i) => i.State?.Name === 'terminated');
});
