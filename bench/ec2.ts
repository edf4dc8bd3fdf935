// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2 bench on the embedded backend, through the real server and @aws-sdk/client-ec2:
 *  - RunInstances of 1,000 instances (10 calls of 100), then DescribeInstances of all of them (paged);
 *  - DescribeInstances with a tag filter matching 10 of the 1,000: p50 latency, target < 20 ms;
 *    the same with 100 matches (ten times the XML) is reported.
 * Run alone with `node dist/bench/ec2.js` (or wire benchEc2 into run.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client, paginateDescribeInstances, RunInstancesCommand, type Filter } from '@aws-sdk/client-ec2';
import { silentLogger } from '../src/log.js';
import { startGateway } from '../src/server/start.js';
import { printRows, type Row } from './lib.js';

const INSTANCES = 1000;
const TAG_QUERIES = 60;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchEc2(): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-bench-ec2-'));
  const gw = await startGateway({ port: 0, host: '127.0.0.1', dataDir, dev: false, log: silentLogger, env: {}, overrides: { ec2: { backend: 'embedded', lifecycleMs: { boot: 100 } } } as never });
  const ec2 = new EC2Client({ endpoint: gw.url, region: gw.config.region, credentials: { accessKeyId: gw.root.accessKeyId, secretAccessKey: gw.root.secretAccessKey } });
  try {
    const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] }))).Images![0].ImageId!;
    const t0 = performance.now();
    for (let b = 0; b < INSTANCES / 100; b++) {
      await ec2.send(
        new RunInstancesCommand({
          ImageId: ami,
          InstanceType: 't3.micro',
          MinCount: 100,
          MaxCount: 100,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'batch', Value: `b${b}` }, { Key: 'role', Value: b === 0 ? 'rare' : 'common' }] }],
        }),
      );
    }
    const runSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const ids: string[] = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, {})) for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ids.push(i.InstanceId!);
    const describeAllMs = performance.now() - t1;
    if (ids.length !== INSTANCES) throw new Error(`DescribeInstances saw ${ids.length} instances, expected ${INSTANCES}`);
    await ec2.send(new CreateTagsCommand({ Resources: ids.filter((_, n) => n % 100 === 7), Tags: [{ Key: 'Name', Value: 'bench-target' }] }));
    const latency = async (filters: Filter[], expect: number) => {
      const lat: number[] = [];
      for (let q = 0; q < TAG_QUERIES; q++) {
        const s = performance.now();
        const r = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
        lat.push(performance.now() - s);
        const n = (r.Reservations ?? []).reduce((a, x) => a + (x.Instances?.length ?? 0), 0);
        if (n !== expect) throw new Error(`tag filter returned ${n} instances, expected ${expect}`);
      }
      return lat.sort((a, b) => a - b);
    };
    const lat = await latency([{ Name: 'tag:Name', Values: ['bench-target'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }], 10);
    const wide = await latency([{ Name: 'tag:batch', Values: ['b3'] }], 100);
    const p50 = percentile(lat, 50);
    return [
      { workload: `RunInstances ×${INSTANCES} (10 calls of 100)`, ours: `${runSeconds.toFixed(2)} s`, peerName: 'target', peer: '—', ratio: 1, target: 'reported', pass: true },
      { workload: `DescribeInstances, all ${INSTANCES}`, ours: `${describeAllMs.toFixed(0)} ms`, peerName: 'target', peer: '—', ratio: 1, target: 'reported', pass: true },
      { workload: `DescribeInstances tag filter (100 of ${INSTANCES}), p50 / p99`, ours: `${percentile(wide, 50).toFixed(1)} ms / ${percentile(wide, 99).toFixed(1)} ms`, peerName: 'target', peer: '—', ratio: 1, target: 'reported', pass: true },
      {
        workload: `DescribeInstances tag filter (10 of ${INSTANCES}), p50 / p99`,
        ours: `${p50.toFixed(1)} ms / ${percentile(lat, 99).toFixed(1)} ms`,
        peerName: 'target',
        peer: '20 ms',
        ratio: 20 / p50,
        target: 'p50 < 20 ms',
        pass: p50 < 20,
      },
    ];
  } finally {
    ec2.destroy();
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchEc2();
  printRows('ec2', rows);
  process.exit(rows.every((r) => r.pass) ? 0 : 1);
}
