// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2 on the Proxmox backend, against the fake PVE (test/fakes/pve) with real task times:
 *  - RunInstances of 50 instances with 200 ms tasks, until all are running; the peer is one
 *    instance launched alone in the same run (the job's critical path: clone, config, start…),
 *    so the ratio says how well the 50 jobs overlap (target: 50 take < 5× one);
 *  - DescribeInstances of 1,000 VMs: PVE calls per call, counted by the fake; the peer is the
 *    per-VM design (one status call per VM = 1,000 calls); target ≤ 2 calls per DescribeInstances.
 * Run alone with `node dist/bench/proxmox.js` or `npm run bench -- proxmox`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, paginateDescribeInstances, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { silentLogger } from '../src/log.js';
import { startGateway } from '../src/server/start.js';
import { ec2Backend } from '../conformance/ec2/backend.js';
import { printRows, type Row } from './lib.js';

async function allRunning(ec2: EC2Client, ids: string[], timeoutMs: number): Promise<void> {
  const want = new Set(ids);
  const end = Date.now() + timeoutMs;
  for (;;) {
    let running = 0;
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, {})) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (want.has(i.InstanceId!) && i.State?.Name === 'running') running++;
    }
    if (running === want.size) return;
    if (Date.now() > end) throw new Error(`${running} of ${want.size} running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withGateway<T>(taskMs: number, fn: (ec2: EC2Client, be: Awaited<ReturnType<typeof ec2Backend>>) => Promise<T>): Promise<T> {
  const teardown: Array<() => unknown> = [];
  const be = await ec2Backend({ teardown: (f) => teardown.push(f) }, {}, { backend: 'proxmox', taskMs });
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-bench-pve-'));
  const gw = await startGateway({ port: 0, host: '127.0.0.1', dataDir, dev: false, log: silentLogger, env: {}, overrides: be.config as never });
  const ec2 = new EC2Client({ endpoint: gw.url, region: gw.config.region, credentials: { accessKeyId: gw.root.accessKeyId, secretAccessKey: gw.root.secretAccessKey } });
  try {
    return await fn(ec2, be);
  } finally {
    ec2.destroy();
    await gw.close();
    for (const f of teardown.reverse()) await f();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function launch(ec2: EC2Client, n: number, timeoutMs: number): Promise<number> {
  const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
  const t0 = performance.now();
  const ids: string[] = [];
  for (let left = n; left > 0; left -= 100) {
    const r = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: Math.min(100, left), MaxCount: Math.min(100, left) }));
    ids.push(...r.Instances!.map((i) => i.InstanceId!));
  }
  await allRunning(ec2, ids, timeoutMs);
  return (performance.now() - t0) / 1000;
}

export async function benchProxmox(): Promise<Row[]> {
  const one = await withGateway(200, (ec2) => launch(ec2, 1, 60_000));
  const fifty = await withGateway(200, (ec2) => launch(ec2, 50, 300_000));
  const describe = await withGateway(2, async (ec2, be) => {
    await launch(ec2, 1000, 900_000);
    const pve = be.pve!.control;
    const rounds = 20;
    const before = pve.totalCalls();
    for (let q = 0; q < rounds; q++) {
      let n = 0;
      for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, {})) for (const r of page.Reservations ?? []) n += r.Instances?.length ?? 0;
      if (n !== 1000) throw new Error(`DescribeInstances saw ${n} instances`);
      await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
      await new Promise((r) => setTimeout(r, 100));
    }
    return (pve.totalCalls() - before) / (rounds * 2);
  });
  return [
    { workload: 'RunInstances ×50, 200 ms PVE tasks, until all running', ours: `${fifty.toFixed(2)} s`, peerName: 'one instance alone', peer: `${one.toFixed(2)} s`, ratio: (5 * one) / fifty, target: '< 5× one instance', pass: fifty < 5 * one },
    { workload: 'DescribeInstances of 1,000 VMs: PVE calls per call (background sync included)', ours: `${describe.toFixed(2)} calls`, peerName: 'one call per VM', peer: '1000 calls', ratio: 1000 / Math.max(describe, 0.001), target: '≤ 2 calls', pass: describe <= 2 },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchProxmox();
  printRows('proxmox', rows);
  process.exit(rows.every((r) => r.pass) ? 0 : 1);
}
