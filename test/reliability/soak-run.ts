// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Soak: a real `mcgw serve` process under a steady mixed load — S3 PutObject/GetObject, DynamoDB
 * PutItem/GetItem, EC2 DescribeInstances, CloudWatch PutMetricData — over a fixed working set (keys
 * are overwritten, so the data does not grow with time). Sampled every few seconds: RSS and open
 * file descriptors of the process, p99 latency per window. Checks: zero errors, RSS at the end
 * within 10% of RSS after warm-up, no fd growth, the last quarter's p99 not worse than the first
 * quarter's beyond noise.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client, DescribeInstancesCommand, RunInstancesCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { fdsOf, rssOf, sleep, spawnGateway } from './proc.js';

export interface SoakOptions {
  seconds: number;
  /** Requests per second, spread evenly over the four services. */
  rps: number;
}

export interface SoakFigures {
  requests: number;
  errors: string[];
  rssWarm: number;
  rssEnd: number;
  rssMax: number;
  /** non-socket descriptors (files, pipes, LMDB) after warm-up and at the end */
  fdsWarm: number;
  fdsEnd: number;
  /** sockets once the load's clients have closed their connections, and right after start */
  socketsIdle: number;
  socketsStart: number;
  p99First: number;
  p99Last: number;
}

function p99(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
}

export async function soak(t: Test, opts: SoakOptions): Promise<SoakFigures> {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-soak-'));
  const gw = await spawnGateway(join(base, 'data'));
  try {
    const cfg = { ...gw.clientConfig, maxAttempts: 1 };
    const s3 = new S3Client(cfg);
    const db = new DynamoDBClient(cfg);
    const ec2 = new EC2Client(cfg);
    const cw = new CloudWatchClient(cfg);
    await s3.send(new CreateBucketCommand({ Bucket: 'soak' }));
    await db.send(new CreateTableCommand({ TableName: 'soak', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    const ami = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images![0].ImageId!;
    await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 5, MaxCount: 5 }));
    const body = randomBytes(4096);
    const ops: Array<(i: number) => Promise<unknown>> = [
      (i) => (i % 2 ? s3.send(new PutObjectCommand({ Bucket: 'soak', Key: `k${i % 200}`, Body: body })) : s3.send(new GetObjectCommand({ Bucket: 'soak', Key: `k${(i + 1) % 200}` })).then((r) => r.Body!.transformToByteArray()).catch((e: Error) => (e.name === 'NoSuchKey' ? undefined : Promise.reject(e)))),
      (i) => (i % 2 ? db.send(new PutItemCommand({ TableName: 'soak', Item: { pk: { S: `k${i % 500}` }, v: { N: String(i) }, pad: { S: 'x'.repeat(512) } } })) : db.send(new GetItemCommand({ TableName: 'soak', Key: { pk: { S: `k${i % 500}` } } }))),
      () => ec2.send(new DescribeInstancesCommand({})),
      (i) => cw.send(new PutMetricDataCommand({ Namespace: 'Soak', MetricData: [{ MetricName: 'Load', Value: i % 100, Dimensions: [{ Name: 'Worker', Value: `w${i % 4}` }] }] })),
    ];
    const started = Date.now();
    const end = started + opts.seconds * 1000;
    const windows: number[][] = [];
    const samples: Array<{ at: number; rss: number; fds: number }> = [];
    const socketsStart = fdsOf(gw.pid).sockets;
    const errors: string[] = [];
    let requests = 0;
    let inflight = 0;
    const interval = 1000 / opts.rps;
    const sample = () => samples.push({ at: Date.now() - started, rss: rssOf(gw.pid), fds: fdsOf(gw.pid).files });
    const sampler = setInterval(sample, 2000);
    let next = Date.now();
    for (let i = 0; Date.now() < end; i++) {
      const w = Math.floor((Date.now() - started) / 10_000);
      (windows[w] ??= []);
      const op = ops[i % ops.length];
      const t0 = performance.now();
      inflight++;
      requests++;
      op(i).then(
        () => windows[w].push(performance.now() - t0),
        (e: Error) => errors.length < 20 && errors.push(`${e.name}: ${e.message}`),
      ).finally(() => inflight--);
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      if (inflight > 200) errors.length < 20 && errors.push('more than 200 requests in flight: the gateway does not keep up');
    }
    while (inflight > 0) await sleep(20);
    clearInterval(sampler);
    sample();
    for (const c of [s3, db, ec2, cw]) c.destroy();
    await sleep(500);
    const socketsIdle = fdsOf(gw.pid).sockets;
    // warm-up: the first quarter of the run (at least the first sample after 20 s when the run is short)
    const warm = samples.find((s) => s.at >= Math.min(opts.seconds * 250, 20_000)) ?? samples[0];
    const q = Math.max(1, Math.floor(windows.length / 4));
    const first = windows.slice(0, q).flat();
    const last = windows.slice(-q).flat();
    const figures: SoakFigures = {
      requests,
      errors,
      rssWarm: warm.rss,
      rssEnd: samples[samples.length - 1].rss,
      rssMax: Math.max(...samples.map((s) => s.rss)),
      fdsWarm: warm.fds,
      fdsEnd: samples[samples.length - 1].fds,
      socketsIdle,
      socketsStart,
      p99First: p99(first),
      p99Last: p99(last),
    };
    const mib = (b: number) => (b / 1048576).toFixed(1);
    t.comment(`soak ${opts.seconds} s at ${opts.rps} req/s: ${requests} requests; RSS ${mib(figures.rssWarm)} → ${mib(figures.rssEnd)} MiB (max ${mib(figures.rssMax)}); file fds ${figures.fdsWarm} → ${figures.fdsEnd}, sockets ${socketsStart} at start, ${socketsIdle} once idle; p99 ${figures.p99First.toFixed(1)} → ${figures.p99Last.toFixed(1)} ms`);
    t.same(errors, [], 'zero errors');
    t.ok(figures.rssEnd <= figures.rssWarm * 1.1, `RSS flat within 10% after warm-up (${mib(figures.rssWarm)} → ${mib(figures.rssEnd)} MiB)`);
    t.ok(figures.fdsEnd <= figures.fdsWarm + 2, `no file descriptor leak (${figures.fdsWarm} → ${figures.fdsEnd})`);
    t.ok(socketsIdle <= socketsStart + 2, `no socket leak: ${socketsIdle} sockets once the clients are gone (${socketsStart} at start)`);
    t.ok(figures.p99Last <= figures.p99First * 2 + 25, `p99 stable (${figures.p99First.toFixed(1)} → ${figures.p99Last.toFixed(1)} ms)`);
    t.equal(await gw.kill('SIGTERM'), 0, 'stops cleanly after the soak');
    return figures;
  } finally {
    await gw.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
}

export function soakSecondsFromEnv(def: number): number {
  const n = Number(process.env.MCGW_SOAK_SECONDS);
  return Number.isFinite(n) && n > 0 ? n : def;
}
