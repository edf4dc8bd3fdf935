// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch bench against moto_server in the same run, both driven by @aws-sdk/client-cloudwatch
 * (awsJson 1.0), each server pinned to the server core:
 *  - PutMetricData of 1,000 datapoints per call, one signed request replayed by wrk over 4
 *    connections: datapoints stored per second;
 *  - GetMetricData over 24 h of 1-minute data for 100 metrics (100 MetricStat queries, all pages):
 *    seconds per full read.
 * Target: ≥ 10× moto on both. moto scans every stored datapoint for every period of every query,
 * so its read is stopped after READ_LIMIT_S and reported as a lower bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { BENCH_CREDENTIALS, have, signedPost, startGatewayPinned, startPinned, stopChild, wrk, type Row } from './lib.js';

export const METRICS = 100;
export const MINUTES = 1440;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Seeds 24 h of 1-minute data ending at `start` + 24 h for METRICS metrics (Bench/Load, dimension Host), 1,000 datapoints a call. */
export async function seedDay(cw: CloudWatchClient, start: number): Promise<void> {
  const all: MetricDatum[] = [];
  for (let m = 0; m < METRICS; m++) {
    for (let i = 0; i < MINUTES; i++) {
      all.push({ MetricName: 'Load', Dimensions: [{ Name: 'Host', Value: `h${m}` }], Timestamp: new Date(start + i * 60_000), Value: (m + i) % 97 });
    }
  }
  for (let o = 0; o < all.length; o += 1000) await cw.send(new PutMetricDataCommand({ Namespace: 'Bench', MetricData: all.slice(o, o + 1000) }));
}

/** GetMetricData of the seeded metrics over [start, end) at 1 minute, all pages: the number of values read. */
export async function readDay(cw: CloudWatchClient, start: number, end: number, abortSignal?: AbortSignal): Promise<number> {
  const queries = Array.from({ length: METRICS }, (_, m) => ({
    Id: `m${m}`,
    MetricStat: { Metric: { Namespace: 'Bench', MetricName: 'Load', Dimensions: [{ Name: 'Host', Value: `h${m}` }] }, Period: 60, Stat: 'Average' },
  }));
  let points = 0;
  let token: string | undefined;
  do {
    const r = await cw.send(new GetMetricDataCommand({ StartTime: new Date(start), EndTime: new Date(end), MetricDataQueries: queries, NextToken: token }), { abortSignal });
    for (const res of r.MetricDataResults ?? []) points += res.Values?.length ?? 0;
    token = r.NextToken;
  } while (token);
  return points;
}

interface Result {
  putPointsPerSec: number;
  readSeconds: number;
  pointsRead: number;
  /** The read did not finish within the time limit (readSeconds is then a lower bound). */
  readTimedOut: boolean;
}

/** A GetMetricData read that has not finished by then is reported as at least this long. */
const READ_LIMIT_S = 120;

async function measure(endpoint: string, putSeconds: number): Promise<Result> {
  // no gzip request bodies: moto_server mishandles them (the gateway takes both)
  const cw = new CloudWatchClient({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, disableRequestCompression: true });
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - MINUTES * 60_000;
  await seedDay(cw, start);
  // PutMetricData throughput: one signed awsJson request replayed by wrk (4 connections), so the
  // client's own cost does not cap the measurement
  const url = new URL(endpoint);
  const body = JSON.stringify({
    Namespace: 'BenchPut',
    MetricData: Array.from({ length: 1000 }, (_, i) => ({ MetricName: 'Put', Dimensions: [{ Name: 'Slot', Value: `s${i % 50}` }], Value: i, Timestamp: (end - (i % 60) * 1000) / 1000 })),
  });
  const req = await signedPost(Number(url.port), 'monitoring', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', 'x-amzn-query-mode': 'true' }, body);
  const { headers } = req;
  const probe = await fetch(`${endpoint}/`, { method: 'POST', headers, body });
  if (probe.status !== 200) throw new Error(`PutMetricData probe failed: ${probe.status} ${await probe.text()}`);
  const w = wrk(`${endpoint}/`, req, { connections: 4, seconds: putSeconds });
  if (w.non2xx) throw new Error(`${w.non2xx} PutMetricData answers were not 2xx`);
  // GetMetricData: all pages of 100 queries over 24 h
  const r0 = process.hrtime.bigint();
  let points = 0;
  let readTimedOut = false;
  const abort = AbortSignal.timeout(READ_LIMIT_S * 1000);
  try {
    points = await readDay(cw, start, end, abort);
  } catch (e) {
    if (!abort.aborted) throw e;
    readTimedOut = true;
  }
  const readSeconds = readTimedOut ? READ_LIMIT_S : Number(process.hrtime.bigint() - r0) / 1e9;
  cw.destroy();
  return { putPointsPerSec: w.requestsPerSec * 1000, readSeconds, pointsRead: points, readTimedOut };
}

export async function benchCloudWatch(putSeconds = 8): Promise<Row[]> {
  if (!have('moto_server')) throw new Error('the CloudWatch bench needs moto_server on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-cw-'));
  let ours: Result;
  const gw = await startGatewayPinned(dir);
  try {
    ours = await measure(`http://127.0.0.1:${gw.port}`, putSeconds);
  } finally {
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
  const port = await freePort();
  const moto = await startPinned('moto_server', ['-p', String(port)], /Running on|CTRL\+C/);
  let peer: Result;
  try {
    peer = await measure(`http://127.0.0.1:${port}`, putSeconds);
  } finally {
    await stopChild(moto.child);
  }
  const putRatio = ours.putPointsPerSec / peer.putPointsPerSec;
  const readRatio = peer.readSeconds / ours.readSeconds;
  return [
    {
      workload: 'PutMetricData, 1,000 datapoints a call, wrk 4 conns',
      ours: `${Math.round(ours.putPointsPerSec)} datapoints/s`,
      peerName: 'moto_server',
      peer: `${Math.round(peer.putPointsPerSec)} datapoints/s`,
      ratio: putRatio,
      target: '≥ 10×',
      pass: putRatio >= 10,
    },
    {
      workload: `GetMetricData, 24 h of 1-min data × ${METRICS} metrics (${ours.pointsRead} points, all pages)`,
      ours: `${ours.readSeconds.toFixed(3)} s`,
      peerName: 'moto_server',
      peer: peer.readTimedOut ? `> ${READ_LIMIT_S} s (stopped unfinished)` : `${peer.readSeconds.toFixed(3)} s (${peer.pointsRead} points)`,
      ratio: readRatio,
      target: '≥ 10×',
      pass: !ours.readTimedOut && readRatio >= 10,
    },
  ];
}
