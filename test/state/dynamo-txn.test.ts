// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoDB-API state store shared by two "gateways" (two store instances on one table of the
 * Alternator stand-in, which has no TransactWriteItems): concurrent transactions and single-key
 * writes lose nothing, read-only transactions see one state, crashes before and after the commit
 * point are rolled back or forward, and a failing node is routed around.
 */
import t from 'tap';
import { DynamoStateStore } from '../../src/state/dynamo/store.js';
import { TxEngine, type TxPhase } from '../../src/state/dynamo/txn.js';
import type { ItemTable } from '../../src/state/dynamo/items.js';
import type { TxView } from '../../src/state/store.js';
import { IdentityStore, newAccessKeyId, newSecretAccessKey } from '../../src/state/identity.js';
import { startStateUpstream, tableName } from '../helpers/state-upstream.js';

const up = await startStateUpstream('alternator');
t.teardown(() => up.close());

/** A TxEngine that "crashes" (stops, leaving everything as it is) after the given phase. */
class CrashingEngine extends TxEngine {
  crashAfter: TxPhase | undefined;
  protected override async phase(name: TxPhase): Promise<void> {
    if (name === this.crashAfter) throw new Error(`crash after ${name}`);
  }
}

async function pair(t: Pick<typeof import('tap').default, 'teardown'>, extra = {}) {
  const table = tableName();
  const a = await DynamoStateStore.open(up.options(table, extra));
  const b = await DynamoStateStore.open(up.options(table, extra));
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return [a, b] as const;
}

t.test('two stores: concurrent multi-key transactions and single-key updates lose nothing', async (t) => {
  const [a, b] = await pair(t);
  const inc = (s: DynamoStateStore) =>
    s.transact((tx) => {
      const x = tx.get<number>('c', 'x') ?? 0;
      const y = tx.get<number>('c', 'y') ?? 0;
      tx.put('c', 'x', x + 1);
      tx.put('c', 'y', y + 1);
      tx.put('log', `${String(x).padStart(4, '0')}`, true);
    });
  const upd = (s: DynamoStateStore) => s.table<number>('c').update('x', (v) => (v ?? 0) + 1);
  // a one-key transaction commits without a transaction record: one conditional write
  const one = (s: DynamoStateStore) => s.transact((tx) => tx.put('c', 'z', (tx.get<number>('c', 'z') ?? 0) + 1));
  await Promise.all([
    ...Array.from({ length: 10 }, () => inc(a)),
    ...Array.from({ length: 10 }, () => inc(b)),
    ...Array.from({ length: 6 }, () => upd(b)),
    ...Array.from({ length: 6 }, (_, i) => one(i % 2 ? a : b)),
  ]);
  t.equal(await b.table('c').get('z'), 6, 'one-key transactions: none lost');
  t.equal(await a.table('c').get('y'), 20, 'every transaction counted');
  t.equal(await b.table('c').get('x'), 26, 'transactions and single-key updates on one key: none lost');
  t.ok((await a.table('log').range()).length >= 14, 'each transaction saw a committed counter value');
});

t.test('two stores: concurrent creates of one key: exactly one wins', async (t) => {
  const [a, b] = await pair(t);
  const create = (s: DynamoStateStore, who: string) =>
    s.transact((tx) => {
      if (tx.get('acct', 'name/x')) return false;
      tx.put('acct', 'name/x', who);
      tx.put('acct', `by/${who}`, true);
      return true;
    });
  const results = await Promise.all([create(a, 'a1'), create(b, 'b1'), create(a, 'a2'), create(b, 'b2')]);
  t.equal(results.filter(Boolean).length, 1, 'one transaction created it');
  const winner = (await a.table<string>('acct').get('name/x'))!;
  t.same((await b.table('acct').range({ prefix: 'by/' })).map(([k]) => k), [`by/${winner}`], 'and only the winner wrote anything');
  const ifAbsent = await Promise.all([a.table('k').putIfAbsent('one', 'a'), b.table('k').putIfAbsent('one', 'b'), a.table('k').putIfAbsent('one', 'c')]);
  t.equal(ifAbsent.filter(Boolean).length, 1, 'putIfAbsent: one winner');
});

t.test('callbacks that read fresh random keys, and long chains of dependent reads, complete', async (t) => {
  const [a] = await pair(t);
  // a new random id checked free inside the callback, as id allocation does: never the same key twice
  const id = await a.transact((tx) => {
    const candidate = `vpc-${Math.random().toString(16).slice(2, 10)}`;
    if (tx.get('ids', candidate) !== undefined) throw new Error('taken');
    tx.put('ids', candidate, { owner: 'x' });
    tx.put('ids', 'count', (tx.get<number>('ids', 'count') ?? 0) + 1);
    return candidate;
  });
  t.same(await a.table('ids').get(id), { owner: 'x' });
  t.equal(await a.table('ids').get('count'), 1);
  // the first free slot of a pool where 12 are taken: each read depends on the one before
  for (let i = 0; i < 12; i++) await a.table('pool').put(`slot/${String(i).padStart(2, '0')}`, 'taken');
  const slot = await a.transact((tx) => {
    for (let i = 0; ; i++) {
      const k = `slot/${String(i).padStart(2, '0')}`;
      if (tx.get('pool', k) === undefined) {
        tx.put('pool', k, 'mine');
        return k;
      }
    }
  });
  t.equal(slot, 'slot/12', 'every taken slot was read as taken');
  t.equal((await a.table('pool').range()).length, 13);
});

t.test('read-only transactions see one state while others move value between keys', async (t) => {
  const [a, b] = await pair(t);
  await a.transact((tx) => {
    tx.put('bank', 'p', 100);
    tx.put('bank', 'q', 0);
  });
  let stop = false;
  const mover = (async () => {
    for (let i = 0; i < 12; i++) {
      await b.transact((tx) => {
        const p = tx.get<number>('bank', 'p')!;
        const q = tx.get<number>('bank', 'q')!;
        tx.put('bank', 'p', p - 1);
        tx.put('bank', 'q', q + 1);
      });
    }
    stop = true;
  })();
  const sums: number[] = [];
  // q is read only once p is known: the store fetches them in two round trips, with moves between
  const sum = (tx: TxView) => {
    const p = tx.get<number>('bank', 'p');
    return p === undefined ? NaN : p + tx.get<number>('bank', 'q')!;
  };
  while (!stop) sums.push(await a.transact(sum));
  await mover;
  t.ok(sums.length > 0);
  t.same([...new Set(sums)], [100], `every read saw p + q = 100 (${sums.length} reads)`);
  t.same([await a.table('bank').get('p'), await a.table('bank').get('q')], [88, 12]);
});

t.test('a crash before the commit point is rolled back; after it, rolled forward', async (t) => {
  const table = tableName();
  let crashing!: CrashingEngine;
  const dead = await DynamoStateStore.open(up.options(table, { txTimeoutMs: 300 }), (items: ItemTable, timeout: number) => (crashing = new CrashingEngine(items, timeout)));
  const live = await DynamoStateStore.open(up.options(table, { txTimeoutMs: 300 }));
  t.teardown(async () => {
    await dead.close();
    await live.close();
  });
  await live.transact((tx) => {
    tx.put('t', 'a', 'old');
    tx.put('t', 'b', 'old');
  });
  const write = (v: string) =>
    dead.transact((tx) => {
      tx.put('t', 'a', v);
      tx.put('t', 'b', v);
      tx.delete('t', 'c');
      tx.put('t', 'd', v);
    });

  crashing.crashAfter = 'locked';
  await t.rejects(write('new1'), /crash after locked/);
  t.same([await live.table('t').get('a'), await live.table('t').get('d')], ['old', undefined], 'locked but not committed: readers see the old values');
  t.same((await live.table('t').range()).map(([k, v]) => [k, v]), [
    ['a', 'old'],
    ['b', 'old'],
  ]);
  // a writer waits for the dead transaction until its timeout, then aborts it and rolls it back
  await live.table<string>('t').update('a', (v) => `${v}+`);
  t.same([await live.table('t').get('a'), await live.table('t').get('b'), await live.table('t').get('d')], ['old+', 'old', undefined], 'rolled back: none of its writes');

  await live.table('t').put('c', 'there');
  crashing.crashAfter = 'committed';
  await t.rejects(write('new2'), /crash after committed/);
  t.same(
    [await live.table('t').get('a'), await live.table('t').get('b'), await live.table('t').get('c'), await live.table('t').get('d')],
    ['new2', 'new2', undefined, 'new2'],
    'committed but not applied: readers see (and roll forward) every write at once',
  );

  crashing.crashAfter = 'locked';
  await t.rejects(write('new3'), /crash after locked/);
  await new Promise((r) => setTimeout(r, 350));
  const recovered = await (live as unknown as { engine: TxEngine }).engine.recover();
  t.ok(recovered >= 1, `recovery completed the stale transaction records (${recovered})`);
  t.same((await live.table('t').range()).map(([k, v]) => [k, v]), [
    ['a', 'new2'],
    ['b', 'new2'],
    ['d', 'new2'],
  ], 'after recovery: the last crashed transaction left nothing');
  t.equal(await (live as unknown as { engine: TxEngine }).engine.recover(), 0, 'no transaction record remains');
});

t.test('a key created through one store resolves through the other at once; a deleted one stops within the cache time', async (t) => {
  const [a, b] = await pair(t);
  const one = new IdentityStore(a, { generationTtlMs: 400 });
  const two = new IdentityStore(b, { generationTtlMs: 400 });
  const acct = await one.createAccount('x');
  t.equal((await two.resolve(acct.key.accessKeyId))?.principal.accountId, acct.account.accountId, 'created on one, works on the other');
  const k = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey(), accountId: acct.account.accountId, kind: 'user' as const, status: 'Active' as const, createDate: 1, userName: 'u' };
  t.equal(await two.resolve(k.accessKeyId), undefined, 'unknown before it exists');
  await one.addKey(k);
  t.ok(await two.resolve(k.accessKeyId), 'an unknown key is looked up again: works at once once created');
  await one.deleteKey(k.accessKeyId);
  t.equal(await one.resolve(k.accessKeyId), undefined, 'the writer itself sees the deletion at once');
  await new Promise((r) => setTimeout(r, 450));
  t.equal(await two.resolve(k.accessKeyId), undefined, 'the other gateway sees it once the cache time has passed');
});

t.test('a node that refuses connections is routed around', async (t) => {
  const shimUp = await startStateUpstream('alternator');
  t.teardown(() => shimUp.close());
  const s = await DynamoStateStore.open(shimUp.options());
  t.teardown(() => s.close());
  const shim = shimUp.shim!;
  await shim.setMode(shim.addresses[0]!, 'refuse');
  await shim.setMode(shim.addresses[1]!, '500');
  for (let i = 0; i < 6; i++) await s.table<number>('n').update('x', (v) => (v ?? 0) + 1);
  t.equal(await s.table('n').get('x'), 6, 'every write landed once, on the node that answers');
  t.same(await s.health(), { ok: true });
  await shim.setMode(shim.addresses[2]!, 'refuse');
  t.match(await s.health(), { ok: false, detail: /state table state-\w+ at / }, 'no node answers: health says so');
});
