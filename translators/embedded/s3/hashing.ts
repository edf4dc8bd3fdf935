// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Streaming digests computed while an object is written: MD5 (the ETag) plus the flexible
 * checksums a client asked for. CRC32/SHA1/SHA256 come from Node itself; CRC32C and CRC64NVME
 * need the shared implementations of src/checksums.ts (auth), not available yet: asking for
 * them is refused with NotImplemented rather than stored unverified.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';

export interface Digest {
  update(chunk: Buffer): void;
  /** Base64 of the digest (big-endian for CRCs), as S3 sends it. */
  digest(): string;
}

class NodeHash implements Digest {
  private readonly h: Hash;
  constructor(alg: string) {
    this.h = createHash(alg);
  }
  update(chunk: Buffer) {
    this.h.update(chunk);
  }
  digest() {
    return this.h.digest('base64');
  }
}

class Crc32 implements Digest {
  private v = 0;
  update(chunk: Buffer) {
    this.v = crc32(chunk, this.v);
  }
  digest() {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.v >>> 0);
    return b.toString('base64');
  }
}

export function supportedChecksum(alg: ChecksumAlgorithm): boolean {
  return alg === 'CRC32' || alg === 'SHA1' || alg === 'SHA256';
}

export function checksumDigest(alg: ChecksumAlgorithm): Digest {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
    default:
      throw new AwsError('NotImplemented', `The checksum algorithm ${alg} is not implemented by this gateway yet.`, { status: 501, fault: 'Receiver' });
  }
}

/** MD5 plus the requested checksums over one stream. */
export class DigestSet {
  readonly md5 = createHash('md5');
  readonly checksums = new Map<ChecksumAlgorithm, Digest>();
  bytes = 0;

  constructor(algs: Iterable<ChecksumAlgorithm>) {
    for (const a of algs) this.checksums.set(a, checksumDigest(a));
  }

  update(chunk: Buffer) {
    this.bytes += chunk.length;
    this.md5.update(chunk);
    for (const d of this.checksums.values()) d.update(chunk);
  }

  finish(): { md5: Buffer; checksums: Partial<Record<ChecksumAlgorithm, string>> } {
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [a, d] of this.checksums) checksums[a] = d.digest();
    return { md5: this.md5.digest(), checksums };
  }
}
