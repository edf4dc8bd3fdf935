// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Load balancing on the Alternator translator against three stand-in nodes: the nodes are
 * discovered from one seed (/localnodes), requests are spread over them, a node refusing
 * connections or answering 500 is taken out and health-checked back in, and only requests that
 * are safe to repeat are retried on another node.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import { alternatorConfig, startTestGateway } from '../harness.js';
import { startAlternatorShim } from '../../test/fakes/alternator/shim.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 10 s) for the health checks to put every node back. */
async function allLive(svc: { health?: () => unknown }): Promise<string> {
  let state = '';
  for (let i = 0; i < 100; i++) {
    state = ((await svc.health!()) as { state: string }).state;
    if (state === 'ok') break;
    await sleep(100);
  }
  return state;
}

t.test('discovery, spreading, failover, safe retries', async (t) => {
  const shim = await startAlternatorShim();
  t.teardown(() => shim.close());
  // a long transaction lease keeps the background heartbeat and recovery out of the node counts
  const gw = await startTestGateway(t, { config: alternatorConfig(shim, { txLeaseMs: 600_000 }) });
  const svc = gw.running.gateway.services.get('dynamodb')!;
  const client = new ddb.DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => client.destroy());
  await client.send(new ddb.CreateTableCommand({ TableName: 'lbt', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  t.same(await svc.health!(), { backend: 'alternator', state: 'ok', detail: '3/3 nodes live' }, 'three nodes found from one seed');

  const before = new Map(shim.served);
  for (let i = 0; i < 30; i++) await client.send(new ddb.GetItemCommand({ TableName: 'lbt', Key: { pk: { S: `k${i}` } } }));
  for (const a of shim.addresses) t.ok((shim.served.get(a) ?? 0) - (before.get(a) ?? 0) >= 5, `node ${a} served its share`);

  // a node refusing connections: nothing fails, it is taken out
  await shim.setMode('127.0.0.2', 'refuse');
  for (let i = 0; i < 6; i++) await client.send(new ddb.PutItemCommand({ TableName: 'lbt', Item: { pk: { S: `r${i}` } } }));
  t.same(await svc.health!(), { backend: 'alternator', state: 'degraded', detail: '2/3 nodes live' }, 'refusing node taken out');
  await shim.setMode('127.0.0.2', 'ok');
  t.equal(await allLive(svc), 'ok', 'health check put it back');

  // a node answering 500: reads and conditional writes go to another node; an unconditional
  // write is not repeated (it may have been applied) and the client sees the 500
  await shim.setMode('127.0.0.3', '500');
  for (let i = 0; i < 6; i++) await client.send(new ddb.GetItemCommand({ TableName: 'lbt', Key: { pk: { S: 'r0' } } }));
  t.equal((await svc.health!()).state, 'degraded', 'failing node taken out by a read');
  await shim.setMode('127.0.0.3', 'ok');
  t.equal(await allLive(svc), 'ok');
  await shim.setMode('127.0.0.3', '500');
  for (let i = 0; i < 3; i++) await client.send(new ddb.PutItemCommand({ TableName: 'lbt', Item: { pk: { S: `c${i}` } }, ConditionExpression: 'attribute_not_exists(pk)' }));
  t.pass('conditional writes retried elsewhere');
  await shim.setMode('127.0.0.3', 'ok');
  t.equal(await allLive(svc), 'ok');
  await shim.setMode('127.0.0.3', '500');
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      await client.send(new ddb.PutItemCommand({ TableName: 'lbt', Item: { pk: { S: `u${i}` } } }));
      outcomes.push('ok');
    } catch (e: any) {
      outcomes.push(`${e.name} ${e.$metadata?.httpStatusCode}`);
    }
  }
  t.same(outcomes.filter((o) => o !== 'ok'), ['InternalServerError 500'], 'exactly the write that met the failing node failed, and was not repeated');
  await shim.setMode('127.0.0.3', 'ok');

  // every node down: DynamoDB's 503
  for (const a of shim.addresses) await shim.setMode(a, 'refuse');
  try {
    await client.send(new ddb.GetItemCommand({ TableName: 'lbt', Key: { pk: { S: 'r0' } } }));
    t.fail('expected a failure');
  } catch (e: any) {
    t.equal(e.$metadata?.httpStatusCode, 503);
  }
  t.equal((await svc.health!()).state, 'down');
  for (const a of shim.addresses) await shim.setMode(a, 'ok');
});
