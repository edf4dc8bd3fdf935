// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Worker tasks as PVE::RPCEnvironment::fork_worker and PVE::Tools::upid_encode make them
 * (/work/shared/reference/proxmox-mapping.md "Tasks (UPIDs), polling and locks"):
 * - UPID `UPID:<node>:<pid 8hex>:<pstart 8hex>:<starttime 8hex>:<type>:<id>:<user>:` (trailing colon);
 * - `GET /nodes/{node}/tasks/{upid}/status` → {status:'running'|'stopped', exitstatus?, …};
 *   exitstatus 'OK', 'WARNINGS: <n>' (the worker logged warnings), or the error text (first line
 *   of the worker's die);
 * - `GET …/log` → [{n, t}] with `total`, last line "TASK OK", "TASK WARNINGS: <n>" or "TASK ERROR: <msg>";
 * - `DELETE /nodes/{node}/tasks/{upid}` stops a running worker (its die is "interrupted by signal").
 * Task duration and failures come from the fault-injection control (control.ts).
 */
import { PveError } from './errors.js';

export interface TaskFaults {
  durationMs(type: string, id: string): number;
  /** An error (or warning) to end this task with, or undefined. Consumed when returned. */
  takeFailure(type: string, id: string): { message: string; warning: boolean } | undefined;
  /** A promise the task waits for before finishing its work step, when held. */
  gate(type: string, id: string): Promise<void> | undefined;
}

export class Task {
  status: 'running' | 'stopped' = 'running';
  exitstatus?: string;
  endtime?: number;
  readonly log: string[] = [];
  warnings = 0;
  private abortReason?: string;
  private wake?: () => void;

  constructor(
    readonly upid: string,
    readonly node: string,
    readonly pid: number,
    readonly pstart: number,
    readonly starttime: number,
    readonly type: string,
    readonly id: string,
    readonly user: string,
    private readonly faults: TaskFaults,
  ) {}

  /** Waits like the real work would, then fails if a failure was injected or the task was stopped. */
  async work(): Promise<void> {
    const ms = this.faults.durationMs(this.type, this.id);
    if (ms > 0 && !this.abortReason) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const gate = this.faults.gate(this.type, this.id);
    if (gate && !this.abortReason) {
      await Promise.race([gate, new Promise<void>((resolve) => (this.wake = resolve))]);
      this.wake = undefined;
    }
    this.checkAbort();
    const failure = this.faults.takeFailure(this.type, this.id);
    if (failure?.warning) {
      this.warnings++;
      this.log.push(`WARN: ${failure.message.replace(/\n$/, '')}`);
    } else if (failure !== undefined) {
      throw new PveError(500, failure.message.endsWith('\n') ? failure.message : `${failure.message}\n`);
    }
  }

  checkAbort(): void {
    if (this.abortReason) throw new PveError(500, `${this.abortReason}\n`);
  }

  abort(): void {
    if (this.status !== 'running') return;
    this.abortReason = 'interrupted by signal';
    this.wake?.();
  }

  private ids(): Record<string, unknown> {
    return {
      upid: this.upid,
      node: this.node,
      pid: this.pid,
      pstart: this.pstart,
      starttime: this.starttime,
      type: this.type,
      id: this.id,
      user: this.user,
    };
  }

  statusJson(): Record<string, unknown> {
    const out = { ...this.ids(), status: this.status };
    return this.exitstatus === undefined ? out : { ...out, exitstatus: this.exitstatus };
  }

  /** As `GET /nodes/{node}/tasks` lists it: `status` is the exit status once stopped. */
  listJson(): Record<string, unknown> {
    const out = this.ids();
    return this.status === 'stopped' ? { ...out, endtime: this.endtime, status: this.exitstatus } : out;
  }
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

export function parseUpid(upid: string): { node: string; type: string; id: string; user: string } | undefined {
  const m = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(upid);
  if (!m) return undefined;
  return { node: m[1]!, type: m[6]!, id: m[7]!, user: m[8]! };
}

export class TaskManager {
  private readonly tasks = new Map<string, Task>();
  private nextPid = 100000 + Math.floor(Math.random() * 100000);
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly faults: TaskFaults) {}

  /**
   * Starts a worker and returns its UPID at once. The worker runs asynchronously; a thrown
   * error ends the task with that error as exitstatus.
   */
  start(node: string, type: string, id: string, user: string, worker: (t: Task) => Promise<void>): string {
    const pid = this.nextPid++;
    const starttime = Math.floor(Date.now() / 1000);
    const pstart = 10_000_000 + (pid % 1_000_000) * 7;
    const upid = `UPID:${node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${user}:`;
    const task = new Task(upid, node, pid, pstart, starttime, type, id, user, this.faults);
    this.tasks.set(upid, task);
    const run = (async () => {
      await new Promise((r) => setImmediate(r));
      try {
        await worker(task);
        task.exitstatus = task.warnings ? `WARNINGS: ${task.warnings}` : 'OK';
        task.log.push(task.warnings ? `TASK WARNINGS: ${task.warnings}` : 'TASK OK');
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const first = msg.split('\n')[0] || 'unknown error';
        for (const line of msg.replace(/\n$/, '').split('\n')) task.log.push(line);
        task.exitstatus = first;
        task.log.push(`TASK ERROR: ${first}`);
      }
      task.status = 'stopped';
      task.endtime = Math.floor(Date.now() / 1000);
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return upid;
  }

  get(upid: string): Task | undefined {
    return this.tasks.get(upid);
  }

  list(): Task[] {
    return [...this.tasks.values()];
  }

  running(): Task[] {
    return this.list().filter((t) => t.status === 'running');
  }

  /** Resolves when every started worker has ended (after aborting them when `abort`). */
  async drain(abort = false): Promise<void> {
    if (abort) for (const t of this.tasks.values()) t.abort();
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}
