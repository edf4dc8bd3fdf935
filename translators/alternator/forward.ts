// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The operations Alternator serves itself, passed through: the client's JSON body (already
 * authenticated and decoded by the gateway) goes up with its table names prefixed, signed with
 * the Alternator role; the answer comes back as bytes. It is rewritten only where table names
 * appear (table descriptions, batch maps, ConsumedCapacity); otherwise it is forwarded as
 * received. Answers up to `streamAbove` bytes are buffered (the gateway adds x-amz-crc32, which
 * Alternator does not send); larger ones stream through, untouched or through the streaming
 * name rewrite (rewrite.ts), without the checksum.
 */
import { pipeline } from 'node:stream';
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { ConstraintErrors, validation } from '../../apis/dynamodb/errors.js';
import { itemValidators } from '../../apis/dynamodb/validate.js';
import type { AlternatorBackend } from './backend.js';
import type { AlternatorClient } from './client.js';
import type { AlternatorConfig } from './config.js';
import { arnNotFound, type TenantNames } from './names.js';
import type { ProtectionStore } from './protection.js';
import { TableNameRewriter } from './rewrite.js';
import { bodyText } from './transport.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

export interface Upstream {
  client: AlternatorClient;
  names: TenantNames;
  cfg: AlternatorConfig;
  backend: AlternatorBackend;
  protection: ProtectionStore;
}

/** Top-level members of batch answers keyed by table name. */
const BATCH_MAPS: ReadonlySet<string> = new Set(['Responses', 'UnprocessedKeys', 'UnprocessedItems', 'ItemCollectionMetrics']);
const NO_MAPS: ReadonlySet<string> = new Set();

/** The request body as the client sent it (the codec has checked it is a JSON object). */
function rawInput(ctx: RequestContext): Doc {
  return JSON.parse((ctx.http.bodyBuffer ?? Buffer.from('{}')).toString('utf8')) as Doc;
}

function wantsCapacity(body: Doc): boolean {
  return body.ReturnConsumedCapacity === 'TOTAL' || body.ReturnConsumedCapacity === 'INDEXES';
}

/**
 * Sends one operation up and returns its answer as the handler's raw output. `map` rewrites a
 * parsed answer; `mapKeysOf` (maps keyed by table name) allows a large answer to be rewritten as
 * a stream instead (rewrite.ts).
 */
async function send(u: Upstream, ctx: RequestContext, op: string, body: Doc, safe: boolean, map?: (doc: Doc) => void | Promise<void>, mapKeysOf?: ReadonlySet<string>): Promise<Doc> {
  let r;
  try {
    r = await u.client.send(op, Buffer.from(JSON.stringify(body)), safe);
  } catch (e) {
    throw e instanceof AwsError ? u.names.error(ctx.accountId, ctx.region, e) : e;
  }
  if (r.status !== 200) throw u.names.error(ctx.accountId, ctx.region, u.client.failure(r.status, await bodyText(r)));
  if (!map) return { $raw: r.buffered ?? r.stream };
  if (r.stream && mapKeysOf) {
    const a = ctx.accountId;
    return { $raw: pipeline(r.stream, new TableNameRewriter(mapKeysOf, (n) => u.names.downOrSelf(a, n)), () => undefined) };
  }
  const doc = JSON.parse(await bodyText(r)) as Doc;
  await map(doc);
  return { $raw: Buffer.from(JSON.stringify(doc)) };
}

/**
 * GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, TTL: one TableName; each checked first
 * by apis/dynamodb's own validation, so bad input gets DynamoDB's errors, not Alternator's. The
 * body sent up is the decoded input (what the gateway validated) with the name prefixed.
 */
export function singleTable(u: Upstream, op: string, safe: (body: Doc) => boolean): Handler {
  const validate = itemValidators[op];
  return async (ctx, input: Doc) => {
    if (validate) await validate(u.backend, ctx, input);
    const body = { ...input, TableName: u.names.up(ctx.accountId, input.TableName) };
    return send(u, ctx, op, body, safe(body), wantsCapacity(body) ? (d) => u.names.capacity(ctx.accountId, d.ConsumedCapacity) : undefined, NO_MAPS);
  };
}

export const READ = () => true;
/** A write is repeated on another node only when a condition makes a repeat harmless. */
export const CONDITIONAL = (b: Doc) => b.ConditionExpression != null || b.Expected != null;
export const NEVER = () => false;

/** Table settings Alternator would accept and ignore: refused rather than silently wrong. */
function checkTableSettings(body: Doc): void {
  if (body.TableClass === 'STANDARD_INFREQUENT_ACCESS') {
    throw validation('TableClass STANDARD_INFREQUENT_ACCESS is not supported by this gateway\'s alternator backend (ScyllaDB has one storage class: STANDARD)');
  }
  if (body.SSESpecification?.Enabled === true) {
    throw validation('SSESpecification with a KMS key is not supported by this gateway\'s alternator backend (encryption at rest is configured in ScyllaDB, not through the DynamoDB API)');
  }
}

/** The table description mapped down, with the deletion protection the gateway keeps. */
function describedTable(u: Upstream, ctx: RequestContext, key: 'Table' | 'TableDescription', protectedFlag?: boolean) {
  return async (d: Doc) => {
    const t = d[key];
    if (!t) return;
    const upName = t.TableName as string;
    u.names.table(ctx.accountId, ctx.region, t);
    t.DeletionProtectionEnabled = protectedFlag ?? (await u.protection.get(upName));
  };
}

export function createTable(u: Upstream): Handler {
  return async (ctx) => {
    const body = rawInput(ctx);
    const name = body.TableName;
    body.TableName = u.names.upForCreate(ctx.accountId, name);
    checkTableSettings(body);
    const protect = body.DeletionProtectionEnabled === true;
    delete body.DeletionProtectionEnabled;
    const out = await send(u, ctx, 'CreateTable', body, false, describedTable(u, ctx, 'TableDescription', protect));
    // always written: a flag left by a table of that name dropped outside the gateway must not stick
    await u.protection.set(body.TableName, protect);
    u.backend.forget(ctx.accountId, name);
    return out;
  };
}

export function describeTable(u: Upstream): Handler {
  return async (ctx) => {
    const body = rawInput(ctx);
    body.TableName = u.names.up(ctx.accountId, body.TableName);
    return send(u, ctx, 'DescribeTable', body, true, describedTable(u, ctx, 'Table'));
  };
}

export function updateTable(u: Upstream): Handler {
  return async (ctx) => {
    const body = rawInput(ctx);
    const name = body.TableName;
    body.TableName = u.names.up(ctx.accountId, name);
    checkTableSettings(body);
    const protect = body.DeletionProtectionEnabled;
    delete body.DeletionProtectionEnabled;
    u.backend.forget(ctx.accountId, name);
    const others = Object.keys(body).filter((k) => k !== 'TableName' && body[k] != null);
    if (protect == null || others.length) {
      const out = await send(u, ctx, 'UpdateTable', body, false, describedTable(u, ctx, 'TableDescription', protect ?? undefined));
      if (protect != null) await u.protection.set(body.TableName, protect === true);
      return out;
    }
    // only deletion protection: the table must exist; Alternator is not asked to change anything
    const out = await send(u, ctx, 'DescribeTable', { TableName: body.TableName }, true, async (d) => {
      d.TableDescription = { ...d.Table, TableStatus: 'UPDATING' };
      delete d.Table;
      await describedTable(u, ctx, 'TableDescription', protect === true)(d);
    });
    await u.protection.set(body.TableName, protect === true);
    return out;
  };
}

export function deleteTable(u: Upstream): Handler {
  return async (ctx) => {
    const body = rawInput(ctx);
    const name = body.TableName;
    body.TableName = u.names.up(ctx.accountId, name);
    if (await u.protection.get(body.TableName)) {
      // only when the table exists (a missing table answers ResourceNotFound)
      await send(u, ctx, 'DescribeTable', { TableName: body.TableName }, true);
      throw validation('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
    }
    const out = await send(u, ctx, 'DeleteTable', body, false, describedTable(u, ctx, 'TableDescription', false));
    u.backend.forget(ctx.accountId, name);
    return out;
  };
}

/** ListTables over the caller's prefix only, in name order, paged like DynamoDB. */
export function listTables(u: Upstream): Handler {
  return async (ctx, input: Doc) => {
    const c = new ConstraintErrors();
    c.tableName(input.ExclusiveStartTableName, 'exclusiveStartTableName', false);
    c.min(input.Limit, 'limit', 1);
    c.max(input.Limit, 'limit', 100);
    c.throwIfAny();
    const limit: number = input.Limit ?? 100;
    const names = await u.backend.listTables(ctx.accountId, input.ExclusiveStartTableName, limit + 1);
    const out: Doc = { TableNames: names.slice(0, limit) };
    if (names.length > limit) out.LastEvaluatedTableName = names[limit - 1];
    return out;
  };
}

/** BatchGetItem / BatchWriteItem: RequestItems keyed by table name, answers mapped back. */
export function batch(u: Upstream, op: 'BatchGetItem' | 'BatchWriteItem'): Handler {
  const validate = itemValidators[op]!;
  return async (ctx, input: Doc) => {
    await validate(u.backend, ctx, input);
    const a = ctx.accountId;
    const body = { ...input, RequestItems: u.names.renameKeys(input.RequestItems, (k) => u.names.up(a, k)) };
    const down = (k: string) => u.names.downOrSelf(a, k);
    return send(
      u,
      ctx,
      op,
      body,
      op === 'BatchGetItem',
      (d) => {
        for (const k of BATCH_MAPS) if (d[k]) d[k] = u.names.renameKeys(d[k], down);
        u.names.capacity(a, d.ConsumedCapacity);
      },
      BATCH_MAPS,
    );
  };
}

/** TagResource, UntagResource, ListTagsOfResource: the client's table ARN as Alternator's. */
export function byArn(u: Upstream, op: 'TagResource' | 'UntagResource' | 'ListTagsOfResource'): Handler {
  return async (ctx) => {
    const body = rawInput(ctx);
    const name = u.names.tableOfArn(ctx.accountId, body.ResourceArn);
    let d: Doc;
    try {
      d = await u.client.call<Doc>('DescribeTable', { TableName: u.names.prefix(ctx.accountId) + name }, true);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ResourceNotFoundException') throw arnNotFound(body.ResourceArn);
      throw e instanceof AwsError ? u.names.error(ctx.accountId, ctx.region, e) : e;
    }
    const arn = body.ResourceArn;
    body.ResourceArn = d.Table?.TableArn;
    try {
      return await send(u, ctx, op, body, op === 'ListTagsOfResource');
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ResourceNotFoundException') throw arnNotFound(arn);
      throw e;
    }
  };
}
