// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { encode } from 'cbor-x';
import { decodeCbor } from '../../src/protocols/cbor-decode.js';

const hex = (h: string) => decodeCbor(Buffer.from(h.replace(/\s/g, ''), 'hex'));

t.test('RFC 8949 appendix A examples', async (t) => {
  t.equal(hex('00'), 0);
  t.equal(hex('17'), 23);
  t.equal(hex('1818'), 24);
  t.equal(hex('1903e8'), 1000);
  t.equal(hex('1a000f4240'), 1000000);
  t.equal(hex('1b000000e8d4a51000'), 1000000000000);
  t.equal(hex('1bffffffffffffffff'), 18446744073709551615n);
  t.equal(hex('3bffffffffffffffff'), -18446744073709551616n);
  t.equal(hex('20'), -1);
  t.equal(hex('3903e7'), -1000);
  t.equal(hex('c249010000000000000000'), 18446744073709551616n);
  t.equal(hex('f90000'), 0);
  t.equal(hex('f93c00'), 1);
  t.equal(hex('f97bff'), 65504);
  t.equal(hex('f90001'), 5.960464477539063e-8);
  t.equal(hex('f9c400'), -4);
  t.equal(hex('f97c00'), Infinity);
  t.ok(Number.isNaN(hex('f97e00')));
  t.equal(hex('fa47c35000'), 100000);
  t.equal(hex('fb3ff199999999999a'), 1.1);
  t.equal(hex('f4'), false);
  t.equal(hex('f5'), true);
  t.equal(hex('f6'), null);
  t.equal(hex('f7'), undefined);
  t.same(hex('c11a514b67b0'), new Date(1363896240000));
  t.same(hex('c1fb41d452d9ec200000'), new Date(1363896240500));
  t.same(hex('4401020304'), Buffer.from([1, 2, 3, 4]));
  t.equal(hex('6449455446'), 'IETF');
  t.equal(hex('62c3bc'), '\u00fc');
  t.same(hex('8301820203820405'), [1, [2, 3], [4, 5]]);
  t.same(hex('a201020304'), { 1: 2, 3: 4 });
  t.same(hex('a26161016162820203'), { a: 1, b: [2, 3] });
});

t.test('indefinite lengths (Jackson writes long strings this way)', async (t) => {
  t.same(hex('5f42010243030405ff'), Buffer.from([1, 2, 3, 4, 5]));
  t.equal(hex('7f657374726561646d696e67ff'), 'streaming');
  t.same(hex('9fff'), []);
  t.same(hex('9f018202039f0405ffff'), [1, [2, 3], [4, 5]]);
  t.same(hex('bf61610161629f0203ffff'), { a: 1, b: [2, 3] });
  t.same(hex('bf6346756ef563416d7421ff'), { Fun: true, Amt: -2 });
});

t.test('round trip with cbor-x output', async (t) => {
  const v = { Namespace: 'n', MetricData: [{ MetricName: 'm', Value: 1.5, Values: [1, 2.25], Timestamp: new Date(1767225600500) }], B: Buffer.from('hi'), N: null };
  t.same(decodeCbor(encode(v)), v);
});

t.test('malformed input', async (t) => {
  for (const bad of ['', '18', '1c', '5f01ff', '7f4101ff', '62c3', '61ff', 'ff', '9f', 'a1', 'a16161', '0000', 'bf00', 'c1', 'c16161', '5b0000000100000000']) {
    t.throws(() => hex(bad), { name: 'CborError' }, bad || '(empty)');
  }
  t.throws(() => hex('81'.repeat(100) + '00'), { name: 'CborError' }, 'too deep');
  t.throws(() => hex('9b00000000ffffffff'), { name: 'CborError' }, 'huge declared length');
  const m = hex('a1695f5f70726f746f5f5f01') as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(m), Object.prototype);
  t.same(Object.keys(m), ['__proto__']);
});
