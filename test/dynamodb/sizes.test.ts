// SPDX-License-Identifier: AGPL-3.0-or-later
/** Item sizes: the fast path for plain decimals agrees with the size computed from the parsed number. */
import t from 'tap';
import { parseDec } from '../../apis/dynamodb/numbers.js';
import { itemSize, numberSize } from '../../apis/dynamodb/types.js';

/** DynamoDB's number size from the parsed form (two digits a byte, exponent parity, sign byte). */
function reference(n: string): number {
  const d = parseDec(n)!;
  if (d.digits === '') return 1;
  return 1 + Math.ceil(((d.exp % 2 === 0 ? 0 : 1) + d.digits.length) / 2) + (d.neg ? 1 : 0);
}

t.test('numberSize matches the parsed computation', async (t) => {
  const fixed = ['0', '-0', '+0', '0.0', '.5', '5.', '-.5', '1', '-1', '+7', '10', '100', '1200', '1200.00', '0.0012', '-0.0012', '12345.678', '99999999999999999999999999999999999999',
    '0.000000000000000000000000000000000000001', '1E+3', '1e-130', '-9.9999999999999999999999999999999999999E+125', '123.456e2', '000123', '-000.000100'];
  for (const n of fixed) t.equal(numberSize(n), reference(n), n);
  // a deterministic spread of plain decimals: signs, leading/trailing zeros, odd and even exponents
  let seed = 7;
  const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
  let bad = 0;
  for (let i = 0; i < 2000; i++) {
    const int = '0'.repeat(rnd(3)) + String(rnd(10 ** rnd(9)));
    const frac = rnd(2) ? `.${String(rnd(10 ** rnd(9))).padStart(rnd(6), '0')}${'0'.repeat(rnd(3))}` : '';
    const n = `${['', '-', '+'][rnd(3)]}${int}${frac}`;
    if (numberSize(n) !== reference(n)) bad++;
  }
  t.equal(bad, 0, '2000 generated decimals');
  t.equal(itemSize({ pk: { S: 'g' }, sk: { N: '1' }, n: { N: '12345.678' } }), 2 + 1 + 2 + 2 + 1 + reference('12345.678'), 'item size counts names and values');
});
