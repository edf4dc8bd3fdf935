// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Tenancy on the Alternator translator: two accounts with tables of the same name never meet —
 * not in items, listings, ARNs, batch maps, transactions, PartiQL or error messages — and the
 * table-name limit is Alternator's after the account prefix.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import * as streams from '@aws-sdk/client-dynamodb-streams';
import { startTestGateway } from '../harness.js';

const table = (name: string): any => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
});

async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

t.test('two accounts, same table names', async (t) => {
  const gw = await startTestGateway(t, { dynamodbBackend: 'alternator' });
  const accA = await gw.newAccount('tenant-a');
  const accB = await gw.newAccount('tenant-b');
  const A = new ddb.DynamoDBClient({ ...accA.clientConfig, maxAttempts: 1 });
  const B = new ddb.DynamoDBClient({ ...accB.clientConfig, maxAttempts: 1 });
  t.teardown(() => {
    A.destroy();
    B.destroy();
  });

  const ca = await A.send(new ddb.CreateTableCommand(table('orders')));
  const cb = await B.send(new ddb.CreateTableCommand(table('orders')));
  t.equal(ca.TableDescription?.TableName, 'orders');
  t.equal(ca.TableDescription?.TableArn, `arn:aws:dynamodb:${gw.region}:${accA.accountId}:table/orders`, 'ARN in the caller account, plain name');
  t.equal(cb.TableDescription?.TableArn, `arn:aws:dynamodb:${gw.region}:${accB.accountId}:table/orders`);
  // B names a table after A's Alternator name: it is still B's own
  await B.send(new ddb.CreateTableCommand(table(`a${accA.accountId}_orders`)));

  await A.send(new ddb.PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'k' }, owner: { S: 'A' } } }));
  await B.send(new ddb.PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'k' }, owner: { S: 'B' } } }));
  t.equal((await A.send(new ddb.GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'k' } } }))).Item?.owner?.S, 'A');
  t.equal((await B.send(new ddb.GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'k' } } }))).Item?.owner?.S, 'B');
  t.same((await B.send(new ddb.ScanCommand({ TableName: `a${accA.accountId}_orders` }))).Items, [], "B's look-alike table is empty");

  t.same((await A.send(new ddb.ListTablesCommand({}))).TableNames, ['orders']);
  t.same((await B.send(new ddb.ListTablesCommand({}))).TableNames, [`a${accA.accountId}_orders`, 'orders']);
  t.same((await gw.running.gateway.services.get('dynamodb')!.operations.ListTables!({ accountId: gw.accountId } as any, {})).TableNames, [], 'the root account sees none of them');

  const bg = await B.send(new ddb.BatchGetItemCommand({ RequestItems: { orders: { Keys: [{ pk: { S: 'k' } }] } } }));
  t.same(Object.keys(bg.Responses ?? {}), ['orders'], 'batch maps keyed by the plain name');
  t.equal(bg.Responses?.orders?.[0]?.owner?.S, 'B');

  await A.send(new ddb.TransactWriteItemsCommand({ TransactItems: [{ Update: { TableName: 'orders', Key: { pk: { S: 'k' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } } }] }));
  t.equal((await B.send(new ddb.GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'k' } } }))).Item?.n, undefined, "A's transaction left B's item alone");
  const sel = await B.send(new ddb.ExecuteStatementCommand({ Statement: `SELECT * FROM orders WHERE pk = 'k'` }));
  t.equal(sel.Items?.[0]?.owner?.S, 'B', 'PartiQL reads the caller table');

  // A's ARN means nothing to B
  const arnA = ca.TableDescription!.TableArn!;
  const e1 = await failure(B.send(new ddb.ListTagsOfResourceCommand({ ResourceArn: arnA })));
  t.equal(e1.name, 'ResourceNotFoundException');
  await A.send(new ddb.TagResourceCommand({ ResourceArn: arnA, Tags: [{ Key: 'team', Value: 'a' }] }));
  t.same((await A.send(new ddb.ListTagsOfResourceCommand({ ResourceArn: arnA }))).Tags, [{ Key: 'team', Value: 'a' }]);
  t.same((await B.send(new ddb.ListTagsOfResourceCommand({ ResourceArn: cb.TableDescription!.TableArn! }))).Tags ?? [], []);

  // A's stream and shard iterators mean nothing to B
  const sa = await A.send(new ddb.CreateTableCommand({ ...table('feed'), StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } }));
  const streamArn = sa.TableDescription!.LatestStreamArn!;
  t.match(streamArn, `arn:aws:dynamodb:${gw.region}:${accA.accountId}:table/feed/stream/`);
  await A.send(new ddb.PutItemCommand({ TableName: 'feed', Item: { pk: { S: 'e1' } } }));
  const SA = new streams.DynamoDBStreamsClient({ ...accA.clientConfig, maxAttempts: 1 });
  const SB = new streams.DynamoDBStreamsClient({ ...accB.clientConfig, maxAttempts: 1 });
  t.teardown(() => {
    SA.destroy();
    SB.destroy();
  });
  t.same((await SB.send(new streams.ListStreamsCommand({}))).Streams, [], "B lists none of A's streams");
  t.equal((await failure(SB.send(new streams.DescribeStreamCommand({ StreamArn: streamArn })))).name, 'ResourceNotFoundException');
  const shard = (await SA.send(new streams.DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0]!.ShardId!;
  const iter = (await SA.send(new streams.GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
  t.same((await SA.send(new streams.GetRecordsCommand({ ShardIterator: iter }))).Records?.map((r) => r.dynamodb?.Keys?.pk?.S), ['e1']);
  const e5 = await failure(SB.send(new streams.GetRecordsCommand({ ShardIterator: iter })));
  t.equal(e5.name, 'ValidationException', "A's iterator refused to B");
  t.equal((await failure(SA.send(new streams.GetRecordsCommand({ ShardIterator: iter.replace(/^(\d+\.)./, '$1z') })))).name, 'ValidationException', 'a tampered iterator is refused');

  // error messages quote the caller's names only
  await A.send(new ddb.DeleteTableCommand({ TableName: 'orders' }));
  const e2 = await failure(A.send(new ddb.DescribeTableCommand({ TableName: 'orders' })));
  t.equal(e2.name, 'ResourceNotFoundException');
  t.notMatch(e2.message, /a\d{12}_/, 'no prefix in the message');
  t.equal((await B.send(new ddb.GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'k' } } }))).Item?.owner?.S, 'B', "B's table outlives A's");

  // Alternator's 222-character limit applies after the 14-character prefix
  const max = 222 - `a${accA.accountId}_`.length;
  await A.send(new ddb.CreateTableCommand(table('x'.repeat(max))));
  const e3 = await failure(A.send(new ddb.CreateTableCommand(table('y'.repeat(max + 1)))));
  t.equal(e3.name, 'ValidationException');
  t.match(e3.message, `at most ${max} characters`);
  const e6 = await failure(A.send(new ddb.CreateTableCommand({ ...table('kms'), SSESpecification: { Enabled: true, SSEType: 'KMS' } })));
  t.match(e6.message, 'SSESpecification with a KMS key is not supported', 'settings Alternator would ignore are refused');
  const e4 = await failure(A.send(new ddb.CreateTableCommand(table('z'.repeat(256)))));
  t.match(e4.message, 'Member must have length less than or equal to 255', "DynamoDB's own limit first");
});
