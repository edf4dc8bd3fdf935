// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The crash-consistency loop: one data dir, a real `mcgw serve` child; per trial a workload runs
 * against it, the process is SIGKILLed at a random moment, restarted on the same data dir, and the
 * workload's ledger (what was acknowledged, what was in flight) is checked with real SDK clients.
 * After the last trial: the temp dir of S3 writes is empty, and the whole ledger is checked again.
 * The seed (MCGW_CRASH_SEED, printed) makes a failing run's kill points reproducible.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { isConnectionError, sleep, spawnGateway, type ClientCfg, type GatewayProc } from './proc.js';

export interface Rng {
  (n: number): number;
}

export function rng(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** One operation's fate as the client saw it. */
export type Fate = 'acked' | 'unknown';

export interface TrialContext {
  trial: number;
  cfg: ClientCfg;
  rnd: Rng;
  /** True once the gateway has been killed: workers stop starting operations. */
  readonly dead: boolean;
  /**
   * Runs one operation: 'acked' when it succeeded, 'unknown' when the connection died under it
   * (it may or may not have been applied). Any other failure is recorded as unexpected.
   */
  attempt<T>(what: string, op: () => Promise<T>): Promise<{ fate: Fate; value?: T }>;
}

export interface Workload {
  name: string;
  config?: Record<string, unknown>;
  /** Resources every trial uses (buckets, tables…), created once before the first trial. */
  setup(cfg: ClientCfg): Promise<void>;
  /** Starts the trial's workers; each loops until `ctx.dead`. */
  run(ctx: TrialContext): Promise<void>;
  /** After the restart: checks this trial's ledger (and any cumulative invariant). */
  verify(t: Test, cfg: ClientCfg, trial: number): Promise<void>;
  /** After the last trial: checks the whole ledger once more. */
  verifyAll?(t: Test, cfg: ClientCfg): Promise<void>;
}

export interface CrashOptions {
  trials: number;
  /** Kill between min and max ms after the workload starts. */
  killAfterMs?: [number, number];
}

export async function crashSuite(t: Test, w: Workload, opts: CrashOptions): Promise<void> {
  const seed = Number(process.env.MCGW_CRASH_SEED ?? Date.now() % 1_000_000);
  t.comment(`${w.name}: ${opts.trials} trials, seed ${seed} (MCGW_CRASH_SEED=${seed} replays the kill points)`);
  const rnd = rng(seed);
  const base = mkdtempSync(join(tmpdir(), 'mcgw-crash-'));
  const dataDir = join(base, 'data');
  let gw: GatewayProc = await spawnGateway(dataDir, { config: w.config });
  // whatever happens to this test process, the gateway child does not outlive it
  const reap = () => void gw.kill('SIGKILL');
  process.once('exit', reap);
  try {
    await trials(t, w, opts, rnd, dataDir, () => gw, (g) => (gw = g));
  } finally {
    await gw.kill('SIGKILL');
    process.off('exit', reap);
    rmSync(base, { recursive: true, force: true });
  }
}

async function trials(t: Test, w: Workload, opts: CrashOptions, rnd: Rng, dataDir: string, cur: () => GatewayProc, set: (g: GatewayProc) => void): Promise<void> {
  let gw = cur();
  await w.setup(gw.clientConfig);
  const [lo, hi] = opts.killAfterMs ?? [50, 600];
  const unexpected: string[] = [];
  for (let trial = 1; trial <= opts.trials; trial++) {
    let dead = false;
    const ctx: TrialContext = {
      trial,
      cfg: gw.clientConfig,
      rnd,
      get dead() {
        return dead;
      },
      async attempt(what, op) {
        try {
          return { fate: 'acked', value: await op() };
        } catch (e) {
          if (dead && isConnectionError(e)) return { fate: 'unknown' };
          // the kill may land before `dead` is set: a connection error then is also the kill's
          if (isConnectionError(e)) {
            await sleep(20);
            if (dead) return { fate: 'unknown' };
          }
          const err = e as { name?: string; message?: string };
          unexpected.push(`trial ${trial} ${what}: ${err.name}: ${err.message}`);
          throw e;
        }
      },
    };
    const workers = w.run(ctx).catch(() => undefined);
    await sleep(lo + rnd(hi - lo));
    dead = true;
    await gw.kill('SIGKILL');
    await workers;
    gw = await spawnGateway(dataDir, { config: w.config });
    set(gw);
    await t.test(`${w.name} trial ${trial}`, (tt) => w.verify(tt, gw.clientConfig, trial));
  }
  t.same(unexpected, [], `${w.name}: no operation failed before the kill for another reason than the kill`);
  if (w.verifyAll) await t.test(`${w.name}: the whole ledger after ${opts.trials} kills`, (tt) => w.verifyAll!(tt, gw.clientConfig));
  const tmp = join(dataDir, 's3', 'tmp');
  if (existsSync(tmp)) t.same(readdirSync(tmp), [], 'no temp files remain in s3/tmp after the restart sweep');
  const code = await gw.kill('SIGTERM');
  t.equal(code, 0, 'the last gateway stops cleanly on SIGTERM (LMDB closed)');
}

export function trialsFromEnv(def: number): number {
  const n = Number(process.env.MCGW_CRASH_TRIALS);
  return Number.isInteger(n) && n > 0 ? n : def;
}
