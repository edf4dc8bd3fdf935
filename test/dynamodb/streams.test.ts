// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { createService as streamsService } from '../../apis/dynamodb-streams/index.js';
import { ddb, hashTable } from './helpers.js';

t.test('stream records for every change, per view type', async (t) => {
  const d = await ddb(t);
  const s = await d.gw.add(streamsService);
  const sc = (op: string, input: Record<string, unknown>) => s.operations[op]!(d.gw.context(d.principal, 'streams.dynamodb', op), input);
  await d.call('CreateTable', { ...hashTable(), StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  await d.call('CreateTable', hashTable('nostream'));
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, v: { N: '1' } } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, v: { N: '1' } } }); // unchanged: no record
  await d.call('UpdateItem', { TableName: 'items', Key: { id: { S: 'a' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { N: '2' } } });
  await d.call('DeleteItem', { TableName: 'items', Key: { id: { S: 'a' } } });
  await d.call('DeleteItem', { TableName: 'items', Key: { id: { S: 'a' } } }); // nothing deleted: no record
  const list = await sc('ListStreams', {});
  t.equal(list.Streams.length, 1);
  const arn = list.Streams[0].StreamArn;
  t.match(arn, /table\/items\/stream\//);
  const desc = await sc('DescribeStream', { StreamArn: arn });
  t.equal(desc.StreamDescription.StreamStatus, 'ENABLED');
  t.equal(desc.StreamDescription.Shards.length, 1);
  const shard = desc.StreamDescription.Shards[0];
  t.equal(shard.SequenceNumberRange.StartingSequenceNumber, '000000000000000000001');
  const it = await sc('GetShardIterator', { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
  const recs = await sc('GetRecords', { ShardIterator: it.ShardIterator });
  t.same(
    recs.Records.map((r: { eventName: string }) => r.eventName),
    ['INSERT', 'MODIFY', 'REMOVE'],
  );
  t.same(recs.Records[1].dynamodb.OldImage, { id: { S: 'a' }, v: { N: '1' } });
  t.same(recs.Records[1].dynamodb.NewImage, { id: { S: 'a' }, v: { N: '2' } });
  t.same(recs.Records[2].dynamodb.Keys, { id: { S: 'a' } });
  t.notOk(recs.Records[2].dynamodb.NewImage);
  t.equal(recs.Records[0].eventSource, 'aws:dynamodb');
  t.ok(recs.NextShardIterator);
  const empty = await sc('GetRecords', { ShardIterator: recs.NextShardIterator });
  t.same(empty.Records, []);
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'b' } } });
  const more = await sc('GetRecords', { ShardIterator: empty.NextShardIterator, Limit: 10 });
  t.same(more.Records.map((r: { dynamodb: { Keys: unknown } }) => r.dynamodb.Keys), [{ id: { S: 'b' } }]);
  const latest = await sc('GetShardIterator', { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'LATEST' });
  t.same((await sc('GetRecords', { ShardIterator: latest.ShardIterator })).Records, []);
  const at = await sc('GetShardIterator', { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: recs.Records[2].dynamodb.SequenceNumber });
  t.equal((await sc('GetRecords', { ShardIterator: at.ShardIterator })).Records.length, 2);
  d.clock.advance(16 * 60 * 1000);
  await t.rejects(sc('GetRecords', { ShardIterator: more.NextShardIterator }), { code: 'ExpiredIteratorException' });
  // KEYS_ONLY after a re-enable: a new stream label
  await d.call('UpdateTable', { TableName: 'items', StreamSpecification: { StreamEnabled: false } });
  await t.rejects(sc('GetShardIterator', { StreamArn: arn, ShardId: 'nope', ShardIteratorType: 'LATEST' }), { code: 'ResourceNotFoundException' });
  d.clock.advance(1000);
  await d.call('UpdateTable', { TableName: 'items', StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'c' }, x: { S: 'y' } } });
  const arn2 = (await sc('ListStreams', { TableName: 'items' })).Streams[0].StreamArn;
  t.not(arn2, arn);
  const sh2 = (await sc('DescribeStream', { StreamArn: arn2 })).StreamDescription.Shards[0];
  const it2 = await sc('GetShardIterator', { StreamArn: arn2, ShardId: sh2.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
  const r2 = await sc('GetRecords', { ShardIterator: it2.ShardIterator });
  t.same(r2.Records.map((r: { dynamodb: Record<string, unknown> }) => Object.keys(r.dynamodb).sort()), [['ApproximateCreationDateTime', 'Keys', 'SequenceNumber', 'SizeBytes', 'StreamViewType']]);
});
