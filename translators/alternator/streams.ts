// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB Streams through Alternator (its Streams API, same signing name, target prefix
 * DynamoDBStreams_20120810). The client sees stream ARNs built from its own table name and the
 * stream label (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`), whatever form
 * Alternator's take; each is resolved through DescribeTable of the caller's prefixed table, so a
 * stream of another account cannot be named. Shard iterators are Alternator's, wrapped with the
 * caller's account and an HMAC keyed by the role secret (shared by every gateway on the cluster):
 * an iterator is only accepted from the account it was issued to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { ConstraintErrors, resourceNotFound, validation } from '../../apis/dynamodb/errors.js';
import { STREAMS_TARGET } from './client.js';
import type { Upstream } from './forward.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]{3,255})\/stream\/(.+)$/;

/** An answer already in wire form (Alternator's JSON, mapped): timestamps and blobs stay as sent. */
function raw(doc: Doc): Doc {
  return { $raw: Buffer.from(JSON.stringify(doc)) };
}

function streamNotFound(arn: unknown): AwsError {
  return resourceNotFound(`Requested resource not found: Stream: ${String(arn)} not found`);
}

async function call(u: Upstream, ctx: RequestContext, op: string, input: Doc, safe: boolean): Promise<Doc> {
  try {
    return await u.client.call<Doc>(op, input, safe, STREAMS_TARGET);
  } catch (e) {
    throw e instanceof AwsError ? u.names.error(ctx.accountId, ctx.region, e) : e;
  }
}

/** The caller's table behind a client stream ARN, and Alternator's ARN for that stream. */
async function resolve(u: Upstream, ctx: RequestContext, arn: unknown): Promise<{ name: string; upArn: string; label: string }> {
  const c = new ConstraintErrors();
  c.required(arn, 'streamArn');
  c.lengthMin(arn as string, 'streamArn', 37);
  c.lengthMax(arn as string, 'streamArn', 1024);
  c.throwIfAny();
  const m = STREAM_ARN.exec(String(arn));
  if (!m || m[2] !== ctx.accountId || m[3]!.length > u.names.maxName(ctx.accountId)) throw streamNotFound(arn);
  let d: Doc;
  try {
    d = await u.client.call<Doc>('DescribeTable', { TableName: u.names.prefix(ctx.accountId) + m[3] }, true);
  } catch (e) {
    if (e instanceof AwsError && e.code === 'ResourceNotFoundException') throw streamNotFound(arn);
    throw e;
  }
  if (!d.Table?.LatestStreamArn || d.Table.LatestStreamLabel !== m[4]) throw streamNotFound(arn);
  return { name: m[3]!, upArn: d.Table.LatestStreamArn, label: m[4]! };
}

function clientStreamArn(u: Upstream, ctx: RequestContext, name: string, label: string): string {
  return u.names.clientArn(ctx.accountId, ctx.region, name, `/stream/${label}`);
}

function mac(u: Upstream, account: string, it: string): string {
  return createHmac('sha256', u.cfg.secretAccessKey).update(`${account}\u0000${it}`).digest('hex').slice(0, 32);
}

function wrap(u: Upstream, account: string, it: string | undefined): string | undefined {
  return it === undefined ? undefined : `${account}.${mac(u, account, it)}.${it}`;
}

function unwrap(u: Upstream, ctx: RequestContext, s: unknown): string {
  const c = new ConstraintErrors();
  c.required(s, 'shardIterator');
  c.lengthMin(s as string, 'shardIterator', 1);
  c.lengthMax(s as string, 'shardIterator', 2048);
  c.throwIfAny();
  const text = String(s);
  const a = text.indexOf('.');
  const b = text.indexOf('.', a + 1);
  const account = text.slice(0, a);
  const it = text.slice(b + 1);
  const given = Buffer.from(text.slice(a + 1, b));
  const want = Buffer.from(mac(u, account, it));
  if (a < 0 || b < 0 || account !== ctx.accountId || given.length !== want.length || !timingSafeEqual(given, want)) throw validation('Invalid ShardIterator');
  return it;
}

export function listStreams(u: Upstream): Handler {
  return async (ctx, input: Doc) => {
    const c = new ConstraintErrors();
    c.tableName(input.TableName, 'tableName', false);
    c.min(input.Limit, 'limit', 1);
    c.max(input.Limit, 'limit', 100);
    c.throwIfAny();
    const all: Doc[] = [];
    let start: string | undefined;
    do {
      const r = await call(u, ctx, 'ListStreams', { ...(input.TableName ? { TableName: u.names.up(ctx.accountId, input.TableName) } : {}), ...(start ? { ExclusiveStartStreamArn: start } : {}), Limit: 100 }, true);
      for (const s of (r.Streams ?? []) as Doc[]) {
        const name = u.names.down(ctx.accountId, s.TableName);
        if (name !== undefined) all.push({ StreamArn: clientStreamArn(u, ctx, name, s.StreamLabel), TableName: name, StreamLabel: s.StreamLabel });
      }
      start = r.LastEvaluatedStreamArn;
    } while (start);
    const limit: number = input.Limit ?? 100;
    const from = input.ExclusiveStartStreamArn ? all.findIndex((s) => s.StreamArn === input.ExclusiveStartStreamArn) + 1 : 0;
    const page = all.slice(from, from + limit);
    const out: Doc = { Streams: page };
    if (from + limit < all.length) out.LastEvaluatedStreamArn = page[page.length - 1]!.StreamArn;
    return raw(out);
  };
}

export function describeStream(u: Upstream): Handler {
  return async (ctx, input: Doc) => {
    const s = await resolve(u, ctx, input.StreamArn);
    const r = await call(u, ctx, 'DescribeStream', { StreamArn: s.upArn, ...(input.Limit ? { Limit: input.Limit } : {}), ...(input.ExclusiveStartShardId ? { ExclusiveStartShardId: input.ExclusiveStartShardId } : {}) }, true);
    const d = r.StreamDescription ?? {};
    d.StreamArn = clientStreamArn(u, ctx, s.name, s.label);
    d.TableName = s.name;
    return raw({ StreamDescription: d });
  };
}

export function getShardIterator(u: Upstream): Handler {
  return async (ctx, input: Doc) => {
    const c = new ConstraintErrors();
    c.required(input.ShardId, 'shardId');
    c.required(input.ShardIteratorType, 'shardIteratorType');
    c.enumOf(input.ShardIteratorType, 'shardIteratorType', ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']);
    c.throwIfAny();
    const s = await resolve(u, ctx, input.StreamArn);
    const r = await call(u, ctx, 'GetShardIterator', { ...input, StreamArn: s.upArn }, true);
    return raw({ ShardIterator: wrap(u, ctx.accountId, r.ShardIterator) });
  };
}

export function getRecords(u: Upstream): Handler {
  return async (ctx, input: Doc) => {
    const it = unwrap(u, ctx, input.ShardIterator);
    const r = await call(u, ctx, 'GetRecords', { ...input, ShardIterator: it }, true);
    for (const rec of (r.Records ?? []) as Doc[]) rec.awsRegion = ctx.region;
    return raw({ Records: r.Records ?? [], ...(r.NextShardIterator !== undefined ? { NextShardIterator: wrap(u, ctx.accountId, r.NextShardIterator) } : {}) });
  };
}

export function streamOperations(u: Upstream): Record<string, Handler> {
  return { ListStreams: listStreams(u), DescribeStream: describeStream(u), GetShardIterator: getShardIterator(u), GetRecords: getRecords(u) };
}
