// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, hashTable } from './helpers.js';

t.test('transact write: all or nothing, reasons in order', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable('acct'));
  await d.call('PutItem', { TableName: 'acct', Item: { id: { S: 'a' }, bal: { N: '10' } } });
  await d.call('PutItem', { TableName: 'acct', Item: { id: { S: 'b' }, bal: { N: '0' } } });
  const transfer = (amount: string, token?: string) => ({
    ...(token ? { ClientRequestToken: token } : {}),
    TransactItems: [
      {
        Update: {
          TableName: 'acct',
          Key: { id: { S: 'a' } },
          UpdateExpression: 'SET bal = bal - :x',
          ConditionExpression: 'bal >= :x',
          ExpressionAttributeValues: { ':x': { N: amount } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Update: { TableName: 'acct', Key: { id: { S: 'b' } }, UpdateExpression: 'SET bal = bal + :x', ExpressionAttributeValues: { ':x': { N: amount } } } },
      { Put: { TableName: 'acct', Item: { id: { S: `log-${amount}` } }, ConditionExpression: 'attribute_not_exists(id)' } },
    ],
  });
  t.same(await d.call('TransactWriteItems', transfer('4', 'tok-1')), {});
  t.same(await d.call('TransactWriteItems', transfer('4', 'tok-1')), {}, 'same token: not applied twice');
  const bal = async (id: string) => (await d.call('GetItem', { TableName: 'acct', Key: { id: { S: id } } })).Item.bal.N;
  t.equal(await bal('a'), '6');
  t.equal(await bal('b'), '4');
  const mismatch = await d.fail('TransactWriteItems', transfer('1', 'tok-1'));
  t.match(mismatch, { code: 'IdempotentParameterMismatchException' });
  d.clock.advance(11 * 60 * 1000);
  const e = await d.fail('TransactWriteItems', transfer('4'));
  t.match(e, { code: 'TransactionCanceledException', message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed]' });
  t.same(e.fields!.CancellationReasons, [{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }]);
  const e2 = await d.fail('TransactWriteItems', transfer('7'));
  t.same((e2.fields!.CancellationReasons as Array<{ Code: string; Item?: unknown }>)[0], {
    Code: 'ConditionalCheckFailed',
    Message: 'The conditional request failed',
    Item: { id: { S: 'a' }, bal: { N: '6' } },
  });
  t.equal(await bal('a'), '6', 'nothing applied');
  t.equal(await bal('b'), '4');
  t.match(
    await d.fail('TransactWriteItems', {
      TransactItems: [
        { ConditionCheck: { TableName: 'acct', Key: { id: { S: 'a' } }, ConditionExpression: 'attribute_exists(id)' } },
        { Delete: { TableName: 'acct', Key: { id: { S: 'a' } } } },
      ],
    }),
    { message: 'Transaction request cannot include multiple operations on one item' },
  );
  const got = await d.call('TransactGetItems', {
    TransactItems: [{ Get: { TableName: 'acct', Key: { id: { S: 'a' } }, ProjectionExpression: 'bal' } }, { Get: { TableName: 'acct', Key: { id: { S: 'zz' } } } }],
  });
  t.same(got, { Responses: [{ Item: { bal: { N: '6' } } }, {}] });
});
