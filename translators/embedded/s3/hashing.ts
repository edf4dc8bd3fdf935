// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Streaming digests computed while an object is written: MD5 (the ETag) plus the flexible
 * checksums a client asked for (shared implementations in src/checksums.ts). MD5 is hashed by
 * the multi-buffer kernels of src/hash/md5-lanes.ts, concurrent uploads side by side.
 */
import { createLaneMd5 } from '../../../src/hash/md5-lanes.js';
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

/**
 * MD5 plus the requested checksums over one stream. `update` counts the bytes and feeds the
 * checksums; the writer feeds `md5` itself, with the bytes it staged (hashed in place) or the
 * chunk.
 */
export class DigestSet {
  readonly md5 = createLaneMd5();
  readonly checksums = new Map<ChecksumAlgorithm, Digest>();
  bytes = 0;

  constructor(algs: Iterable<ChecksumAlgorithm>) {
    for (const a of algs) this.checksums.set(a, checksumDigest(a));
  }

  update(chunk: Buffer) {
    this.bytes += chunk.length;
    for (const d of this.checksums.values()) d.update(chunk);
  }

  async finish(): Promise<{ md5: Buffer; checksums: Partial<Record<ChecksumAlgorithm, string>> }> {
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [a, d] of this.checksums) checksums[a] = d.digest();
    return { md5: await this.md5.digest(), checksums };
  }

  /** Drops the MD5 stream (a write that failed: what it queued is let go). */
  discard(): void {
    this.md5.discard();
  }
}
