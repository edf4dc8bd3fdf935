// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A gateway as a real child process (`node dist/src/main.js serve`), for the tests that kill it
 * (SIGKILL mid-workload, SIGTERM drain) or measure it from outside (soak: RSS, open fds).
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../conformance/serve-process.js';

export const REL_CREDENTIALS = { accessKeyId: 'AKIARELIABILITY00001', secretAccessKey: 'reliability-secret-000000000000000000000' };
export const REL_REGION = 'us-east-1';

export interface ClientCfg {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
  maxAttempts: number;
}

export interface GatewayProc {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  dataDir: string;
  /** For @aws-sdk/client-* constructors: root key, no retries (a dead gateway fails at once). */
  clientConfig: ClientCfg;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

export interface SpawnOptions {
  /** Written as the --config file (JSON). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  port?: number;
}

/** Starts `mcgw serve` on `dataDir` with the reliability root key; resolves once it listens. */
export async function spawnGateway(dataDir: string, opts: SpawnOptions = {}): Promise<GatewayProc> {
  const args = ['--data-dir', dataDir];
  if (opts.port) args.push('--port', String(opts.port));
  if (opts.config) {
    const file = join(dataDir, '..', `${dataDir.split('/').pop()}.config.json`);
    writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  const s = await serve(args, {
    HOME: process.env.HOME,
    MCGW_ROOT_ACCESS_KEY_ID: REL_CREDENTIALS.accessKeyId,
    MCGW_ROOT_SECRET_ACCESS_KEY: REL_CREDENTIALS.secretAccessKey,
    MCGW_LOG_LEVEL: 'error',
    ...opts.env,
  });
  const child = s.child;
  child.removeAllListeners('exit');
  const exited = new Promise<number | string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode ?? -1);
    else child.on('exit', (code, sig) => resolve(code ?? sig ?? -1));
  });
  const port = Number(new URL(s.url).port);
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    pid: child.pid!,
    port,
    url,
    dataDir,
    clientConfig: { endpoint: url, region: REL_REGION, credentials: REL_CREDENTIALS, forcePathStyle: true, maxAttempts: 1 },
    output: () => s.stdout() + s.stderr(),
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc/<pid>/stat, 1/100 s ticks). */
export function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU time (user + system) this process spends while `f` runs, ms: steadier than wall time on a shared machine. */
export async function cpuMs<T>(f: () => T | Promise<T>): Promise<{ value: T; ms: number; wallMs: number }> {
  const before = process.cpuUsage();
  const started = performance.now();
  const value = await f();
  const d = process.cpuUsage(before);
  return { value, ms: (d.user + d.system) / 1000, wallMs: performance.now() - started };
}

/** Open file descriptors of a process (Linux /proc): sockets, and everything else (files, pipes…). */
export function fdsOf(pid: number): { files: number; sockets: number } {
  let files = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      else files++;
    } catch {
      /* closed meanwhile */
    }
  }
  return { files, sockets };
}

/** True for the errors a client sees when the gateway is gone (refused, reset, socket closed). */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (err?.$metadata?.httpStatusCode) return false;
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'];
  if (err?.code && codes.includes(err.code)) return true;
  if (err?.cause && isConnectionError(err.cause)) return true;
  return /socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|other side closed|aborted/i.test(String(err?.message ?? ''));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
