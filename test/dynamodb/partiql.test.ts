// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, rangeTable } from './helpers.js';

t.test('PartiQL statements', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  const ex = (Statement: string, Parameters?: unknown[], extra: Record<string, unknown> = {}) => d.call('ExecuteStatement', { Statement, ...(Parameters ? { Parameters } : {}), ...extra });
  await ex(`INSERT INTO "events" VALUE {'pk': 'a', 'sk': 1, 'tags': <<'x', 'y'>>, 'm': {'n': [1, 'two', true, null]}}`);
  await ex(`INSERT INTO events VALUE {'pk': ?, 'sk': ?, 'v': ?}`, [{ S: 'a' }, { N: '2' }, { N: '10' }]);
  const dup = await d.fail('ExecuteStatement', { Statement: `INSERT INTO events VALUE {'pk': 'a', 'sk': 1}` });
  t.match(dup, { code: 'DuplicateItemException', message: 'Duplicate primary key exists in table' });
  const all = await ex(`SELECT * FROM "events" WHERE pk = 'a'`);
  t.equal(all.Items.length, 2);
  t.same(all.Items[0].m, { M: { n: { L: [{ N: '1' }, { S: 'two' }, { BOOL: true }, { NULL: true }] } } });
  t.same(all.Items[0].tags, { SS: ['x', 'y'] });
  const some = await ex(`SELECT sk, v FROM events WHERE pk = ? AND v >= 5`, [{ S: 'a' }]);
  t.same(some.Items, [{ sk: { N: '2' }, v: { N: '10' } }]);
  await ex(`UPDATE events SET v = v + 1 SET w = 'x' WHERE pk = 'a' AND sk = 2`);
  t.same((await ex(`SELECT v, w FROM events WHERE pk = 'a' AND sk = 2`)).Items, [{ v: { N: '11' }, w: { S: 'x' } }]);
  t.match(await d.fail('ExecuteStatement', { Statement: `UPDATE events SET v = 1 WHERE pk = 'a' AND sk = 99` }), { code: 'ConditionalCheckFailedException' });
  t.match(await d.fail('ExecuteStatement', { Statement: `UPDATE events SET v = 1 WHERE pk = 'a'` }), { message: 'Where clause does not contain a mandatory equality on all key attributes' });
  t.match(await d.fail('ExecuteStatement', { Statement: `DELETE FROM events WHERE pk = 'a' AND sk = 2 AND v = 0` }), { code: 'ConditionalCheckFailedException' });
  await ex(`DELETE FROM events WHERE pk = 'a' AND sk = 2`);
  t.equal((await ex(`SELECT * FROM events`)).Items.length, 1, 'scan without key');
  t.match(await d.fail('ExecuteStatement', { Statement: `SELEC * FROM events` }), { code: 'ValidationException', message: /^Statement wasn't well formed/ });
  t.match(await d.fail('ExecuteStatement', { Statement: `SELECT * FROM nope` }), { code: 'ResourceNotFoundException' });
  const batch = await d.call('BatchExecuteStatement', {
    Statements: [
      { Statement: `INSERT INTO events VALUE {'pk': 'b', 'sk': 1}` },
      { Statement: `INSERT INTO events VALUE {'pk': 'a', 'sk': 1}` },
      { Statement: `SELECT * FROM events WHERE pk = 'b' AND sk = 1` },
    ],
  });
  t.same(batch.Responses, [
    { TableName: 'events' },
    { TableName: 'events', Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } },
    { TableName: 'events', Item: { pk: { S: 'b' }, sk: { N: '1' } } },
  ]);
});
