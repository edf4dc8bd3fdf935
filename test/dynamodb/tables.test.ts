// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, hashTable, rangeTable } from './helpers.js';

t.test('create, describe, list, delete', async (t) => {
  const d = await ddb(t);
  const created = await d.call('CreateTable', { ...rangeTable(), Tags: [{ Key: 'team', Value: 'a' }], StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
  const td = created.TableDescription;
  t.equal(td.TableStatus, 'CREATING');
  t.match(td.TableArn, new RegExp(`^arn:aws:dynamodb:us-east-1:${d.principal.accountId}:table/events$`));
  t.same(td.BillingModeSummary.BillingMode, 'PAY_PER_REQUEST');
  t.same(td.ProvisionedThroughput, { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 });
  t.match(td.LatestStreamArn, /table\/events\/stream\/\d{4}-\d\d-\d\dT/);
  t.ok(td.CreationDateTime instanceof Date);
  t.match(await d.fail('CreateTable', rangeTable()), { code: 'ResourceInUseException', message: 'Table already exists: events' });
  const desc = await d.call('DescribeTable', { TableName: 'events' });
  t.equal(desc.Table.TableStatus, 'ACTIVE');
  t.equal(desc.Table.ItemCount, 0);
  await d.call('PutItem', { TableName: 'events', Item: { pk: { S: 'a' }, sk: { N: '1' }, data: { S: 'xyz' } } });
  const after = await d.call('DescribeTable', { TableName: 'events' });
  t.equal(after.Table.ItemCount, 1);
  t.equal(after.Table.TableSizeBytes, 2 + 1 + 2 + 2 + 4 + 3);
  for (const n of ['t03', 't01', 't02']) await d.call('CreateTable', hashTable(n));
  const p1 = await d.call('ListTables', { Limit: 2 });
  t.same(p1, { TableNames: ['events', 't01'], LastEvaluatedTableName: 't01' });
  const p2 = await d.call('ListTables', { Limit: 2, ExclusiveStartTableName: 't01' });
  t.same(p2, { TableNames: ['t02', 't03'] });
  const other = await d.gw.account('other');
  t.same(await d.call('ListTables', {}, other), { TableNames: [] }, 'accounts are isolated');
  const del = await d.call('DeleteTable', { TableName: 'events' });
  t.equal(del.TableDescription.TableStatus, 'DELETING');
  t.match(await d.fail('DescribeTable', { TableName: 'events' }), { code: 'ResourceNotFoundException', message: 'Requested resource not found: Table: events not found' });
  await d.call('CreateTable', rangeTable());
  t.same(await d.call('Scan', { TableName: 'events' }), { Items: [], Count: 0, ScannedCount: 0 }, 'recreated table is empty');
});

t.test('create table validation', async (t) => {
  const d = await ddb(t);
  t.match(await d.fail('CreateTable', { ...hashTable(), BillingMode: undefined }), {
    message: 'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
  });
  t.match(await d.fail('CreateTable', { ...hashTable(), ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }), {
    message: 'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
  });
  t.match(await d.fail('CreateTable', { ...hashTable(), AttributeDefinitions: [{ AttributeName: 'x', AttributeType: 'S' }] }), {
    message: 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [x]',
  });
  t.match(await d.fail('CreateTable', { ...hashTable(), AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'x', AttributeType: 'S' }] }), {
    message: 'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
  });
  t.match(await d.fail('CreateTable', { ...hashTable(), KeySchema: [{ AttributeName: 'id', KeyType: 'RANGE' }] }), { message: 'Invalid KeySchema: The first KeySchemaElement is not a HASH key type' });
  t.match(await d.fail('CreateTable', { ...hashTable('a b'), AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'X' }] }), {
    message:
      "2 validation errors detected: Value 'a b' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
  });
  t.match(
    await d.fail('CreateTable', {
      ...hashTable(),
      LocalSecondaryIndexes: [{ IndexName: 'lsi1', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    }),
    { message: 'One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex' },
  );
});
