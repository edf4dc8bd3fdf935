// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Jobs across several gateways sharing one state store (translators/proxmox/jobs.ts, `shared`):
 * two engines, each on its own DynamoDB state store client of one table (as two stateless
 * gateways with `state.backend: dynamodb`): every job runs once, on one of them at a time; a lease
 * is renewed while a long step runs; the jobs of an engine that died are taken over after its
 * lease expires, resumed; a lane stays serialised across both.
 */
import t from 'tap';
import { JobEngine, type JobKind } from '../../translators/proxmox/jobs.js';
import { DynamoStateStore } from '../../src/state/dynamo/store.js';
import type { StateStore } from '../../src/state/store.js';
import { startStateUpstream, tableName } from '../helpers/state-upstream.js';

const up = await startStateUpstream('gateway');
t.teardown(() => up.close());
const quiet = () => undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Runs {
  /** step runs: `<engine>:<job n>:<step>` */
  log: string[];
  /** jobs running at once per lane, at most */
  overlap: number;
}

function engine(state: StateStore, name: string, runs: Runs, opts: { leaseMs: number; stepMs: (n: string) => number; onResumed?: (n: string) => void }): JobEngine {
  const eng = new JobEngine(state, { maxRetries: 0, retryDelayMs: 5, onError: quiet, waitTask: async () => undefined, shared: true, owner: name, leaseMs: opts.leaseMs });
  const active = new Map<string, number>();
  const step = (next: string | undefined) => async (j: { data: { n: string; resumed?: boolean }; lane: string; step: string }) => {
    runs.log.push(`${name}:${j.data.n}:${j.step}`);
    if (j.data.resumed) opts.onResumed?.(j.data.n);
    active.set(j.lane, (active.get(j.lane) ?? 0) + 1);
    runs.overlap = Math.max(runs.overlap, active.get(j.lane)!);
    await sleep(opts.stepMs(j.data.n));
    active.set(j.lane, active.get(j.lane)! - 1);
    return next ? { next } : { done: true as const };
  };
  const kind: JobKind<{ n: string }> = { steps: { a: step('b'), b: step(undefined) }, fail: async () => undefined };
  eng.register('k', kind);
  return eng;
}

async function pair(t: { teardown(fn: () => unknown): void }) {
  const table = tableName();
  const sa = await DynamoStateStore.open(up.options(table));
  const sb = await DynamoStateStore.open(up.options(table));
  t.teardown(async () => {
    await sa.close();
    await sb.close();
  });
  return { sa, sb, table };
}

t.test('every job runs once, on one engine; lanes stay serialised across engines', async (t) => {
  const { sa, sb } = await pair(t);
  const runs: Runs = { log: [], overlap: 0 };
  const a = engine(sa, 'A', runs, { leaseMs: 2000, stepMs: () => 20 });
  const b = engine(sb, 'B', runs, { leaseMs: 2000, stepMs: () => 20 });
  a.start(20);
  b.start(20);
  for (let i = 0; i < 6; i++) await (i % 2 ? a : b).enqueue('k', `lane${i % 3}`, 'a', { n: String(i) });
  await a.idle(20, 20_000);
  await b.idle(20, 20_000);
  await a.stop();
  await b.stop();
  for (let i = 0; i < 6; i++) {
    const mine = runs.log.filter((x) => x.split(':')[1] === String(i));
    t.equal(mine.length, 2, `job ${i}: each step once`);
  }
  t.ok(runs.log.some((x) => x.startsWith('A:')) && runs.log.some((x) => x.startsWith('B:')), 'both engines ran jobs');
  t.equal(runs.overlap, 1, 'never two jobs of one lane at once');
});

t.test('a step longer than the lease keeps it (renewed); a dead engine\'s job is taken over after expiry', async (t) => {
  const { sa, sb } = await pair(t);
  const runs: Runs = { log: [], overlap: 0 };
  const resumed: string[] = [];
  const a = engine(sa, 'A', runs, { leaseMs: 300, stepMs: (n) => (n === 'long' ? 1000 : 10) });
  const b = engine(sb, 'B', runs, { leaseMs: 300, stepMs: () => 10, onResumed: (n) => resumed.push(n) });
  a.start(20);
  await a.enqueue('k', 'lane-long', 'a', { n: 'long' });
  while (!runs.log.includes('A:long:a')) await sleep(10);
  b.start(20);
  await sleep(1200);
  t.notOk(runs.log.some((x) => x.startsWith('B:long')), 'B left the job alone while A renewed its lease');
  await a.idle(20, 10_000);
  t.same(runs.log.filter((x) => x.includes(':long:')), ['A:long:a', 'A:long:b']);
  await a.stop();

  // a third gateway freezes in the middle of a job (a partition, a stuck process): its lease is no
  // longer renewed, B takes the job over once it expired, and when C wakes its write is refused
  const c = engine(sa, 'C', runs, { leaseMs: 300, stepMs: () => 2000 });
  await b.stop(); // (so that C, not B, is the one that picks the new job up)
  c.start(20);
  await c.enqueue('k', 'lane-dead', 'a', { n: 'dead' });
  while (!runs.log.includes('C:dead:a')) await sleep(10);
  b.start(20);
  const died = Date.now();
  (c as unknown as { claim: () => Promise<boolean> }).claim = async () => true; // renewals stop
  await b.idle(20, 15_000);
  await c.stop();
  t.notOk(runs.log.includes('C:dead:b'), 'the frozen gateway did not go on once it woke');
  t.ok(runs.log.includes('B:dead:a') && runs.log.includes('B:dead:b'), 'B ran the job to its end');
  t.ok(Date.now() - died >= 300, 'not before the lease expired');
  t.same(resumed, ['dead', 'dead'], 'taken over as resumed (steps look first)');
  await b.stop();
});
