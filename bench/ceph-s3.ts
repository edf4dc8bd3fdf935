// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 on Ceph RGW: the gateway (`s3.backend: ceph`, pinned to the server core) against the same RGW
 * spoken to directly, in one run, on the scratch cluster of conformance/backends/ceph (RGW itself
 * is not pinned; wrk runs on the load core). Both sides get the same wrk request shape: path-style,
 * SigV4 with UNSIGNED-PAYLOAD, signed once and replayed.
 *  - GET and PUT of a 1 MiB object, 16 connections: throughput, target ≥ 0.9× RGW (≤ 10 % cost);
 *  - GET and PUT of a 4 KiB object, 1 connection: latency, target p50 ≤ RGW's + 1 ms.
 * The direct side uses the cluster's admin RGW user and a bucket of its own; the gateway side a
 * bucket of the gateway's root account (so its own RGW user and tenant). The gateway's CPU time
 * per request is shown beside its req/s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aws4 from 'aws4';
import { cephUp } from '../conformance/backends/ceph/cluster.js';
import { BENCH_CREDENTIALS, printRows, startGatewayPinned, stopChild, wrk, type Row, type WrkRequest, type WrkResult } from './lib.js';
import { fmtMeasured, withCpu } from './s3.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Target {
  name: string;
  origin: string;
  creds: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
}

function sign(t: Target, method: string, path: string): Record<string, string> {
  const u = new URL(t.origin);
  const s = aws4.sign({ host: u.host, path, method, service: 's3', region: 'us-east-1', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, t.creds);
  return s.headers as Record<string, string>;
}

async function send(t: Target, method: string, path: string, body?: Buffer, ok = 200): Promise<void> {
  const res = await fetch(t.origin + path, { method, headers: sign(t, method, path), body: body ? new Uint8Array(body) : undefined });
  const text = await res.text();
  if (res.status !== ok) throw new Error(`${t.name}: ${method} ${path} answered ${res.status} ${text.slice(0, 200)}`);
}

function request(t: Target, method: 'GET' | 'PUT', key: string, body?: Buffer): WrkRequest {
  const path = `/${t.bucket}/${key}`;
  return { method, path, headers: sign(t, method, path), body: body?.toString('latin1') };
}

type Measured = WrkResult & { cpuUsPerReq?: number };
const fmt = fmtMeasured;

function throughputRow(workload: string, ours: Measured, peer: Measured): Row {
  const ratio = ours.requestsPerSec / peer.requestsPerSec;
  return { workload, ours: fmt(ours), peerName: 'RGW direct', peer: fmt(peer), ratio, target: '≥ 0.90× (≤ 10 % cost)', pass: ratio >= 0.9 };
}

function latencyRow(workload: string, ours: Measured, peer: Measured): Row {
  const added = ours.p50ms - peer.p50ms;
  return {
    workload: `${workload} (p50 added ${added.toFixed(2)} ms)`,
    ours: fmt(ours),
    peerName: 'RGW direct',
    peer: fmt(peer),
    ratio: ours.requestsPerSec / peer.requestsPerSec,
    target: 'p50 ≤ RGW + 1 ms',
    pass: added <= 1,
  };
}

export async function benchCephS3(seconds = 8): Promise<Row[]> {
  const env = await cephUp();
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-ceph-'));
  const tag = randomBytes(4).toString('hex');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ s3: { backend: 'ceph' }, backends: { ceph: { rgw: { endpoint: env.rgwEndpoint, adminAccessKey: env.rgwAdminAccessKey, adminSecretKey: env.rgwAdminSecretKey } } } }));
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', config]);
  try {
    const via: Target = { name: 'gateway', origin: `http://127.0.0.1:${gw.port}`, creds: BENCH_CREDENTIALS, bucket: `bench-gw-${tag}` };
    const direct: Target = { name: 'RGW', origin: env.rgwEndpoint, creds: { accessKeyId: env.rgwAdminAccessKey, secretAccessKey: env.rgwAdminSecretKey }, bucket: `bench-direct-${tag}` };
    const big = Buffer.alloc(MiB, 0x61);
    const small = Buffer.alloc(4 * KiB, 0x62);
    for (const t of [via, direct]) {
      await send(t, 'PUT', `/${t.bucket}`);
      await send(t, 'PUT', `/${t.bucket}/big`, big);
      await send(t, 'PUT', `/${t.bucket}/small`, small);
    }
    // the gateway's CPU time per request is measured too (RGW's is not: the cluster is shared)
    const run = (t: Target, req: WrkRequest, connections: number): Measured => {
      const r = withCpu(t === via ? gw.child.pid : undefined, seconds, () => wrk(`${t.origin}/`, req, { seconds, connections }));
      if (r.non2xx) throw new Error(`${t.name}: ${r.non2xx} non-2xx answers to ${req.method} ${req.path}`);
      return r;
    };
    const rows: Row[] = [];
    const pair = (t: Target, method: 'GET' | 'PUT', size: 'big' | 'small', connections: number) =>
      run(t, request(t, method, method === 'GET' ? size : `put-${size}`, method === 'PUT' ? (size === 'big' ? big : small) : undefined), connections);
    rows.push(throughputRow('GET 1 MiB, 16 connections', pair(via, 'GET', 'big', 16), pair(direct, 'GET', 'big', 16)));
    rows.push(throughputRow('PUT 1 MiB, 16 connections', pair(via, 'PUT', 'big', 16), pair(direct, 'PUT', 'big', 16)));
    rows.push(latencyRow('GET 4 KiB, 1 connection', pair(via, 'GET', 'small', 1), pair(direct, 'GET', 'small', 1)));
    rows.push(latencyRow('PUT 4 KiB, 1 connection', pair(via, 'PUT', 'small', 1), pair(direct, 'PUT', 'small', 1)));
    for (const t of [via, direct]) {
      for (const k of ['big', 'small', 'put-big', 'put-small']) await send(t, 'DELETE', `/${t.bucket}/${k}`, undefined, 204);
      await send(t, 'DELETE', `/${t.bucket}`, undefined, 204);
    }
    return rows;
  } finally {
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/ceph-s3.js` runs it alone
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) printRows('ceph-s3', await benchCephS3());
