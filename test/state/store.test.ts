// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The StateStore contract, run against every implementation: memory, LMDB, and the DynamoDB-API
 * store on a gateway's embedded engine and on the Alternator stand-in (no TransactWriteItems).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { MemoryStateStore } from '../../src/state/memory.js';
import { DynamoStateStore } from '../../src/state/dynamo/store.js';
import type { StateStore } from '../../src/state/store.js';
import { startStateUpstream, type UpstreamKind } from '../helpers/state-upstream.js';

type Made = { store: StateStore; done: () => unknown };
const onDynamo = (kind: UpstreamKind) => async (): Promise<Made> => {
  const up = await startStateUpstream(kind);
  return { store: await DynamoStateStore.open(up.options()), done: () => up.close() };
};
const impls: Array<[string, string, () => Promise<Made>]> = [
  ['memory', 'memory', async () => ({ store: new MemoryStateStore(), done: () => {} })],
  [
    'lmdb',
    'lmdb',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mcgw-state-'));
      return { store: new LmdbStateStore(dir), done: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  ['dynamodb on the embedded engine', 'dynamodb', onDynamo('gateway')],
  ['dynamodb on the Alternator stand-in', 'dynamodb', onDynamo('alternator')],
];

for (const [name, kind, make] of impls) {
  t.test(name, async (t) => {
    const { store, done } = await make();
    t.teardown(async () => {
      await store.close();
      await done();
    });
    const tb = store.table<{ n: number }>('t');
    t.equal(await tb.get('a'), undefined);
    await tb.put('a', { n: 1 });
    t.same(await tb.get('a'), { n: 1 });
    t.equal(await tb.putIfAbsent('a', { n: 2 }), false, 'putIfAbsent keeps the existing value');
    t.equal(await tb.putIfAbsent('b', { n: 2 }), true);
    t.same(await tb.update('a', (v) => ({ n: (v?.n ?? 0) + 10 })), { n: 11 });
    t.equal(await tb.update('a', () => undefined), undefined, 'update returning undefined deletes');
    t.equal(await tb.get('a'), undefined);
    t.equal(await tb.delete('a'), false);
    t.equal(await tb.delete('b'), true);

    for (const k of ['p/', 'p/a', 'p/b', 'p/c', 'q', 'o']) await tb.put(k, { n: k.length });
    const keys = async (o: Parameters<typeof tb.range>[0]) => (await tb.range(o)).map(([k]) => k);
    t.same(await keys({ prefix: 'p/' }), ['p/', 'p/a', 'p/b', 'p/c']);
    t.same(await keys({ prefix: 'p/', reverse: true }), ['p/c', 'p/b', 'p/a', 'p/'], 'reverse keeps the key equal to the prefix');
    t.same(await keys({ prefix: 'p/', start: 'p/a', exclusiveStart: true }), ['p/b', 'p/c']);
    t.same(await keys({ prefix: 'p/', start: 'p/b', reverse: true, exclusiveStart: true }), ['p/a', 'p/']);
    t.same(await keys({ prefix: 'p/', limit: 2 }), ['p/', 'p/a']);
    t.same(await keys({}), ['o', 'p/', 'p/a', 'p/b', 'p/c', 'q']);
    for (const k of ['o', 'p/', 'p/a', 'p/b', 'p/c']) await tb.delete(k);

    // byte order (UTF-8), keys with NUL, control characters and characters beyond U+FFFF
    const odd = ['u/\u0000a', 'u/\u001fb', 'u/a', 'u/\uffff', 'u/\u{1F600}', 'u/\u{1F600}\u0000x', 'u0'];
    for (const k of odd) await tb.put(k, { n: 0 });
    t.same(await keys({ prefix: 'u/' }), odd.slice(0, 6), 'prefix scans keep every key of the prefix, in byte order');
    t.same(await keys({ prefix: 'u/', reverse: true }), odd.slice(0, 6).reverse());
    t.same(await keys({ prefix: 'u/', start: 'u/\uffff', exclusiveStart: true }), odd.slice(4, 6));
    t.same(await keys({ prefix: 'u/\u0000' }), ['u/\u0000a']);

    const other = store.table('other');
    t.equal(await other.get('q'), undefined, 'tables are separate');
    const r = await store.transact((tx) => {
      const v = tx.get<{ n: number }>('t', 'q');
      tx.put('other', 'q', { copied: v?.n });
      tx.delete('t', 'q');
      return 'done';
    });
    t.equal(r, 'done');
    t.same(await other.get('q'), { copied: 1 });
    t.equal(await tb.get('q'), undefined);

    // a transaction that throws writes nothing, and sees its own writes while it runs
    await t.rejects(
      store.transact((tx) => {
        tx.put('t', 'tx1', { n: 1 });
        t.same(tx.get('t', 'tx1'), { n: 1 }, 'read-your-writes');
        tx.delete('t', 'ctr0');
        throw new Error('abort');
      }),
      /abort/,
    );
    t.equal(await tb.get('tx1'), undefined, 'a failed transaction leaves nothing behind');

    // concurrent read-modify-write loses no increment
    await tb.put('ctr', { n: 0 });
    await Promise.all(Array.from({ length: 50 }, () => tb.update('ctr', (v) => ({ n: (v?.n ?? 0) + 1 }))));
    t.same(await tb.get('ctr'), { n: 50 });
    t.equal(store.describe().kind, kind);
  });
}
