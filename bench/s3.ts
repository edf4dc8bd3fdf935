// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 bench (wrk, 16 connections, server on one core, load on the other):
 *  - GET of a 1 MiB object vs nginx serving the same file from disk (target ≥ 0.6×) and vs
 *    moto_server (target ≥ 2×);
 *  - PUT of 1 MiB (durable: fsync before the answer) vs moto_server (target ≥ 2×);
 *  - LIST of a 1,000-key page from a 100,000-key bucket, one connection (target p50 ≤ 20 ms).
 * Peers that are not installed are reported as skipped. s3rver (npm, dev dependency) runs as a
 * child node process and is sent unsigned requests (it accepts them). The gateway, nginx and
 * s3rver run at once and take turns (a warm-up each, then two rounds, the second in reverse
 * order), so a drift of the machine falls on all alike; moto_server runs alone (motoAlone). Every
 * server's CPU time per request (from /proc) is shown beside its req/s: on a shared machine it
 * moves far less.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestContext } from '../src/context.js';
import { startGateway } from '../src/server/start.js';
import { silentLogger } from '../src/log.js';
import { principalOf } from '../src/state/identity.js';
import { Sha256 } from './sha256.js';
import { BENCH_CREDENTIALS, have, interleavedWrk, printRows, SERVER_CORE, startGatewayPinned, startPinned, stopChild, wrk, type Row, type SideResult, type WrkRequest } from './lib.js';

const KEY = BENCH_CREDENTIALS.accessKeyId;
const SECRET = BENCH_CREDENTIALS.secretAccessKey;
const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitHttp(url: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function signed(port: number, method: string, path: string, body?: Buffer): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, sha256: Sha256, uriEscapePath: false });
  const [p, q] = path.split('?');
  const query = Object.fromEntries(new URLSearchParams(q ?? ''));
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  void body; // Content-Length stays unsigned: wrk and fetch set it themselves
  const r = await signer.sign({ method, protocol: 'http:', hostname: '127.0.0.1', port, path: p, query, headers });
  return r.headers as Record<string, string>;
}

async function send(port: number, method: string, path: string, body?: Buffer): Promise<number> {
  const headers = await signed(port, method, path, body);
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body: body ? new Uint8Array(body) : undefined });
  await res.arrayBuffer();
  return res.status;
}

type Measured = { requestsPerSec: number; p50ms: number; non2xx?: number; cpuUsPerReq?: number };

/** "1000 req/s (p50 13.99 ms, 1150 µs CPU/req)" */
export function fmtMeasured(m: { requestsPerSec: number; p50ms: number; cpuUsPerReq?: number }): string {
  const cpu = m.cpuUsPerReq !== undefined ? `, ${Math.round(m.cpuUsPerReq)} µs CPU/req` : '';
  return `${Math.round(m.requestsPerSec)} req/s (p50 ${m.p50ms.toFixed(2)} ms${cpu})`;
}

/** A row against a peer; a peer that is missing or answered errors is reported, not compared. */
function row(workload: string, ours: Measured, peerName: string, peer: Measured | undefined, want?: number): Row {
  const usable = peer !== undefined && !peer.non2xx && peer.requestsPerSec > 0;
  const ratio = usable ? ours.requestsPerSec / peer.requestsPerSec : 0;
  return {
    workload,
    ours: fmtMeasured(ours),
    peerName,
    peer: !peer ? 'not installed' : usable ? fmtMeasured(peer) : peer.non2xx ? `no valid run (${peer.non2xx} non-2xx answers)` : 'no request completed (each took longer than wrk allows)',
    ratio,
    target: want === undefined ? 'reported' : `≥ ${want}×`,
    pass: usable && want !== undefined ? ratio >= want : true,
  };
}

/**
 * Peer CPU per request over ours, where both were measured: on a machine shared with other work
 * it moves far less than the req/s ratio (each side's req/s depends on what else ran meanwhile).
 */
function cpuRatioRow(workload: string, ours: Measured, peerName: string, peer: Measured | undefined): Row | undefined {
  if (!peer || peer.non2xx || ours.cpuUsPerReq === undefined || peer.cpuUsPerReq === undefined) return undefined;
  return {
    workload,
    ours: `${Math.round(ours.cpuUsPerReq)} µs CPU/req`,
    peerName,
    peer: `${Math.round(peer.cpuUsPerReq)} µs CPU/req`,
    ratio: peer.cpuUsPerReq / ours.cpuUsPerReq,
    target: 'reported',
    pass: true,
  };
}

/** Fills `bucket` with `n` empty objects through the S3 handlers of an in-process gateway. */
async function prefill(dataDir: string, bucket: string, n: number): Promise<void> {
  const env = { MCGW_ROOT_ACCESS_KEY_ID: KEY, MCGW_ROOT_SECRET_ACCESS_KEY: SECRET };
  const g = await startGateway({ port: 0, host: '127.0.0.1', dataDir, log: silentLogger, env });
  try {
    const def = g.gateway.services.get('s3')!;
    const key = (await g.gateway.identity.getKey(KEY))!;
    const principal = principalOf(key);
    const ctx = (operation: string): RequestContext => ({
      requestId: 'prefill',
      service: 's3',
      operation,
      region: 'us-east-1',
      principal,
      accountId: principal.accountId,
      http: { method: 'PUT', rawUrl: '/', path: '/', query: '', headers: {}, rawHeaders: [], host: '127.0.0.1', remoteAddress: '127.0.0.1', body: Readable.from([]) },
      gateway: g.gateway,
      signal: new AbortController().signal,
    });
    await def.operations.CreateBucket!(ctx('CreateBucket'), { Bucket: bucket });
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await def.operations.PutObject!(ctx('PutObject'), { Bucket: bucket, Key: `k/${String(i).padStart(6, '0')}`, Body: Readable.from([]), ContentLength: 0 });
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  } finally {
    await g.close();
  }
}

/** A server under test: where wrk sends its GETs and PUTs, and whose CPU is counted. */
interface Server {
  key: string;
  url: string;
  pid: number | undefined;
  get: WrkRequest;
  put?: WrkRequest;
}

/** One server's share of an interleaved run, as this bench's rows take it. */
function measured(r: SideResult, key: string): Measured {
  const cpu = r.cpuUsPerRequest[key];
  return { requestsPerSec: r.requestsPerSec, p50ms: r.p50ms, non2xx: r.non2xx, cpuUsPerReq: cpu !== undefined && Number.isFinite(cpu) ? cpu : undefined };
}

/**
 * wrk against every server in turn (lib.ts interleavedWrk: a warm-up each, then rounds in
 * alternating order), so that all of them see the same drift of a shared machine.
 */
function interleaved(servers: Server[], which: 'get' | 'put', seconds: number): Map<string, Measured> {
  const sides = servers.filter((s) => s[which] !== undefined);
  const pids = Object.fromEntries(sides.map((s) => [s.key, s.pid]));
  const results = interleavedWrk(sides.map((s) => ({ url: s.url, req: s[which]! })), pids, { seconds, rounds: 2, warmupSeconds: 1 });
  return new Map(sides.map((s, i) => [s.key, measured(results[i]!, s.key)]));
}

/**
 * moto_server measured on its own, a fresh process for each workload: once wrk has closed its
 * connections at the end of a run, moto answers no further request (seen with moto 5), so it
 * cannot take turns with the others. It is far slower than the rest, never the peer that counts.
 */
async function motoAlone(which: 'get' | 'put', object: Buffer, seconds: number, children: ChildProcess[]): Promise<Measured> {
  const mp = await freePort();
  const moto = await startPinned('moto_server', ['-p', String(mp)], /Running on/);
  children.push(moto.child);
  try {
    await send(mp, 'PUT', '/bench');
    await send(mp, 'PUT', '/bench/obj', object);
    const req: WrkRequest =
      which === 'get'
        ? { method: 'GET', path: '/bench/obj', headers: await signed(mp, 'GET', '/bench/obj') }
        : { method: 'PUT', path: '/bench/put', headers: await signed(mp, 'PUT', '/bench/put', object), body: object.toString('latin1') };
    // one round, no warm-up (after which moto would answer nothing)
    const [r] = interleavedWrk([{ url: `http://127.0.0.1:${mp}/`, req }], { moto: moto.child.pid }, { seconds, rounds: 1 });
    return measured(r!, 'moto');
  } finally {
    await stopChild(moto.child);
    children.splice(children.indexOf(moto.child), 1);
  }
}

export async function benchS3(seconds = 8, listKeys = 100_000): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-s3-'));
  const rows: Row[] = [];
  const children: ChildProcess[] = [];
  try {
    await prefill(join(dir, 'gw'), 'list-bucket', listKeys);
    // the gateway's file IO goes through libuv's thread pool: UV_THREADPOOL_SIZE (default 4) bounds concurrent writes
    const gw = await startGatewayPinned(join(dir, 'gw'), [], { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' });
    children.push(gw.child);
    const port = gw.port;
    const object = Buffer.alloc(MiB, 0x61);
    const body = object.toString('latin1');
    if ((await send(port, 'PUT', '/bench')) !== 200) throw new Error('CreateBucket failed');
    if ((await send(port, 'PUT', '/bench/obj', object)) !== 200) throw new Error('PutObject failed');
    // every server is started and filled first; the runs below then take turns
    const servers: Server[] = [
      {
        key: 'ours',
        url: `http://127.0.0.1:${port}/`,
        pid: gw.child.pid,
        get: { method: 'GET', path: '/bench/obj', headers: await signed(port, 'GET', '/bench/obj') },
        put: { method: 'PUT', path: '/bench/put', headers: await signed(port, 'PUT', '/bench/put', object), body },
      },
    ];
    if (have('nginx')) {
      const root = join(dir, 'www');
      rmSync(root, { recursive: true, force: true });
      mkdirSync(join(root, 'bench'), { recursive: true });
      writeFileSync(join(root, 'bench', 'obj'), object);
      const np = await freePort();
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, `daemon off; master_process off; worker_processes 1; error_log stderr; pid ${join(dir, 'nginx.pid')};\nevents { worker_connections 1024; }\nhttp { access_log off; server { listen 127.0.0.1:${np}; root ${root}; } }\n`);
      const ng = spawn('taskset', ['-c', SERVER_CORE, 'nginx', '-c', conf, '-p', dir], { stdio: 'ignore' });
      children.push(ng);
      await waitHttp(`http://127.0.0.1:${np}/bench/obj`);
      servers.push({ key: 'nginx', url: `http://127.0.0.1:${np}/`, pid: ng.pid, get: { method: 'GET', path: '/bench/obj', headers: {} } });
    }
    const s3rverPath = (() => {
      try {
        return createRequire(import.meta.url).resolve('s3rver');
      } catch {
        return undefined;
      }
    })();
    if (s3rverPath) {
      const script = `const S=require(${JSON.stringify(s3rverPath)});const s=new S({port:0,address:'127.0.0.1',directory:${JSON.stringify(join(dir, 's3rver'))},silent:true});s.run().then(({port})=>console.log('ready on '+port))`;
      const sv = await startPinned(process.execPath, ['-e', script], /ready on (\d+)/);
      children.push(sv.child);
      const sp = Number(sv.match[1]);
      await fetch(`http://127.0.0.1:${sp}/bench`, { method: 'PUT' }).then((r) => r.arrayBuffer());
      await fetch(`http://127.0.0.1:${sp}/bench/obj`, { method: 'PUT', body: new Uint8Array(object) }).then((r) => r.arrayBuffer());
      servers.push({ key: 's3rver', url: `http://127.0.0.1:${sp}/`, pid: sv.child.pid, get: { method: 'GET', path: '/bench/obj', headers: {} }, put: { method: 'PUT', path: '/bench/put', headers: {}, body } });
    }
    const gets = interleaved(servers, 'get', seconds);
    const puts = interleaved(servers, 'put', seconds);
    const motoGet = have('moto_server') ? await motoAlone('get', object, seconds, children) : undefined;
    const motoPut = have('moto_server') ? await motoAlone('put', object, seconds, children) : undefined;
    const listPath = `/list-bucket?list-type=2&max-keys=1000&start-after=k%2F${String(Math.floor(listKeys / 2)).padStart(6, '0')}`;
    const list = wrk(`http://127.0.0.1:${port}/`, { method: 'GET', path: listPath, headers: await signed(port, 'GET', listPath) }, { seconds, connections: 1 });
    const get = gets.get('ours')!;
    const put = puts.get('ours')!;
    if (get.non2xx || put.non2xx || list.non2xx) throw new Error(`non-2xx answers: get ${get.non2xx} put ${put.non2xx} list ${list.non2xx}`);
    const nginx = gets.get('nginx');
    const s3rverGet = gets.get('s3rver');
    const s3rverPut = puts.get('s3rver');
    const faster = (a: Measured | undefined, b: Measured | undefined) => {
      const ok = (m: Measured | undefined) => (m && !m.non2xx && m.requestsPerSec > 0 ? m : undefined);
      const x = ok(a);
      const y = ok(b);
      return x && y ? (x.requestsPerSec >= y.requestsPerSec ? x : y) : (x ?? y);
    };
    rows.push(row('GET 1 MiB object, 16 conns', get, 'nginx, same file from disk', nginx, 0.6));
    rows.push(row('GET 1 MiB object, 16 conns', get, 'moto_server', motoGet));
    rows.push(row('GET 1 MiB object, 16 conns', get, 's3rver', s3rverGet));
    rows.push(row('GET 1 MiB object, 16 conns', get, 'faster of moto_server and s3rver', faster(motoGet, s3rverGet), 2));
    rows.push(row('PUT 1 MiB object (fsync), 16 conns', put, 'moto_server (in memory)', motoPut));
    rows.push(row('PUT 1 MiB object (fsync), 16 conns', put, 's3rver (no fsync)', s3rverPut));
    rows.push(row('PUT 1 MiB object (fsync), 16 conns', put, 'faster of moto_server and s3rver', faster(motoPut, s3rverPut), 2));
    const cpuRow = cpuRatioRow('PUT 1 MiB object: CPU per request (steadier than req/s on a shared machine)', put, 's3rver', s3rverPut);
    if (cpuRow) rows.push(cpuRow);
    rows.push({
      workload: `LIST 1,000-key page of ${listKeys} keys, 1 conn`,
      ours: `p50 ${list.p50ms.toFixed(2)} ms, p99 ${list.p99ms.toFixed(2)} ms`,
      peerName: 'target',
      peer: '20 ms',
      ratio: 20 / Math.max(list.p50ms, 0.001),
      target: 'p50 ≤ 20 ms',
      pass: list.p50ms <= 20,
    });
    return rows;
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/s3.js [seconds] [listKeys]` runs this bench alone
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchS3(Number(process.argv[2] ?? 8), Number(process.argv[3] ?? 100_000));
  printRows('s3', rows);
}
