// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The grafana backend of CloudWatch (Prometheus 2.42 from conformance/backends/prometheus/up.sh)
 * against the embedded store, in the same run, each behind a gateway pinned to the server core:
 *  - PutMetricData offered at 10,000 datapoints/s (10 calls/s of 1,000 datapoints over 100 metrics)
 *    for SUSTAIN_S seconds: datapoints/s accepted, call latency p99, and the gateway's resident
 *    memory each second (bounded: the last half's peak within 64 MiB of the first half's); with
 *    the cw_dist series (percentiles, the default) and without;
 *  - GetMetricData of 24 h of 1-minute data × 100 metrics (all pages): seconds per full read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { METRICS, MINUTES, readDay, seedDay } from './cloudwatch.js';
import { BENCH_CREDENTIALS, processCpuSeconds, startGatewayPinned, stopChild, type Row } from './lib.js';

const RATE = 10_000;
const PER_CALL = 1000;
/** Seconds of sustained writes per configuration (MCGW_BENCH_GRAFANA_SECONDS to run longer). */
const SUSTAIN_S = Number(process.env.MCGW_BENCH_GRAFANA_SECONDS ?? 20);

const cpuOf = (pid: number): number => processCpuSeconds(pid) ?? 0;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface Result {
  acceptedPerSec: number;
  p99ms: number;
  failed: number;
  rssFirstHalf: number;
  rssSecondHalf: number;
  readSeconds: number;
  pointsRead: number;
  /** CPU µs per accepted datapoint during the sustained phase: the gateway's, the TSDB's. */
  gatewayCpuUs: number;
  tsdbCpuUs: number;
}

async function measure(endpoint: string, pid: number, tsdbPid: number | undefined): Promise<Result> {
  const cw = new CloudWatchClient({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, disableRequestCompression: true });
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - MINUTES * 60_000;
  await seedDay(cw, start);
  // sustained writes: one call every 1000 / (RATE / PER_CALL) ms, whatever the previous calls do
  const interval = 1000 / (RATE / PER_CALL);
  const latencies: number[] = [];
  const rss: number[] = [];
  let accepted = 0;
  let failed = 0;
  const inflight: Promise<void>[] = [];
  const cpu0 = [cpuOf(pid), tsdbPid ? cpuOf(tsdbPid) : 0];
  const t0 = Date.now();
  const sampler = setInterval(() => rss.push(rssBytes(pid)), 1000);
  for (let k = 0; Date.now() - t0 < SUSTAIN_S * 1000; k++) {
    const due = t0 + k * interval;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const now = new Date();
    const data = Array.from({ length: PER_CALL }, (_, i) => ({ MetricName: 'Put', Dimensions: [{ Name: 'Slot', Value: `s${i % METRICS}` }], Value: (i * 7 + k) % 1000, Timestamp: now }));
    const c0 = performance.now();
    inflight.push(
      cw.send(new PutMetricDataCommand({ Namespace: 'BenchPut', MetricData: data })).then(
        () => {
          accepted += PER_CALL;
          latencies.push(performance.now() - c0);
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = [cpuOf(pid), tsdbPid ? cpuOf(tsdbPid) : 0];
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  const half = Math.floor(rss.length / 2);
  // GetMetricData: all pages of 100 queries over 24 h
  const r0 = process.hrtime.bigint();
  const points = await readDay(cw, start, end);
  const readSeconds = Number(process.hrtime.bigint() - r0) / 1e9;
  cw.destroy();
  return {
    acceptedPerSec: accepted / elapsed,
    p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    failed,
    rssFirstHalf: Math.max(...rss.slice(0, half)),
    rssSecondHalf: Math.max(...rss.slice(half)),
    readSeconds,
    pointsRead: points,
    gatewayCpuUs: ((cpu1[0] - cpu0[0]) * 1e6) / Math.max(1, accepted),
    tsdbCpuUs: ((cpu1[1] - cpu0[1]) * 1e6) / Math.max(1, accepted),
  };
}

async function run(config: object | undefined, tsdbPid?: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-graf-'));
  const args: string[] = [];
  if (config) {
    writeFileSync(join(dir, 'mcgw.json'), JSON.stringify(config));
    args.push('--config', join(dir, 'mcgw.json'));
  }
  const gw = await startGatewayPinned(dir, args);
  try {
    return await measure(`http://127.0.0.1:${gw.port}`, gw.child.pid!, tsdbPid);
  } finally {
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

export async function benchGrafana(): Promise<Row[]> {
  const up = spawnSync('bash', [join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'conformance', 'backends', 'prometheus', 'up.sh')], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`the grafana bench needs Prometheus (conformance/backends/prometheus/install.sh): ${up.stderr}`);
  const prom = JSON.parse(up.stdout.trim().split('\n').pop()!) as { url: string; flavor: string; pid: number };
  const prometheus = (percentiles: boolean) => ({ cloudwatch: { backend: 'grafana' }, backends: { grafana: { prometheus: { url: prom.url, flavor: prom.flavor, percentiles } } } });
  const ours = await run(prometheus(true), prom.pid);
  const lean = await run(prometheus(false), prom.pid);
  const peer = await run(undefined);
  const putRow = (r: Result, what: string): Row => ({
    workload: `PutMetricData offered at ${RATE} datapoints/s for ${SUSTAIN_S} s (1,000 a call), into Prometheus, ${what}`,
    ours: `${Math.round(r.acceptedPerSec)} datapoints/s, p99 ${r.p99ms.toFixed(0)} ms, ${r.failed} calls throttled/failed; RSS peak ${mib(r.rssFirstHalf)} → ${mib(r.rssSecondHalf)}; CPU µs/datapoint: gateway ${r.gatewayCpuUs.toFixed(1)}, Prometheus ${r.tsdbCpuUs.toFixed(1)}`,
    peerName: 'embedded store',
    peer: `${Math.round(peer.acceptedPerSec)} datapoints/s, p99 ${peer.p99ms.toFixed(0)} ms; RSS peak ${mib(peer.rssFirstHalf)} → ${mib(peer.rssSecondHalf)}`,
    ratio: r.acceptedPerSec / peer.acceptedPerSec,
    target: `≥ ${RATE * 0.99}/s sustained, no failures, memory bounded`,
    pass: r.acceptedPerSec >= RATE * 0.99 && r.failed === 0 && r.rssSecondHalf <= r.rssFirstHalf + 64 * 1048576,
  });
  return [
    putRow(ours, 'with percentiles (cw_dist)'),
    putRow(lean, 'percentiles: false'),
    {
      workload: `GetMetricData, 24 h of 1-min data × ${METRICS} metrics (all pages), PromQL on Prometheus`,
      ours: `${ours.readSeconds.toFixed(3)} s (${ours.pointsRead} points)`,
      peerName: 'embedded store',
      peer: `${peer.readSeconds.toFixed(3)} s (${peer.pointsRead} points)`,
      ratio: peer.readSeconds / ours.readSeconds,
      target: 'same points; reported',
      pass: ours.pointsRead === peer.pointsRead && ours.pointsRead === METRICS * MINUTES,
    },
  ];
}
