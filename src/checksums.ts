// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Streaming checksums for S3's flexible checksums (x-amz-checksum-*): CRC32, CRC32C, CRC64NVME,
 * SHA1 and SHA256, all behind one small interface. Digests are the big-endian bytes AWS puts,
 * base64-encoded, in the x-amz-checksum-* headers and trailers.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

export interface ChecksumHasher {
  update(buf: Uint8Array): void;
  /** The checksum as big-endian bytes. Call once. */
  digest(): Buffer;
}

class Crc32 implements ChecksumHasher {
  private crc = 0;
  update(buf: Uint8Array): void {
    this.crc = zlibCrc32(buf, this.crc);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.crc >>> 0, 0);
    return out;
  }
}

/** Eight 256-entry tables for slicing-by-8, one Uint32Array each. */
function crc32cTables(poly: number): Uint32Array[] {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c >>> 0;
  }
  t.push(t0);
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1];
    const cur = new Uint32Array(256);
    for (let i = 0; i < 256; i++) cur[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    t.push(cur);
  }
  return t;
}

let C32C: Uint32Array[] | undefined;

class Crc32c implements ChecksumHasher {
  private crc = 0xffffffff;
  private readonly t = (C32C ??= crc32cTables(0x82f63b78));
  update(buf: Uint8Array): void {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = this.t;
    let crc = this.crc;
    let i = 0;
    const end8 = buf.length - (buf.length & 7);
    while (i < end8) {
      const a = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ crc;
      crc =
        t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
        t3[buf[i + 4]] ^ t2[buf[i + 5]] ^ t1[buf[i + 6]] ^ t0[buf[i + 7]];
      i += 8;
    }
    while (i < buf.length) crc = t0[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
    this.crc = crc;
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0, 0);
    return out;
  }
}

/**
 * CRC64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5) on pairs of 32-bit halves, so no BigInt
 * on the hot path. Tables: hi[s][i], lo[s][i] for slicing-by-8.
 */
interface Crc64Tables {
  hi: Uint32Array[];
  lo: Uint32Array[];
}
let C64: Crc64Tables | undefined;

function crc64Tables(): Crc64Tables {
  const POLY_HI = 0x9a6c9329;
  const POLY_LO = 0xac4bc9b5;
  const hi0 = new Uint32Array(256);
  const lo0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let h = 0;
    let l = i;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) {
        h = (h ^ POLY_HI) >>> 0;
        l = (l ^ POLY_LO) >>> 0;
      }
    }
    hi0[i] = h;
    lo0[i] = l;
  }
  const hi = [hi0];
  const lo = [lo0];
  for (let s = 1; s < 8; s++) {
    const ph = hi[s - 1];
    const pl = lo[s - 1];
    const ch = new Uint32Array(256);
    const cl = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      // (prev >> 8) ^ T0[prev & 0xff]
      const idx = pl[i] & 0xff;
      cl[i] = (((pl[i] >>> 8) | (ph[i] << 24)) ^ lo0[idx]) >>> 0;
      ch[i] = ((ph[i] >>> 8) ^ hi0[idx]) >>> 0;
    }
    hi.push(ch);
    lo.push(cl);
  }
  return { hi, lo };
}

class Crc64Nvme implements ChecksumHasher {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  private readonly t = (C64 ??= crc64Tables());
  update(buf: Uint8Array): void {
    const { hi: H, lo: L } = this.t;
    const [h0, h1, h2, h3, h4, h5, h6, h7] = H;
    const [l0, l1, l2, l3, l4, l5, l6, l7] = L;
    let hi = this.hi;
    let lo = this.lo;
    let i = 0;
    const end8 = buf.length - (buf.length & 7);
    while (i < end8) {
      const a = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ lo;
      const b = (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24)) ^ hi;
      const a0 = a & 0xff, a1 = (a >>> 8) & 0xff, a2 = (a >>> 16) & 0xff, a3 = a >>> 24;
      const b0 = b & 0xff, b1 = (b >>> 8) & 0xff, b2 = (b >>> 16) & 0xff, b3 = b >>> 24;
      lo = l7[a0] ^ l6[a1] ^ l5[a2] ^ l4[a3] ^ l3[b0] ^ l2[b1] ^ l1[b2] ^ l0[b3];
      hi = h7[a0] ^ h6[a1] ^ h5[a2] ^ h4[a3] ^ h3[b0] ^ h2[b1] ^ h1[b2] ^ h0[b3];
      i += 8;
    }
    while (i < buf.length) {
      const idx = (lo ^ buf[i++]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ l0[idx];
      hi = (hi >>> 8) ^ h0[idx];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class NodeHash implements ChecksumHasher {
  private readonly h: Hash;
  constructor(alg: 'sha1' | 'sha256') {
    this.h = createHash(alg);
  }
  update(buf: Uint8Array): void {
    this.h.update(buf);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

export function createChecksum(alg: ChecksumAlgorithm): ChecksumHasher {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
  }
}

/** The base64 checksum of a whole buffer, as sent in x-amz-checksum-* headers. */
export function checksumBase64(alg: ChecksumAlgorithm, data: Uint8Array): string {
  const h = createChecksum(alg);
  h.update(data);
  return h.digest().toString('base64');
}

/** x-amz-checksum-crc32 → CRC32 …; undefined for any other name. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const n = name.toLowerCase();
  if (!n.startsWith('x-amz-checksum-')) return undefined;
  const alg = n.slice('x-amz-checksum-'.length).toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(alg) ? (alg as ChecksumAlgorithm) : undefined;
}

export function headerOfAlgorithm(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}
