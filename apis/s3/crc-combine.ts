// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CRC combination for FULL_OBJECT multipart checksums: the CRC of A‖B from crc(A), crc(B) and
 * len(B), without reading the bytes again (zlib's crc32_combine method: multiply crc(A) by
 * x^(8·len(B)) modulo the polynomial, in the reflected representation). Works for the reflected
 * CRCs S3 uses, all with all-ones init and final xor: CRC32, CRC32C, CRC64NVME.
 */
import type { ChecksumAlgorithm } from './backend.js';

interface CrcSpec {
  width: bigint;
  poly: bigint;
}

const SPECS: Partial<Record<ChecksumAlgorithm, CrcSpec>> = {
  CRC32: { width: 32n, poly: 0xedb88320n },
  CRC32C: { width: 32n, poly: 0x82f63b78n },
  CRC64NVME: { width: 64n, poly: 0x9a6c9329ac4bc9b5n },
};

export function combinable(alg: ChecksumAlgorithm): boolean {
  return SPECS[alg] !== undefined;
}

/** a·b mod P (reflected). */
function multmodp(s: CrcSpec, a: bigint, b: bigint): bigint {
  let m = 1n << (s.width - 1n);
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ s.poly : b >> 1n;
  }
  return p;
}

/** x^(8·n) mod P (reflected), by squaring. */
function xPow8n(s: CrcSpec, n: bigint): bigint {
  let p = 1n << (s.width - 1n); // x^0
  let sq = 1n << (s.width - 2n); // x^1
  // x^(2^3) = x^8: square three times
  for (let i = 0; i < 3; i++) sq = multmodp(s, sq, sq);
  while (n > 0n) {
    if (n & 1n) p = multmodp(s, sq, p);
    sq = multmodp(s, sq, sq);
    n >>= 1n;
  }
  return p;
}

function toBig(b64: string): bigint {
  return BigInt('0x' + (Buffer.from(b64, 'base64').toString('hex') || '0'));
}

function fromBig(v: bigint, width: bigint): string {
  return Buffer.from(v.toString(16).padStart(Number(width / 4n), '0'), 'hex').toString('base64');
}

/** The base64 CRC of the concatenation of parts, from each part's base64 CRC and length. */
export function combineCrcs(alg: ChecksumAlgorithm, parts: Array<{ crc: string; size: number }>): string {
  const s = SPECS[alg];
  if (!s) throw new Error(`${alg} cannot be combined`);
  let crc: bigint | undefined;
  for (const p of parts) {
    const c = toBig(p.crc);
    crc = crc === undefined ? c : multmodp(s, xPow8n(s, BigInt(p.size)), crc) ^ c;
  }
  return fromBig(crc ?? 0n, s.width);
}
