// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Runs the `rbd` tool: argument vectors only (no shell), a bounded number of concurrent
 * processes, a time limit per call (SIGTERM, then SIGKILL), bounded stdout for JSON answers and
 * streamed stdin/stdout for bytes. Failures become RbdError (errors.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { classify, RbdError } from './errors.js';

export interface RunnerOptions {
  /** The tool (default 'rbd'); a wrapper script works too (ssh to a Ceph node, sudo…). */
  rbdPath: string;
  /** Arguments put before every sub-command: --conf, --id, --keyring… */
  baseArgs: string[];
  /** Milliseconds one call may take; 0 = no limit. */
  timeoutMs: number;
  /** Processes allowed at once; the others queue. */
  concurrency: number;
}

const MAX_JSON = 64 * 1024 * 1024;

/** A counting semaphore (the rbd processes are heavy: each one connects to the cluster). */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async enter(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

export class RbdRunner {
  private readonly gate: Gate;

  constructor(private readonly opts: RunnerOptions) {
    this.gate = new Gate(Math.max(1, opts.concurrency));
  }

  /** Runs a sub-command and resolves with its stdout (text), or rejects with an RbdError. */
  async run(args: string[], opts: { timeoutMs?: number; stdin?: Readable } = {}): Promise<string> {
    await this.gate.enter();
    try {
      return await this.once(args, opts.timeoutMs ?? this.opts.timeoutMs, opts.stdin, undefined);
    } finally {
      this.gate.leave();
    }
  }

  /** Runs a sub-command whose stdout is bytes, piped into `sink` as they come. */
  async pipeOut(args: string[], sink: Writable, timeoutMs?: number): Promise<void> {
    await this.gate.enter();
    try {
      await this.once(args, timeoutMs ?? this.opts.timeoutMs, undefined, sink);
    } finally {
      this.gate.leave();
    }
  }

  /** Runs a sub-command and parses its `--format json` answer. */
  async json<T>(args: string[], timeoutMs?: number): Promise<T> {
    const out = await this.run([...args, '--format', 'json'], { timeoutMs });
    try {
      return JSON.parse(out || 'null') as T;
    } catch {
      throw new RbdError('Failed', `rbd ${describe(args)}: the answer is not JSON: ${out.slice(0, 200)}`, undefined, describe(args));
    }
  }

  private once(args: string[], timeoutMs: number, stdin: Readable | undefined, sink: Writable | undefined): Promise<string> {
    const what = describe(args);
    return new Promise<string>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.opts.rbdPath, [...this.opts.baseArgs, ...args], {
          stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
        });
      } catch (e) {
        reject(new RbdError('Unavailable', `rbd ${what}: cannot start ${this.opts.rbdPath}: ${(e as Error).message}`, undefined, what));
        return;
      }
      const out: Buffer[] = [];
      let outLen = 0;
      let err = '';
      let timedOut = false;
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killer);
        fn();
      };
      let killer: NodeJS.Timeout | undefined;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), 5000);
            killer.unref();
          }, timeoutMs)
        : undefined;
      timer?.unref();
      if (sink) {
        child.stdout!.pipe(sink, { end: false });
        // a consumer that fails or goes away stops the export instead of leaving it blocked
        const stop = () => {
          if (!settled) child.kill('SIGTERM');
        };
        sink.once('error', stop);
        sink.once('close', stop);
        child.once('close', () => {
          sink.off('error', stop);
          sink.off('close', stop);
        });
      } else {
        child.stdout!.on('data', (b: Buffer) => {
          outLen += b.length;
          if (outLen > MAX_JSON) {
            child.kill('SIGKILL');
            return;
          }
          out.push(b);
        });
      }
      child.stderr!.on('data', (b: Buffer) => {
        if (err.length < 64 * 1024) err += b.toString('utf8');
      });
      if (stdin) {
        stdin.on('error', (e) => {
          child.kill('SIGTERM');
          finish(() => reject(e instanceof RbdError ? e : new RbdError('Failed', `rbd ${what}: input failed: ${e.message}`, undefined, what)));
        });
        child.stdin!.on('error', () => undefined); // EPIPE when rbd exits early: its own error wins
        stdin.pipe(child.stdin!);
      }
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish(() => reject(new RbdError('Unavailable', `rbd ${what}: cannot run ${this.opts.rbdPath}: ${e.code ?? e.message}`, undefined, what)));
      });
      child.on('close', (code, signal) => {
        finish(() => {
          if (timedOut) reject(new RbdError('Timeout', `rbd ${what}: no answer within ${timeoutMs} ms`, undefined, what));
          else if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
          else if (outLen > MAX_JSON) reject(new RbdError('Failed', `rbd ${what}: answer larger than ${MAX_JSON} bytes`, undefined, what));
          else if (signal) reject(new RbdError('Failed', `rbd ${what}: killed by ${signal}`, undefined, what));
          else reject(classify(err, code, what));
        });
      });
    });
  }
}

/** The sub-command and its image spec, for messages (never the config or key arguments). */
function describe(args: string[]): string {
  return args.filter((a) => !a.startsWith('-')).slice(0, 4).join(' ');
}
