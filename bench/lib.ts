// SPDX-License-Identifier: AGPL-3.0-or-later
/** Bench plumbing: child servers pinned to a core, wrk runs pinned to another, result tables. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from './sha256.js';

export const SERVER_CORE = '0';
export const LOAD_CORE = '1';
/**
 * Proxy benches (alternator, ceph-s3): the upstream gets a core of its own in both runs, as it has
 * its own nodes in production; wrk — and in the translated run the gateway — share the other one.
 */
export const UPSTREAM_CORE = '1';
export const FRONT_CORE = '0';

/** The root key every bench gateway starts with (MCGW_ROOT_*), and signs with. */
export const BENCH_CREDENTIALS = { accessKeyId: 'AKIABENCHMARKKEY0001', secretAccessKey: 'benchmark-secret-key-0000000000000000000' };

/** The environment that gives a gateway the bench's root key (and quiet logs). */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, MCGW_ROOT_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, MCGW_ROOT_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey, MCGW_LOG_LEVEL: 'warn', ...extra };
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

/** Extra node options for the gateway under test: `MCGW_BENCH_GATEWAY_NODE_ARGS` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, `--trace-gc`). */
export function gatewayNodeArgs(): string[] {
  return process.env.MCGW_BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}

/** `mcgw serve` on the server core with the bench's root key; resolves with its port. */
export async function startGatewayPinned(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, core = SERVER_CORE, nodeArgs: string[] = gatewayNodeArgs()): Promise<{ child: ChildProcess; port: number }> {
  const gw = await startPinned(process.execPath, [...nodeArgs, MAIN, 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], /listening on http:\/\/127\.0\.0\.1:(\d+)/, benchEnv(env), core);
  return { child: gw.child, port: Number(gw.match[1]) };
}

/**
 * A POST / to a gateway on `port`, signed with the bench's key (or `credentials`) for `service` — the request wrk
 * replays (within SigV4's 15-minute window). Content-Length is left to wrk.
 */
export async function signedPost(port: number, service: string, headers: Record<string, string>, body: string, credentials = BENCH_CREDENTIALS): Promise<WrkRequest> {
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: '/',
    headers: { host: `127.0.0.1:${port}`, ...headers, 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  const signedHeaders = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'content-length')) as Record<string, string>;
  return { method: 'POST', path: '/', headers: signedHeaders, body };
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat (ticks
 * of 1/100 s); undefined where /proc is not there. Steadier than req/s on a shared machine.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Starts `cmd args` on `core` (default: the server core); resolves when `ready` matches its stdout. */
export function startPinned(cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env, core = SERVER_CORE): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const pinned = have('taskset') ? ['taskset', ['-c', core, cmd, ...args]] as const : [cmd, args] as const;
    const child = spawn(pinned[0], [...pinned[1]], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not become ready: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${out}`)));
  });
}

export function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null) return resolve();
    c.removeAllListeners('exit');
    c.on('exit', () => resolve());
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 5000).unref();
  });
}

export interface WrkResult {
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  /** Requests completed. */
  requests: number;
}

export interface WrkRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Runs wrk on `opts.core` (default: the load core) against `url` with one fixed request (a Lua script sets it). */
export function wrk(url: string, req: WrkRequest, opts: { connections?: number; seconds?: number; threads?: number; core?: string } = {}): WrkResult {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-wrk-'));
  const script = join(dir, 'req.lua');
  const lua = [
    `wrk.method = ${JSON.stringify(req.method)}`,
    `wrk.path = ${JSON.stringify(req.path)}`,
    // wrk adds its own "Host" unless the script sets that exact key: never send two
    ...Object.entries(req.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k.toLowerCase() === 'host' ? 'Host' : k)}] = ${JSON.stringify(v)}`),
    req.body !== undefined ? `wrk.body = ${JSON.stringify(req.body)}` : '',
    'done = function(summary, latency, requests)',
    '  io.write(string.format("RESULT %f %f %f %d %d\\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, summary.requests))',
    'end',
  ].join('\n');
  writeFileSync(script, lua);
  const args = ['-t', String(opts.threads ?? 1), '-c', String(opts.connections ?? 16), '-d', `${opts.seconds ?? 8}s`, '--latency', '-s', script, url];
  const r = have('taskset') ? spawnSync('taskset', ['-c', opts.core ?? LOAD_CORE, 'wrk', ...args], { encoding: 'utf8' }) : spawnSync('wrk', args, { encoding: 'utf8' });
  const m = /RESULT (\S+) (\S+) (\S+) (\d+) (\d+)/.exec(r.stdout ?? '');
  if (!m) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  return { requestsPerSec: Number(m[1]), p50ms: Number(m[2]), p99ms: Number(m[3]), non2xx: Number(m[4]), requests: Number(m[5]) };
}

/** One side of a comparison: wrk replays `req` against `url`. */
export interface Side {
  url: string;
  req: WrkRequest;
}

/** A side's totals over all its rounds, with the CPU µs per request of each watched process. */
export interface SideResult extends WrkResult {
  cpuUsPerRequest: Record<string, number>;
}

/**
 * wrk against each side in turn, `rounds` times (the order reversed every other round), each run
 * `seconds / rounds` long, after a warm-up run of each: two sides compared this way see the same
 * drift of a shared machine. The default is an even number of rounds (A B, B A, …), so each side
 * runs first in a round as often as second: in one RGW bench the run that came second in a round
 * was 5–25 % faster whichever side it was, and three rounds (A first twice) would tilt such a
 * ratio against A.
 * Totals per side: req/s over all its runs, p50/p99 averaged over the runs, and the CPU µs per
 * request each process of `pids` spent (/proc; NaN where unreadable). `MCGW_BENCH_SLICES=1`
 * prints every run on stderr.
 */
export function interleavedWrk(sides: Side[], pids: Record<string, number | undefined>, opts: { seconds: number; rounds?: number; connections?: number; core?: string; warmupSeconds?: number }): SideResult[] {
  const rounds = opts.rounds ?? 4;
  const each = Math.max(1, Math.round(opts.seconds / rounds));
  const wopts = { seconds: each, connections: opts.connections, core: opts.core };
  if (opts.warmupSeconds) for (const s of sides) wrk(s.url, s.req, { ...wopts, seconds: opts.warmupSeconds });
  const acc = sides.map(() => ({ requests: 0, seconds: 0, p50: 0, p99: 0, non2xx: 0, cpu: Object.fromEntries(Object.keys(pids).map((k) => [k, 0])) as Record<string, number> }));
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
      const w = wrk(sides[i]!.url, sides[i]!.req, wopts);
      if (process.env.MCGW_BENCH_SLICES) console.error(`round ${r}, side ${i}: ${Math.round(w.requestsPerSec)} req/s, p50 ${w.p50ms} ms`);
      const a = acc[i]!;
      for (const [k, pid] of Object.entries(pids)) {
        const b = before[k];
        const e = processCpuSeconds(pid);
        a.cpu[k] = b === undefined || e === undefined ? NaN : a.cpu[k]! + (e - b);
      }
      a.requests += w.requests;
      a.seconds += w.requests > 0 ? w.requests / w.requestsPerSec : each;
      a.p50 += w.p50ms / rounds;
      a.p99 += w.p99ms / rounds;
      a.non2xx += w.non2xx;
    }
  }
  return acc.map((a) => ({
    requestsPerSec: a.requests / a.seconds,
    p50ms: a.p50,
    p99ms: a.p99,
    non2xx: a.non2xx,
    requests: a.requests,
    cpuUsPerRequest: Object.fromEntries(Object.entries(a.cpu).map(([k, v]) => [k, (v * 1e6) / a.requests])),
  }));
}

/** The share of one core a process kept busy, at `us` µs per request and `rps` requests/s. */
export function coreBusy(us: number, rps: number): string {
  return Number.isFinite(us) ? `${Math.round((us * rps) / 1e4)} %` : '?';
}

export interface Row {
  workload: string;
  ours: string;
  peer: string;
  peerName: string;
  ratio: number;
  target: string;
  pass: boolean;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  console.log('| workload | mcgw | peer | ratio | target | |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.ours} | ${r.peerName}: ${r.peer} | ${r.ratio.toFixed(2)}× | ${r.target} | ${r.pass ? 'ok' : 'MISSED'} |`);
}
