// SPDX-License-Identifier: AGPL-3.0-or-later
/** The resumable job engine: steps, recorded task waits, lanes, retries, cleanup, restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { PveError } from '../../translators/proxmox/client/errors.js';
import { JobEngine, type JobKind } from '../../translators/proxmox/jobs.js';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { MemoryStateStore } from '../../src/state/memory.js';

const req = { method: 'POST', path: '/x' };
const quiet = () => undefined;

t.test('steps run in order, a task wait is recorded, lanes serialise', async (t) => {
  const state = new MemoryStateStore();
  const log: string[] = [];
  const tasks = new Map<string, () => void>();
  const eng = new JobEngine(state, {
    maxRetries: 2,
    retryDelayMs: 5,
    onError: quiet,
    waitTask: (upid) => new Promise<void>((resolve) => tasks.set(upid, resolve)),
  });
  const kind: JobKind<{ n: string }> = {
    steps: {
      async a(j) {
        log.push(`${j.data.n}:a`);
        return { wait: `task-${j.data.n}`, next: 'b' };
      },
      async b(j) {
        log.push(`${j.data.n}:b`);
        return { done: true };
      },
    },
    fail: async () => undefined,
  };
  eng.register('k', kind);
  eng.start(10);
  await eng.enqueue('k', 'lane1', 'a', { n: '1' });
  await eng.enqueue('k', 'lane1', 'a', { n: '2' });
  await eng.enqueue('k', 'lane2', 'a', { n: '3' });
  while (tasks.size < 2) await new Promise((r) => setTimeout(r, 5));
  t.same(log.sort(), ['1:a', '3:a'], 'one job per lane at a time; lanes run concurrently');
  const stored = await eng.list();
  t.equal(stored.find((j) => j.data.n === '1')!.upid, 'task-1', 'the task id is stored before the wait');
  tasks.get('task-1')!();
  tasks.get('task-3')!();
  while (!tasks.has('task-2')) await new Promise((r) => setTimeout(r, 5));
  tasks.get('task-2')!();
  await eng.idle(5, 5000);
  t.same(log, ['1:a', '3:a', '1:b', '3:b', '2:a', '2:b'].filter((x) => log.includes(x)));
  t.equal(log.length, 6);
  t.ok(log.indexOf('1:b') < log.indexOf('2:a'), 'the second job of a lane starts after the first ended');
  await eng.stop();
});

t.test('retryable failures are retried; others go to the cleanup step once', async (t) => {
  const state = new MemoryStateStore();
  let calls = 0;
  const log: string[] = [];
  const eng = new JobEngine(state, { maxRetries: 3, retryDelayMs: 1, onError: quiet, waitTask: async () => undefined });
  eng.register<{ failFor: number; fatal?: boolean }>('k', {
    steps: {
      async go(j) {
        calls++;
        if (calls <= j.data.failFor) throw new PveError('lock-timeout', 500, "can't lock file 'x' - got timeout", req);
        if (j.data.fatal) throw new PveError('other', 500, 'disk full', req);
        log.push('ok');
        return { done: true };
      },
      async cleanup(j) {
        log.push(`cleanup after: ${j.failing}`);
        if (j.data.fatal) throw new Error('cleanup fails too');
        return { done: true };
      },
    },
    fail: async () => 'cleanup',
    abandon: async () => {
      log.push('abandoned');
    },
  });
  eng.start(5);
  await eng.enqueue('k', 'l', 'go', { failFor: 2 });
  await eng.idle(5, 5000);
  t.equal(calls, 3, 'two lock timeouts then success');
  t.same(log, ['ok']);
  calls = 0;
  log.length = 0;
  await eng.enqueue('k', 'l', 'go', { failFor: 0, fatal: true });
  await eng.idle(5, 5000);
  t.same(log, ['cleanup after: disk full', 'abandoned'], 'cleanup runs once; a failing cleanup ends the job');
  calls = 0;
  log.length = 0;
  await eng.enqueue('k', 'l', 'go', { failFor: 10 });
  await eng.idle(5, 5000);
  t.equal(calls, 4, 'retries are bounded by maxRetries');
  t.same(log, ['cleanup after: can\'t lock file \'x\' - got timeout']);
  await eng.stop();
});

t.test('a job resumes from its recorded step after a restart (LMDB)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pve-jobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log: string[] = [];
  const kind = (hang: boolean): JobKind<Record<string, unknown>> => ({
    steps: {
      async first() {
        log.push('first');
        return { wait: 'UPID:x', next: 'second' };
      },
      async second() {
        log.push('second');
        return { done: true };
      },
    },
    fail: async () => undefined,
    ...(hang ? {} : {}),
  });
  let state = new LmdbStateStore(dir);
  const polled: string[] = [];
  let eng = new JobEngine(state, { maxRetries: 1, retryDelayMs: 1, onError: quiet, waitTask: () => new Promise(() => polled.push('hang')) });
  eng.register('k', kind(true));
  eng.start(5);
  await eng.enqueue('k', 'vm-1', 'first', {});
  while (!polled.length) await new Promise((r) => setTimeout(r, 5));
  // the gateway dies while the task runs
  void eng.stop();
  await state.close();
  state = new LmdbStateStore(dir);
  const resumed: string[] = [];
  eng = new JobEngine(state, { maxRetries: 1, retryDelayMs: 1, onError: quiet, waitTask: async (u) => void resumed.push(u) });
  eng.register('k', kind(false));
  eng.start(5);
  await eng.idle(5, 5000);
  t.same(resumed, ['UPID:x'], 'the recorded task is polled again, not re-issued');
  t.same(log, ['first', 'second']);
  await eng.stop();
  await state.close();
});
