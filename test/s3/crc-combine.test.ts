// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { combineCrcs } from '../../apis/s3/crc-combine.js';
import { checksumBase64 } from '../../src/checksums.js';

t.test('combined CRCs equal the CRC of the concatenation', async (t) => {
  const parts = [Buffer.from('hello, '), Buffer.alloc(70_000, 7), Buffer.from(''), Buffer.from('world!')];
  const whole = Buffer.concat(parts);
  for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    const combined = combineCrcs(alg, parts.map((p) => ({ crc: checksumBase64(alg, p), size: p.length })));
    t.equal(combined, checksumBase64(alg, whole), alg);
  }
});
