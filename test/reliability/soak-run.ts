// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Soak: a real `mcgw serve` process under a steady mixed load — S3 PutObject/GetObject, DynamoDB
 * PutItem/GetItem, EC2 DescribeInstances, CloudWatch PutMetricData — over a fixed working set (keys
 * are overwritten, so the data does not grow with time; every read is checked against what was
 * written). Sampled every 2 s: RSS, open file descriptors and CPU time of the gateway process;
 * latency per 10 s slice. Reported per window (60 s, or a twelfth of runs over 12 minutes).
 * Checks, after a warm-up (the first window, at most a quarter of the run): zero errors; median RSS
 * of the last window within 10% of the median RSS of the first window after warm-up; no fd growth;
 * no socket left once the clients are gone; the gateway's CPU time per request in the last window
 * within 1.5× of the first (load from other processes barely moves it, a slowdown inside the
 * gateway does); the median of the 10 s p99s of the last quarter within 2× + 25 ms of the first
 * quarter after warm-up (a median, so one burst of someone else's load on a shared machine does
 * not decide it).
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client, DescribeInstancesCommand, RunInstancesCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { cpuOf, fdsOf, rssOf, sleep, spawnGateway } from './proc.js';

export interface SoakOptions {
  seconds: number;
  /** Requests per second, spread evenly over the four services. */
  rps: number;
}

/** One reporting window of the run. */
export interface SoakWindow {
  /** seconds since the load started */
  from: number;
  to: number;
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** gateway CPU (user + system) per request, ms */
  cpuMsPerRequest: number;
  /** median RSS of the window's samples, bytes */
  rss: number;
  files: number;
  /** 1-minute load average of the machine at the window's last sample */
  load: number;
}

export interface SoakFigures {
  seconds: number;
  rps: number;
  requests: number;
  errors: string[];
  warmupSeconds: number;
  rssBase: number;
  rssEnd: number;
  rssMax: number;
  /** non-socket descriptors (files, pipes, LMDB) after warm-up and at the end */
  fdsBase: number;
  fdsEnd: number;
  /** sockets once the load's clients have closed their connections, and right after start */
  socketsIdle: number;
  socketsStart: number;
  cpuBase: number;
  cpuEnd: number;
  p99First: number;
  p99Last: number;
  windows: SoakWindow[];
}

interface Sample {
  at: number;
  rss: number;
  fds: number;
  cpu: number;
  load: number;
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
}

const SLICE_MS = 10_000;

/** Window length in seconds: 60 s, or a twelfth of a run longer than 12 minutes. */
export function windowSeconds(seconds: number): number {
  return Math.max(60, Math.ceil(seconds / 12));
}

export async function soak(t: Test, opts: SoakOptions): Promise<SoakFigures> {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-soak-'));
  const gw = await spawnGateway(join(base, 'data'));
  try {
    // no retries: every error counts. Idle connections are dropped by the client after 30 s, well
    // before the gateway's keep-alive timeout (65 s): otherwise the client may reuse one at the
    // moment the gateway closes it (the HTTP/1.1 keep-alive race; SDKs retry it as transient, and
    // the first one-hour run met it once in 144,000 requests: ECONNRESET)
    const agent = new Agent({ keepAlive: true, maxSockets: 50, timeout: 30_000 });
    const cfg = { ...gw.clientConfig, maxAttempts: 1, requestHandler: { httpAgent: agent } };
    const s3 = new S3Client(cfg);
    const db = new DynamoDBClient(cfg);
    const ec2 = new EC2Client(cfg);
    const cw = new CloudWatchClient(cfg);
    await s3.send(new CreateBucketCommand({ Bucket: 'soak' }));
    await db.send(new CreateTableCommand({ TableName: 'soak', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    const ami = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images![0].ImageId!;
    await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 5, MaxCount: 5 }));
    const body = randomBytes(4096);
    const errors: string[] = [];
    const fail = (msg: string) => errors.length < 20 && errors.push(msg);
    const ops: Array<(i: number) => Promise<unknown>> = [
      async (i) => {
        if (i % 2) return s3.send(new PutObjectCommand({ Bucket: 'soak', Key: `k${i % 200}`, Body: body }));
        const key = `k${(i + 1) % 200}`;
        const got = await s3.send(new GetObjectCommand({ Bucket: 'soak', Key: key })).then((r) => r.Body!.transformToByteArray(), (e: Error) => (e.name === 'NoSuchKey' ? undefined : Promise.reject(e)));
        if (got && !Buffer.from(got).equals(body)) fail(`S3 GetObject ${key}: ${got.length} bytes that differ from what was written`);
      },
      async (i) => {
        const key = `k${i % 500}`;
        if (i % 2) return db.send(new PutItemCommand({ TableName: 'soak', Item: { pk: { S: key }, v: { N: String(i) }, pad: { S: 'x'.repeat(512) } } }));
        const { Item } = await db.send(new GetItemCommand({ TableName: 'soak', Key: { pk: { S: key } } }));
        if (Item && (Item.pk?.S !== key || Item.pad?.S?.length !== 512 || !Item.v?.N)) fail(`DynamoDB GetItem ${key}: ${JSON.stringify(Item).slice(0, 200)}`);
      },
      async () => {
        const r = await ec2.send(new DescribeInstancesCommand({}));
        const n = (r.Reservations ?? []).reduce((a, x) => a + (x.Instances?.length ?? 0), 0);
        if (n !== 5) fail(`EC2 DescribeInstances: ${n} instances, not 5`);
      },
      (i) => cw.send(new PutMetricDataCommand({ Namespace: 'Soak', MetricData: [{ MetricName: 'Load', Value: i % 100, Dimensions: [{ Name: 'Worker', Value: `w${i % 4}` }] }] })),
    ];
    const started = Date.now();
    const end = started + opts.seconds * 1000;
    /** latencies (ms) per 10 s slice, by start time */
    const slices: number[][] = [];
    const samples: Sample[] = [];
    const socketsStart = fdsOf(gw.pid).sockets;
    let requests = 0;
    let inflight = 0;
    const interval = 1000 / opts.rps;
    const sample = () => samples.push({ at: Date.now() - started, rss: rssOf(gw.pid), fds: fdsOf(gw.pid).files, cpu: cpuOf(gw.pid), load: loadavg()[0] });
    sample();
    const sampler = setInterval(sample, 2000);
    let next = Date.now();
    for (let i = 0; Date.now() < end; i++) {
      const slice = (slices[Math.floor((Date.now() - started) / SLICE_MS)] ??= []);
      const op = ops[i % ops.length];
      const t0 = performance.now();
      inflight++;
      requests++;
      op(i).then(
        () => slice.push(performance.now() - t0),
        (e: Error) => fail(`${e.name}: ${e.message}`),
      ).finally(() => inflight--);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      if (inflight > 200) fail('more than 200 requests in flight: the gateway does not keep up');
    }
    while (inflight > 0) await sleep(20);
    clearInterval(sampler);
    sample();
    for (const c of [s3, db, ec2, cw]) c.destroy();
    agent.destroy();
    await sleep(500);
    const socketsIdle = fdsOf(gw.pid).sockets;

    const ws = windowSeconds(opts.seconds);
    const windows: SoakWindow[] = [];
    for (let from = 0; from < opts.seconds; from += ws) windows.push(windowOf(from, Math.min(opts.seconds, from + ws), slices, samples));
    const warmup = Math.min(ws, opts.seconds / 4);
    const span = Math.min(ws, opts.seconds / 4);
    const baseW = windowOf(warmup, warmup + span, slices, samples);
    const endW = windowOf(opts.seconds - span, opts.seconds + 1, slices, samples);
    const q = Math.max(1, Math.floor(slices.length / 4));
    const firstSlice = Math.ceil((warmup * 1000) / SLICE_MS);
    const p99s = (xs: number[][]) => quantile(xs.filter((s) => s.length).map((s) => quantile(s, 0.99)), 0.5);
    const figures: SoakFigures = {
      seconds: opts.seconds,
      rps: opts.rps,
      requests,
      errors,
      warmupSeconds: warmup,
      rssBase: baseW.rss,
      rssEnd: endW.rss,
      rssMax: Math.max(...samples.map((s) => s.rss)),
      fdsBase: baseW.files,
      fdsEnd: samples[samples.length - 1].fds,
      socketsIdle,
      socketsStart,
      cpuBase: baseW.cpuMsPerRequest,
      cpuEnd: endW.cpuMsPerRequest,
      p99First: p99s(slices.slice(firstSlice, firstSlice + q)),
      p99Last: p99s(slices.slice(-q)),
      windows,
    };
    report(t, figures);
    t.same(errors, [], 'zero errors, every read as written');
    t.ok(figures.rssEnd <= figures.rssBase * 1.1, `RSS flat within 10% after warm-up (${mib(figures.rssBase)} → ${mib(figures.rssEnd)} MiB)`);
    t.ok(figures.fdsEnd <= figures.fdsBase + 2, `no file descriptor leak (${figures.fdsBase} → ${figures.fdsEnd})`);
    t.ok(socketsIdle <= socketsStart + 2, `no socket leak: ${socketsIdle} sockets once the clients are gone (${socketsStart} at start)`);
    t.ok(figures.cpuEnd <= figures.cpuBase * 1.5, `CPU per request stable (${figures.cpuBase.toFixed(2)} → ${figures.cpuEnd.toFixed(2)} ms)`);
    t.ok(figures.p99Last <= figures.p99First * 2 + 25, `p99 stable (${figures.p99First.toFixed(1)} → ${figures.p99Last.toFixed(1)} ms, median of 10 s slices)`);
    t.equal(await gw.kill('SIGTERM'), 0, 'stops cleanly after the soak');
    return figures;
  } finally {
    await gw.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

function windowOf(fromS: number, toS: number, slices: number[][], samples: Sample[]): SoakWindow {
  const lat = slices.slice(Math.floor((fromS * 1000) / SLICE_MS), Math.ceil((toS * 1000) / SLICE_MS)).flat();
  const inside = samples.filter((s) => s.at >= fromS * 1000 && s.at <= toS * 1000);
  const ss = inside.length ? inside : [samples[samples.length - 1]];
  const cpu = ss[ss.length - 1].cpu - ss[0].cpu;
  return {
    from: fromS,
    to: toS,
    requests: lat.length,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: lat.length ? Math.max(...lat) : 0,
    cpuMsPerRequest: lat.length ? (cpu * 1000 * (toS - fromS)) / Math.max(1, (ss[ss.length - 1].at - ss[0].at) / 1000) / lat.length : 0,
    rss: quantile(ss.map((s) => s.rss), 0.5),
    files: ss[ss.length - 1].fds,
    load: ss[ss.length - 1].load,
  };
}

const mib = (b: number) => (b / 1048576).toFixed(1);

function report(t: Test, f: SoakFigures): void {
  t.comment(`soak ${f.seconds} s at ${f.rps} req/s: ${f.requests} requests, ${f.errors.length} errors; warm-up ${f.warmupSeconds} s; RSS ${mib(f.rssBase)} → ${mib(f.rssEnd)} MiB (max ${mib(f.rssMax)}); file fds ${f.fdsBase} → ${f.fdsEnd}; sockets ${f.socketsStart} at start, ${f.socketsIdle} once idle; CPU ${f.cpuBase.toFixed(2)} → ${f.cpuEnd.toFixed(2)} ms/request; p99 ${f.p99First.toFixed(1)} → ${f.p99Last.toFixed(1)} ms`);
  t.comment('window (s) | requests | p50 ms | p99 ms | max ms | CPU ms/req | RSS MiB | fds | load');
  for (const w of f.windows) {
    t.comment(`${w.from}-${w.to} | ${w.requests} | ${w.p50.toFixed(1)} | ${w.p99.toFixed(1)} | ${w.max.toFixed(0)} | ${w.cpuMsPerRequest.toFixed(2)} | ${mib(w.rss)} | ${w.files} | ${w.load.toFixed(2)}`);
  }
  if (process.env.MCGW_SOAK_REPORT) writeFileSync(process.env.MCGW_SOAK_REPORT, JSON.stringify(f, null, 1));
}

export function soakSecondsFromEnv(def: number): number {
  const n = Number(process.env.MCGW_SOAK_SECONDS);
  return Number.isFinite(n) && n > 0 ? n : def;
}
