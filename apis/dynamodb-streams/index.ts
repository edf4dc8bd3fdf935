// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB Streams (signing name `dynamodb`, routed here by X-Amz-Target
 * `DynamoDBStreams_20120810.*`; model streams.dynamodb-2012-08-10): ListStreams, DescribeStream,
 * GetShardIterator and GetRecords over the backend's stream log, one shard per stream.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Handler, ServiceFactory } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { DynamoBackend, StreamRecord, TableInfo } from '../dynamodb/backend.js';
import { tableArn } from '../dynamodb/describe.js';
import { ConstraintErrors, resourceNotFound, validation } from '../dynamodb/errors.js';
import { alternatorOf, dynamoBackend } from '../dynamodb/index.js';
import { itemSize } from '../dynamodb/types.js';
import type { Operations } from './shapes.gen.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const ITERATOR_TTL_MS = 15 * 60 * 1000;
const ARN_RE = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]{3,255})\/stream\/(.+)$/;

const seqText = (n: bigint) => n.toString().padStart(21, '0');
const streamArn = (t: TableInfo) => `${tableArn(t)}/stream/${t.stream!.label}`;
const shardIdOf = (t: TableInfo) => `shardId-${String(Date.parse(`${t.stream!.label}Z`)).padStart(20, '0')}-${(crc32(streamArn(t)) >>> 0).toString(16).padStart(8, '0')}`;

async function streamByArn(backend: DynamoBackend, account: string, arn: unknown): Promise<TableInfo> {
  const c = new ConstraintErrors();
  c.required(arn, 'streamArn');
  c.lengthMin(arn as string, 'streamArn', 37);
  c.lengthMax(arn as string, 'streamArn', 1024);
  c.throwIfAny();
  const m = ARN_RE.exec(String(arn));
  const t = m && m[2] === account ? await backend.getTable(account, m[3]!) : undefined;
  if (!t || !t.stream?.label || t.stream.label !== m![4]) throw resourceNotFound(`Requested resource not found: Stream: ${String(arn)} not found`);
  return t;
}

function listStreams(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.tableName(input.TableName, 'tableName', false);
    c.min(input.Limit, 'limit', 1);
    c.max(input.Limit, 'limit', 100);
    c.throwIfAny();
    const limit = input.Limit ?? 100;
    const names = input.TableName ? [input.TableName] : await backend.listTables(ctx.accountId, undefined, 10_000);
    const all: Array<{ StreamArn: string; TableName: string; StreamLabel: string }> = [];
    for (const n of names) {
      const t = await backend.getTable(ctx.accountId, n);
      if (t?.stream?.label) all.push({ StreamArn: streamArn(t), TableName: t.name, StreamLabel: t.stream.label });
    }
    if (input.TableName && !all.length && !(await backend.getTable(ctx.accountId, input.TableName))) throw resourceNotFound(`Requested resource not found: Table: ${input.TableName} not found`);
    const start = input.ExclusiveStartStreamArn ? all.findIndex((s) => s.StreamArn === input.ExclusiveStartStreamArn) + 1 : 0;
    const page = all.slice(start, start + limit);
    const out: In = { Streams: page };
    if (start + limit < all.length) out.LastEvaluatedStreamArn = page[page.length - 1]!.StreamArn;
    return out;
  };
}

function describeStream(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await streamByArn(backend, ctx.accountId, input.StreamArn);
    const { first, last } = await backend.streamBounds(t, t.stream!.label!);
    const range: In = { StartingSequenceNumber: seqText(first ?? (last ?? 0n) + 1n) };
    if (!t.stream!.enabled && last !== undefined) range.EndingSequenceNumber = seqText(last);
    const keySchema = [{ AttributeName: t.hash.name, KeyType: 'HASH' }, ...(t.range ? [{ AttributeName: t.range.name, KeyType: 'RANGE' }] : [])];
    const shards = input.ExclusiveStartShardId === shardIdOf(t) ? [] : [{ ShardId: shardIdOf(t), SequenceNumberRange: range }];
    return {
      StreamDescription: {
        StreamArn: streamArn(t),
        StreamLabel: t.stream!.label,
        StreamStatus: t.stream!.enabled ? 'ENABLED' : 'DISABLED',
        StreamViewType: t.stream!.viewType,
        CreationRequestDateTime: new Date(Date.parse(`${t.stream!.label}Z`)),
        TableName: t.name,
        KeySchema: keySchema,
        Shards: shards,
      },
    };
  };
}

interface Iterator {
  a: string;
  acct: string;
  p: string;
  e: number;
}

function getShardIterator(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.required(input.ShardId, 'shardId');
    c.required(input.ShardIteratorType, 'shardIteratorType');
    c.enumOf(input.ShardIteratorType, 'shardIteratorType', ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER']);
    c.throwIfAny();
    const t = await streamByArn(backend, ctx.accountId, input.StreamArn);
    if (input.ShardId !== shardIdOf(t)) throw resourceNotFound(`Requested resource not found: Shard does not exist`);
    const type: string = input.ShardIteratorType;
    let after: bigint;
    if (type === 'TRIM_HORIZON') after = ((await backend.streamBounds(t, t.stream!.label!)).first ?? 1n) - 1n;
    else if (type === 'LATEST') after = (await backend.streamBounds(t, t.stream!.label!)).last ?? 0n;
    else {
      if (input.SequenceNumber == null || !/^\d{1,40}$/.test(input.SequenceNumber)) throw validation(`Invalid SequenceNumber for ShardIteratorType ${type}: ${String(input.SequenceNumber)}`);
      const n = BigInt(input.SequenceNumber);
      after = type === 'AT_SEQUENCE_NUMBER' ? n - 1n : n;
    }
    const it: Iterator = { a: streamArn(t), acct: ctx.accountId, p: after.toString(), e: ctx.gateway.clock.now() + ITERATOR_TTL_MS };
    return { ShardIterator: encodeIterator(it) };
  };
}

function encodeIterator(it: Iterator): string {
  return `${it.a}|1|${Buffer.from(JSON.stringify(it)).toString('base64')}`;
}

function decodeIterator(s: unknown): Iterator {
  const c = new ConstraintErrors();
  c.required(s, 'shardIterator');
  c.lengthMin(s as string, 'shardIterator', 1);
  c.lengthMax(s as string, 'shardIterator', 2048);
  c.throwIfAny();
  try {
    const it = JSON.parse(Buffer.from(String(s).split('|')[2] ?? '', 'base64').toString('utf8')) as Iterator;
    if (typeof it.a === 'string' && typeof it.p === 'string' && typeof it.e === 'number') return it;
  } catch {
    /* fall through */
  }
  throw validation('Invalid ShardIterator');
}

function toWire(t: TableInfo, r: StreamRecord): In {
  const view = t.stream?.viewType ?? 'KEYS_ONLY';
  const d: In = { ApproximateCreationDateTime: new Date(Math.floor(r.time / 1000) * 1000), Keys: r.keys };
  if (r.newImage) d.NewImage = r.newImage;
  if (r.oldImage) d.OldImage = r.oldImage;
  d.SequenceNumber = seqText(r.seq);
  d.SizeBytes = itemSize(r.keys) + (r.newImage ? itemSize(r.newImage) : 0) + (r.oldImage ? itemSize(r.oldImage) : 0);
  d.StreamViewType = view;
  const rec: In = {
    eventID: createHash('md5').update(`${t.uuid}/${r.seq}`).digest('hex'),
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: t.region,
    dynamodb: d,
  };
  if (r.userIdentity) rec.userIdentity = r.userIdentity;
  return rec;
}

function getRecords(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.min(input.Limit, 'limit', 1);
    c.max(input.Limit, 'limit', 1000);
    c.throwIfAny();
    const it = decodeIterator(input.ShardIterator);
    if (it.acct !== ctx.accountId) throw validation('Invalid ShardIterator');
    if (it.e <= ctx.gateway.clock.now()) throw new AwsError('ExpiredIteratorException', 'Iterator expired. The iterator was created at time ' + new Date(it.e - ITERATOR_TTL_MS).toUTCString() + ' while right now it is ' + new Date(ctx.gateway.clock.now()).toUTCString() + ' which is further in the future than the tolerated delay of 900000 milliseconds.');
    const t = await streamByArn(backend, ctx.accountId, it.a);
    const after = BigInt(it.p);
    const first = (await backend.streamBounds(t, t.stream!.label!)).first;
    if (first !== undefined && after + 1n < first) {
      throw new AwsError('TrimmedDataAccessException', 'The operation attempted to read past the oldest stream record in a shard.');
    }
    const recs = await backend.readStream(t, t.stream!.label!, after, input.Limit ?? 1000);
    const next = recs.length ? recs[recs.length - 1]!.seq : after;
    const out: In = { Records: recs.map((r) => toWire(t, r)) };
    const last = (await backend.streamBounds(t, t.stream!.label!)).last;
    if (t.stream!.enabled || (last !== undefined && next < last)) {
      out.NextShardIterator = encodeIterator({ ...it, p: next.toString(), e: ctx.gateway.clock.now() + ITERATOR_TTL_MS });
    }
    return out;
  };
}

export const createService: ServiceFactory = (gw) => {
  const backend = dynamoBackend(gw);
  return {
    name: 'streams.dynamodb',
    model: 'streams.dynamodb-2012-08-10',
    operations: {
      ListStreams: listStreams(backend),
      DescribeStream: describeStream(backend),
      GetShardIterator: getShardIterator(backend),
      GetRecords: getRecords(backend),
      // on Alternator: its own Streams API, passed through
      ...alternatorOf(gw)?.streamOperations,
    } satisfies Partial<Operations>,
    health: () => alternatorOf(gw)?.health() ?? { backend: backend.name, state: 'ok' },
  };
};
