// SPDX-License-Identifier: AGPL-3.0-or-later
/** ExecuteStatement and BatchExecuteStatement over the same engine calls as the item API. */
import type { Handler } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { DynamoBackend, TableInfo } from './backend.js';
import { checkItemSize, tableOrThrow, validateItemKeys } from './common.js';
import { ConstraintErrors, validation } from './errors.js';
import type { Condition } from './expr/ast.js';
import { evalCondition, project } from './expr/evaluate.js';
import { checkCondition, checkUpdateTouchesNoKey, updatedItem } from './items.js';
import { parseStatement, type Statement } from './partiql-parse.js';
import { validateItemValues, type AttributeValue, type Item } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const PAGE_BYTES = 1024 * 1024;

/** Top-level AND conjuncts of a WHERE clause. */
function conjuncts(c: Condition | undefined): Condition[] {
  if (!c) return [];
  return c.k === 'and' ? [...conjuncts(c.l), ...conjuncts(c.r)] : [c];
}

function keyEquality(c: Condition, name: string): AttributeValue | undefined {
  if (c.k !== 'cmp' || c.op !== '=') return undefined;
  if (c.a.k === 'path' && c.a.path.length === 1 && c.a.path[0] === name && c.b.k === 'val') return c.b.value;
  if (c.b.k === 'path' && c.b.path.length === 1 && c.b.path[0] === name && c.a.k === 'val') return c.a.value;
  return undefined;
}

/** The primary key a write statement addresses, and the rest of its WHERE as a condition. */
function keyAndRest(table: TableInfo, where: Condition | undefined): { key: Item; rest?: Condition } {
  const parts = conjuncts(where);
  const key: Item = {};
  const rest: Condition[] = [];
  for (const p of parts) {
    const name = [table.hash.name, table.range?.name].find((n) => n && key[n] === undefined && keyEquality(p, n) !== undefined);
    if (name) key[name] = keyEquality(p, name)!;
    else rest.push(p);
  }
  for (const def of [table.hash, table.range]) {
    if (def && (key[def.name] === undefined || (key[def.name] as Record<string, unknown>)[def.type] === undefined)) {
      throw validation('Where clause does not contain a mandatory equality on all key attributes');
    }
  }
  return { key, rest: rest.length ? rest.reduce((l, r): Condition => ({ k: 'and', l, r })) : undefined };
}

function nextToken(lek: Item | undefined): string | undefined {
  return lek ? Buffer.from(JSON.stringify(lek)).toString('base64') : undefined;
}

function fromToken(t: unknown): Item | undefined {
  if (t == null) return undefined;
  try {
    return JSON.parse(Buffer.from(String(t), 'base64').toString('utf8')) as Item;
  } catch {
    throw validation('Invalid NextToken');
  }
}

async function select(backend: DynamoBackend, table: TableInfo, st: Extract<Statement, { kind: 'SELECT' }>, input: In): Promise<In> {
  const idx = st.index ? table.indexes.find((i) => i.name === st.index) : undefined;
  if (st.index && !idx) throw validation(`The table does not have the specified index: ${st.index}`);
  const hashName = idx ? idx.hash.name : table.hash.name;
  const hashValue = conjuncts(st.where)
    .map((c) => keyEquality(c, hashName))
    .find((v) => v !== undefined);
  const req = { index: idx?.name, exclusiveStartKey: fromToken(input.NextToken), limit: input.Limit, maxBytes: PAGE_BYTES };
  const page = hashValue ? await backend.query(table, { ...req, hash: hashValue, forward: true }) : await backend.scan(table, req);
  const items: Item[] = [];
  for (const it of page.items) {
    if (st.where && !evalCondition(st.where, it)) continue;
    items.push(st.projection ? project(it, st.projection) : it);
  }
  const out: In = { Items: items };
  if (page.lastEvaluatedKey) {
    out.NextToken = nextToken(page.lastEvaluatedKey);
    out.LastEvaluatedKey = page.lastEvaluatedKey;
  }
  return out;
}

async function run(backend: DynamoBackend, account: string, now: number, statement: string, params: AttributeValue[] | undefined, input: In): Promise<In> {
  const st = parseStatement(statement, params ?? []);
  const table = tableOrThrow(await backend.getTable(account, st.table));
  if (st.kind === 'SELECT') return select(backend, table, st, input);
  const onFail = input.ReturnValuesOnConditionCheckFailure;
  if (st.kind === 'INSERT') {
    validateItemValues(st.item);
    checkItemSize(st.item);
    validateItemKeys(table, st.item);
    const key: Item = { [table.hash.name]: st.item[table.hash.name]! };
    if (table.range) key[table.range.name] = st.item[table.range.name]!;
    await backend.write(
      [
        {
          table,
          key,
          apply: (cur) => {
            if (cur) throw new AwsError('DuplicateItemException', 'Duplicate primary key exists in table');
            return st.item;
          },
        },
      ],
      { now },
    );
    return { Items: [] };
  }
  const { key, rest } = keyAndRest(table, st.where);
  if (st.kind === 'UPDATE') {
    checkUpdateTouchesNoKey(table, st.update);
    await backend.write(
      [
        {
          table,
          key,
          apply: (cur) => {
            checkCondition({ k: 'call', fn: { k: 'fn', name: 'attribute_exists', args: [{ k: 'path', raw: [], path: [table.hash.name] }] } }, cur, onFail);
            checkCondition(rest, cur, onFail);
            return updatedItem(table, cur, key, st.update);
          },
        },
      ],
      { now },
    );
    return { Items: [] };
  }
  await backend.write(
    [
      {
        table,
        key,
        apply: (cur) => {
          checkCondition(rest, cur, onFail);
          return cur ? null : undefined;
        },
      },
    ],
    { now },
  );
  return { Items: [] };
}

export function executeStatement(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.required(input.Statement, 'statement');
    c.lengthMin(input.Statement, 'statement', 1);
    c.lengthMax(input.Statement, 'statement', 8192);
    c.lengthMin(input.Parameters, 'parameters', 1);
    c.min(input.Limit, 'limit', 1);
    c.throwIfAny();
    return run(backend, ctx.accountId, ctx.gateway.clock.now(), input.Statement, input.Parameters, input);
  };
}

const BATCH_CODES: Record<string, string> = {
  ConditionalCheckFailedException: 'ConditionalCheckFailed',
  ValidationException: 'ValidationError',
  ResourceNotFoundException: 'ResourceNotFound',
  DuplicateItemException: 'DuplicateItem',
  TransactionConflictException: 'TransactionConflict',
};

export function batchExecuteStatement(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.required(input.Statements, 'statements');
    c.lengthMin(input.Statements, 'statements', 1);
    c.lengthMax(input.Statements, 'statements', 25);
    c.throwIfAny();
    const responses: In[] = [];
    for (const s of input.Statements as In[]) {
      let tableName: string | undefined;
      try {
        const st = parseStatement(s.Statement, s.Parameters ?? []);
        tableName = st.table;
        const r = await run(backend, ctx.accountId, ctx.gateway.clock.now(), s.Statement, s.Parameters, { ReturnValuesOnConditionCheckFailure: s.ReturnValuesOnConditionCheckFailure });
        const out: In = { TableName: tableName };
        if (st.kind === 'SELECT' && r.Items[0]) out.Item = r.Items[0];
        responses.push(out);
      } catch (e) {
        if (!(e instanceof AwsError) || !BATCH_CODES[e.code]) throw e;
        const err: In = { Code: BATCH_CODES[e.code], Message: e.message };
        if (e.fields?.Item) err.Item = e.fields.Item;
        responses.push({ ...(tableName ? { TableName: tableName } : {}), Error: err });
      }
    }
    return { Responses: responses };
  };
}


