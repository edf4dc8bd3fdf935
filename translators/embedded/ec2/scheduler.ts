// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The simulated hypervisor's timers: each future transition is a job stored in the state store
 * (table 'ec2-embedded-jobs', key '<due ms, zero-padded>/<seq>'), so a restart resumes them. Jobs
 * run when the gateway clock reaches their due time: on every request (settle) and from a short
 * real-time poll. Tests advance the clock and call runDue().
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../src/gateway.js';
import type { StateStore } from '../../../src/state/store.js';

export const JOBS_TABLE = 'ec2-embedded-jobs';

export type JobRunner<J> = (job: J) => Promise<void>;

export class Scheduler<J> {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: StateStore,
    private readonly clock: Clock,
    private readonly run: JobRunner<J>,
    private readonly onError: (e: unknown) => void,
    /** Jobs with the same lane run one after the other. */
    private readonly laneOf: (job: J) => string = () => '',
  ) {}

  private get t() {
    return this.state.table<J>(JOBS_TABLE);
  }

  async after(delayMs: number, job: J): Promise<void> {
    const due = this.clock.now() + Math.max(0, delayMs);
    await this.t.put(`${String(due).padStart(15, '0')}/${randomBytes(6).toString('hex')}`, job);
  }

  /** Runs every job due by now, in due order; returns how many ran. Serialised. */
  runDue(): Promise<number> {
    if (this.running) return this.running.then(() => this.runDue());
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<number> {
    let ran = 0;
    for (;;) {
      const batch = await this.t.range({ limit: 64 });
      const now = this.clock.now();
      const due = batch.filter(([k]) => Number(k.slice(0, 15)) <= now);
      if (due.length === 0) return ran;
      // jobs of one resource run in due order; different resources run concurrently
      const lanes = new Map<string, Array<[string, J]>>();
      for (const entry of due) {
        const lane = this.laneOf(entry[1]);
        lanes.set(lane, [...(lanes.get(lane) ?? []), entry]);
      }
      await Promise.all(
        [...lanes.values()].map(async (jobs) => {
          for (const [key, job] of jobs) {
            // deleting the entry claims the job: another drain (another gateway on a shared
            // state table) that got there first runs it instead
            if (!(await this.t.delete(key))) continue;
            try {
              await this.run(job);
            } catch (e) {
              this.onError(e);
            }
            ran++;
          }
        }),
      );
    }
  }

  /** Every job not run yet. */
  async jobs(): Promise<J[]> {
    return (await this.t.range()).map(([, j]) => j);
  }

  async pending(): Promise<number> {
    return (await this.t.range()).length;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runDue().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
