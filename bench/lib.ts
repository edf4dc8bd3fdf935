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

/** The root key every bench gateway starts with (MCGW_ROOT_*), and signs with. */
export const BENCH_CREDENTIALS = { accessKeyId: 'AKIABENCHMARKKEY0001', secretAccessKey: 'benchmark-secret-key-0000000000000000000' };

/** The environment that gives a gateway the bench's root key (and quiet logs). */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, MCGW_ROOT_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, MCGW_ROOT_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey, MCGW_LOG_LEVEL: 'warn', ...extra };
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

/** `mcgw serve` on the server core with the bench's root key; resolves with its port. */
export async function startGatewayPinned(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number }> {
  const gw = await startPinned(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], /listening on http:\/\/127\.0\.0\.1:(\d+)/, benchEnv(env));
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

/** Starts `cmd args` on the server core; resolves when `ready` matches its stdout. */
export function startPinned(cmd: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const pinned = have('taskset') ? ['taskset', ['-c', SERVER_CORE, cmd, ...args]] as const : [cmd, args] as const;
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
}

export interface WrkRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Runs wrk on the load core against `url` with one fixed request (a Lua script sets it). */
export function wrk(url: string, req: WrkRequest, opts: { connections?: number; seconds?: number; threads?: number } = {}): WrkResult {
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
  const r = have('taskset') ? spawnSync('taskset', ['-c', LOAD_CORE, 'wrk', ...args], { encoding: 'utf8' }) : spawnSync('wrk', args, { encoding: 'utf8' });
  const m = /RESULT (\S+) (\S+) (\S+) (\d+) (\d+)/.exec(r.stdout ?? '');
  if (!m) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  return { requestsPerSec: Number(m[1]), p50ms: Number(m[2]), p99ms: Number(m[3]), non2xx: Number(m[4]) };
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
