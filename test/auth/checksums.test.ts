// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * src/checksums.ts against the published check values ("123456789") and against the AWS SDK's
 * own implementations (@aws-sdk/checksums, used here only as an oracle), fed in uneven pieces.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { algorithmOfHeader, checksumBase64, createChecksum, headerOfAlgorithm, CHECKSUM_ALGORITHMS } from '../../src/checksums.js';

const CHECK = Buffer.from('123456789');

t.test('check values', async (t) => {
  const hex = (alg: Parameters<typeof createChecksum>[0]) => {
    const h = createChecksum(alg);
    h.update(CHECK);
    return h.digest().toString('hex');
  };
  t.equal(hex('CRC32'), 'cbf43926');
  t.equal(hex('CRC32C'), 'e3069283');
  t.equal(hex('CRC64NVME'), 'ae8b14860a799888');
  t.equal(hex('SHA1'), 'f7c3bc1d808e04732adf679965ccc34ca7ae3441');
  t.equal(hex('SHA256'), '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
  t.equal(checksumBase64('CRC32', Buffer.alloc(0)), 'AAAAAA==');
  t.equal(checksumBase64('CRC64NVME', Buffer.alloc(0)), 'AAAAAAAAAAA=');
});

async function oracle(make: () => { update(d: Uint8Array): void; digest(): Promise<Uint8Array> }, data: Buffer): Promise<string> {
  const h = make();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

t.test('same digests as the SDK for random data in uneven pieces', async (t) => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (const len of [0, 1, 7, 8, 9, 63, 1000, 65_537]) {
    const data = Buffer.alloc(len);
    for (let i = 0; i < len; i++) data[i] = rnd();
    for (const alg of CHECKSUM_ALGORITHMS) {
      const h = createChecksum(alg);
      // uneven pieces: 1, 2, 3 … bytes
      for (let i = 0, step = 1; i < len; i += step, step = (step % 13) + 1) h.update(data.subarray(i, i + step));
      const got = h.digest().toString('base64');
      t.equal(got, checksumBase64(alg, data), `${alg} ${len}: pieces = whole`);
    }
    t.equal(checksumBase64('CRC32C', data), await oracle(() => new Crc32cJs(), data), `CRC32C ${len} = SDK`);
    t.equal(checksumBase64('CRC64NVME', data), await oracle(() => new Crc64NvmeJs(), data), `CRC64NVME ${len} = SDK`);
    t.equal(checksumBase64('SHA256', data), createHash('sha256').update(data).digest('base64'));
  }
});

t.test('header names', async (t) => {
  t.equal(algorithmOfHeader('x-amz-checksum-crc64nvme'), 'CRC64NVME');
  t.equal(algorithmOfHeader('X-Amz-Checksum-CRC32C'), 'CRC32C');
  t.equal(algorithmOfHeader('x-amz-checksum-md5'), undefined);
  t.equal(algorithmOfHeader('content-md5'), undefined);
  t.equal(headerOfAlgorithm('SHA1'), 'x-amz-checksum-sha1');
});
