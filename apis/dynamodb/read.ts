// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Query and Scan: key conditions, index selection and projections, Limit and the 1 MB page
 * (both applied before the filter, like DynamoDB), Select (incl. COUNT), segments, paging keys.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import type { DynamoBackend, IndexInfo, Page, QueryRequest, ScanRequest, TableInfo } from './backend.js';
import { checkCommon, checkExpressionParams, consumed, readUnits, tableOrThrow } from './common.js';
import { validation, type ConstraintErrors } from './errors.js';
import type { Condition, Operand, PathElem } from './expr/ast.js';
import { evalCondition, project } from './expr/evaluate.js';
import { prepareExpressions } from './expressions.js';
import { checkStartKeyInRange, fromExpression, fromLegacy, resolveKeyConditions } from './keycondition.js';
import { attributesToGet, filterCondition, type LegacyCondition } from './legacy.js';
import { itemSize, validateValue, type Item } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const PAGE_BYTES = 1024 * 1024;
const SELECT = ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'];

interface Plan {
  table: TableInfo;
  index?: IndexInfo;
  filter?: Condition;
  projection?: PathElem[][];
  select: string;
}

function checkSelect(input: In, hasProjection: boolean): string {
  const select: string | undefined = input.Select;
  if (select && select !== 'SPECIFIC_ATTRIBUTES' && input.AttributesToGet) throw validation(`Cannot specify the AttributesToGet when choosing to get ${select}`);
  if (select && select !== 'SPECIFIC_ATTRIBUTES' && input.ProjectionExpression != null) throw validation(`Cannot specify the ProjectionExpression when choosing to get ${select}`);
  if (select === 'SPECIFIC_ATTRIBUTES' && !hasProjection) throw validation('Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES');
  return select ?? (hasProjection ? 'SPECIFIC_ATTRIBUTES' : input.IndexName ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES');
}

function findIndex(table: TableInfo, input: In): IndexInfo | undefined {
  if (input.IndexName === undefined) return undefined;
  const idx = table.indexes.find((i) => i.name === input.IndexName);
  if (!idx) throw validation(`The table does not have the specified index: ${input.IndexName}`);
  if (idx.kind === 'GSI' && input.ConsistentRead) throw validation('Consistent reads are not supported on global secondary indexes');
  return idx;
}

function checkStartKey(table: TableInfo, index: IndexInfo | undefined, esk: Item | undefined): void {
  if (!esk) return;
  const defs = [table.hash, table.range, index?.hash, index?.range].filter((d, i, a) => d && a.findIndex((x) => x?.name === d.name) === i);
  if (Object.keys(esk).length !== defs.length) throw validation(index ? 'The provided starting key is invalid' : 'The provided starting key is invalid: The provided key element does not match the schema');
  for (const d of defs) {
    const v = esk[d!.name];
    if (!v || (v as Record<string, unknown>)[d!.type] === undefined) {
      throw validation(index ? 'The provided starting key is invalid' : 'The provided starting key is invalid: The provided key element does not match the schema');
    }
  }
}

function validateStartKeyValues(esk: Item | undefined): void {
  for (const k in esk ?? {}) {
    try {
      validateValue(esk![k]!);
    } catch (e) {
      const msg = (e as Error).message;
      throw /contains duplicates|number set|numeric value|significant digits|number with magnitude/.test(msg) ? e : validation(`The provided starting key is invalid: ${msg}`);
    }
  }
}

/** The attributes an index holds for an item. */
function indexView(table: TableInfo, idx: IndexInfo, item: Item): Item {
  if (idx.projection.ProjectionType === 'ALL') return item;
  const names = new Set([table.hash.name, table.range?.name, idx.hash.name, idx.range?.name, ...(idx.projection.NonKeyAttributes ?? [])]);
  const out: Item = {};
  for (const n of names) if (n && item[n] !== undefined) out[n] = item[n]!;
  return out;
}

function checkSelectOnIndex(select: string, index: IndexInfo | undefined): void {
  if (select === 'ALL_ATTRIBUTES' && index?.kind === 'GSI' && index.projection.ProjectionType !== 'ALL') {
    throw validation(`One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${index.name} because its projection type is not ALL`);
  }
}

function finish(ctx: RequestContext, plan: Plan, page: Page, input: In): In {
  const { table, index, filter, projection, select } = plan;
  const items: Item[] = [];
  let bytes = 0;
  for (const full of page.items) {
    bytes += itemSize(full);
    const view = index && !(select === 'ALL_ATTRIBUTES' && index.kind === 'LSI') ? indexView(table, index, full) : full;
    if (filter && !evalCondition(filter, view)) continue;
    items.push(projection ? project(view, projection) : view);
  }
  const out: In = {};
  if (select !== 'COUNT') out.Items = items;
  out.Count = items.length;
  out.ScannedCount = page.items.length;
  if (page.lastEvaluatedKey) out.LastEvaluatedKey = page.lastEvaluatedKey;
  const cc = consumed(ctx, input.ReturnConsumedCapacity, table.name, readUnits(bytes, !!input.ConsistentRead), 'read', index && { name: index.name, kind: index.kind });
  if (cc) out.ConsumedCapacity = cc;
  return out;
}

function checkFilterNotOnKeys(filter: Condition | undefined, keys: string[], what: string): void {
  if (!filter) return;
  const visit = (c: Condition): void => {
    let ops: Operand[] = [];
    if (c.k === 'and' || c.k === 'or') {
      visit(c.l);
      visit(c.r);
    } else if (c.k === 'not') visit(c.c);
    else if (c.k === 'cmp') ops = [c.a, c.b];
    else if (c.k === 'between') ops = [c.a, c.lo, c.hi];
    else if (c.k === 'in') ops = [c.a, ...c.list];
    else ops = c.fn.args;
    for (const o of ops) {
      const p = o.k === 'path' ? o : o.k === 'fn' && o.args[0]?.k === 'path' ? o.args[0] : undefined;
      if (p && keys.includes(p.path[0] as string)) throw validation(`${what} can only contain non-primary key attributes: Primary key attribute: ${p.path[0]}`);
    }
  };
  visit(filter);
}

function readConstraints(c: ConstraintErrors, input: In): void {
  c.tableName(input.IndexName, 'indexName', false);
  c.min(input.Limit, 'limit', 1);
  c.enumOf(input.Select, 'select', SELECT);
  c.lengthMin(input.AttributesToGet, 'attributesToGet', 1);
}

/**
 * Everything Query checks before it reads (also run by translators/alternator before a Query is
 * passed through): the plan and the backend request.
 */
export async function prepareQuery(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ plan: Plan; req: QueryRequest }> {
  checkCommon(input, (c) => readConstraints(c, input));
  checkExpressionParams(input, ['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'], ['AttributesToGet', 'QueryFilter', 'ConditionalOperator', 'KeyConditions']);
  const legacyFilter = filterCondition(input.QueryFilter as Record<string, LegacyCondition> | undefined, input.ConditionalOperator);
  const legacyProjection = attributesToGet(input.AttributesToGet);
  validateStartKeyValues(input.ExclusiveStartKey);
  if (input.KeyConditions == null && input.KeyConditionExpression == null) {
    throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  }
  const ex = prepareExpressions(input);
  const conds = ex.keyCondition ? fromExpression(ex.keyCondition) : fromLegacy(input.KeyConditions);
  const projection = ex.projection ?? legacyProjection;
  const select = checkSelect(input, !!projection);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  const index = findIndex(table, input);
  const hash = index ? index.hash : table.hash;
  const range = index ? index.range : table.range;
  const kc = resolveKeyConditions(conds, hash, range);
  checkStartKey(table, index, input.ExclusiveStartKey);
  checkStartKeyInRange(input.ExclusiveStartKey, kc, hash, range);
  const filter = ex.filter ?? legacyFilter;
  checkFilterNotOnKeys(filter, [hash.name, range?.name].filter(Boolean) as string[], ex.filter ? 'Filter Expression' : 'QueryFilter');
  checkSelectOnIndex(select, index);
  return {
    plan: { table, index, filter, projection, select },
    req: {
      index: index?.name,
      hash: kc.hash,
      range: kc.range,
      forward: input.ScanIndexForward !== false,
      exclusiveStartKey: input.ExclusiveStartKey,
      limit: input.Limit,
      maxBytes: PAGE_BYTES,
    },
  };
}

export function query(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { plan, req } = await prepareQuery(backend, ctx, input);
    return finish(ctx, plan, await backend.query(plan.table, req), input);
  };
}

/** Scan's checks before it reads (see prepareQuery). */
export async function prepareScan(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<{ plan: Plan; req: ScanRequest }> {
  checkCommon(input, (c) => {
    readConstraints(c, input);
    c.min(input.Segment, 'segment', 0);
    c.max(input.Segment, 'segment', 999999);
    c.min(input.TotalSegments, 'totalSegments', 1);
    c.max(input.TotalSegments, 'totalSegments', 1000000);
  });
  checkExpressionParams(input, ['ProjectionExpression', 'FilterExpression'], ['AttributesToGet', 'ScanFilter', 'ConditionalOperator']);
  const legacyFilter = filterCondition(input.ScanFilter as Record<string, LegacyCondition> | undefined, input.ConditionalOperator);
  const legacyProjection = attributesToGet(input.AttributesToGet);
  validateStartKeyValues(input.ExclusiveStartKey);
  if (input.Segment !== undefined && input.TotalSegments === undefined) {
    throw validation('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
  }
  if (input.TotalSegments !== undefined && input.Segment === undefined) {
    throw validation('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
  }
  if (input.Segment !== undefined && input.Segment >= input.TotalSegments) {
    throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${input.Segment} is not less than TotalSegments: ${input.TotalSegments}`);
  }
  const ex = prepareExpressions(input);
  const projection = ex.projection ?? legacyProjection;
  const select = checkSelect(input, !!projection);
  const table = tableOrThrow(await backend.getTable(ctx.accountId, input.TableName));
  const index = findIndex(table, input);
  checkStartKey(table, index, input.ExclusiveStartKey);
  checkSelectOnIndex(select, index);
  return {
    plan: { table, index, filter: ex.filter ?? legacyFilter, projection, select },
    req: {
      index: index?.name,
      segment: input.Segment,
      totalSegments: input.TotalSegments,
      exclusiveStartKey: input.ExclusiveStartKey,
      limit: input.Limit,
      maxBytes: PAGE_BYTES,
    },
  };
}

export function scan(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const { plan, req } = await prepareScan(backend, ctx, input);
    return finish(ctx, plan, await backend.scan(plan.table, req), input);
  };
}
