// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 on Ceph RGW: the gateway (`s3.backend: ceph`) against the same RGW spoken to directly, in one
 * run, on the scratch cluster of conformance/backends/ceph. Both sides get the same wrk request
 * shape: path-style, SigV4 with UNSIGNED-PAYLOAD, signed once and replayed.
 *  - GET and PUT of a 1 MiB object, 16 and 64 connections: throughput, target ≥ 0.9× RGW (≤ 10 %
 *    cost). With 16, the two stages in series (gateway, RGW) share the requests in flight, so RGW
 *    sees fewer at a time than when wrk drives it alone; 64 keeps both busy. Both are judged;
 *  - GET and PUT of a 4 KiB object, 1 connection: latency, target p50 ≤ RGW's + 1 ms.
 * Where each process runs (taskset): the whole cluster (radosgw, ceph-osd, ceph-mon, ceph-mgr,
 * every thread) on core 1 (UPSTREAM_CORE) for the length of the bench, in both runs, alone — the
 * storage has its own nodes in production; wrk on core 0 (FRONT_CORE) in both runs; in the
 * gateway's run the gateway on core 0 too, beside wrk. (The kernel's own work for the OSD's file
 * and the loopback TCP runs wherever the kernel puts it.) The two sides run interleaved
 * (lib.ts interleavedWrk: a warm-up each, then rounds in alternating order, totals compared).
 * Each row gives the CPU µs per request of the gateway and of RGW + OSD (/proc), the figure that
 * carries over to other machines, and each core's busy share.
 * The direct side uses the cluster's admin RGW user and a bucket of its own; the gateway side a
 * bucket of the gateway's root account (so its own RGW user and tenant). Afterwards the daemons
 * may run on every core again. `MCGW_BENCH_GATEWAY_NODE_ARGS` is passed to the gateway's node.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import aws4 from 'aws4';
import { cephUp } from '../conformance/backends/ceph/cluster.js';
import { BENCH_CREDENTIALS, coreBusy, FRONT_CORE, have, interleavedWrk, printRows, startGatewayPinned, stopChild, UPSTREAM_CORE, type Row, type SideResult, type WrkRequest } from './lib.js';

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

async function send(t: Target, method: string, path: string, body?: Buffer, ok = 200, retry = true): Promise<void> {
  let res: Response;
  try {
    res = await fetch(t.origin + path, { method, headers: sign(t, method, path), body: body ? new Uint8Array(body) : undefined });
  } catch (e) {
    // a kept-alive connection the server closed while idle (the bench runs for a minute between
    // setup and cleanup); every request sent here is idempotent
    if (!retry) throw e;
    return send(t, method, path, body, ok, false);
  }
  const text = await res.text();
  if (res.status !== ok) throw new Error(`${t.name}: ${method} ${path} answered ${res.status} ${text.slice(0, 200)}`);
}

function request(t: Target, method: 'GET' | 'PUT', key: string, body?: Buffer): WrkRequest {
  const path = `/${t.bucket}/${key}`;
  return { method, path, headers: sign(t, method, path), body: body?.toString('latin1') };
}

/** The cluster's daemons (pid files of up.sh), by name: radosgw, OSD, mon, mgr. */
function daemonPids(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of readdirSync(join(dir, 'run'))) if (f.endsWith('.pid')) out[f.slice(0, -4)] = Number(readFileSync(join(dir, 'run', f), 'utf8').trim());
  return out;
}

/** Moves every thread of `pids` to `cores` (taskset -a). */
function pin(pids: number[], cores: string): void {
  if (!have('taskset')) return;
  for (const pid of pids) spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

const ms = (m: SideResult) => `${Math.round(m.requestsPerSec)} req/s (p50 ${m.p50ms.toFixed(2)} ms)`;

/** CPU µs per request of the gateway and of RGW + OSD, and the share of each core they kept busy. */
function cpu(m: SideResult, gateway: boolean): string {
  const up = (m.cpuUsPerRequest['client.rgw.x'] ?? NaN) + (m.cpuUsPerRequest['osd.0'] ?? NaN);
  const gw = m.cpuUsPerRequest.gateway ?? NaN;
  return `${gateway ? `gateway ${Math.round(gw)} µs/req (core 0: ${coreBusy(gw, m.requestsPerSec)} + wrk), ` : ''}RGW+OSD ${Math.round(up)} µs/req (core 1: ${coreBusy(up, m.requestsPerSec)})`;
}

function throughputRow(workload: string, ours: SideResult, peer: SideResult): Row {
  const ratio = ours.requestsPerSec / peer.requestsPerSec;
  return { workload, ours: `${ms(ours)}; ${cpu(ours, true)}`, peerName: 'RGW direct', peer: `${ms(peer)}; ${cpu(peer, false)}`, ratio, target: '≥ 0.90× (≤ 10 % cost)', pass: ratio >= 0.9 };
}

function latencyRow(workload: string, ours: SideResult, peer: SideResult): Row {
  const added = ours.p50ms - peer.p50ms;
  return {
    workload: `${workload} (p50 added ${added.toFixed(2)} ms)`,
    ours: `${ms(ours)}; ${cpu(ours, true)}`,
    peerName: 'RGW direct',
    peer: `${ms(peer)}; ${cpu(peer, false)}`,
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
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', config], {}, FRONT_CORE);
  const daemons = daemonPids(env.dir);
  pin(Object.values(daemons), UPSTREAM_CORE);
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
    const pids = { gateway: gw.child.pid, 'client.rgw.x': daemons['client.rgw.x'], 'osd.0': daemons['osd.0'] };
    const rows: Row[] = [];
    const req = (t: Target, method: 'GET' | 'PUT', size: 'big' | 'small') => request(t, method, method === 'GET' ? size : `put-${size}`, method === 'PUT' ? (size === 'big' ? big : small) : undefined);
    const compare = (method: 'GET' | 'PUT', size: 'big' | 'small', connections: number) => {
      const r = interleavedWrk([via, direct].map((t) => ({ url: `${t.origin}/`, req: req(t, method, size) })), pids, { seconds, connections, core: FRONT_CORE, warmupSeconds: 1 }) as [SideResult, SideResult];
      if (r[0].non2xx || r[1].non2xx) throw new Error(`${r[0].non2xx} gateway / ${r[1].non2xx} RGW non-2xx answers to ${method} ${size}`);
      return r;
    };
    for (const connections of [16, 64]) {
      rows.push(throughputRow(`GET 1 MiB, ${connections} connections`, ...compare('GET', 'big', connections)));
      rows.push(throughputRow(`PUT 1 MiB, ${connections} connections`, ...compare('PUT', 'big', connections)));
    }
    rows.push(latencyRow('GET 4 KiB, 1 connection', ...compare('GET', 'small', 1)));
    rows.push(latencyRow('PUT 4 KiB, 1 connection', ...compare('PUT', 'small', 1)));
    for (const t of [via, direct]) {
      for (const k of ['big', 'small', 'put-big', 'put-small']) await send(t, 'DELETE', `/${t.bucket}/${k}`, undefined, 204);
      await send(t, 'DELETE', `/${t.bucket}`, undefined, 204);
    }
    return rows;
  } finally {
    pin(Object.values(daemons), `0-${Math.max(0, availableParallelism() - 1)}`);
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/ceph-s3.js` runs it alone
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) printRows('ceph-s3', await benchCephS3());
