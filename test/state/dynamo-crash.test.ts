// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A gateway process killed (SIGKILL) in the middle of 100 concurrent multi-key state transactions
 * on the Alternator stand-in: after recovery by another store, every transaction is all-or-nothing
 * (both keys of a pair or neither, and the counters add up to the number of pairs), every acknowledged
 * one is there, and no lock or transaction record is left.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoClient } from '../../src/state/dynamo/client.js';
import { DynamoStateStore } from '../../src/state/dynamo/store.js';
import { ItemTable } from '../../src/state/dynamo/items.js';
import type { TxEngine } from '../../src/state/dynamo/txn.js';
import { startStateUpstream } from '../helpers/state-upstream.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'dynamo-crash-worker.js');
const up = await startStateUpstream('alternator');
t.teardown(() => up.close());
let inFlight = 0;

for (const killAfter of [10, 45]) {
  t.test(`killed after ${killAfter} of 100 acknowledged`, async (t) => {
    const opts = up.options(undefined, { txTimeoutMs: 300 });
    const acked = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [WORKER, JSON.stringify(opts), '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.on('data', (d) => {
        out += d;
        for (const m of out.matchAll(/done (\d+)\n/g)) acked.add(Number(m[1]));
        if (acked.size >= killAfter && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`worker ended before the kill (${code}): ${out.slice(-200)} ${err}`))));
    });
    t.ok(acked.size < 100, `killed with ${100 - acked.size} transactions unacknowledged`);

    // what the kill left behind, seen raw (before any recovery)
    const client = new DynamoClient(opts);
    const rawTable = new ItemTable(client, opts.table);
    const records = (await rawTable.query('x', { op: 'begins_with', value: '' }, { forward: true })).items.length;
    const locks = (await rawTable.query('t/pair', { op: 'begins_with', value: '!' }, { forward: true })).items.filter(([, r]) => r.lk).length;
    await client.close();
    t.comment(`the kill left ${records} transaction records and ${locks} locked keys`);
    inFlight += records + locks;

    await new Promise((r) => setTimeout(r, 400)); // the dead transactions' records become stale
    const store = await DynamoStateStore.open(opts); // recovery runs at open
    t.teardown(() => store.close());
    const rows = new Map((await store.table<number>('pair').range()).map(([k, v]) => [k, v]));
    const a = [...rows.keys()].filter((k) => k.startsWith('a/')).map((k) => Number(k.slice(2)));
    const b = [...rows.keys()].filter((k) => k.startsWith('b/')).map((k) => Number(k.slice(2)));
    t.same(a.sort((x, y) => x - y), b.sort((x, y) => x - y), 'every transaction wrote both keys or neither');
    const counted = [...rows].filter(([k]) => k.startsWith('n/')).reduce((sum, [, v]) => sum + v, 0);
    t.equal(counted, a.length, 'the counters count exactly the transactions that are there');
    t.ok([...acked].every((i) => rows.get(`a/${i}`) === i), `every acknowledged transaction is there (${acked.size} acknowledged, ${a.length} committed)`);

    const internals = store as unknown as { engine: TxEngine; items: ItemTable };
    t.equal(await internals.engine.recover(), 0, 'no transaction record is left');
    const raw = await internals.items.query('t/pair', { op: 'begins_with', value: '!' }, { forward: true });
    t.same(raw.items.filter(([, r]) => r.lk !== undefined).map(([k]) => k), [], 'no key is left locked');
  });
}

t.test('the kills hit transactions in flight', async (t) => {
  t.ok(inFlight > 0, `${inFlight} records and locked keys left behind by the kills, all settled`);
});
