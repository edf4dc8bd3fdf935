// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The layout of the state table and the raw item operations the store and its commit protocol use.
 *
 * One DynamoDB-API table (hash key `p`, range key `k`, both strings):
 *   p = "t/<state table>"  k = "!<key>"   one state entry; a DynamoDB range key sorts by UTF-8
 *                                         bytes, as LMDB does, so prefix scans are Queries of one
 *                                         partition in the same order (the "!" keeps "" a valid key)
 *   p = "x"                k = <tx id>    one multi-key transaction record (txn.ts)
 * Attributes of an entry:
 *   v    the value as JSON; absent for a deleted entry (tombstone) or an unwritten locked one
 *   ver  a unique id of the write that produced v (a transaction's id or a random id)
 *   ts   epoch ms of that write (tombstones older than a few minutes are removed by scans)
 *   lk   id of the transaction holding the entry, with lo = r (read) | p (put) | d (delete) and
 *        nv = the value it will write (lo = p)
 * Only consistent reads are used.
 */
import { randomBytes } from 'node:crypto';
import { DynamoApiError, type DynamoClient } from './client.js';

export type AttrValue = { S: string } | { N: string };
export type DdbItem = Record<string, AttrValue>;

/** An entry as stored. */
export interface Raw {
  v?: string;
  ver?: string;
  ts?: number;
  lk?: string;
  lo?: 'r' | 'p' | 'd';
  nv?: string;
}

export interface EntryKey {
  table: string;
  key: string;
}

/** Largest key: DynamoDB's range key limit (1024 bytes) less the "!". */
export const MAX_KEY_BYTES = 1023;

export function pkOf(table: string): string {
  return `t/${table}`;
}

export function skOf(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new Error(`state key too long for a DynamoDB-API state store: ${Buffer.byteLength(key, 'utf8')} bytes (at most ${MAX_KEY_BYTES})`);
  return `!${key}`;
}

export const TX_PARTITION = 'x';

export function newVersion(): string {
  return randomBytes(12).toString('base64url');
}

export function decode(item: DdbItem | undefined): Raw | undefined {
  if (!item) return undefined;
  const s = (n: string) => (item[n] && 'S' in item[n]! ? (item[n] as { S: string }).S : undefined);
  const ts = item.ts && 'N' in item.ts ? Number(item.ts.N) : undefined;
  return { v: s('v'), ver: s('ver'), ts, lk: s('lk'), lo: s('lo') as Raw['lo'], nv: s('nv') };
}

/** An update of one item: SET and REMOVE lists and a condition, with their values. */
export interface Update {
  set?: Record<string, AttrValue>;
  remove?: string[];
  /** Condition expression over attribute names written as #name and values as :name. */
  condition?: string;
  values?: Record<string, AttrValue>;
}

export const S = (s: string): AttrValue => ({ S: s });
export const N = (n: number): AttrValue => ({ N: String(n) });

/** The state table does not exist and may not be created (createTable: false). */
export class MissingStateTable extends Error {
  constructor(readonly table: string) {
    super(`state table '${table}' does not exist (create it with hash key p (S) and range key k (S), or set state.createTable: true)`);
    this.name = 'MissingStateTable';
  }
}

export class ItemTable {
  constructor(
    readonly client: DynamoClient,
    readonly name: string,
  ) {}

  private key(p: string, k: string): DdbItem {
    return { p: S(p), k: S(k) };
  }

  async get(p: string, k: string): Promise<Raw | undefined> {
    const r = await this.client.call<{ Item?: DdbItem }>('GetItem', { TableName: this.name, Key: this.key(p, k), ConsistentRead: true });
    return decode(r.Item);
  }

  /** Several entries at once (BatchGetItem, consistent, unprocessed keys retried). */
  async getMany(keys: Array<[string, string]>): Promise<Map<string, Raw | undefined>> {
    const out = new Map<string, Raw | undefined>();
    for (const [p, k] of keys) out.set(`${p}\u0000${k}`, undefined);
    let pending = [...new Map(keys.map(([p, k]) => [`${p}\u0000${k}`, this.key(p, k)])).values()];
    for (let round = 0; pending.length > 0; round++) {
      const chunk = pending.slice(0, 100);
      pending = pending.slice(100);
      const r = await this.client.call<{ Responses?: Record<string, DdbItem[]>; UnprocessedKeys?: Record<string, { Keys: DdbItem[] }> }>('BatchGetItem', {
        RequestItems: { [this.name]: { Keys: chunk, ConsistentRead: true } },
      });
      for (const item of r.Responses?.[this.name] ?? []) out.set(`${(item.p as { S: string }).S}\u0000${(item.k as { S: string }).S}`, decode(item));
      const again = r.UnprocessedKeys?.[this.name]?.Keys ?? [];
      if (again.length) {
        if (round > 50) throw new Error('the state table keeps returning unprocessed keys');
        pending.push(...again);
        await new Promise((res) => setTimeout(res, Math.min(200, 5 * 2 ** Math.min(round, 6))));
      }
    }
    return out;
  }

  /** A conditional update; false when the condition did not hold. */
  async update(p: string, k: string, u: Update): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, AttrValue> = { ...u.values };
    const parts: string[] = [];
    const set = Object.entries(u.set ?? {});
    if (set.length) {
      parts.push(
        'SET ' +
          set
            .map(([n, v]) => {
              names[`#${n}`] = n;
              values[`:set_${n}`] = v;
              return `#${n} = :set_${n}`;
            })
            .join(', '),
      );
    }
    if (u.remove?.length) {
      parts.push('REMOVE ' + u.remove.map((n) => ((names[`#${n}`] = n), `#${n}`)).join(', '));
    }
    for (const m of (u.condition ?? '').matchAll(/#(\w+)/g)) names[`#${m[1]}`] = m[1]!;
    try {
      await this.client.call('UpdateItem', {
        TableName: this.name,
        Key: this.key(p, k),
        UpdateExpression: parts.join(' '),
        ConditionExpression: u.condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
      });
      return true;
    } catch (e) {
      if (e instanceof DynamoApiError && e.code === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** A conditional delete of the whole item; false when the condition did not hold. */
  async delete(p: string, k: string, condition?: string, values?: Record<string, AttrValue>): Promise<boolean> {
    const names: Record<string, string> = {};
    for (const m of (condition ?? '').matchAll(/#(\w+)/g)) names[`#${m[1]}`] = m[1]!;
    try {
      await this.client.call('DeleteItem', {
        TableName: this.name,
        Key: this.key(p, k),
        ConditionExpression: condition,
        ExpressionAttributeNames: condition ? names : undefined,
        ExpressionAttributeValues: values,
      });
      return true;
    } catch (e) {
      if (e instanceof DynamoApiError && e.code === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** One page of a Query over partition `p`. */
  async query(
    p: string,
    cond: { op: 'begins_with' | '>=' | '>' | '<=' | '<'; value: string },
    opts: { forward: boolean; limit?: number; startKey?: DdbItem },
  ): Promise<{ items: Array<[string, Raw]>; last?: DdbItem }> {
    const kc = cond.op === 'begins_with' ? 'p = :p AND begins_with(k, :k)' : `p = :p AND k ${cond.op} :k`;
    const r = await this.client.call<{ Items?: DdbItem[]; LastEvaluatedKey?: DdbItem }>('Query', {
      TableName: this.name,
      KeyConditionExpression: kc,
      ExpressionAttributeValues: { ':p': S(p), ':k': S(cond.value) },
      ScanIndexForward: opts.forward,
      ConsistentRead: true,
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
    });
    return { items: (r.Items ?? []).map((it) => [(it.k as { S: string }).S, decode(it)!]), last: r.LastEvaluatedKey };
  }

  /** Creates the table when it is missing (hash p, range k), and waits until it is active. */
  async ensure(create: boolean): Promise<void> {
    const describe = async () => {
      try {
        return (await this.client.call<{ Table: { TableStatus: string; KeySchema: Array<{ AttributeName: string; KeyType: string }> } }>('DescribeTable', { TableName: this.name })).Table;
      } catch (e) {
        if (e instanceof DynamoApiError && e.code === 'ResourceNotFoundException') return undefined;
        throw e;
      }
    };
    let t = await describe();
    if (!t) {
      if (!create) throw new MissingStateTable(this.name);
      try {
        await this.client.call('CreateTable', {
          TableName: this.name,
          AttributeDefinitions: [
            { AttributeName: 'p', AttributeType: 'S' },
            { AttributeName: 'k', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'p', KeyType: 'HASH' },
            { AttributeName: 'k', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        });
      } catch (e) {
        // another gateway created it at the same time
        if (!(e instanceof DynamoApiError && e.code === 'ResourceInUseException')) throw e;
      }
      t = await describe();
    }
    for (let i = 0; t && t.TableStatus !== 'ACTIVE'; i++) {
      if (i > 600) throw new Error(`state table '${this.name}' did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 100));
      t = await describe();
    }
    const ks = t?.KeySchema ?? [];
    const hash = ks.find((x) => x.KeyType === 'HASH')?.AttributeName;
    const range = ks.find((x) => x.KeyType === 'RANGE')?.AttributeName;
    if (hash !== 'p' || range !== 'k') throw new Error(`state table '${this.name}' must have hash key 'p' and range key 'k' (it has ${hash ?? '-'} / ${range ?? '-'})`);
  }
}
