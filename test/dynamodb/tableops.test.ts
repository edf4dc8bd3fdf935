// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { dynamoBackend } from '../../apis/dynamodb/index.js';
import { sweepExpired } from '../../apis/dynamodb/ttl.js';
import { ddb, hashTable, rangeTable } from './helpers.js';

t.test('UpdateTable: GSI backfill, billing, streams', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  for (let i = 0; i < 10; i++) await d.call('PutItem', { TableName: 'events', Item: { pk: { S: `p${i}` }, sk: { N: String(i) }, ...(i % 2 ? { color: { S: i < 5 ? 'red' : 'blue' } } : {}) } });
  const r = await d.call('UpdateTable', {
    TableName: 'events',
    AttributeDefinitions: [{ AttributeName: 'color', AttributeType: 'S' }],
    GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'byColor', KeySchema: [{ AttributeName: 'color', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } } }],
  });
  t.equal(r.TableDescription.TableStatus, 'UPDATING');
  t.equal(r.TableDescription.GlobalSecondaryIndexes[0].IndexStatus, 'CREATING');
  t.same(
    r.TableDescription.AttributeDefinitions.map((a: { AttributeName: string }) => a.AttributeName),
    ['pk', 'sk', 'color'],
  );
  const desc = await d.call('DescribeTable', { TableName: 'events' });
  t.equal(desc.Table.GlobalSecondaryIndexes[0].IndexStatus, 'ACTIVE');
  t.equal(desc.Table.GlobalSecondaryIndexes[0].ItemCount, 5);
  const red = await d.call('Query', { TableName: 'events', IndexName: 'byColor', KeyConditionExpression: 'color = :c', ExpressionAttributeValues: { ':c': { S: 'red' } } });
  t.same(red.Items.map((i: { sk: { N: string } }) => i.sk.N).sort(), ['1', '3'], 'existing items backfilled');
  await d.call('UpdateTable', { TableName: 'events', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byColor' } }] });
  t.notOk((await d.call('DescribeTable', { TableName: 'events' })).Table.GlobalSecondaryIndexes);
  t.match(await d.fail('Query', { TableName: 'events', IndexName: 'byColor', KeyConditionExpression: 'color = :c', ExpressionAttributeValues: { ':c': { S: 'red' } } }), {
    message: 'The table does not have the specified index: byColor',
  });
  const prov = await d.call('UpdateTable', { TableName: 'events', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } });
  t.equal(prov.TableDescription.ProvisionedThroughput.ReadCapacityUnits, 5);
  const st = await d.call('UpdateTable', { TableName: 'events', StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
  t.same(st.TableDescription.StreamSpecification, { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' });
  t.match(await d.fail('UpdateTable', { TableName: 'events' }), { message: /^At least one of ProvisionedThroughput, BillingMode/ });
  t.match(await d.fail('UpdateTable', { TableName: 'nope', BillingMode: 'PAY_PER_REQUEST' }), { code: 'ResourceNotFoundException' });
});

t.test('tags, TTL, Terraform reads', async (t) => {
  const d = await ddb(t);
  const arn = (await d.call('CreateTable', { ...hashTable(), Tags: [{ Key: 'a', Value: '1' }] })).TableDescription.TableArn;
  await d.call('TagResource', { ResourceArn: arn, Tags: [{ Key: 'b', Value: '2' }] });
  await d.call('UntagResource', { ResourceArn: arn, TagKeys: ['a'] });
  t.same(await d.call('ListTagsOfResource', { ResourceArn: arn }), { Tags: [{ Key: 'b', Value: '2' }] });
  t.match(await d.fail('ListTagsOfResource', { ResourceArn: arn.replace('items', 'other') }), { code: 'ResourceNotFoundException' });
  t.same(await d.call('DescribeTimeToLive', { TableName: 'items' }), { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  t.same(await d.call('UpdateTimeToLive', { TableName: 'items', TimeToLiveSpecification: { AttributeName: 'exp', Enabled: true } }), {
    TimeToLiveSpecification: { AttributeName: 'exp', Enabled: true },
  });
  t.match(await d.fail('UpdateTimeToLive', { TableName: 'items', TimeToLiveSpecification: { AttributeName: 'exp', Enabled: true } }), { message: 'TimeToLive is already enabled' });
  t.same(await d.call('DescribeTimeToLive', { TableName: 'items' }), { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'exp' } });
  const nowS = Math.floor(d.clock.now() / 1000);
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'old' }, exp: { N: String(nowS - 10) } } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'future' }, exp: { N: String(nowS + 10) } } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'ancient' }, exp: { N: String(nowS - 6 * 365 * 86400) } } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'text' }, exp: { S: '1' } } });
  t.equal(await sweepExpired(dynamoBackend(d.gw), d.clock.now()), 1);
  const left = (await d.call('Scan', { TableName: 'items' })).Items.map((i: { id: { S: string } }) => i.id.S).sort();
  t.same(left, ['ancient', 'future', 'text'], 'only expired numbers within five years are deleted');
  t.same(await d.call('DescribeContinuousBackups', { TableName: 'items' }), {
    ContinuousBackupsDescription: { ContinuousBackupsStatus: 'DISABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
  });
  t.match(await d.fail('DescribeContinuousBackups', { TableName: 'nope' }), { code: 'TableNotFoundException' });
  t.same((await d.call('DescribeEndpoints', {})).Endpoints, [{ Address: 'localhost', CachePeriodInMinutes: 1440 }]);
});
