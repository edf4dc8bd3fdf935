// SPDX-License-Identifier: AGPL-3.0-or-later
/** PutItem, GetItem, DeleteItem and UpdateItem. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { DynamoBackend, TableInfo } from './backend.js';
import {
  checkCommon,
  checkExpressionParams,
  checkItemSize,
  consumed,
  keyOfItem,
  readUnits,
  tableOrThrow,
  validateIndexKeys,
  validateItemKeys,
  validateKey,
  writeUnits,
  collectionMetrics,
} from './common.js';
import { conditionalCheckFailed, invalidParam, validation } from './errors.js';
import type { Condition, PathElem, UpdateActions } from './expr/ast.js';
import { evalCondition, project } from './expr/evaluate.js';
import { applyUpdate } from './expr/update.js';
import { prepareExpressions } from './expressions.js';
import { attributesToGet, attributeUpdates, expectedCondition, type AttributeUpdate, type LegacyCondition } from './legacy.js';
import { itemSize, validateItemValues, validateValue, type Item } from './types.js';
import { asSingleWrites, itemId } from './conflicts.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

function conditionOf(input: In): Condition | undefined {
  return input.ConditionExpression != null ? undefined : expectedCondition(input.Expected as Record<string, LegacyCondition> | undefined, input.ConditionalOperator);
}

/** The check a conditional write runs inside the backend's transaction. */
export function checkCondition(cond: Condition | undefined, current: Item | undefined, returnOnFailure: string | undefined): void {
  if (cond && !evalCondition(cond, current)) throw conditionalCheckFailed(returnOnFailure === 'ALL_OLD' && current ? current : undefined);
}

function validateKeyValues(key: Item | undefined): void {
  if (key) for (const k in key) validateValue(key[k]!);
}

/**
 * Everything PutItem checks before it touches an item: parameters, values, expressions, the
 * table and the item's keys against its schema (also run by translators/alternator before a
 * PutItem is passed through, so both backends refuse bad input with the same errors).
 */
export async function preparePutItem(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ table: TableInfo; item: Item; cond?: Condition }> {
  checkCommon(input, (c) => c.required(input.Item, 'item'));
  checkExpressionParams(input, ['ConditionExpression'], ['Expected']);
  const item = input.Item as Item;
  validateItemValues(item);
  if (input.ReturnValues && input.ReturnValues !== 'ALL_OLD' && input.ReturnValues !== 'NONE') throw validation('ReturnValues can only be ALL_OLD or NONE');
  checkItemSize(item);
  const legacy = conditionOf(input);
  const ex = prepareExpressions(input);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  validateItemKeys(table, item);
  return { table, item, cond: ex.condition ?? legacy };
}

export function putItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { table, item, cond } = await preparePutItem(backend, ctx, input);
    const [res] = await asSingleWrites(ctx, [itemId(table, keyOfItem(table, item))], () => backend.write([
      {
        table,
        key: keyOfItem(table, item),
        apply: (cur) => {
          checkCondition(cond, cur, input.ReturnValuesOnConditionCheckFailure);
          return item;
        },
      },
    ], { now: ctx.gateway.clock.now() }));
    const out: In = {};
    if (input.ReturnValues === 'ALL_OLD' && res!.old) out.Attributes = res!.old;
    const cc = consumed(ctx, input.ReturnConsumedCapacity, table.name, writeUnits(res!.old, item), 'write');
    if (cc) out.ConsumedCapacity = cc;
    const icm = await collectionMetrics(backend, input.ReturnItemCollectionMetrics, table, keyOfItem(table, item));
    if (icm) out.ItemCollectionMetrics = icm;
    return out;
  };
}

function projectionOf(input: In, projection: PathElem[][] | undefined): PathElem[][] | undefined {
  return projection ?? attributesToGet(input.AttributesToGet);
}

/** GetItem's checks before the read (see preparePutItem). */
export async function prepareGetItem(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ table: TableInfo; projection?: PathElem[][] }> {
  checkCommon(input, (c) => {
    c.required(input.Key, 'key');
    c.lengthMin(input.AttributesToGet, 'attributesToGet', 1);
  });
  checkExpressionParams(input, ['ProjectionExpression'], ['AttributesToGet']);
  validateKeyValues(input.Key);
  const ex = prepareExpressions(input);
  const projection = projectionOf(input, ex.projection);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  validateKey(table, input.Key);
  return { table, projection };
}

export function getItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { table, projection } = await prepareGetItem(backend, ctx, input);
    const item = await backend.getItem(table, input.Key);
    const out: In = {};
    if (item) out.Item = projection ? project(item, projection) : item;
    const cc = consumed(ctx, input.ReturnConsumedCapacity, table.name, readUnits(item ? itemSize(item) : 0, !!input.ConsistentRead), 'read');
    if (cc) out.ConsumedCapacity = cc;
    return out;
  };
}

/** DeleteItem's checks before the write (see preparePutItem). */
export async function prepareDeleteItem(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ table: TableInfo; cond?: Condition }> {
  checkCommon(input, (c) => c.required(input.Key, 'key'));
  checkExpressionParams(input, ['ConditionExpression'], ['Expected']);
  validateKeyValues(input.Key);
  if (input.ReturnValues && input.ReturnValues !== 'ALL_OLD' && input.ReturnValues !== 'NONE') throw validation('ReturnValues can only be ALL_OLD or NONE');
  const legacy = conditionOf(input);
  const ex = prepareExpressions(input);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  validateKey(table, input.Key);
  return { table, cond: ex.condition ?? legacy };
}

export function deleteItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { table, cond } = await prepareDeleteItem(backend, ctx, input);
    const [res] = await asSingleWrites(ctx, [itemId(table, input.Key)], () => backend.write([
      {
        table,
        key: input.Key,
        apply: (cur) => {
          checkCondition(cond, cur, input.ReturnValuesOnConditionCheckFailure);
          return cur ? null : undefined;
        },
      },
    ], { now: ctx.gateway.clock.now() }));
    const out: In = {};
    if (input.ReturnValues === 'ALL_OLD' && res!.old) out.Attributes = res!.old;
    const cc = consumed(ctx, input.ReturnConsumedCapacity, table.name, writeUnits(res!.old), 'write');
    if (cc) out.ConsumedCapacity = cc;
    const icm = await collectionMetrics(backend, input.ReturnItemCollectionMetrics, table, input.Key);
    if (icm) out.ItemCollectionMetrics = icm;
    return out;
  };
}

function updatedPaths(u: UpdateActions): PathElem[][] {
  return [...u.set.map((a) => a.path.path), ...u.remove.map((p) => p.path), ...u.add.map((a) => a.path.path), ...u.delete.map((a) => a.path.path)];
}

/** Key attributes may not be updated, nor addressed as documents. */
export function checkUpdateTouchesNoKey(table: TableInfo, u: UpdateActions): void {
  const keys = [table.hash.name, table.range?.name].filter(Boolean) as string[];
  for (const p of updatedPaths(u)) {
    if (!keys.includes(p[0] as string)) continue;
    if (p.length > 1) throw validation(`Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: ${p[0]}`);
    throw invalidParam(`Cannot update attribute ${p[0]}. This attribute is part of the key`);
  }
}

/** Computes the item an UpdateItem writes, validating the result. */
export function updatedItem(table: TableInfo, cur: Item | undefined, key: Item, u: UpdateActions | undefined): Item {
  const next = u ? applyUpdate(cur, key, u) : cur ?? { ...key };
  validateIndexKeys(table, next);
  if (itemSize(next) > 400 * 1024) throw validation('Item size to update has exceeded the maximum allowed size');
  return next;
}

/**
 * UpdateItem's checks before the write (see preparePutItem); what depends on the current item
 * (index key types and the size of the result) is checked by updatedItem inside the write.
 */
export async function prepareUpdateItem(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ table: TableInfo; cond?: Condition; update?: UpdateActions }> {
  checkCommon(input, (c) => c.required(input.Key, 'key'));
  checkExpressionParams(input, ['UpdateExpression', 'ConditionExpression'], ['AttributeUpdates', 'Expected']);
  validateKeyValues(input.Key);
  const legacyCond = conditionOf(input);
  const legacyUpdate = input.UpdateExpression != null ? undefined : attributeUpdates(input.AttributeUpdates as Record<string, AttributeUpdate> | undefined);
  const ex = prepareExpressions(input);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  validateKey(table, input.Key);
  const update = ex.update ?? legacyUpdate;
  if (update) checkUpdateTouchesNoKey(table, update);
  return { table, cond: ex.condition ?? legacyCond, update };
}

export function updateItem(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { table, cond, update } = await prepareUpdateItem(backend, ctx, input);
    const key = input.Key as Item;
    const [res] = await asSingleWrites(ctx, [itemId(table, key)], () => backend.write([
      {
        table,
        key,
        apply: (cur) => {
          checkCondition(cond, cur, input.ReturnValuesOnConditionCheckFailure);
          return updatedItem(table, cur, key, update);
        },
      },
    ], { now: ctx.gateway.clock.now() }));
    const out: In = {};
    const rv = input.ReturnValues ?? 'NONE';
    if (rv === 'ALL_OLD' && res!.old) out.Attributes = res!.old;
    else if (rv === 'ALL_NEW' && res!.new) out.Attributes = res!.new;
    else if ((rv === 'UPDATED_OLD' || rv === 'UPDATED_NEW') && update) {
      const src = rv === 'UPDATED_OLD' ? res!.old : res!.new;
      const attrs = src ? project(src, updatedPaths(update)) : {};
      if (Object.keys(attrs).length) out.Attributes = attrs;
    }
    const cc = consumed(ctx, input.ReturnConsumedCapacity, table.name, writeUnits(res!.old, res!.new), 'write');
    if (cc) out.ConsumedCapacity = cc;
    const icm = await collectionMetrics(backend, input.ReturnItemCollectionMetrics, table, key);
    if (icm) out.ItemCollectionMetrics = icm;
    return out;
  };
}


