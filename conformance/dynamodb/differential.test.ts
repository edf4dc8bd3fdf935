// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Differential test: the same generated operation sequence (seeded) against the gateway and
 * against dynalite, both through @aws-sdk/client-dynamodb; every difference in outcome (result
 * or error code and message) is reported. Differences where dynalite deviates from DynamoDB's
 * documented behaviour are listed in KNOWN with the argument; any other difference fails.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import t from 'tap';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startTestGateway } from '../harness.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Op = { name: string; cmd: any; input: Record<string, unknown> };

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(seed: number, n: number, invalid = true): Op[] {
  const r = rng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const num = () => pick(['0', '1', '-1', '2.5', '10', '100', '-0.001', '1e3', '12345678901234567890', '3']);
  const pk = () => ({ S: pick(['a', 'b', 'c']) });
  const sk = () => ({ N: pick(['1', '2', '3', '4', '5', '10', '-1']) });
  const val = (): AttributeValue =>
    pick<() => AttributeValue>([
      () => ({ N: num() }),
      () => ({ S: pick(['x', 'y', 'hello', '']) }),
      () => ({ SS: pick([['a'], ['a', 'b'], ['b', 'c']]) }),
      () => ({ NS: pick([['1'], ['1', '2'], ['2', '3.5']]) }),
      () => ({ L: [{ N: num() }, { S: 'q' }] }),
      () => ({ M: { k: { N: num() } } }),
      () => ({ BOOL: r() < 0.5 }),
      () => ({ NULL: true }),
    ])();
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const key = { pk: pk(), sk: sk() };
    const kind = r();
    if (kind < 0.25) {
      const input: Record<string, unknown> = { TableName: 'diff', Item: { ...key, a: val(), b: { N: num() } } };
      if (r() < 0.3) input.ConditionExpression = pick(['attribute_not_exists(pk)', 'attribute_exists(pk)', 'b < :v', 'size(a) > :v']);
      if (input.ConditionExpression && String(input.ConditionExpression).includes(':v')) input.ExpressionAttributeValues = { ':v': { N: num() } };
      if (r() < 0.3) input.ReturnValues = 'ALL_OLD';
      ops.push({ name: 'PutItem', cmd: PutItemCommand, input });
    } else if (kind < 0.45) {
      const expr = pick([
        ['SET b = b + :v', { ':v': { N: num() } }],
        ['SET c = if_not_exists(c, :v)', { ':v': { N: num() } }],
        ['ADD b :v', { ':v': { N: num() } }],
        ['ADD s :s', { ':s': { SS: ['a', 'z'] } }],
        ['REMOVE a', undefined],
        ['SET l = list_append(if_not_exists(l, :e), :v)', { ':e': { L: [] }, ':v': { L: [{ S: 'n' }] } }],
        ['SET a.k = :v', { ':v': { N: num() } }],
        ['DELETE a :s', { ':s': { SS: ['a'] } }],
        ['SET #s = :v', { ':v': { N: num() } }],
      ] as Array<[string, Record<string, AttributeValue> | undefined]>);
      const input: Record<string, unknown> = { TableName: 'diff', Key: key, UpdateExpression: expr[0], ReturnValues: pick(['NONE', 'ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW', 'ALL_OLD']) };
      if (expr[1]) input.ExpressionAttributeValues = expr[1];
      if (expr[0].includes('#s')) input.ExpressionAttributeNames = { '#s': 'status' };
      ops.push({ name: 'UpdateItem', cmd: UpdateItemCommand, input });
    } else if (kind < 0.55) {
      ops.push({ name: 'DeleteItem', cmd: DeleteItemCommand, input: { TableName: 'diff', Key: key, ReturnValues: pick(['NONE', 'ALL_OLD']) } });
    } else if (kind < 0.7) {
      const input: Record<string, unknown> = { TableName: 'diff', Key: key, ConsistentRead: true };
      if (r() < 0.3) input.ProjectionExpression = pick(['a', 'b, pk', 'a.k, l[0]']);
      ops.push({ name: 'GetItem', cmd: GetItemCommand, input });
    } else if (kind < 0.85) {
      const cond = pick([
        ['pk = :p', {}],
        ['pk = :p AND sk > :s', { ':s': sk() }],
        ['pk = :p AND sk BETWEEN :s AND :t', { ':s': { N: '-1' }, ':t': { N: '4' } }],
        ['pk = :p AND sk <= :s', { ':s': sk() }],
      ] as Array<[string, Record<string, AttributeValue>]>);
      const input: Record<string, unknown> = {
        TableName: 'diff',
        KeyConditionExpression: cond[0],
        ExpressionAttributeValues: { ':p': pk(), ...cond[1] },
        ScanIndexForward: r() < 0.5,
        ConsistentRead: true,
      };
      if (r() < 0.4) input.Limit = 1 + Math.floor(r() * 3);
      if (r() < 0.3) {
        input.FilterExpression = 'attribute_exists(b)';
      }
      ops.push({ name: 'Query', cmd: QueryCommand, input });
    } else if (kind < 0.92) {
      ops.push({ name: 'Scan', cmd: ScanCommand, input: { TableName: 'diff', FilterExpression: 'b > :z', ExpressionAttributeValues: { ':z': { N: '0' } }, ConsistentRead: true } });
    } else if (invalid) {
      // invalid requests: messages must match
      const bad = pick<Record<string, unknown>>([
        { TableName: 'diff', Key: { pk: pk() } },
        { TableName: 'diff', Key: key, ProjectionExpression: 'a,' },
        { TableName: 'diff', Key: key, ProjectionExpression: 'status' },
        { TableName: 'diff', Key: key, ProjectionExpression: 'a', ExpressionAttributeNames: { '#u': 'u' } },
        { TableName: 'diff', Key: { pk: pk(), sk: { S: '1' } } },
        { TableName: 'missing', Key: key },
      ]);
      ops.push({ name: 'GetItem', cmd: GetItemCommand, input: bad });
      const badPut = pick<Record<string, unknown>>([
        { TableName: 'diff', Item: { ...key, n: { N: '1e126' } } },
        { TableName: 'diff', Item: { ...key, n: { N: '123456789012345678901234567890123456789' } } },
        { TableName: 'diff', Item: { ...key, n: { N: 'abc' } } },
        { TableName: 'diff', Item: { ...key, s: { SS: ['a', 'a'] } } },
        { TableName: 'diff', Item: { ...key, s: { SS: [] } } },
        { TableName: 'diff', Item: { ...key, s: { NULL: false } } },
        { TableName: 'diff', Item: { pk: pk() } },
        { TableName: 'diff', Item: { pk: pk(), sk: { S: 'x' } } },
        { TableName: 'diff', Item: key, ConditionExpression: 'a = :v' },
        { TableName: 'diff', Item: key, ConditionExpression: 'a = :v', ExpressionAttributeValues: { ':v': { N: '1' }, ':w': { N: '2' } } },
        { TableName: 'diff', Item: key, ConditionExpression: 'size = :v', ExpressionAttributeValues: { ':v': { N: '1' } } },
        { TableName: 'diff', Item: key, ConditionExpression: 'a = = :v', ExpressionAttributeValues: { ':v': { N: '1' } } },
        { TableName: 'diff', Item: key, ConditionExpression: 'attribute_exists(a, b)' },
        { TableName: 'diff', Item: key, ConditionExpression: 'a BETWEEN :b AND :a', ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } } },
        { TableName: 'diff', Item: key, ConditionExpression: 'begins_with(a, :n)', ExpressionAttributeValues: { ':n': { N: '1' } } },
        { TableName: 'diff', Item: key, ReturnValues: 'ALL_NEW' },
        { TableName: 'diff', Item: key, Expected: { a: { Exists: true } } },
        { TableName: 'diff', Item: key, Expected: { a: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '1' }] } } },
      ]);
      ops.push({ name: 'PutItem', cmd: PutItemCommand, input: badPut });
      const badUpdate = pick<Record<string, unknown>>([
        { TableName: 'diff', Key: key, UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET a = :v, a.b = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'ADD a :v', ExpressionAttributeValues: { ':v': { S: 'x' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET a = :v REMOVE b SET c = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET a = b + :v', ExpressionAttributeValues: { ':v': { S: 'x' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET a = nothere + :v', ExpressionAttributeValues: { ':v': { N: '1' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET a = list_append(:v, :v)', ExpressionAttributeValues: { ':v': { N: '1' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'DELETE a :v', ExpressionAttributeValues: { ':v': { N: '1' } } },
        { TableName: 'diff', Key: key, UpdateExpression: 'SET #a = :v', ExpressionAttributeValues: { ':v': { N: '1' } } },
      ]);
      ops.push({ name: 'UpdateItem', cmd: UpdateItemCommand, input: badUpdate });
    }
  }
  return ops;
}

function canon(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      if (k === '$metadata') continue;
      let x = canon((v as Record<string, unknown>)[k]);
      // sets are unordered
      if ((k === 'SS' || k === 'NS') && Array.isArray(x)) x = [...x].sort();
      out[k] = x;
    }
    return out;
  }
  return v;
}

async function outcome(client: DynamoDBClient, op: Op): Promise<unknown> {
  try {
    const out = canon(await client.send(new op.cmd(structuredClone(op.input)))) as Record<string, unknown>;
    // a Scan's order across partitions is DynamoDB's internal hash order: compare as a set
    if (op.name === 'Scan' && Array.isArray(out.Items)) out.Items = [...out.Items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return { ok: out };
  } catch (e) {
    const err = e as { name: string; message: string };
    return { error: err.name, message: err.message };
  }
}

/** Differences where dynalite is the one that deviates from DynamoDB (argued). */
const KNOWN: Array<{ match: (line: string) => boolean; why: string }> = [
  {
    match: (l) => /gateway: .*Syntax error; token: /.test(l) && /dynalite: .*Syntax error; Expected /.test(l),
    why:
      "dynalite reports its PEG parser's message (Expected … but … found); DynamoDB answers " +
      'Syntax error; token: "<tok>", near: "<context>", the form SDK users see and grep.',
  },
  {
    match: (l) => /"ReturnValues":"UPDATED_(OLD|NEW)"/.test(l) && l.includes('gateway:  {"ok":{}}') && l.includes('dynalite: {"ok":{"Attributes":{}}}'),
    why:
      'UPDATED_OLD/UPDATED_NEW when none of the updated attributes has a value: the gateway leaves ' +
      'Attributes out, as DynamoDB does whenever ReturnValues has nothing to return (ALL_OLD on a ' +
      'new item); dynalite sends an empty map. Not verified against the live service.',
  },
];

const TABLE = {
  TableName: 'diff',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'N' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  BillingMode: 'PAY_PER_REQUEST' as const,
};

/** Runs the sequence on both clients; returns every difference as a printable block. */
async function compare(ours: DynamoDBClient, theirs: DynamoDBClient, peer: string, ops: Op[]): Promise<string[]> {
  await ours.send(new CreateTableCommand(TABLE));
  await theirs.send(new CreateTableCommand(TABLE));
  await new Promise((r) => setTimeout(r, 50));
  const diffs: string[] = [];
  for (const op of ops) {
    const a = JSON.stringify(await outcome(ours, op));
    const b = JSON.stringify(await outcome(theirs, op));
    if (a !== b) diffs.push(`${op.name} ${JSON.stringify(op.input)}\n  gateway:  ${a}\n  ${peer}: ${b}`);
  }
  return diffs;
}

t.test('gateway vs dynalite on generated sequences', async (t) => {
  const gw = await startTestGateway(t);
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as (o: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  const port = (server.address() as AddressInfo).port;
  const ours = new DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  const theirs = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: gw.credentials, maxAttempts: 1 });
  t.teardown(() => {
    ours.destroy();
    theirs.destroy();
  });
  const diffs = await compare(ours, theirs, 'dynalite', generate(20261124, 240));
  const unexplained = diffs.filter((line) => !KNOWN.some((k) => k.match(line)));
  if (diffs.length) t.comment(`${diffs.length} difference(s):\n${diffs.join('\n')}`);
  t.same(unexplained, [], 'every difference is explained');
});

/** Requests moto accepts though DynamoDB refuses them (argued). */
const MOTO_KNOWN: Array<{ match: (line: string) => boolean; why: string }> = [
  {
    match: (l) => /"UpdateExpression":"SET [a-z]+\.[a-z]+ = /.test(l) && l.includes('The document path provided in the update expression is invalid for update'),
    why:
      'SET a.k = :v where a is missing or not a map: DynamoDB refuses it ("The document path provided ' +
      'in the update expression is invalid for update", as dynalite does too); moto creates or ignores it.',
  },
];

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

/**
 * moto (the Python mock, `moto_server`): its messages and validation differ from DynamoDB in
 * many places, so this comparison reports its differences by kind for the record; it fails only
 * when the gateway and moto disagree on whether a valid request succeeds or what it returns.
 */
t.test('gateway vs moto server (report)', async (t) => {
  const port = await freePort();
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    moto.kill('SIGTERM');
  });
  const up = await new Promise<boolean>((res) => {
    const timer = setTimeout(() => res(false), 20_000);
    const f = (d: Buffer) => {
      if (/Running on/.test(String(d))) {
        clearTimeout(timer);
        res(true);
      }
    };
    moto.stdout.on('data', f);
    moto.stderr.on('data', f);
    moto.on('error', () => res(false));
  });
  if (!up) {
    t.comment('moto_server is not available: nothing compared');
    return;
  }
  const gw = await startTestGateway(t);
  const ours = new DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  const theirs = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  t.teardown(() => {
    ours.destroy();
    theirs.destroy();
  });
  const diffs = await compare(ours, theirs, 'moto', generate(20261125, 160, false));
  const kind = (d: string) => {
    const [, g, m] = /gateway: {2}(.*)\n {2}moto: (.*)$/s.exec(d) ?? [];
    const ge = g?.startsWith('{"error"');
    const me = m?.startsWith('{"error"');
    return ge && me ? 'both fail, messages differ' : ge ? 'only the gateway fails' : me ? 'only moto fails' : 'both succeed, results differ';
  };
  const byKind = new Map<string, string[]>();
  for (const d of diffs) byKind.set(kind(d), [...(byKind.get(kind(d)) ?? []), d]);
  for (const [k, list] of byKind) t.comment(`moto: ${k}: ${list.length}\n${list.slice(0, 5).join('\n')}`);
  const unexplained = (byKind.get('only the gateway fails') ?? []).filter((d) => !MOTO_KNOWN.some((k) => k.match(d)));
  t.same(unexplained, [], 'no valid request that moto serves fails on the gateway, except for argued moto deviations');
});
