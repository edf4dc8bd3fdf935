// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The transaction log's recovery, driven directly: records left by a dead gateway (no heartbeat)
 * are rolled forward when COMMITTED and undone when PENDING; a live gateway's are left alone.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import { AlternatorClient } from '../../translators/alternator/client.js';
import { parseAlternatorConfig } from '../../translators/alternator/config.js';
import { NodePool } from '../../translators/alternator/nodes.js';
import { TxManager } from '../../translators/alternator/txn.js';
import { silentLogger } from '../../src/log.js';
import { startAlternatorShim } from '../fakes/alternator/shim.js';

t.test('recovery of a dead gateway\'s transactions', async (t) => {
  const shim = await startAlternatorShim({ nodes: 1 });
  t.teardown(() => shim.close());
  const cfg = parseAlternatorConfig({ endpoints: shim.endpoints, accessKeyId: shim.accessKeyId, secretAccessKey: shim.secretAccessKey, txLeaseMs: 200 }, 'us-east-1');
  const nodes = new NodePool(cfg, silentLogger);
  t.teardown(() => nodes.close());
  const client = new AlternatorClient(cfg, nodes, silentLogger);
  const tx = new TxManager(client, cfg, (tb) => tb.name, silentLogger);
  t.teardown(() => tx.stop());
  await client.call('CreateTable', { TableName: 'items', KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }, false);
  await tx.start();
  tx.stop(); // no background recovery: this test runs it
  const put = (item: any) => client.call('PutItem', { TableName: 'mcgw_tx', Item: item }, false);
  const get = async (k: string) => ((await client.call<any>('GetItem', { TableName: 'items', Key: { k: { S: k } }, ConsistentRead: true }, true)).Item);
  const now = String(Date.now());
  // a dead gateway "dead1" (no heartbeat) left: one committed transaction half applied, one pending
  await put({ pk: { S: 'T#c1' }, state: { S: 'COMMITTED' }, gw: { S: 'dead1' }, at: { N: now }, locks: { L: [{ S: 'L#1' }, { S: 'L#2' }] }, writes: { S: JSON.stringify([{ t: 'items', k: { k: { S: 'x' } }, i: { k: { S: 'x' }, v: { N: '1' } } }, { t: 'items', k: { k: { S: 'y' } }, i: null }]) } });
  await put({ pk: { S: 'L#1' }, owner: { S: 'c1' }, gw: { S: 'dead1' }, at: { N: now } });
  await put({ pk: { S: 'L#2' }, owner: { S: 'c1' }, gw: { S: 'dead1' }, at: { N: now } });
  await client.call('PutItem', { TableName: 'items', Item: { k: { S: 'y' }, v: { N: '0' } } }, false);
  await put({ pk: { S: 'T#p1' }, state: { S: 'PENDING' }, gw: { S: 'dead1' }, at: { N: now }, locks: { L: [{ S: 'L#3' }] } });
  await put({ pk: { S: 'L#3' }, owner: { S: 'p1' }, gw: { S: 'dead1' }, at: { N: now } });
  // a live gateway's pending transaction
  await put({ pk: { S: 'G#live1' }, at: { N: String(Date.now() + 60_000) } });
  await put({ pk: { S: 'T#p2' }, state: { S: 'PENDING' }, gw: { S: 'live1' }, at: { N: now }, locks: { L: [{ S: 'L#4' }] } });
  await put({ pk: { S: 'L#4' }, owner: { S: 'p2' }, gw: { S: 'live1' }, at: { N: now } });

  t.equal(await tx.recover(), 2, 'two transactions of the dead gateway handled');
  t.same(await get('x'), { k: { S: 'x' }, v: { N: '1' } }, 'committed image written');
  t.equal(await get('y'), undefined, 'committed delete applied');
  const left = ((await client.call<any>('Scan', { TableName: 'mcgw_tx', ConsistentRead: true }, true)).Items as any[]).map((i) => i.pk.S).filter((k: string) => !k.startsWith('G#')).sort();
  t.same(left, ['L#4', 'T#p2'], "only the live gateway's transaction remains");
});
