// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Transaction conflicts under contention, as DynamoDB gives them: a write transaction in progress
 * on an item makes PutItem/UpdateItem/DeleteItem on it fail with TransactionConflictException and
 * cancels another write transaction (TransactionConflict for that item, None for the others), and
 * a TransactGetItems on an item being written is cancelled the same way. Whatever was refused
 * left nothing behind; whatever succeeded is all there.
 */
import t from 'tap';
import { AwsError } from '../../src/errors.js';
import { ddb, hashTable } from './helpers.js';

const incr = (id: string) => ({ Update: { TableName: 'ctr', Key: { id: { S: id } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } });

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return e.code === 'TransactionCanceledException' ? `${e.code} ${JSON.stringify(e.fields!.CancellationReasons)}` : `${e.code}: ${e.message}`;
  }
}

t.test('a write transaction in progress holds its items', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('ctr'));
  // started together: the first holds a and b while the backend commits it
  const first = d.call('TransactWriteItems', { TransactItems: [incr('a'), incr('b')] });
  await new Promise((r) => setImmediate(r));
  const [second, put, get] = await Promise.all([
    outcome(d.call('TransactWriteItems', { TransactItems: [incr('x'), incr('b')] })),
    outcome(d.call('PutItem', { TableName: 'ctr', Item: { id: { S: 'a' }, n: { N: '100' } } })),
    outcome(d.call('TransactGetItems', { TransactItems: [{ Get: { TableName: 'ctr', Key: { id: { S: 'z' } } } }, { Get: { TableName: 'ctr', Key: { id: { S: 'a' } } } }] })),
  ]);
  await first;
  t.equal(second, 'TransactionCanceledException [{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]');
  t.equal(put, 'TransactionConflictException: Transaction is ongoing for the item');
  t.equal(get, 'TransactionCanceledException [{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]');
  const items = await d.call('Scan', { TableName: 'ctr' });
  t.same(items.Items.map((i: { id: { S: string }; n: { N: string } }) => [i.id.S, i.n.N]).sort(), [['a', '1'], ['b', '1']], 'only the first transaction wrote; the refused ones left nothing');
  t.equal(await outcome(d.call('TransactWriteItems', { TransactItems: [incr('x'), incr('b')] })), 'ok', 'once it committed, the items are free');
});

t.test('contention: every increment either counted or refused, none lost', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('ctr'));
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome(d.call('TransactWriteItems', { TransactItems: [incr('hot'), incr(`own-${i}`)] }))));
  const ok = results.filter((r) => r === 'ok').length;
  t.ok(ok >= 1, `${ok} of 40 committed`);
  t.ok(results.every((r) => r === 'ok' || r.includes('TransactionConflict')), 'the others were cancelled for the conflict');
  const hot = await d.call('GetItem', { TableName: 'ctr', Key: { id: { S: 'hot' } } });
  t.equal(hot.Item.n.N, String(ok), 'the hot counter counts exactly the committed transactions');
  const own = await d.call('Scan', { TableName: 'ctr', FilterExpression: 'begins_with(id, :p)', ExpressionAttributeValues: { ':p': { S: 'own-' } } });
  t.equal(own.Count, ok, 'and each committed transaction wrote its own item, the cancelled ones none');
});

t.test('batch writes wait for a transaction instead of failing', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('ctr'));
  const tx = d.call('TransactWriteItems', { TransactItems: [incr('a')] });
  await new Promise((r) => setImmediate(r));
  const batch = await outcome(d.call('BatchWriteItem', { RequestItems: { ctr: [{ PutRequest: { Item: { id: { S: 'a' }, n: { N: '7' } } } }] } }));
  await tx;
  t.equal(batch, 'ok');
});
