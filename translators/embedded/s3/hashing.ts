// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Streaming digests computed while an object is written: MD5 (the ETag) plus the flexible
 * checksums a client asked for (shared implementations in src/checksums.ts).
 */
import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from '../../../apis/s3/backend.js';
import { createChecksum, type ChecksumHasher } from '../../../src/checksums.js';

/** A checksum hasher whose digest is base64, as S3 sends it. */
export interface Digest {
  update(chunk: Buffer): void;
  digest(): string;
}

export function checksumDigest(alg: ChecksumAlgorithm): Digest {
  const h: ChecksumHasher = createChecksum(alg);
  return {
    update: (chunk) => h.update(chunk),
    digest: () => h.digest().toString('base64'),
  };
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
