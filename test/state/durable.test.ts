// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Power-loss durability of the LMDB stores: lmdb-js resolves a write at commit, and with
 * overlappingSync the flush to disk comes later. The state store and the DynamoDB engine must not
 * answer a write before its flush: here the flush is held back and the answer must wait for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { EmbeddedDynamoEngine } from '../../translators/embedded/dynamodb/engine.js';

/** Replaces an lmdb-js root's `flushed` thenable with one released by hand. */
function holdFlush(root: { flushed: PromiseLike<unknown> }): () => void {
  const real = root.flushed;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  root.flushed = { then: (ok, err) => gate.then(() => real).then(ok, err) };
  return () => {
    root.flushed = real;
    release();
  };
}

/** True when `p` has settled within a few turns of the event loop. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
  return done;
}

t.test('state store: put, update, delete and transact wait for the flush', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-durable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LmdbStateStore(dir);
  t.teardown(() => store.close());
  const root = (store as unknown as { root: { flushed: PromiseLike<unknown> } }).root;
  const tbl = store.table<number>('x');
  await tbl.put('warm', 1);
  const writes: Array<[string, () => Promise<unknown>]> = [
    ['put', () => tbl.put('a', 1)],
    ['putIfAbsent', () => tbl.putIfAbsent('b', 2)],
    ['update', () => tbl.update('a', (v) => (v ?? 0) + 1)],
    ['delete', () => tbl.delete('warm')],
    ['transact', () => store.transact((tx) => tx.put('x', 'c', 3))],
  ];
  for (const [name, write] of writes) {
    const release = holdFlush(root);
    const p = write();
    t.notOk(await settles(p), `${name}: not answered before the flush`);
    release();
    await p;
    t.pass(`${name}: answered after the flush`);
  }
  t.equal(await tbl.get('a'), 2);
  t.equal(await tbl.get('c'), 3);
});

t.test('DynamoDB engine: durability fsync waits for the flush, os does not', async (t) => {
  for (const durability of ['fsync', 'os'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'mcgw-durable-ddb-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const engine = new EmbeddedDynamoEngine(dir, { durability });
    t.teardown(() => engine.close());
    const root = (engine as unknown as { env: { flushed: PromiseLike<unknown> } }).env;
    const release = holdFlush(root);
    const p = engine.createTable({
      name: `t-${durability}`, uuid: '00000000-0000-4000-8000-000000000000', account: '111122223333', region: 'us-east-1',
      created: Date.now(), status: 'ACTIVE', hash: { name: 'id', type: 'S' }, attributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      indexes: [], billingMode: 'PAY_PER_REQUEST', provisioned: { read: 0, write: 0, decreasesToday: 0 }, deletionProtection: false, tags: {},
    } as never);
    const early = await settles(p);
    release();
    await p;
    if (durability === 'fsync') t.notOk(early, 'fsync: createTable not answered before the flush');
    else t.ok(early, 'os: answered at commit');
  }
});
