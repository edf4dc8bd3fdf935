// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Answers larger than `streamAbove` stream through the Alternator translator: Scan pages untouched,
 * BatchGetItem and ConsumedCapacity through the streaming name rewrite, without x-amz-crc32; small
 * answers are buffered and carry it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import { alternatorConfig, startTestGateway } from '../harness.js';
import { startAlternatorShim } from '../../test/fakes/alternator/shim.js';

t.test('large answers stream, names still mapped', async (t) => {
  const shim = await startAlternatorShim();
  t.teardown(() => shim.close());
  const gw = await startTestGateway(t, { config: alternatorConfig(shim, { streamAbove: 4096 }) });
  const client = new ddb.DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => client.destroy());
  const crcs: Array<string | undefined> = [];
  client.middlewareStack.add((next) => async (args) => {
    const r: any = await next(args);
    crcs.push(r.response.headers['x-amz-crc32']);
    return r;
  }, { step: 'deserialize', name: 'crc-spy' });
  for (const name of ['big1', 'big2']) {
    await client.send(new ddb.CreateTableCommand({ TableName: name, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  }
  const blob = 'x'.repeat(1000);
  const keys: any[] = [];
  for (let i = 0; i < 40; i++) {
    keys.push({ pk: { S: `k${i}` } });
    await client.send(new ddb.BatchWriteItemCommand({ RequestItems: { big1: [{ PutRequest: { Item: { pk: { S: `k${i}` }, blob: { S: blob } } } }], big2: [{ PutRequest: { Item: { pk: { S: `k${i}` }, n: { N: String(i) } } } }] } }));
  }
  crcs.length = 0;
  const small = await client.send(new ddb.GetItemCommand({ TableName: 'big2', Key: { pk: { S: 'k1' } } }));
  t.equal(small.Item?.n?.N, '1');
  t.match(crcs.pop(), /^\d+$/, 'a small answer carries x-amz-crc32');

  const scan = await client.send(new ddb.ScanCommand({ TableName: 'big1' }));
  t.equal(scan.Items?.length, 40);
  t.equal(crcs.pop(), undefined, 'a large Scan page streamed through, no checksum');

  const bg = await client.send(new ddb.BatchGetItemCommand({ RequestItems: { big1: { Keys: keys.slice(0, 30) }, big2: { Keys: keys.slice(0, 30) } }, ReturnConsumedCapacity: 'TOTAL' }));
  t.equal(crcs.pop(), undefined, 'streamed through the name rewrite');
  t.same(Object.keys(bg.Responses ?? {}).sort(), ['big1', 'big2'], 'table names mapped in the streamed answer');
  t.equal(bg.Responses?.big1?.length, 30);
  t.equal(bg.Responses?.big1?.[0]?.blob?.S, blob);
  t.same((bg.ConsumedCapacity ?? []).map((c) => c.TableName).sort(), ['big1', 'big2']);

  const q = await client.send(new ddb.ScanCommand({ TableName: 'big1', ReturnConsumedCapacity: 'TOTAL' }));
  t.equal(q.ConsumedCapacity?.TableName, 'big1', 'ConsumedCapacity of a streamed page mapped');
});
