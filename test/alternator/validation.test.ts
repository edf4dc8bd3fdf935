// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bad input to the item operations Alternator serves itself (PutItem, GetItem, DeleteItem,
 * UpdateItem, Query, Scan, BatchGetItem, BatchWriteItem) and to the TTL operations, sent as raw signed JSON to two
 * gateways — one on the embedded engine, one on the Alternator translator over the stand-in of
 * test/fakes/alternator: both must answer with the same status, error code and message (DynamoDB's,
 * from apis/dynamodb's validation), and none of the bad requests may reach Alternator.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import { signedPost } from '../../bench/lib.js';
import { startTestGateway, type TestGatewayHandle } from '../../conformance/harness.js';

async function post(gw: TestGatewayHandle, op: string, input: unknown): Promise<{ status: number; body: any }> {
  const r = await signedPost(gw.port, 'dynamodb', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${op}` }, JSON.stringify(input), gw.credentials);
  const res = await fetch(`${gw.url}/`, { method: 'POST', headers: r.headers, body: r.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const S = (s: string) => ({ S: s });
const N = (n: string) => ({ N: n });

const TABLES = [
  {
    TableName: 'plain',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  },
  {
    TableName: 'ranged',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'g', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
    BillingMode: 'PAY_PER_REQUEST',
  },
];

const puts = (n: number, table = 'ranged') => Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: S('p'), sk: N(String(i)) } } }));

/** [operation, raw input]: each one refused by DynamoDB before it reads or writes. */
const BAD: Array<[string, unknown]> = [
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), n: N('abc') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), n: N('1e126') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), s: { SS: [] } } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), s: { SS: ['x', 'x'] } } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), s: { S: 'x', N: '1' } } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), s: {} } }],
  ['PutItem', { TableName: 'plain', Item: { other: S('a') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: N('1') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('k'.repeat(2049)) } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a'), big: S('x'.repeat(401 * 1024)) } }],
  ['PutItem', { TableName: 'ranged', Item: { pk: S('a'), sk: N('1'), g: N('5') } }],
  ['PutItem', { TableName: 'ranged', Item: { pk: S('a'), sk: N('1'), g: S('') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ReturnValues: 'ALL_NEW' }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ConditionExpression: 'attribute_exists(' }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a'), ':w': S('b') } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ConditionExpression: 'pk = :v' }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ConditionExpression: 'attribute_exists(pk)', Expected: { pk: { Exists: false } } }],
  ['PutItem', { TableName: 'plain', Item: { pk: S('a') }, ExpressionAttributeNames: { '#a': 'a' } }],
  ['PutItem', { TableName: 'a', Item: { pk: S('a') }, ReturnConsumedCapacity: 'ALL', ReturnItemCollectionMetrics: 'NO' }],
  ['PutItem', { TableName: 'missing', Item: { pk: S('a') } }],
  ['PutItem', { TableName: 'plain' }],
  ['GetItem', { TableName: 'plain', Key: { pk: S('a'), extra: S('b') } }],
  ['GetItem', { TableName: 'plain', Key: {} }],
  ['GetItem', { TableName: 'ranged', Key: { pk: S('a') } }],
  ['GetItem', { TableName: 'plain', Key: { pk: S('a') }, ProjectionExpression: '#x' }],
  ['GetItem', { TableName: 'plain', Key: { pk: S('a') }, ProjectionExpression: 'a', AttributesToGet: ['a'] }],
  ['GetItem', { TableName: 'plain', Key: { pk: S('a') }, AttributesToGet: [] }],
  ['GetItem', { TableName: 'missing', Key: { pk: S('a') } }],
  ['DeleteItem', { TableName: 'plain', Key: { pk: S('a') }, ReturnValues: 'UPDATED_NEW' }],
  ['DeleteItem', { TableName: 'plain', Key: { pk: N('1') } }],
  ['DeleteItem', { TableName: 'plain', Key: { pk: S('a') }, ConditionExpression: 'size(pk) > :n', ExpressionAttributeValues: { ':n': { NS: [] } } }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': S('b') } }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, UpdateExpression: 'SET a = :v' }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, UpdateExpression: 'SET a = :v, a = :v', ExpressionAttributeValues: { ':v': S('b') } }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, UpdateExpression: 'SET a = :v', AttributeUpdates: { b: { Action: 'DELETE' } }, ExpressionAttributeValues: { ':v': S('b') } }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, UpdateExpression: 'REMOVE' }],
  ['UpdateItem', { TableName: 'plain', Key: { pk: S('a') }, AttributeUpdates: { pk: { Action: 'PUT', Value: S('b') } } }],
  ['Query', { TableName: 'ranged' }],
  ['Query', { TableName: 'ranged', KeyConditionExpression: 'other = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': N('1') } }],
  ['Query', { TableName: 'ranged', KeyConditionExpression: 'pk = :v', FilterExpression: 'sk > :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', IndexName: 'nope', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', IndexName: 'byG', ConsistentRead: true, KeyConditionExpression: 'g = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', IndexName: 'byG', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: 'g = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', Select: 'COUNT', ProjectionExpression: 'a', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', Limit: 0, KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a') } }],
  ['Query', { TableName: 'ranged', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a') }, ExclusiveStartKey: { pk: S('b'), sk: N('1') } }],
  ['Scan', { TableName: 'ranged', Segment: 1 }],
  ['Scan', { TableName: 'ranged', Segment: 3, TotalSegments: 2 }],
  ['Scan', { TableName: 'ranged', ExclusiveStartKey: { pk: S('a') } }],
  ['Scan', { TableName: 'ranged', FilterExpression: 'a = :v' }],
  ['Scan', { TableName: 'missing' }],
  ['BatchWriteItem', { RequestItems: { ranged: puts(26) } }],
  ['BatchWriteItem', { RequestItems: { ranged: [...puts(2), ...puts(1)] } }],
  ['BatchWriteItem', { RequestItems: { ranged: [{ PutRequest: { Item: { pk: S('a'), sk: N('1') } }, DeleteRequest: { Key: { pk: S('a'), sk: N('1') } } }] } }],
  ['BatchWriteItem', { RequestItems: { ranged: puts(1), missing: [{ DeleteRequest: { Key: { pk: S('a') } } }] } }],
  ['BatchWriteItem', { RequestItems: { plain: [{ DeleteRequest: { Key: { pk: S('a'), sk: N('1') } } }] } }],
  ['BatchWriteItem', { RequestItems: {} }],
  ['BatchGetItem', { RequestItems: { ranged: { Keys: Array.from({ length: 101 }, (_, i) => ({ pk: S('a'), sk: N(String(i)) })) } } }],
  ['BatchGetItem', { RequestItems: { plain: { Keys: [{ pk: S('a') }, { pk: S('a') }] } } }],
  ['BatchGetItem', { RequestItems: { plain: { Keys: [{ pk: N('1') }] } } }],
  ['BatchGetItem', { RequestItems: { plain: { Keys: [{ pk: S('a') }], ProjectionExpression: '#n' } } }],
  ['BatchGetItem', { RequestItems: { x: { Keys: [{ pk: S('a') }] } } }],
  ['UpdateTimeToLive', { TableName: 'plain', TimeToLiveSpecification: { AttributeName: '', Enabled: true } }],
  ['UpdateTimeToLive', { TableName: 'plain' }],
  ['UpdateTimeToLive', { TableName: 'missing', TimeToLiveSpecification: { AttributeName: 'exp', Enabled: true } }],
  ['DescribeTimeToLive', { TableName: 'missing' }],
];

const ITEM_OPS = ['PutItem', 'DeleteItem', 'UpdateItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'UpdateTimeToLive', 'DescribeTimeToLive'];

t.test('bad item operations get the embedded engine\'s (DynamoDB\'s) errors through the translator, and never reach Alternator', async (t) => {
  const embedded = await startTestGateway(t, { dynamodbBackend: 'embedded' });
  const alternator = await startTestGateway(t, { dynamodbBackend: 'alternator' });
  const shim = alternator.alternator!;
  for (const table of TABLES) {
    for (const gw of [embedded, alternator]) t.equal((await post(gw, 'CreateTable', table)).status, 200, `CreateTable ${table.TableName}`);
  }
  // a good request of each kind goes through (and fills the translator's table cache)
  for (const gw of [embedded, alternator]) {
    t.equal((await post(gw, 'PutItem', { TableName: 'plain', Item: { pk: S('a') } })).status, 200);
    t.equal((await post(gw, 'Query', { TableName: 'ranged', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': S('a') } })).status, 200);
  }
  const before = new Map(shim.operations);
  for (const [i, [op, input]] of BAD.entries()) {
    const [a, b] = [await post(embedded, op, input), await post(alternator, op, input)];
    t.not(a.status, 200, `case ${i + 1} (${op}) is refused by the embedded engine`);
    t.same({ status: b.status, type: b.body.__type, message: b.body.message }, { status: a.status, type: a.body.__type, message: a.body.message }, `case ${i + 1}: ${op} ${String(a.body.message).slice(0, 80)}`);
  }
  const delta = (op: string) => (shim.operations.get(op) ?? 0) - (before.get(op) ?? 0);
  for (const op of ITEM_OPS) t.equal(delta(op), 0, `no bad ${op} reached Alternator`);
  // GetItem goes up only for the deletion-protection flag read with each table (re)description
  t.ok(delta('GetItem') <= delta('DescribeTable'), 'no bad GetItem reached Alternator');
});
