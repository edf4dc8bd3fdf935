// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * TransactWriteItems and TransactGetItems: up to 100 actions, serializable in one backend
 * transaction, TransactionCanceledException with CancellationReasons in request order, and
 * ClientRequestToken idempotency for 10 minutes.
 */
import { createHash } from 'node:crypto';
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { DynamoBackend, TableInfo, WriteOp } from './backend.js';
import { checkExpressionParams, checkItemSize, consumed, keyOfItem, tableOrThrow, validateItemKeys, validateKey, writeUnits } from './common.js';
import { ConstraintErrors, validation } from './errors.js';
import type { Condition, UpdateActions } from './expr/ast.js';
import { evalCondition, project } from './expr/evaluate.js';
import { prepareExpressions } from './expressions.js';
import { checkUpdateTouchesNoKey, updatedItem } from './items.js';
import { encodeKeyString } from './keystring.js';
import { validateItemValues, validateValue, type Item } from './types.js';
import { asTransaction, cancelled, checkReadTransaction, itemId } from './conflicts.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const TOKEN_TTL_MS = 10 * 60 * 1000;
const ACTIONS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;

interface Reason {
  Code: string;
  Message?: string;
  Item?: Item;
}

interface Action {
  kind: (typeof ACTIONS)[number];
  table: TableInfo;
  key: Item;
  item?: Item;
  condition?: Condition;
  update?: UpdateActions;
  returnOnFailure?: string;
}

function validateKeyValues(key: Item | undefined): void {
  for (const k in key ?? {}) validateValue(key![k]!);
}

async function prepareAction(backend: DynamoBackend, account: string, entry: In): Promise<Action> {
  const kinds = ACTIONS.filter((k) => entry?.[k] != null);
  if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
  const kind = kinds[0]!;
  const a: In = entry[kind];
  const c = new ConstraintErrors();
  c.tableName(a.TableName, 'tableName');
  c.enumOf(a.ReturnValuesOnConditionCheckFailure, 'returnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE']);
  if (kind === 'Put') c.required(a.Item, 'item');
  else c.required(a.Key, 'key');
  if (kind === 'ConditionCheck') c.required(a.ConditionExpression, 'conditionExpression');
  if (kind === 'Update') c.required(a.UpdateExpression, 'updateExpression');
  c.throwIfAny();
  checkExpressionParams(a, kind === 'Update' ? ['UpdateExpression', 'ConditionExpression'] : ['ConditionExpression'], []);
  if (kind === 'Put') {
    validateItemValues(a.Item);
    checkItemSize(a.Item);
  } else validateKeyValues(a.Key);
  const ex = prepareExpressions(a);
  const table = tableOrThrow(await backend.getTable(account, a.TableName));
  let key: Item;
  if (kind === 'Put') {
    validateItemKeys(table, a.Item);
    key = keyOfItem(table, a.Item);
  } else {
    validateKey(table, a.Key);
    key = a.Key;
  }
  if (ex.update) checkUpdateTouchesNoKey(table, ex.update);
  return { kind, table, key, item: a.Item, condition: ex.condition, update: ex.update, returnOnFailure: a.ReturnValuesOnConditionCheckFailure };
}

function digest(input: In): string {
  return createHash('sha256').update(JSON.stringify(input.TransactItems)).digest('hex');
}

async function checkToken(ctx: RequestContext, input: In): Promise<boolean> {
  if (input.ClientRequestToken == null) return false;
  const tokens = ctx.gateway.state.table<{ digest: string; at: number }>('dynamodb-tx-tokens');
  const rec = await tokens.get(`${ctx.accountId}/${input.ClientRequestToken}`);
  if (!rec || rec.at + TOKEN_TTL_MS <= ctx.gateway.clock.now()) return false;
  if (rec.digest !== digest(input)) {
    throw new AwsError('IdempotentParameterMismatchException', 'Request parameters do not match the original request for the given idempotency token');
  }
  return true;
}

export function transactWriteItems(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.required(input.TransactItems, 'transactItems');
    c.lengthMin(input.TransactItems, 'transactItems', 1);
    c.lengthMax(input.TransactItems, 'transactItems', 100);
    c.lengthMin(input.ClientRequestToken, 'clientRequestToken', 1);
    c.lengthMax(input.ClientRequestToken, 'clientRequestToken', 36);
    c.enumOf(input.ReturnConsumedCapacity, 'returnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE']);
    c.enumOf(input.ReturnItemCollectionMetrics, 'returnItemCollectionMetrics', ['SIZE', 'NONE']);
    c.throwIfAny();
    const idempotent = await checkToken(ctx, input);
    const actions: Action[] = [];
    for (const entry of input.TransactItems) actions.push(await prepareAction(backend, ctx.accountId, entry));
    const seen = new Set<string>();
    for (const a of actions) {
      const ks = encodeKeyString(a.table, a.key) + `\u0000${a.table.account}`;
      if (seen.has(ks)) throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(ks);
    }
    const out: In = {};
    if (!idempotent) {
      const reasons: Reason[] = actions.map(() => ({ Code: 'None' }));
      let failed = false;
      const ops: WriteOp[] = actions.map((a, i) => ({
        table: a.table,
        key: a.key,
        apply: (cur) => {
          try {
            if (a.condition && !evalCondition(a.condition, cur)) {
              reasons[i] = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(a.returnOnFailure === 'ALL_OLD' && cur ? { Item: cur } : {}) };
              failed = true;
              return undefined;
            }
            if (a.kind === 'ConditionCheck') return undefined;
            if (a.kind === 'Put') return a.item!;
            if (a.kind === 'Delete') return cur ? null : undefined;
            return updatedItem(a.table, cur, a.key, a.update);
          } catch (e) {
            if (!(e instanceof AwsError) || e.code !== 'ValidationException') throw e;
            reasons[i] = { Code: 'ValidationError', Message: e.message };
            failed = true;
            return undefined;
          }
        },
      }));
      const results = await asTransaction(ctx, actions.map((a) => itemId(a.table, a.key)), () => backend.write(ops, {
        now: ctx.gateway.clock.now(),
        beforeCommit: () => {
        if (!failed) return;
        throw cancelled(reasons);
        },
      }));
      if (input.ClientRequestToken != null) {
        await ctx.gateway.state.table('dynamodb-tx-tokens').put(`${ctx.accountId}/${input.ClientRequestToken}`, { digest: digest(input), at: ctx.gateway.clock.now() });
      }
      const units = new Map<string, number>();
      results.forEach((r, i) => units.set(actions[i]!.table.name, (units.get(actions[i]!.table.name) ?? 0) + 2 * writeUnits(r.old, r.new)));
      const cc = [...units].map(([name, u]) => consumed(ctx, input.ReturnConsumedCapacity, name, u, 'write')).filter(Boolean);
      if (cc.length) out.ConsumedCapacity = cc;
    }
    return out;
  };
}

export function transactGetItems(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.required(input.TransactItems, 'transactItems');
    c.lengthMin(input.TransactItems, 'transactItems', 1);
    c.lengthMax(input.TransactItems, 'transactItems', 100);
    c.enumOf(input.ReturnConsumedCapacity, 'returnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE']);
    c.throwIfAny();
    const reads: Array<{ table: TableInfo; key: Item; projection?: ReturnType<typeof prepareExpressions>['projection'] }> = [];
    for (const entry of input.TransactItems as In[]) {
      const g: In | undefined = entry?.Get;
      if (!g) throw validation('1 validation error detected: Value null at \'transactItems.1.member.get\' failed to satisfy constraint: Member must not be null');
      const cg = new ConstraintErrors();
      cg.tableName(g.TableName, 'tableName');
      cg.required(g.Key, 'key');
      cg.throwIfAny();
      checkExpressionParams(g, ['ProjectionExpression'], []);
      validateKeyValues(g.Key);
      const ex = prepareExpressions(g);
      const table = tableOrThrow(await backend.getTable(ctx.accountId, g.TableName));
      validateKey(table, g.Key);
      reads.push({ table, key: g.Key, projection: ex.projection });
    }
    const seen = new Set<string>();
    for (const r of reads) {
      const ks = encodeKeyString(r.table, r.key);
      if (seen.has(ks)) throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(ks);
    }
    checkReadTransaction(ctx, reads.map((r) => itemId(r.table, r.key)));
    const items = await backend.getItems(reads);
    const out: In = {
      Responses: items.map((it, i) => (it ? { Item: reads[i]!.projection ? project(it, reads[i]!.projection!) : it } : {})),
    };
    const units = new Map<string, number>();
    reads.forEach((r) => units.set(r.table.name, (units.get(r.table.name) ?? 0) + 2));
    const cc = [...units].map(([name, u]) => consumed(ctx, input.ReturnConsumedCapacity, name, u, 'read')).filter(Boolean);
    if (cc.length) out.ConsumedCapacity = cc;
    return out;
  };
}
