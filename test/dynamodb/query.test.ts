// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, rangeTable } from './helpers.js';

t.test('query order, conditions, paging', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  const nums = ['-100', '-1.5', '0', '0.25', '2', '10', '100', '1e30'];
  for (const n of [...nums].reverse()) await d.call('PutItem', { TableName: 'events', Item: { pk: { S: 'p' }, sk: { N: n }, v: { N: n } } });
  await d.call('PutItem', { TableName: 'events', Item: { pk: { S: 'other' }, sk: { N: '1' } } });
  const q = (extra: Record<string, unknown>) => d.call('Query', { TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ...extra });
  const all = await q({});
  t.same(
    all.Items.map((i: { sk: { N: string } }) => i.sk.N),
    ['-100', '-1.5', '0', '0.25', '2', '10', '100', '1000000000000000000000000000000'],
    'numeric order',
  );
  t.equal(all.Count, 8);
  t.equal(all.ScannedCount, 8);
  t.notOk(all.LastEvaluatedKey);
  const rev = await q({ ScanIndexForward: false, Limit: 3 });
  t.same(rev.Items.map((i: { sk: { N: string } }) => i.sk.N), ['1000000000000000000000000000000', '100', '10']);
  t.same(rev.LastEvaluatedKey, { pk: { S: 'p' }, sk: { N: '10' } });
  const next = await q({ ScanIndexForward: false, Limit: 3, ExclusiveStartKey: rev.LastEvaluatedKey });
  t.same(next.Items.map((i: { sk: { N: string } }) => i.sk.N), ['2', '0.25', '0']);
  const between = await d.call('Query', {
    TableName: 'events',
    KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':p': { S: 'p' }, ':a': { N: '-1.5' }, ':b': { N: '2' } },
  });
  t.same(between.Items.map((i: { sk: { N: string } }) => i.sk.N), ['-1.5', '0', '0.25', '2']);
  const gt = await d.call('Query', { TableName: 'events', KeyConditionExpression: ':x < sk AND pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' }, ':x': { N: '10' } } });
  t.same(gt.Items.map((i: { sk: { N: string } }) => i.sk.N), ['100', '1000000000000000000000000000000'], 'operands flipped');
  const filtered = await q({ Limit: 4, FilterExpression: 'v > :z', ExpressionAttributeValues: { ':p': { S: 'p' }, ':z': { N: '0' } } });
  t.equal(filtered.Count, 1, 'Limit applies before the filter');
  t.equal(filtered.ScannedCount, 4);
  const count = await q({ Select: 'COUNT' });
  t.notOk(count.Items);
  t.equal(count.Count, 8);
  const legacy = await d.call('Query', {
    TableName: 'events',
    KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'p' }] }, sk: { ComparisonOperator: 'LT', AttributeValueList: [{ N: '0' }] } },
    QueryFilter: { v: { ComparisonOperator: 'LE', AttributeValueList: [{ N: '-100' }] } },
  });
  t.same(legacy.Items.map((i: { sk: { N: string } }) => i.sk.N), ['-100']);
  t.equal(legacy.ScannedCount, 2);
});

t.test('query errors', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  const base = { TableName: 'events', ExpressionAttributeValues: { ':p': { S: 'p' }, ':n': { N: '1' } } };
  t.match(await d.fail('Query', { TableName: 'events' }), { message: 'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.' });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p OR sk = :n' }), { message: 'Invalid operator used in KeyConditionExpression: OR' });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'sk = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }), { message: 'Query condition missed key schema element: pk' });
  t.match(await d.fail('Query', { TableName: 'events', KeyConditionExpression: 'pk = :p AND sk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } }), { message: 'One or more parameter values were invalid: Condition parameter type does not match schema type' });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p AND sk = :n AND pk = :p' }), { message: 'KeyConditionExpressions must only contain one condition per key' });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p AND sk = :n', FilterExpression: 'sk > :n' }), {
    message: 'Filter Expression can only contain non-primary key attributes: Primary key attribute: sk',
  });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p AND sk = :n', IndexName: 'nope' }), { message: 'The table does not have the specified index: nope' });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p AND sk > :n', ExclusiveStartKey: { pk: { S: 'p' }, sk: { N: '0' } } }), {
    message: 'The provided starting key does not match the range key predicate',
  });
  t.match(await d.fail('Query', { TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, ExclusiveStartKey: { pk: { S: 'q' }, sk: { N: '0' } } }), {
    message: 'The provided starting key is outside query boundaries based on provided conditions',
  });
  t.match(await d.fail('Query', { ...base, KeyConditionExpression: 'pk = :p AND sk = :n', Limit: 0 }), {
    message: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
  });
});

t.test('string and binary sort keys order bytewise', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable('strs', 'S'));
  await d.call('CreateTable', rangeTable('bins', 'B'));
  const strs = ['', 'A', 'B', 'a', 'a\u0000', 'ab', 'é', '\u{1F600}', '\uFF21'].filter((s) => s !== '');
  for (const s of strs) await d.call('PutItem', { TableName: 'strs', Item: { pk: { S: 'k' }, sk: { S: s } } });
  const out = await d.call('Query', { TableName: 'strs', KeyConditionExpression: 'pk = :k', ExpressionAttributeValues: { ':k': { S: 'k' } } });
  const want = [...strs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.same(out.Items.map((i: { sk: { S: string } }) => i.sk.S), want, 'UTF-8 byte order (astral before U+FF21)');
  const bw = await d.call('Query', { TableName: 'strs', KeyConditionExpression: 'pk = :k AND begins_with(sk, :a)', ExpressionAttributeValues: { ':k': { S: 'k' }, ':a': { S: 'a' } } });
  t.same(bw.Items.map((i: { sk: { S: string } }) => i.sk.S), ['a', 'a\u0000', 'ab']);
  const bins = [[0], [0, 0], [0, 1], [1], [255], [255, 0]].map((b) => Buffer.from(b));
  for (const b of [...bins].reverse()) await d.call('PutItem', { TableName: 'bins', Item: { pk: { S: 'k' }, sk: { B: b.toString('base64') } } });
  const bo = await d.call('Query', { TableName: 'bins', KeyConditionExpression: 'pk = :k', ExpressionAttributeValues: { ':k': { S: 'k' } }, ScanIndexForward: false });
  t.same(
    bo.Items.map((i: { sk: { B: string } }) => [...Buffer.from(i.sk.B, 'base64')]),
    [...bins].reverse().map((b) => [...b]),
  );
  const bwb = await d.call('Query', {
    TableName: 'bins',
    KeyConditionExpression: 'pk = :k AND begins_with(sk, :b)',
    ExpressionAttributeValues: { ':k': { S: 'k' }, ':b': { B: 'AA==' } },
    ScanIndexForward: false,
  });
  t.same(bwb.Items.map((i: { sk: { B: string } }) => [...Buffer.from(i.sk.B, 'base64')]), [[0, 1], [0, 0], [0]]);
});

t.test('secondary indexes', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', {
    TableName: 'orders',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'total', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      { IndexName: 'byTotal', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'total', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byStatus',
        KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'total', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const put = (sk: string, status: string | undefined, total: string, note = 'n') =>
    d.call('PutItem', { TableName: 'orders', Item: { pk: { S: 'c1' }, sk: { S: sk }, total: { N: total }, note: { S: note }, extra: { S: 'x' }, ...(status ? { status: { S: status } } : {}) } });
  await put('o1', 'open', '30');
  await put('o2', 'open', '10');
  await put('o3', 'closed', '20');
  await put('o4', undefined, '5');
  const icm = await d.call('PutItem', { TableName: 'orders', Item: { pk: { S: 'c1' }, sk: { S: 'o9' } }, ReturnItemCollectionMetrics: 'SIZE' });
  t.same(icm.ItemCollectionMetrics, { ItemCollectionKey: { pk: { S: 'c1' } }, SizeEstimateRangeGB: [0, 1] });
  await d.call('DeleteItem', { TableName: 'orders', Key: { pk: { S: 'c1' }, sk: { S: 'o9' } } });
  t.match(await d.fail('PutItem', { TableName: 'orders', Item: { pk: { S: 'c1' }, sk: { S: 'bad' }, status: { N: '1' } } }), {
    message: 'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus',
  });
  const q = await d.call('Query', {
    TableName: 'orders',
    IndexName: 'byStatus',
    KeyConditionExpression: '#s = :o',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':o': { S: 'open' } },
  });
  t.same(q.Items, [
    { pk: { S: 'c1' }, sk: { S: 'o2' }, status: { S: 'open' }, total: { N: '10' }, note: { S: 'n' } },
    { pk: { S: 'c1' }, sk: { S: 'o1' }, status: { S: 'open' }, total: { N: '30' }, note: { S: 'n' } },
  ]);
  t.same(Object.keys(q.LastEvaluatedKey ?? {}), [], 'no more pages');
  const cc = await d.call('Query', {
    TableName: 'orders',
    IndexName: 'byStatus',
    KeyConditionExpression: '#s = :o',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':o': { S: 'open' } },
    ReturnConsumedCapacity: 'INDEXES',
  });
  t.same(cc.ConsumedCapacity, { TableName: 'orders', CapacityUnits: 0.5, ReadCapacityUnits: 0.5, GlobalSecondaryIndexes: { byStatus: { CapacityUnits: 0.5, ReadCapacityUnits: 0.5 } } });
  const page = await d.call('Query', {
    TableName: 'orders',
    IndexName: 'byStatus',
    KeyConditionExpression: '#s = :o',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':o': { S: 'open' } },
    Limit: 1,
  });
  t.same(page.LastEvaluatedKey, { pk: { S: 'c1' }, sk: { S: 'o2' }, status: { S: 'open' }, total: { N: '10' } });
  const lsi = await d.call('Query', { TableName: 'orders', IndexName: 'byTotal', KeyConditionExpression: 'pk = :c AND #t >= :t', ExpressionAttributeNames: { '#t': 'total' }, ExpressionAttributeValues: { ':c': { S: 'c1' }, ':t': { N: '10' } } });
  t.same(lsi.Items.map((i: { sk: { S: string } }) => i.sk.S), ['o2', 'o3', 'o1']);
  t.same(Object.keys(lsi.Items[0]).sort(), ['pk', 'sk', 'total'], 'KEYS_ONLY projection');
  const lsiAll = await d.call('Query', { TableName: 'orders', IndexName: 'byTotal', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: 'pk = :c', ExpressionAttributeValues: { ':c': { S: 'c1' } } });
  t.equal(lsiAll.Items[0].extra.S, 'x', 'LSI fetches from the table');
  t.match(await d.fail('Query', { TableName: 'orders', IndexName: 'byStatus', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: '#s = :o', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':o': { S: 'open' } } }), {
    message: 'One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus because its projection type is not ALL',
  });
  // update moves the item between index partitions; delete removes it
  await d.call('UpdateItem', { TableName: 'orders', Key: { pk: { S: 'c1' }, sk: { S: 'o1' } }, UpdateExpression: 'SET #s = :c', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':c': { S: 'closed' } } });
  await d.call('DeleteItem', { TableName: 'orders', Key: { pk: { S: 'c1' }, sk: { S: 'o3' } } });
  const closed = await d.call('Query', { TableName: 'orders', IndexName: 'byStatus', KeyConditionExpression: '#s = :c', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':c': { S: 'closed' } } });
  t.same(closed.Items.map((i: { sk: { S: string } }) => i.sk.S), ['o1']);
  const scan = await d.call('Scan', { TableName: 'orders', IndexName: 'byStatus' });
  t.equal(scan.Count, 2, 'sparse index: items without the key are absent');
  const desc = await d.call('DescribeTable', { TableName: 'orders' });
  t.equal(desc.Table.ItemCount, 3);
  t.equal(desc.Table.GlobalSecondaryIndexes[0].ItemCount, 2);
  t.equal(desc.Table.LocalSecondaryIndexes[0].ItemCount, 3);
});

t.test('scan segments cover the table once', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  for (let i = 0; i < 60; i++) await d.call('PutItem', { TableName: 'events', Item: { pk: { S: `p${i % 20}` }, sk: { N: String(i) } } });
  const seen: string[] = [];
  for (let s = 0; s < 4; s++) {
    let esk: unknown;
    do {
      const r = await d.call('Scan', { TableName: 'events', Segment: s, TotalSegments: 4, Limit: 7, ...(esk ? { ExclusiveStartKey: esk } : {}) });
      for (const it of r.Items) seen.push(it.sk.N);
      esk = r.LastEvaluatedKey;
    } while (esk);
  }
  t.equal(seen.length, 60);
  t.equal(new Set(seen).size, 60);
  const f = await d.call('Scan', { TableName: 'events', ScanFilter: { sk: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '10' }, { N: '19' }] } } });
  t.equal(f.Count, 10);
  t.equal(f.ScannedCount, 60);
  t.match(await d.fail('Scan', { TableName: 'events', Segment: 4, TotalSegments: 4 }), {
    message: 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4',
  });
});
