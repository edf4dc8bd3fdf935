// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ddb, hashTable, rangeTable } from './helpers.js';

t.test('put, get, delete with return values', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable());
  t.same(await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, n: { N: '01.50' }, e: { S: '' } } }), {});
  const got = await d.call('GetItem', { TableName: 'items', Key: { id: { S: 'a' } } });
  t.same(got.Item, { id: { S: 'a' }, n: { N: '1.5' }, e: { S: '' } }, 'number canonical, empty string kept');
  const put = await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, v: { N: '2' } }, ReturnValues: 'ALL_OLD' });
  t.same(put.Attributes, { id: { S: 'a' }, n: { N: '1.5' }, e: { S: '' } });
  t.same(await d.call('GetItem', { TableName: 'items', Key: { id: { S: 'missing' } } }), {});
  const del = await d.call('DeleteItem', { TableName: 'items', Key: { id: { S: 'a' } }, ReturnValues: 'ALL_OLD' });
  t.same(del.Attributes, { id: { S: 'a' }, v: { N: '2' } });
  t.same(await d.call('GetItem', { TableName: 'items', Key: { id: { S: 'a' } } }), {});
});

t.test('key and table errors', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable());
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { x: { S: '1' } } }), { code: 'ValidationException', message: 'One or more parameter values were invalid: Missing the key id in the item' });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { N: '1' } } }), { message: 'One or more parameter values were invalid: Type mismatch for key id expected: S actual: N' });
  t.match(await d.fail('GetItem', { TableName: 'items', Key: { id: { S: 'a' }, x: { S: 'b' } } }), { message: 'The provided key element does not match the schema' });
  t.match(await d.fail('GetItem', { TableName: 'items', Key: { id: { S: '' } } }), {
    message: 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id',
  });
  t.match(await d.fail('GetItem', { TableName: 'nope', Key: { id: { S: 'a' } } }), { code: 'ResourceNotFoundException', message: 'Requested resource not found' });
  t.match(await d.fail('GetItem', { TableName: 'x', Key: { id: { S: 'a' } } }), {
    message: "1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
  });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'a' } }, ReturnValues: 'ALL_NEW' }), { message: 'ReturnValues can only be ALL_OLD or NONE' });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, big: { S: 'x'.repeat(400 * 1024) } } }), { message: 'Item size has exceeded the maximum allowed size' });
});

t.test('conditions', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable());
  const put = (extra: Record<string, unknown>) => d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, v: { N: '1' } }, ...extra });
  await put({ ConditionExpression: 'attribute_not_exists(id)' });
  const e = await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
  t.match(e, { code: 'ConditionalCheckFailedException', message: 'The conditional request failed' });
  t.same(e.fields, { Item: { id: { S: 'a' }, v: { N: '1' } } });
  await put({ ConditionExpression: 'v = :one AND NOT contains(#n, :x)', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':one': { N: '1.0' }, ':x': { S: 'q' } } });
  t.match(await d.fail('DeleteItem', { TableName: 'items', Key: { id: { S: 'a' } }, ConditionExpression: 'v > :v', ExpressionAttributeValues: { ':v': { N: '5' } } }), {
    code: 'ConditionalCheckFailedException',
  });
  await d.call('DeleteItem', { TableName: 'items', Key: { id: { S: 'a' } }, ConditionExpression: 'v BETWEEN :a AND :b', ExpressionAttributeValues: { ':a': { N: '0' }, ':b': { N: '1' } } });
  // legacy Expected
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'b' }, s: { S: 'x' } }, Expected: { id: { Exists: false } } });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'b' } }, Expected: { s: { Value: { S: 'y' } } } }), { code: 'ConditionalCheckFailedException' });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'b' } }, Expected: { s: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [{ S: 'x' }] } } });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'b' } }, Expected: { s: { Exists: true } } }), {
    message: 'One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: s',
  });
  t.match(await d.fail('PutItem', { TableName: 'items', Item: { id: { S: 'b' } }, Expected: { s: { Exists: false } }, ConditionExpression: 'attribute_exists(s)' }), {
    message: 'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}',
  });
});

t.test('expression attribute checks', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable());
  const base = { TableName: 'items', Item: { id: { S: 'a' } } };
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'attribute_exists(id)', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'attribute_exists(id)', ExpressionAttributeNames: { '#a': 'a' } }), {
    message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = :v', ExpressionAttributeValues: { x: { S: 'x' } } }), {
    message: 'ExpressionAttributeValues contains invalid key: Syntax error; key: "x"',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = :v', ExpressionAttributeValues: { ':v': { SS: [] } } }), {
    message: 'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = :v', ExpressionAttributeValues: { ':v': { S: 1 } } }), { code: 'SerializationException' });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = :v' }), {
    message: 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: '#a = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #a',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a =', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'foo(a)' }), { message: 'Invalid ConditionExpression: Invalid function name; function: foo' });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: '' }), { message: 'Invalid ConditionExpression: The expression can not be empty;' });
  const long = Array.from({ length: 600 }, (_, i) => `a${i}`).join(' OR ');
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: long }), { message: /^Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: \d+$/ });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a = a' }), {
    message: 'Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'size(a)' }), {
    message: 'Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'begins_with(a, :n)', ExpressionAttributeValues: { ':n': { N: '1' } } }), {
    message: 'Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
  });
  t.match(await d.fail('PutItem', { ...base, ConditionExpression: 'a BETWEEN :b AND :a', ExpressionAttributeValues: { ':a': { N: '1' }, ':b': { N: '2' } } }), {
    message: 'Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}',
  });
  t.match(await d.fail('GetItem', { TableName: 'items', Key: { id: { S: 'a' } }, ProjectionExpression: 'a, a.b' }), {
    message: 'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
  });
});

t.test('update expressions', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', hashTable());
  const key = { id: { S: 'u' } };
  const upd = (expr: string, values?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    d.call('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: expr, ...(values ? { ExpressionAttributeValues: values } : {}), ReturnValues: 'ALL_NEW', ...extra });
  let r = await upd('SET n = :z, l = :l, m = :m, s = :s', { ':z': { N: '0' }, ':l': { L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }] }, ':m': { M: { x: { N: '1' } } }, ':s': { SS: ['a', 'b'] } });
  t.same(r.Attributes.n, { N: '0' });
  r = await upd('SET n = n + :one, m.y = if_not_exists(m.y, :one), l = list_append(l, :more) ADD s :t, c :one', {
    ':one': { N: '1' },
    ':more': { L: [{ S: 'd' }] },
    ':t': { SS: ['b', 'c'] },
  });
  t.same(r.Attributes.n, { N: '1' });
  t.same(r.Attributes.m, { M: { x: { N: '1' }, y: { N: '1' } } });
  t.same(r.Attributes.l.L.map((x: { S: string }) => x.S), ['a', 'b', 'c', 'd']);
  t.same(r.Attributes.s.SS.sort(), ['a', 'b', 'c']);
  t.same(r.Attributes.c, { N: '1' });
  r = await upd('REMOVE l[1], l[2], m.x DELETE s :d', { ':d': { SS: ['a', 'b', 'c'] } });
  t.same(r.Attributes.l.L.map((x: { S: string }) => x.S), ['a', 'd']);
  t.same(r.Attributes.m, { M: { y: { N: '1' } } });
  t.notOk(r.Attributes.s, 'emptied set removed');
  r = await upd('SET n = n - :v', { ':v': { N: '0.5' } }, { ReturnValues: 'UPDATED_OLD' });
  t.same(r.Attributes, { n: { N: '1' } });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'SET id = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }), {
    message: 'One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'SET a = nothere + :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), {
    message: 'The provided expression refers to an attribute that does not exist in the item',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'SET zz.a = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), {
    message: 'The document path provided in the update expression is invalid for update',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'ADD m :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), {
    message: 'An operand in the update expression has an incorrect data type',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'ADD x :v', ExpressionAttributeValues: { ':v': { S: '1' } } }), {
    message: 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'SET a = :v SET b = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), {
    message: 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
  });
  t.match(await d.fail('UpdateItem', { TableName: 'items', Key: key, UpdateExpression: 'SET a = :v, a.b = :v', ExpressionAttributeValues: { ':v': { N: '1' } } }), {
    message: 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
  });
  // upsert through legacy AttributeUpdates
  const legacy = await d.call('UpdateItem', {
    TableName: 'items',
    Key: { id: { S: 'new' } },
    AttributeUpdates: { cnt: { Action: 'ADD', Value: { N: '2' } }, name: { Value: { S: 'n' } } },
    ReturnValues: 'ALL_NEW',
  });
  t.same(legacy.Attributes, { id: { S: 'new' }, cnt: { N: '2' }, name: { S: 'n' } });
});

t.test('projection expressions', async (t) => {
  const d = await ddb(t);
  await d.call('CreateTable', rangeTable());
  await d.call('PutItem', { TableName: 'events', Item: { pk: { S: 'p' }, sk: { N: '1' }, a: { M: { b: { L: [{ S: '0' }, { S: '1' }, { M: { c: { S: 'x' }, d: { S: 'y' } } }] }, e: { S: 'e' } } }, f: { S: 'f' } } });
  const r = await d.call('GetItem', { TableName: 'events', Key: { pk: { S: 'p' }, sk: { N: '1' } }, ProjectionExpression: 'a.b[2].c, #f, a.b[0], nope', ExpressionAttributeNames: { '#f': 'f' } });
  t.same(r.Item, { a: { M: { b: { L: [{ S: '0' }, { M: { c: { S: 'x' } } }] } } }, f: { S: 'f' } });
  const old = await d.call('GetItem', { TableName: 'events', Key: { pk: { S: 'p' }, sk: { N: '1.0' } }, AttributesToGet: ['f', 'pk'] });
  t.same(old.Item, { f: { S: 'f' }, pk: { S: 'p' } });
});

t.test('accounts never see each other\'s tables or items', async (t) => {
  const d = await ddb(t);
  const other = await d.gw.account('other');
  await d.call('CreateTable', hashTable());
  await d.call('CreateTable', hashTable(), other);
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, owner: { S: 'first' } } });
  await d.call('PutItem', { TableName: 'items', Item: { id: { S: 'a' }, owner: { S: 'second' } } }, other);
  t.equal((await d.call('GetItem', { TableName: 'items', Key: { id: { S: 'a' } } })).Item.owner.S, 'first');
  t.equal((await d.call('GetItem', { TableName: 'items', Key: { id: { S: 'a' } } }, other)).Item.owner.S, 'second');
  await d.call('DeleteTable', { TableName: 'items' }, other);
  t.equal((await d.call('Scan', { TableName: 'items' })).Count, 1, 'the other account\'s delete left this table alone');
});
