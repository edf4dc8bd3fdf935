// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Resumable jobs. A job is a small state machine (kind + step + data) stored in the state store
 * (table `pve-jobs`) and rewritten after every step, so a gateway that dies mid-way resumes from
 * the last recorded step when it starts again. A step either moves to the next step, waits for a
 * PVE task (its UPID is recorded before the wait, so a restart resumes the polling instead of
 * issuing the call twice), finishes, or fails. Jobs of one lane (a vmid) run one at a time, in
 * creation order, because PVE's config flock makes concurrent operations on one VM fail; different
 * lanes run concurrently. Retryable PVE errors (lock timeout, VM locked, node down, no answer) are
 * retried after a pause up to `maxRetries`; any other failure runs the kind's `fail` handler, which
 * may move the job to a cleanup step.
 *
 * Steps must be safe to run again: a restart may happen after a step's side effect and before the
 * record of it (they check what exists first).
 *
 * Several gateways on one shared state store (`shared`): each job is run by one of them at a time,
 * under a lease in its record (owner + expiry) taken with an atomic update before it runs, renewed
 * while it runs, and checked by every write of the job, so a gateway that lost its lease stops.
 * A gateway that died leaves leases that expire after `leaseMs`; another gateway then takes its
 * jobs over (as resumed: steps look first). Every gateway reads the job table afresh at each
 * scheduling pass, so it sees the jobs the others enqueued, and a lane's first job blocks the lane
 * on every gateway; after taking a lease it reads the table again and steps back when an older
 * job of the lane, or one another gateway runs, is there (see laneTaken).
 */
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../../src/state/store.js';
import { isPveError } from './client/errors.js';

export const JOBS_TABLE = 'pve-jobs';

export interface JobRec<D = Record<string, unknown>> {
  id: string;
  kind: string;
  lane: string;
  step: string;
  data: D;
  /** A task being waited for, with the step to run after it. */
  upid?: string;
  after?: string;
  attempts: number;
  /** Epoch ms before which the job does not run (retry pause). */
  notBefore: number;
  created: number;
  /** Set once a failure handler has run: cleanup steps that fail again end the job. */
  failing?: string;
  /** Shared state only: the gateway running the job, until when (epoch ms). */
  lease?: { owner: string; until: number };
}

export type StepResult<D> =
  | { next: string; data?: D }
  | { wait: string; next: string; data?: D }
  | { done: true }
  | { retryIn: number; data?: D };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface JobKind<D = any> {
  steps: Record<string, (job: JobRec<D>) => Promise<StepResult<D>>>;
  /**
   * Called when a step fails for good: returns the cleanup step to continue with, `{ resume }` to
   * carry on normally from a step (the failure was expected, e.g. a racing duplicate), or
   * undefined to end the job.
   */
  fail(job: JobRec<D>, error: unknown): Promise<string | { resume: string } | undefined>;
  /** Called when a cleanup step itself fails for good: the job ends here. */
  abandon?(job: JobRec<D>, error: unknown): Promise<void>;
}

export interface JobEngineOptions {
  maxRetries: number;
  retryDelayMs: number;
  /** Waits for a task; throws when the task failed. */
  waitTask(upid: string): Promise<void>;
  onError(msg: string, detail: Record<string, unknown>): void;
  now?: () => number;
  /** Several gateways share the state store: jobs run under leases (see above). */
  shared?: boolean;
  /** This engine's name in leases (default: random). */
  owner?: string;
  /** How long a lease lasts without renewal (default 30 s); renewed every third of it. */
  leaseMs?: number;
}

export class JobEngine {
  private readonly kinds = new Map<string, JobKind>();
  /** The stored jobs' lanes and retry times, in creation order (the store stays the truth). */
  private index: Map<string, { lane: string; notBefore: number }> | undefined;
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private seq = 0;
  readonly owner: string;
  private readonly leaseMs: number;

  constructor(
    private readonly state: StateStore,
    private readonly opts: JobEngineOptions,
  ) {
    this.owner = opts.owner ?? `gw-${randomBytes(6).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 30_000;
  }

  private get t() {
    return this.state.table<JobRec>(JOBS_TABLE);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  register<D>(kind: string, def: JobKind<D>): void {
    this.kinds.set(kind, def as JobKind);
  }

  /** Stores a new job and starts it when its lane is free. Returns its id. */
  async enqueue<D extends Record<string, unknown>>(kind: string, lane: string, step: string, data: D): Promise<string> {
    if (!this.kinds.has(kind)) throw new Error(`no job kind '${kind}'`);
    const now = this.now();
    const id = `${String(now).padStart(15, '0')}-${String(this.seq++ % 1e6).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
    await this.t.put(id, { id, kind, lane, step, data, attempts: 0, notBefore: 0, created: now });
    this.index?.set(id, { lane, notBefore: 0 });
    this.pump();
    return id;
  }

  async list(): Promise<JobRec[]> {
    return (await this.t.range()).map(([, j]) => j);
  }

  /** Lanes with a stored job (from memory once started). */
  async lanes(): Promise<Set<string>> {
    if (this.index) return new Set([...this.index.values()].map((j) => j.lane));
    return new Set((await this.list()).map((j) => j.lane));
  }

  /** Resumes every stored job (after a restart) and re-checks the queue periodically. */
  start(intervalMs = 500): void {
    this.stopped = false;
    this.pump();
    if (!this.timer) {
      this.timer = setInterval(() => this.pump(), intervalMs);
      this.timer.unref();
    }
  }

  /** Stops starting jobs and waits for the running steps to end (they persist their progress). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Resolves once no job is stored (tests, benches). */
  async idle(pollMs = 20, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((await this.t.range({ limit: 1 })).length > 0) {
      if (Date.now() > until) throw new Error(`jobs still pending after ${timeoutMs} ms: ${JSON.stringify((await this.list()).map((j) => `${j.kind}:${j.step}`))}`);
      this.pump();
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private pumping = false;
  private again = false;

  /** Starts the first runnable job of every free lane. */
  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.scan()
      .catch((e) => this.opts.onError('pve job scan failed', { err: String(e) }))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async scan(): Promise<void> {
    if (this.opts.shared) {
      // the others' jobs too, and their leases: the store is the only common view
      const stored = await this.t.range();
      const now = this.now();
      this.index = new Map(stored.map(([id, j]) => [id, { lane: j.lane, notBefore: j.lease && j.lease.owner !== this.owner && j.lease.until > now ? j.lease.until : j.notBefore }]));
    } else if (!this.index) {
      // after a restart: every stored job is resumed, marked so its steps look before acting
      const stored = await this.t.range();
      this.index = new Map(stored.map(([id, j]) => [id, { lane: j.lane, notBefore: j.notBefore }]));
      for (const [id, j] of stored) if (!j.data.resumed) await this.t.put(id, { ...j, data: { ...j.data, resumed: true } });
    }
    const seen = new Set<string>();
    const now = this.now();
    for (const [id, ix] of this.index) {
      const job = { id, lane: ix.lane, notBefore: ix.notBefore };
      if (seen.has(job.lane)) continue;
      seen.add(job.lane);
      if (this.busy.has(job.lane) || job.notBefore > now || this.stopped) continue;
      this.busy.add(job.lane);
      const p = this.runJob(job.id)
        .catch((e) => this.opts.onError('pve job crashed', { err: String(e), job: job.id }))
        .finally(() => {
          this.busy.delete(job.lane);
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  /** Takes (or renews) the lease of a job; false when another live gateway holds it. */
  private async claim(id: string): Promise<boolean> {
    const now = this.now();
    const j = await this.t.update(id, (cur) => {
      if (!cur || (cur.lease && cur.lease.owner !== this.owner && cur.lease.until > now)) return cur;
      // taken over from a gateway that died: its steps look before acting, as after a restart
      const data = cur.lease && cur.lease.owner !== this.owner ? { ...cur.data, resumed: true } : cur.data;
      return { ...cur, data, lease: { owner: this.owner, until: now + this.leaseMs } };
    });
    return j?.lease?.owner === this.owner;
  }

  /**
   * Read again once the lease is ours: another job of the lane that is older, or that another
   * gateway runs (it saw the lane free before this job was stored), goes first. Two gateways that
   * claim jobs of one lane at once both see the other's lease and both step back (then retry).
   */
  private async laneTaken(id: string): Promise<boolean> {
    const now = this.now();
    const all = await this.t.range();
    const lane = all.find(([k]) => k === id)?.[1].lane;
    return all.some(([k, j]) => k !== id && j.lane === lane && (k < id || (j.lease !== undefined && j.lease.owner !== this.owner && j.lease.until > now)));
  }

  /** Writes a job's new state; with leases only while this gateway still holds it. */
  private async write(id: string, next: JobRec): Promise<boolean> {
    if (!this.opts.shared) {
      await this.t.put(id, next);
      return true;
    }
    const now = this.now();
    const j = await this.t.update(id, (cur) => (cur?.lease?.owner === this.owner ? { ...next, lease: { owner: this.owner, until: now + this.leaseMs } } : cur));
    return j?.lease?.owner === this.owner;
  }

  /** Runs one job's steps until it ends, pauses for a retry, or the engine stops. */
  private async runJob(id: string): Promise<void> {
    if (!this.opts.shared) return this.steps(id);
    if (!(await this.claim(id))) return;
    if (await this.laneTaken(id)) {
      await this.t.update(id, (cur) => (cur?.lease?.owner === this.owner ? { ...cur, lease: undefined } : cur));
      return;
    }
    const renew = setInterval(() => {
      void this.claim(id).catch((e) => this.opts.onError('pve job lease renewal failed', { job: id, err: String(e) }));
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    renew.unref();
    try {
      await this.steps(id);
    } finally {
      clearInterval(renew);
    }
  }

  private async steps(id: string): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const job = await this.t.get(id);
      if (!job) return;
      if (this.opts.shared && job.lease?.owner !== this.owner) return;
      if (job.notBefore > this.now()) return;
      const kind = this.kinds.get(job.kind);
      if (!kind) {
        this.opts.onError('pve job of unknown kind dropped', { job: id, kind: job.kind });
        await this.forget(id);
        return;
      }
      try {
        if (job.upid) {
          await this.opts.waitTask(job.upid);
          if (!(await this.write(id, { ...job, upid: undefined, step: job.after ?? job.step, after: undefined, attempts: 0 }))) return;
          continue;
        }
        const fn = kind.steps[job.step];
        if (!fn) throw new Error(`job kind '${job.kind}' has no step '${job.step}'`);
        const r = await fn(job);
        if ('done' in r) {
          await this.forget(id);
          return;
        }
        if ('retryIn' in r) {
          await this.save({ ...job, data: r.data ?? job.data, notBefore: this.now() + r.retryIn });
          setTimeout(() => this.pump(), r.retryIn + 5).unref();
          return;
        }
        if ('wait' in r) {
          if (!(await this.write(id, { ...job, data: r.data ?? job.data, upid: r.wait, after: r.next, attempts: 0 }))) return;
          continue;
        }
        if (!(await this.write(id, { ...job, data: r.data ?? job.data, step: r.next, attempts: 0 }))) return;
      } catch (e) {
        const retry = isPveError(e) && e.retryable && job.attempts < this.opts.maxRetries;
        if (retry) {
          // a failed task is retried by running its step again, not by polling the dead task
          const delay = this.opts.retryDelayMs * Math.min(8, 2 ** job.attempts);
          await this.save({ ...job, upid: undefined, after: undefined, step: job.upid ? this.stepBefore(job) : job.step, attempts: job.attempts + 1, notBefore: this.now() + delay });
          setTimeout(() => this.pump(), delay + 5).unref();
          return;
        }
        if (job.failing) {
          this.opts.onError('pve job cleanup failed; giving up', { job: id, kind: job.kind, step: job.step, err: String(e) });
          await kind.abandon?.(job, e);
          await this.forget(id);
          return;
        }
        const next = await kind.fail(job, e);
        if (next === undefined) {
          await this.forget(id);
          return;
        }
        if (typeof next === 'object') {
          if (job.attempts >= this.opts.maxRetries) {
            this.opts.onError('pve job gave up resuming', { job: id, kind: job.kind, step: job.step, err: String(e) });
            await kind.abandon?.(job, e);
            await this.forget(id);
            return;
          }
          await this.save({ ...job, upid: undefined, after: undefined, step: next.resume, attempts: job.attempts + 1, notBefore: this.now() + this.opts.retryDelayMs });
          setTimeout(() => this.pump(), this.opts.retryDelayMs + 5).unref();
          return;
        }
        await this.write(id, { ...job, upid: undefined, after: undefined, step: next, attempts: 0, failing: String((e as Error).message ?? e) });
      }
    }
  }

  private async save(job: JobRec): Promise<void> {
    // a pause (retry) ends the run: the lease goes, any gateway may take the job up again
    if (this.opts.shared) await this.t.update(job.id, (cur) => (cur?.lease?.owner === this.owner ? { ...job, lease: undefined } : cur));
    else await this.t.put(job.id, job);
    const ix = this.index?.get(job.id);
    if (ix) ix.notBefore = job.notBefore;
  }

  private async forget(id: string): Promise<void> {
    if (this.opts.shared) await this.t.update(id, (cur) => (cur?.lease?.owner === this.owner ? undefined : cur));
    else await this.t.delete(id);
    this.index?.delete(id);
  }

  /** The step that issued the task a job waits for (recorded as `step` while waiting). */
  private stepBefore(job: JobRec): string {
    return job.step;
  }
}
