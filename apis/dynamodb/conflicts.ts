// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB's transaction conflicts ("Transaction conflict handling in DynamoDB", developer guide):
 * while a TransactWriteItems is in progress on an item,
 *  - a PutItem, UpdateItem or DeleteItem (also inside ExecuteStatement) on that item fails with
 *    TransactionConflictException;
 *  - another TransactWriteItems including the item is cancelled, its reason TransactionConflict;
 * and a TransactGetItems including an item that a transaction or a single write is changing at
 * that moment is cancelled the same way. "In progress" here is from the moment the request has
 * been validated until the backend has committed it: under contention clients see the conflicts
 * DynamoDB gives them, instead of a queue DynamoDB never forms. The registry is per gateway process
 * (a translator that shares items between gateways adds its own, as the Alternator one does).
 */
import type { RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { Gateway } from '../../src/gateway.js';
import type { TableInfo } from './backend.js';
import { encodeKeyString } from './keystring.js';
import type { Item } from './types.js';

export const CONFLICT_MESSAGE = 'Transaction is ongoing for the item';

/** Counts of in-flight writes per item id. */
class InFlight {
  readonly tx = new Map<string, number>();
  readonly single = new Map<string, number>();
}

const registries = new WeakMap<Gateway, InFlight>();

function registry(ctx: RequestContext): InFlight {
  let r = registries.get(ctx.gateway);
  if (!r) registries.set(ctx.gateway, (r = new InFlight()));
  return r;
}

/** A stable id of one item across tables and accounts. */
export function itemId(table: TableInfo, key: Item): string {
  return `${table.uuid}\u0000${encodeKeyString(table, key)}`;
}

function add(m: Map<string, number>, id: string): void {
  m.set(id, (m.get(id) ?? 0) + 1);
}

function remove(m: Map<string, number>, id: string): void {
  const n = (m.get(id) ?? 1) - 1;
  if (n <= 0) m.delete(id);
  else m.set(id, n);
}

export function cancelled(reasons: Array<{ Code: string; Message?: string }>): AwsError {
  return new AwsError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, {
    fields: { CancellationReasons: reasons },
  });
}

/**
 * Runs item writes outside transactions as in flight. PutItem, UpdateItem and DeleteItem
 * (`rejectOnTransaction`) fail on an item a transaction holds; BatchWriteItem, which DynamoDB does
 * not list among the conflicting requests, waits its turn.
 */
export async function asSingleWrites<R>(ctx: RequestContext, ids: string[], write: () => Promise<R>, rejectOnTransaction = true): Promise<R> {
  const r = registry(ctx);
  if (rejectOnTransaction) for (const id of ids) if (r.tx.has(id)) throw new AwsError('TransactionConflictException', CONFLICT_MESSAGE);
  for (const id of ids) add(r.single, id);
  try {
    return await write();
  } finally {
    for (const id of ids) remove(r.single, id);
  }
}

/**
 * Runs a write transaction as in flight, or cancels it when another one holds any of its items
 * (TransactionConflict for those, None for the others).
 */
export async function asTransaction<R>(ctx: RequestContext, ids: string[], write: () => Promise<R>): Promise<R> {
  const r = registry(ctx);
  if (ids.some((id) => r.tx.has(id))) throw cancelled(ids.map((id) => (r.tx.has(id) ? { Code: 'TransactionConflict', Message: CONFLICT_MESSAGE } : { Code: 'None' })));
  for (const id of ids) add(r.tx, id);
  try {
    return await write();
  } finally {
    for (const id of ids) remove(r.tx, id);
  }
}

/** Cancels a read transaction when any of its items is being written at this moment. */
export function checkReadTransaction(ctx: RequestContext, ids: string[]): void {
  const r = registry(ctx);
  const busy = (id: string) => r.tx.has(id) || r.single.has(id);
  if (ids.some(busy)) throw cancelled(ids.map((id) => (busy(id) ? { Code: 'TransactionConflict', Message: CONFLICT_MESSAGE } : { Code: 'None' })));
}
