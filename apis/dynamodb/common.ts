// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Shared steps of the item operations: table lookup, key validation against the schema and the
 * indexes, expression/non-expression parameter rules, consumed capacity.
 */
import type { RequestContext } from '../../src/context.js';
import type { DynamoBackend, KeyDef, TableInfo } from './backend.js';
import { capacityMeter } from './capacity-metrics.js';
import { invalidParam, resourceNotFound, validation, ConstraintErrors } from './errors.js';
import { itemSize, type AttributeValue, type Item } from './types.js';

export const RETURN_CONSUMED = ['INDEXES', 'TOTAL', 'NONE'] as const;
export const RETURN_VALUES = ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'] as const;

/** The table a request names, or DynamoDB's ResourceNotFoundException (synchronous: callers await only the lookup). */
export function tableOrThrow(t: TableInfo | undefined): TableInfo {
  if (!t) throw resourceNotFound();
  return t;
}

/** DynamoDB's rule that expression and legacy parameters do not mix. */
export function checkExpressionParams(input: Record<string, unknown>, exprs: string[], nonExprs: string[]): void {
  // the usual request names no expression: nothing can clash
  if (input.ExpressionAttributeNames == null && input.ExpressionAttributeValues == null && exprs.every((e) => input[e] == null)) return;
  const used = exprs.filter((e) => input[e] !== undefined && input[e] !== null);
  if (used.length) {
    const legacy = nonExprs.filter((e) => input[e] !== undefined && input[e] !== null && !(e === 'KeyConditions' && input.KeyConditionExpression === undefined));
    if (legacy.length) {
      throw validation(`Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy.join(', ')}} Expression parameters: {${used.join(', ')}}`);
    }
  }
  if (input.ExpressionAttributeNames != null && !used.length) throw validation('ExpressionAttributeNames can only be specified when using expressions');
  const valExprs = exprs.filter((e) => e !== 'ProjectionExpression');
  if (valExprs.length && input.ExpressionAttributeValues != null && valExprs.every((e) => input[e] == null)) {
    throw validation(`ExpressionAttributeValues can only be specified when using expressions: ${valExprs.join(' and ')} ${valExprs.length > 1 ? 'are' : 'is'} null`);
  }
}

function checkKeySize(v: AttributeValue, name: string, isHash: boolean): void {
  const len = v.S !== undefined ? Buffer.byteLength(v.S, 'utf8') : v.B !== undefined ? Buffer.byteLength(v.B, 'base64') : 0;
  if (isHash && len > 2048) throw invalidParam('Size of hashkey has exceeded the maximum size limit of2048 bytes');
  if (!isHash && len > 1024) throw invalidParam('Aggregated size of all range keys has exceeded the size limit of 1024 bytes');
  if (len === 0 && (v.S !== undefined || v.B !== undefined)) {
    throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${v.S !== undefined ? 'string' : 'binary'} value. Key: ${name}`);
  }
}

/** A Key parameter: exactly the key attributes with the right types. */
export function validateKey(table: TableInfo, key: Item): void {
  let n = 0;
  for (const _ in key) n++;
  if (n !== (table.range ? 2 : 1)) throw validation('The provided key element does not match the schema');
  checkKeyAttribute(key, table.hash, true);
  if (table.range) checkKeyAttribute(key, table.range, false);
}

function checkKeyAttribute(key: Item, def: KeyDef, isHash: boolean): void {
  const v = key[def.name];
  if (!v || (v as Record<string, unknown>)[def.type] === undefined) throw validation('The provided key element does not match the schema');
  checkKeySize(v, def.name, isHash);
}

/** A whole item: key attributes present and typed, index key attributes typed. */
export function validateItemKeys(table: TableInfo, item: Item): void {
  for (const [def, isHash] of [[table.hash, true], [table.range, false]] as const) {
    if (!def) continue;
    const v = item[def.name];
    if (!v) throw invalidParam(`Missing the key ${def.name} in the item`);
    if ((v as Record<string, unknown>)[def.type] === undefined) throw invalidParam(`Type mismatch for key ${def.name} expected: ${def.type} actual: ${Object.keys(v)[0]}`);
    checkKeySize(v, def.name, isHash);
  }
  validateIndexKeys(table, item);
}

export function validateIndexKeys(table: TableInfo, item: Item): void {
  for (const idx of table.indexes) {
    for (const def of [idx.hash, idx.range]) {
      if (!def) continue;
      const v = item[def.name];
      if (v && (v as Record<string, unknown>)[def.type] === undefined) {
        throw invalidParam(`Type mismatch for Index Key ${def.name} Expected: ${def.type} Actual: ${Object.keys(v)[0]} IndexName: ${idx.name}`);
      }
      if (v) {
        const len = v.S !== undefined ? Buffer.byteLength(v.S, 'utf8') : v.B !== undefined ? Buffer.byteLength(v.B, 'base64') : 1;
        if (len === 0) throw validation(`One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${v.S !== undefined ? 'string' : 'binary'} value. IndexName: ${idx.name}, IndexKey: ${def.name}`);
      }
    }
  }
}

export function keyOfItem(table: TableInfo, item: Item): Item {
  const k: Item = { [table.hash.name]: item[table.hash.name]! };
  if (table.range) k[table.range.name] = item[table.range.name]!;
  return k;
}

export function checkItemSize(item: Item): void {
  if (itemSize(item) > 400 * 1024) throw validation('Item size has exceeded the maximum allowed size');
}

export interface ConsumedCapacity {
  TableName: string;
  CapacityUnits: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits: number }>;
}

export function writeUnits(...items: Array<Item | undefined>): number {
  let u = 1;
  for (const it of items) if (it) u = Math.max(u, Math.ceil(itemSize(it) / 1024));
  return u;
}

export function readUnits(bytes: number, consistent: boolean): number {
  const u = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? u : u / 2;
}

/**
 * Records the units for AWS/DynamoDB's Consumed*CapacityUnits metrics, and answers the
 * ConsumedCapacity for TOTAL or INDEXES. `index`: a Query/Scan on a secondary index, whose units
 * INDEXES reports under GlobalSecondaryIndexes/LocalSecondaryIndexes instead of Table.
 */
export function consumed(
  ctx: RequestContext,
  mode: string | undefined,
  table: string,
  units: number,
  kind: 'read' | 'write',
  index?: { name: string; kind: 'GSI' | 'LSI' },
): ConsumedCapacity | undefined {
  capacityMeter(ctx.gateway).record(ctx, table, units, kind, index?.kind === 'GSI' ? index.name : undefined);
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return undefined;
  const k = kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits';
  const out: ConsumedCapacity = { TableName: table, CapacityUnits: units, [k]: units };
  if (mode === 'INDEXES') {
    const part = { CapacityUnits: units, [k]: units };
    if (!index) out.Table = part;
    else if (index.kind === 'GSI') out.GlobalSecondaryIndexes = { [index.name]: part };
    else out.LocalSecondaryIndexes = { [index.name]: part };
  }
  return out;
}

/** Common request constraints of the item operations. */
const RETURN_METRICS = ['SIZE', 'NONE'];
const RETURN_ON_FAILURE = ['ALL_OLD', 'NONE'];
const CONDITIONAL_OPERATORS = ['AND', 'OR'];

export function checkCommon(input: Record<string, unknown>, extra?: (c: ConstraintErrors) => void): void {
  const c = new ConstraintErrors();
  if ('TableName' in input || !('RequestItems' in input)) c.tableName(input.TableName, 'tableName');
  c.enumOf(input.ReturnConsumedCapacity, 'returnConsumedCapacity', RETURN_CONSUMED);
  c.enumOf(input.ReturnItemCollectionMetrics, 'returnItemCollectionMetrics', RETURN_METRICS);
  c.enumOf(input.ReturnValues, 'returnValues', RETURN_VALUES);
  c.enumOf(input.ReturnValuesOnConditionCheckFailure, 'returnValuesOnConditionCheckFailure', RETURN_ON_FAILURE);
  c.enumOf(input.ConditionalOperator, 'conditionalOperator', CONDITIONAL_OPERATORS);
  extra?.(c);
  c.throwIfAny();
}



/**
 * ItemCollectionMetrics: only for tables with local secondary indexes, and only when asked
 * (ReturnItemCollectionMetrics=SIZE); the size estimate is a 1 GB-wide range around the
 * collection's actual size.
 */
export async function collectionMetrics(
  backend: DynamoBackend,
  mode: string | undefined,
  table: TableInfo,
  key: Item,
): Promise<{ ItemCollectionKey: Item; SizeEstimateRangeGB: number[] } | undefined> {
  if (mode !== 'SIZE' || !table.indexes.some((i) => i.kind === 'LSI')) return undefined;
  const hash = key[table.hash.name]!;
  const gb = (await backend.collectionSize(table, hash)) / 2 ** 30;
  const lo = Math.floor(gb);
  return { ItemCollectionKey: { [table.hash.name]: hash }, SizeEstimateRangeGB: [lo, lo + 1] };
}
