// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, hashTable } from './helpers.js';

t.test('batch write and get', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('aa1'));
  await d.call('CreateTable', hashTable('aa2'));
  const puts = Array.from({ length: 20 }, (_, i) => ({ PutRequest: { Item: { id: { S: `k${i}` }, n: { N: String(i) } } } }));
  t.same(await d.call('BatchWriteItem', { RequestItems: { aa1: puts, aa2: [{ PutRequest: { Item: { id: { S: 'x' } } } }] } }), { UnprocessedItems: {} });
  await d.call('BatchWriteItem', { RequestItems: { aa1: [{ DeleteRequest: { Key: { id: { S: 'k0' } } } }] } });
  const got = await d.call('BatchGetItem', {
    RequestItems: { aa1: { Keys: [{ id: { S: 'k0' } }, { id: { S: 'k1' } }, { id: { S: 'k2' } }], ProjectionExpression: 'n' }, aa2: { Keys: [{ id: { S: 'x' } }] } },
    ReturnConsumedCapacity: 'TOTAL',
  });
  t.same(got.Responses.aa1.map((i: { n: { N: string } }) => i.n.N).sort(), ['1', '2']);
  t.same(got.Responses.aa2, [{ id: { S: 'x' } }]);
  t.same(got.UnprocessedKeys, {});
  t.same(got.ConsumedCapacity, [
    { TableName: 'aa1', CapacityUnits: 1.5, ReadCapacityUnits: 1.5 },
    { TableName: 'aa2', CapacityUnits: 0.5, ReadCapacityUnits: 0.5 },
  ]);
  const many = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: { S: `m${i}` } } } }));
  t.match(await d.fail('BatchWriteItem', { RequestItems: { aa1: many } }), { message: /Member must have length less than or equal to 25/ });
  t.match(await d.fail('BatchWriteItem', { RequestItems: { aa1: puts, aa2: puts.slice(0, 6) } }), { message: 'Too many items requested for the BatchWriteItem call' });
  t.match(await d.fail('BatchWriteItem', { RequestItems: { aa1: [puts[1], puts[1]] } }), { message: 'Provided list of item keys contains duplicates' });
  t.match(await d.fail('BatchGetItem', { RequestItems: { aa1: { Keys: [{ id: { S: 'k1' } }, { id: { S: 'k1' } }] } } }), { message: 'Provided list of item keys contains duplicates' });
  t.match(await d.fail('BatchGetItem', { RequestItems: { nope: { Keys: [{ id: { S: 'k1' } }] } } }), { code: 'ResourceNotFoundException' });
});

t.test('BatchGetItem stops at 16 MB and returns the rest as UnprocessedKeys', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('big'));
  const blob = 'x'.repeat(390 * 1024);
  for (let i = 0; i < 45; i++) await d.call('PutItem', { TableName: 'big', Item: { id: { S: `k${String(i).padStart(2, '0')}` }, blob: { S: blob } } });
  const keys = Array.from({ length: 45 }, (_, i) => ({ id: { S: `k${String(i).padStart(2, '0')}` } }));
  const r = await d.call('BatchGetItem', { RequestItems: { big: { Keys: keys, ConsistentRead: true } } });
  const got = r.Responses.big.length;
  t.ok(got >= 42 && got < 45, `${got} items fit in 16 MB`);
  t.equal(r.UnprocessedKeys.big.Keys.length, 45 - got);
  t.equal(r.UnprocessedKeys.big.ConsistentRead, true, 'request options kept for the retry');
  const again = await d.call('BatchGetItem', { RequestItems: r.UnprocessedKeys });
  t.equal(again.Responses.big.length, 45 - got);
  t.same(again.UnprocessedKeys, {});
});
