// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB through the real @aws-sdk/client-dynamodb and lib-dynamodb DocumentClient (awsJson 1.0,
 * SigV4, x-amz-crc32) against a gateway on a free port with the embedded engine.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startTestGateway } from '../harness.js';

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, any>;
  }
  throw new Error('expected the call to fail');
}

t.test('SDK v3 client and DocumentClient', async (t) => {
  const gw = await startTestGateway(t);
  const client = new DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  t.teardown(() => client.destroy());

  const created = await client.send(
    new CreateTableCommand({
      TableName: 'music',
      AttributeDefinitions: [
        { AttributeName: 'artist', AttributeType: 'S' },
        { AttributeName: 'song', AttributeType: 'S' },
        { AttributeName: 'year', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'artist', KeyType: 'HASH' },
        { AttributeName: 'song', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byYear', KeySchema: [{ AttributeName: 'year', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  t.equal(created.TableDescription?.TableStatus, 'CREATING');
  t.ok(created.TableDescription?.CreationDateTime instanceof Date);
  await waitUntilTableExists({ client, maxWaitTime: 20, minDelay: 1 }, { TableName: 'music' });
  const desc = await client.send(new DescribeTableCommand({ TableName: 'music' }));
  t.equal(desc.Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  t.same((await client.send(new ListTablesCommand({}))).TableNames, ['music']);

  await client.send(new PutItemCommand({ TableName: 'music', Item: { artist: { S: 'A' }, song: { S: 's1' }, year: { N: '1999' }, art: { B: new Uint8Array([0, 1, 255]) } } }));
  const got = await client.send(new GetItemCommand({ TableName: 'music', Key: { artist: { S: 'A' }, song: { S: 's1' } }, ConsistentRead: true }));
  t.same([...(got.Item?.art?.B ?? [])], [0, 1, 255], 'binary round trip');
  t.equal(got.Item?.year?.N, '1999');

  const ccf = await failure(
    client.send(new PutItemCommand({ TableName: 'music', Item: { artist: { S: 'A' }, song: { S: 's1' } }, ConditionExpression: 'attribute_not_exists(artist)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
  );
  t.ok(ccf instanceof ConditionalCheckFailedException);
  t.equal(ccf.message, 'The conditional request failed');
  t.equal(ccf.Item?.year?.N, '1999', 'Item returned with the failure');
  t.ok((await failure(client.send(new GetItemCommand({ TableName: 'nope', Key: { artist: { S: 'A' } } })))) instanceof ResourceNotFoundException);
  await t.rejects(client.send(new GetItemCommand({ TableName: 'music', Key: { artist: { S: 'A' } } })), { name: 'ValidationException', message: 'The provided key element does not match the schema' });

  // DocumentClient: native JS values, big batches, paginated queries
  for (let i = 0; i < 5; i++) {
    await doc.send(
      new BatchWriteCommand({
        RequestItems: { music: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { artist: 'B', song: `s${String(i * 25 + j).padStart(3, '0')}`, year: 2000 + j, tags: new Set(['x', 'y']) } } })) },
      }),
    );
  }
  const pages: number[] = [];
  let total = 0;
  for await (const page of paginateQuery({ client: doc, pageSize: 40 }, { TableName: 'music', KeyConditionExpression: 'artist = :a', ExpressionAttributeValues: { ':a': 'B' } })) {
    pages.push(page.Count ?? 0);
    total += page.Items?.length ?? 0;
  }
  t.equal(total, 125);
  t.same(pages.slice(0, 3), [40, 40, 40]);
  const byYear = await doc.send(new QueryCommand({ TableName: 'music', IndexName: 'byYear', KeyConditionExpression: '#y = :y', ExpressionAttributeNames: { '#y': 'year' }, ExpressionAttributeValues: { ':y': 2003 } }));
  t.equal(byYear.Count, 5);
  const upd = await doc.send(
    new UpdateCommand({
      TableName: 'music',
      Key: { artist: 'B', song: 's000' },
      UpdateExpression: 'SET plays = if_not_exists(plays, :z) + :one ADD tags :t',
      ExpressionAttributeValues: { ':z': 0, ':one': 1, ':t': new Set(['z']) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  t.equal(upd.Attributes?.plays, 1);
  t.same([...(upd.Attributes?.tags as Set<string>)].sort(), ['x', 'y', 'z']);
  await doc.send(new PutCommand({ TableName: 'music', Item: { artist: 'C', song: 'empty', e: '' } }));
  t.equal((await doc.send(new GetCommand({ TableName: 'music', Key: { artist: 'C', song: 'empty' } }))).Item?.e, '', 'empty strings allowed');

  const tce = await failure(
    doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'music', Item: { artist: 'D', song: 'd' } } },
          { ConditionCheck: { TableName: 'music', Key: { artist: 'A', song: 's1' }, ConditionExpression: '#y = :y', ExpressionAttributeNames: { '#y': 'year' }, ExpressionAttributeValues: { ':y': 1 } } },
        ],
      }),
    ),
  );
  t.ok(tce instanceof TransactionCanceledException);
  t.same(
    (tce as TransactionCanceledException).CancellationReasons?.map((r) => r.Code),
    ['None', 'ConditionalCheckFailed'],
  );
  t.notOk((await doc.send(new GetCommand({ TableName: 'music', Key: { artist: 'D', song: 'd' } }))).Item, 'cancelled transaction wrote nothing');

  await client.send(new DeleteTableCommand({ TableName: 'music' }));
  t.ok((await failure(client.send(new DescribeTableCommand({ TableName: 'music' })))) instanceof ResourceNotFoundException);
});
