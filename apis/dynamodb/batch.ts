// SPDX-License-Identifier: AGPL-3.0-or-later
/** BatchGetItem (≤100 keys) and BatchWriteItem (≤25 requests). */
import type { Handler, RequestContext } from '../../src/context.js';
import type { DynamoBackend, TableInfo, WriteOp } from './backend.js';
import { checkExpressionParams, checkItemSize, consumed, keyOfItem, readUnits, tableOrThrow, validateItemKeys, validateKey, writeUnits } from './common.js';
import { ConstraintErrors, validation } from './errors.js';
import { project } from './expr/evaluate.js';
import { prepareExpressions } from './expressions.js';
import { attributesToGet } from './legacy.js';
import { itemSize, validateItemValues, validateValue, type Item } from './types.js';
import { encodeKeyString } from './keystring.js';
import { asSingleWrites, itemId } from './conflicts.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

function checkRequestItems(input: In, max: number): void {
  const c = new ConstraintErrors();
  c.required(input.RequestItems, 'requestItems');
  if (input.RequestItems) {
    const n = Object.keys(input.RequestItems).length;
    if (n < 1) c.add(input.RequestItems, 'requestItems', 'Member must have length greater than or equal to 1');
    for (const [name, v] of Object.entries<any>(input.RequestItems)) {
      const bad = name.length < 3 || name.length > 255 || !/^[a-zA-Z0-9_.-]+$/.test(name);
      if (bad) {
        c.add(input.RequestItems, 'requestItems', 'Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]');
      }
      const list = max === 100 ? v?.Keys : v;
      if (Array.isArray(list) && (list.length < 1 || list.length > max)) {
        c.add(input.RequestItems, 'requestItems', `Map value must satisfy constraint: [Member must have length less than or equal to ${max}, Member must have length greater than or equal to 1]`);
      }
    }
  }
  c.enumOf(input.ReturnConsumedCapacity, 'returnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE']);
  c.enumOf(input.ReturnItemCollectionMetrics, 'returnItemCollectionMetrics', ['SIZE', 'NONE']);
  c.throwIfAny();
}

/**
 * Everything BatchGetItem checks before it reads (also run by translators/alternator before a
 * BatchGetItem is passed through).
 */
export async function prepareBatchGetItem(backend: DynamoBackend, ctx: RequestContext, input: In) {
  checkRequestItems(input, 100);
  const reqs = Object.entries<any>(input.RequestItems);
  let total = 0;
  const prepared = reqs.map(([name, r]) => {
    checkExpressionParams(r, ['ProjectionExpression'], ['AttributesToGet']);
    for (const k of r.Keys ?? []) for (const a in k) validateValue(k[a]);
    total += (r.Keys ?? []).length;
    const ex = prepareExpressions(r);
    return { name, r, projection: ex.projection ?? attributesToGet(r.AttributesToGet) };
  });
  if (total > 100) throw validation('Too many items requested for the BatchGetItem call');
  const tables = new Map<string, TableInfo>();
  for (const { name, r } of prepared) {
    const t = tableOrThrow(await backend.getTable(ctx.accountId, name));
    tables.set(name, t);
    const seen = new Set<string>();
    for (const k of r.Keys) {
      validateKey(t, k);
      const ks = encodeKeyString(t, k);
      if (seen.has(ks)) throw validation('Provided list of item keys contains duplicates');
      seen.add(ks);
    }
  }
  return { prepared, tables };
}

export function batchGetItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { prepared, tables } = await prepareBatchGetItem(backend, ctx, input);
    const reads = prepared.flatMap(({ name, r }) => (r.Keys as Item[]).map((key) => ({ table: tables.get(name)!, key })));
    const found = await backend.getItems(reads);
    const responses: Record<string, Item[]> = {};
    const unprocessed: Record<string, In> = {};
    const units: Record<string, number> = {};
    let i = 0;
    let bytes = 0;
    for (const { name, r, projection } of prepared) {
      const list: Item[] = (responses[name] = []);
      units[name] = 0;
      for (let j = 0; j < r.Keys.length; j++, i++) {
        const item = found[i];
        // DynamoDB answers at most 16 MB: the keys after that come back as UnprocessedKeys
        if (bytes >= MAX_RESPONSE_BYTES) {
          const { Keys: _all, ...rest } = r;
          (unprocessed[name] ??= { ...rest, Keys: [] }).Keys.push(r.Keys[j]);
          continue;
        }
        const size = item ? itemSize(item) : 0;
        bytes += size;
        units[name] += readUnits(size, !!r.ConsistentRead);
        if (item) list.push(projection ? project(item, projection) : item);
      }
    }
    const out: In = { Responses: responses, UnprocessedKeys: unprocessed };
    const cc = Object.entries(units)
      .map(([name, u]) => consumed(ctx, input.ReturnConsumedCapacity, name, u, 'read'))
      .filter(Boolean);
    if (cc.length) out.ConsumedCapacity = cc;
    return out;
  };
}

/** BatchWriteItem's checks before the writes (see prepareBatchGetItem): the writes to make. */
export async function prepareBatchWriteItem(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<WriteOp[]> {
  checkRequestItems(input, 25);
  const reqs = Object.entries<any[]>(input.RequestItems);
  let total = 0;
  for (const [, list] of reqs) {
    for (const w of list) {
      const n = (w?.PutRequest ? 1 : 0) + (w?.DeleteRequest ? 1 : 0);
      if (n !== 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
      if (w.PutRequest) {
        validateItemValues(w.PutRequest.Item ?? {});
        checkItemSize(w.PutRequest.Item ?? {});
      } else for (const a in w.DeleteRequest.Key ?? {}) validateValue(w.DeleteRequest.Key[a]);
      total++;
    }
  }
  if (total > 25) throw validation('Too many items requested for the BatchWriteItem call');
  const ops: WriteOp[] = [];
  for (const [name, list] of reqs) {
    const t = tableOrThrow(await backend.getTable(ctx.accountId, name));
    const seen = new Set<string>();
    for (const w of list) {
      let key: Item;
      if (w.PutRequest) {
        validateItemKeys(t, w.PutRequest.Item);
        key = keyOfItem(t, w.PutRequest.Item);
      } else {
        validateKey(t, w.DeleteRequest.Key);
        key = w.DeleteRequest.Key;
      }
      const ks = encodeKeyString(t, key);
      if (seen.has(ks)) throw validation('Provided list of item keys contains duplicates');
      seen.add(ks);
      const item: Item | undefined = w.PutRequest?.Item;
      ops.push({ table: t, key, apply: (cur) => (item ? item : cur ? null : undefined) });
    }
  }
  return ops;
}

export function batchWriteItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const ops = await prepareBatchWriteItem(backend, ctx, input);
    const perTable: Record<string, number> = {};
    for (const name in input.RequestItems) perTable[name] = 0;
    const results = await asSingleWrites(ctx, ops.map((op) => itemId(op.table, op.key)), () => backend.write(ops, { now: ctx.gateway.clock.now() }), false);
    ops.forEach((op, i) => (perTable[op.table.name]! += writeUnits(results[i]!.old, results[i]!.new)));
    const out: In = { UnprocessedItems: {} };
    const cc = Object.entries(perTable)
      .map(([name, u]) => consumed(ctx, input.ReturnConsumedCapacity, name, u, 'write'))
      .filter(Boolean);
    if (cc.length) out.ConsumedCapacity = cc;
    return out;
  };
}


