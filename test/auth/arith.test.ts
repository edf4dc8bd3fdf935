// SPDX-License-Identifier: AGPL-3.0-or-later
/** The SigV4 arithmetic's fast paths held equal to their plain definitions. */
import { createHmac, randomBytes } from 'node:crypto';
import t from 'tap';
import { parseBasicIso } from '../../src/auth/parse.js';
import { sameSignature, signHex } from '../../src/auth/signing.js';

t.test('signHex is HMAC-SHA256 for any key length and message', async (t) => {
  let checked = 0;
  for (const keyLen of [0, 1, 32, 63, 64, 65, 200]) {
    const key = randomBytes(keyLen);
    for (const msg of ['', 'a', 'AWS4-HMAC-SHA256\n20261124T000000Z\n20261124/us-east-1/s3/aws4_request\n' + 'f'.repeat(64), 'ü€𝄞'.repeat(50), 'x'.repeat(5000)]) {
      t.equal(signHex(key, msg), createHmac('sha256', key).update(msg, 'utf8').digest('hex'));
      checked++;
    }
  }
  // the same key object twice (its pads cached), then a different key of the same bytes
  const k = randomBytes(32);
  t.equal(signHex(k, 'm'), signHex(Buffer.from(k), 'm'));
  t.equal(checked, 35);
});

t.test('sameSignature: equal only for identical strings', async (t) => {
  const a = 'ab'.repeat(32);
  t.ok(sameSignature(a, 'ab'.repeat(32)));
  t.notOk(sameSignature(a, 'ab'.repeat(31) + 'ac'));
  t.notOk(sameSignature(a, a + '0'));
  t.notOk(sameSignature(a, ''));
  t.ok(sameSignature('', ''));
  t.notOk(sameSignature('é', 'e\u0301'));
  const long = 'z'.repeat(1000);
  t.ok(sameSignature(long, 'z'.repeat(1000)));
  t.notOk(sameSignature(long, 'z'.repeat(999) + 'y'));
});

t.test('parseBasicIso agrees with Date.parse on the extended form, refuses impossible dates', async (t) => {
  const ok = ['20150830T123600Z', '20240229T000000Z', '20000229T235959Z', '20261231T235959Z', '19700101T000000Z'];
  for (const s of ok) {
    const ext = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
    t.equal(parseBasicIso(s), Date.parse(ext), s);
  }
  for (const s of ['20230229T000000Z', '19000229T000000Z', '20150431T000000Z', '20151301T000000Z', '20150001T000000Z', '20150100T000000Z', '20150830T243600Z', '20150830T126000Z', '20150830T123660Z', '2015083OT123600Z', '20150830 123600Z', '20150830T123600', '2015-08-30T12:36:00Z', '']) {
    t.ok(Number.isNaN(parseBasicIso(s)), `refused: '${s}'`);
  }
});
