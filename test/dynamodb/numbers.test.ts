// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { addNumbers, compareNumbers, normalizeNumber } from '../../apis/dynamodb/numbers.js';
import { itemSize, validateValue } from '../../apis/dynamodb/types.js';
import { encodeNumber, escapeTerminated } from '../../translators/embedded/dynamodb/keys.js';

t.test('canonical form', async (t) => {
  t.equal(normalizeNumber('1.50'), '1.5');
  t.equal(normalizeNumber('-0'), '0');
  t.equal(normalizeNumber('1e2'), '100');
  t.equal(normalizeNumber('0001.000'), '1');
  t.equal(normalizeNumber('.5'), '0.5');
  t.equal(normalizeNumber('-12.5E-3'), '-0.0125');
  t.equal(normalizeNumber('+7'), '7');
  t.equal(normalizeNumber('12345678901234567890123456789012345678'), '12345678901234567890123456789012345678');
});

t.test('limits and messages', async (t) => {
  t.throws(() => normalizeNumber('abc'), { code: 'ValidationException', message: 'The parameter cannot be converted to a numeric value: abc' });
  t.throws(() => normalizeNumber(''), { message: 'The parameter cannot be converted to a numeric value' });
  t.throws(() => normalizeNumber('1 '), { message: 'The parameter cannot be converted to a numeric value: 1 ' });
  t.throws(() => normalizeNumber('123456789012345678901234567890123456789'), { message: 'Attempting to store more than 38 significant digits in a Number' });
  t.throws(() => normalizeNumber('1e126'), { message: 'Number overflow. Attempting to store a number with magnitude larger than supported range' });
  t.equal(normalizeNumber('9.9999999999999999999999999999999999999e125').length, 126);
  t.throws(() => normalizeNumber('1e-131'), { message: 'Number underflow. Attempting to store a number with magnitude smaller than supported range' });
  t.equal(normalizeNumber('1e-130'), `0.${'0'.repeat(129)}1`);
});

t.test('exact arithmetic', async (t) => {
  t.equal(addNumbers('0.1', '0.2'), '0.3');
  t.equal(addNumbers('12345678901234567890123456789012345678', '1', true), '12345678901234567890123456789012345677');
  t.equal(addNumbers('5', '7', true), '-2');
  t.equal(addNumbers('-1.5', '1.5'), '0');
});

const ordered = ['-1e125', '-100', '-15', '-1.5', '-1', '-0.5', '-1e-130', '0', '1e-130', '0.5', '1', '1.5', '15', '100', '1e125', '9.9999999999999999999999999999999999999e125'];

t.test('numeric order and its key encoding agree', async (t) => {
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const a = normalizeNumber(ordered[i]!);
      const b = normalizeNumber(ordered[j]!);
      const want = Math.sign(i - j);
      t.equal(Math.sign(compareNumbers(a, b)), want, `${a} vs ${b}`);
      t.equal(Math.sign(Buffer.compare(encodeNumber(a), encodeNumber(b))), want, `bytes ${a} vs ${b}`);
    }
  }
});

t.test('escaped parts keep byte order', async (t) => {
  const vals = [Buffer.from([]), Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([0, 1]), Buffer.from([1]), Buffer.from([1, 0]), Buffer.from([255])];
  for (let i = 0; i < vals.length; i++)
    for (let j = 0; j < vals.length; j++) t.equal(Math.sign(Buffer.compare(escapeTerminated(vals[i]!), escapeTerminated(vals[j]!))), Math.sign(i - j));
});

t.test('attribute value validation', async (t) => {
  t.throws(() => validateValue({}), { message: 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes' });
  t.throws(() => validateValue({ S: 'a', N: '1' }), { message: 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes' });
  t.throws(() => validateValue({ SS: [] }), { message: 'One or more parameter values were invalid: An string set  may not be empty' });
  t.throws(() => validateValue({ SS: ['a', 'a'] }), { message: 'One or more parameter values were invalid: Input collection [a, a] contains duplicates.' });
  t.throws(() => validateValue({ NS: ['1', '1.0'] }), { message: 'Input collection contains duplicates' });
  t.throws(() => validateValue({ NULL: false }), { message: 'One or more parameter values were invalid: Null attribute value types must have the value of true' });
  let deep: Record<string, unknown> = { S: 'x' };
  for (let i = 0; i < 32; i++) deep = { L: [deep] };
  t.throws(() => validateValue(deep), { message: 'Nesting Levels have exceeded supported limits' });
  const v = { M: { n: { N: '01.10' } } };
  validateValue(v);
  t.equal(v.M.n.N, '1.1', 'numbers canonicalised in place');
  t.throws(() => validateValue({ S: 5 } as never), { code: 'SerializationException', message: 'NUMBER_VALUE cannot be converted to String' });
  t.throws(() => validateValue({ N: true } as never), { code: 'SerializationException', message: 'TRUE_VALUE cannot be converted to String' });
  t.throws(() => validateValue({ B: 'abc' }), { code: 'SerializationException', message: 'Base64 encoded length is expected a multiple of 4 bytes but found: 3' });
  t.throws(() => validateValue({ B: 'AB==' }), { code: 'SerializationException', message: 'Invalid last non-pad Base64 character dectected' });
  t.throws(() => validateValue({ BS: ['AA==', 'AA=='] }), { message: 'One or more parameter values were invalid: Input collection [AA==, AA==]of type BS contains duplicates.' });
  t.throws(() => validateValue({ L: {} } as never), { code: 'SerializationException', message: 'Start of structure or map found where not expected' });
  const unknown = { S: 'x', X: 'y' } as Record<string, unknown>;
  validateValue(unknown as never);
  t.same(unknown, { S: 'x' }, 'unknown members dropped');
});

t.test('item size', async (t) => {
  t.equal(itemSize({ a: { S: 'é' } }), 3, 'utf-8 bytes of name and value');
  t.equal(itemSize({ ab: { BOOL: true } }), 3);
  t.equal(itemSize({ b: { B: 'AAEC' } }), 4, 'binary counts decoded bytes');
  t.equal(itemSize({ l: { L: [{ S: 'x' }] } }), 1 + 3 + 1 + 1);
  t.equal(itemSize({ m: { M: { k: { S: 'vv' } } } }), 1 + 3 + 1 + 1 + 2);
});
