// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB Streams through the real @aws-sdk/client-dynamodb-streams: signing name `dynamodb`,
 * X-Amz-Target DynamoDBStreams_20120810.*, records in commit order with the view type's images.
 */
import t from 'tap';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand } from '@aws-sdk/client-dynamodb-streams';
import { startTestGateway } from '../harness.js';

t.test('streams through the SDK', async (t) => {
  const gw = await startTestGateway(t);
  const ddb = new DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  const streams = new DynamoDBStreamsClient({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => {
    ddb.destroy();
    streams.destroy();
  });
  const created = await ddb.send(
    new CreateTableCommand({
      TableName: 'feed',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const arn = created.TableDescription!.LatestStreamArn!;
  await ddb.send(new PutItemCommand({ TableName: 'feed', Item: { id: { S: 'x' }, n: { N: '1' }, b: { B: new Uint8Array([7]) } } }));
  await ddb.send(new UpdateItemCommand({ TableName: 'feed', Key: { id: { S: 'x' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
  await ddb.send(new DeleteItemCommand({ TableName: 'feed', Key: { id: { S: 'x' } } }));
  const list = await streams.send(new ListStreamsCommand({ TableName: 'feed' }));
  t.same(list.Streams?.map((s) => s.StreamArn), [arn]);
  const desc = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  t.equal(desc.StreamDescription?.StreamStatus, 'ENABLED');
  t.equal(desc.StreamDescription?.StreamViewType, 'NEW_AND_OLD_IMAGES');
  t.ok(desc.StreamDescription?.CreationRequestDateTime instanceof Date);
  const shardId = desc.StreamDescription!.Shards![0]!.ShardId!;
  const it = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const recs = await streams.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
  t.same(
    recs.Records?.map((r) => r.eventName),
    ['INSERT', 'MODIFY', 'REMOVE'],
  );
  const modify = recs.Records![1]!.dynamodb!;
  t.equal(modify.OldImage?.n?.N, '1');
  t.equal(modify.NewImage?.n?.N, '2');
  t.same([...(modify.NewImage?.b?.B ?? [])], [7], 'binary images decoded by the SDK');
  t.ok(recs.Records![0]!.dynamodb!.ApproximateCreationDateTime instanceof Date);
  t.ok(recs.NextShardIterator);
  await t.rejects(streams.send(new DescribeStreamCommand({ StreamArn: `${arn}x` })), { name: 'ResourceNotFoundException' });
});
