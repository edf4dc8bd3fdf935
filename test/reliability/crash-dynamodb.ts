// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB under SIGKILL: PutItem (unique keys), UpdateItem counters (ADD), and
 * TransactWriteItems writing two items and bumping a counter in one transaction. After each
 * restart: every acknowledged item equals what was written, every counter lies between its
 * acknowledged and its attempted increments, and each transaction is all-or-nothing — both items
 * or neither, and the transaction counter equals the number of transactions whose items exist.
 */
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { DynamoDBClient, CreateTableCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TrialContext, Workload } from './crash-runner.js';
import type { ClientCfg } from './proc.js';

const TABLE = 'crash';
const WORKERS = 2;

type Item = Record<string, AttributeValue>;

export function dynamodbWorkload(): Workload {
  const acked = new Map<string, Item>();
  const maybe = new Map<string, Item>();
  const counters = new Map<string, { lo: number; hi: number }>();
  /** transaction id → acked (true) or in flight (false) */
  const txs = new Map<string, boolean>();
  const byTrial = new Map<number, string[]>();

  async function get(db: DynamoDBClient, pk: string): Promise<Item | undefined> {
    return (await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
  }

  async function putter(ctx: TrialContext, db: DynamoDBClient, w: number) {
    for (let i = 0; !ctx.dead; i++) {
      const pk = `p#${ctx.trial}#${w}#${i}`;
      const item: Item = { pk: { S: pk }, data: { B: randomBytes(16 + ctx.rnd(4000)) }, n: { N: String(ctx.rnd(1e9)) }, tags: { SS: ['a', `t${i}`] } };
      byTrial.set(ctx.trial, [...(byTrial.get(ctx.trial) ?? []), pk]);
      maybe.set(pk, item);
      const r = await ctx.attempt(`PutItem ${pk}`, () => db.send(new PutItemCommand({ TableName: TABLE, Item: item })));
      if (r.fate !== 'acked') return;
      maybe.delete(pk);
      acked.set(pk, item);
    }
  }

  async function updater(ctx: TrialContext, db: DynamoDBClient, w: number) {
    const pk = `counter#${w}`;
    const c = counters.get(pk) ?? { lo: 0, hi: 0 };
    counters.set(pk, c);
    while (!ctx.dead) {
      c.hi++;
      const r = await ctx.attempt(`UpdateItem ${pk}`, () =>
        db.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, UpdateExpression: 'ADD n :one SET lastTrial = :t', ExpressionAttributeValues: { ':one': { N: '1' }, ':t': { N: String(ctx.trial) } } })),
      );
      if (r.fate !== 'acked') return;
      c.lo++;
    }
  }

  async function transactor(ctx: TrialContext, db: DynamoDBClient) {
    for (let i = 0; !ctx.dead; i++) {
      const id = `${ctx.trial}#${i}`;
      txs.set(id, false);
      const payload = { B: randomBytes(32 + ctx.rnd(1000)) };
      const r = await ctx.attempt(`TransactWriteItems ${id}`, () =>
        db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: TABLE, Item: { pk: { S: `tx#${id}#a` }, payload, tx: { S: id } }, ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: TABLE, Item: { pk: { S: `tx#${id}#b` }, payload, tx: { S: id } } } },
              { Update: { TableName: TABLE, Key: { pk: { S: 'txcount' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
            ],
          }),
        ),
      );
      if (r.fate !== 'acked') return;
      txs.set(id, true);
    }
  }

  async function checkItem(t: Test, db: DynamoDBClient, pk: string) {
    const got = await get(db, pk);
    const want = acked.get(pk) ?? maybe.get(pk);
    if (acked.has(pk) && !got) t.fail(`${pk}: acked PutItem lost`);
    if (got && want) t.same(normalize(got), normalize(want), `${pk}: item equal`);
    if (got && !want) t.fail(`${pk}: an item nobody wrote`);
    if (got && maybe.has(pk)) (acked.set(pk, maybe.get(pk)!), maybe.delete(pk));
  }

  async function checkCounters(t: Test, db: DynamoDBClient) {
    for (const [pk, c] of counters) {
      const n = Number((await get(db, pk))?.n?.N ?? 0);
      t.ok(n >= c.lo && n <= c.hi, `${pk} = ${n}: between ${c.lo} acked and ${c.hi} attempted increments`);
      // settle: the next trial's bounds start from what is there
      c.lo = c.hi = n;
    }
  }

  async function checkTxs(t: Test, db: DynamoDBClient, ids: string[]) {
    let whole = 0;
    for (const id of ids) {
      const a = await get(db, `tx#${id}#a`);
      const b = await get(db, `tx#${id}#b`);
      if (!!a !== !!b) t.fail(`transaction ${id}: half applied (a ${!!a}, b ${!!b})`);
      if (txs.get(id) && !(a && b)) t.fail(`transaction ${id}: acked but not applied`);
      if (a && b) {
        whole++;
        txs.set(id, true);
      } else txs.delete(id);
    }
    return whole;
  }

  return {
    name: 'dynamodb',
    async setup(cfg) {
      const db = new DynamoDBClient(cfg);
      await db.send(new CreateTableCommand({ TableName: TABLE, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
      db.destroy();
    },
    async run(ctx) {
      const db = new DynamoDBClient(ctx.cfg);
      const ws = [transactor(ctx, db)];
      for (let w = 0; w < WORKERS; w++) ws.push(putter(ctx, db, w), updater(ctx, db, w));
      await Promise.all(ws.map((p) => p.catch(() => undefined)));
      db.destroy();
    },
    async verify(t, cfg, trial) {
      const db = new DynamoDBClient(cfg);
      const keys = byTrial.get(trial) ?? [];
      for (const pk of keys) await checkItem(t, db, pk);
      t.pass(`trial ${trial}: ${keys.filter((k) => acked.has(k)).length} items checked`);
      await checkCounters(t, db);
      await checkTxs(t, db, [...txs.keys()].filter((id) => id.startsWith(`${trial}#`)));
      const total = Number((await get(db, 'txcount'))?.n?.N ?? 0);
      t.equal(total, txs.size, `txcount = ${total}: equals the transactions whose items exist (all-or-nothing)`);
      db.destroy();
    },
    async verifyAll(t, cfg) {
      const db = new DynamoDBClient(cfg);
      for (const pk of [...byTrial.values()].flat()) await checkItem(t, db, pk);
      const whole = await checkTxs(t, db, [...txs.keys()]);
      t.equal(Number((await get(db, 'txcount'))?.n?.N ?? 0), whole, `${whole} transactions whole, counter agrees`);
      db.destroy();
    },
  };
}

function normalize(item: Item): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = v.B ? { B: Buffer.from(v.B).toString('base64') } : v.SS ? { SS: [...v.SS].sort() } : v;
  return out;
}

export type { ClientCfg };
