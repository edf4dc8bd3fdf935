// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The body of a write on its way to RGW: MD5 and the requested flexible checksums are computed as
 * bytes pass, and the last chunk is held back until the stream has ended and everything checked
 * out (declared length, Content-MD5, checksums given up front or as aws-chunked trailers). A body
 * that fails a check errors before its last byte leaves, so RGW sees a short body and stores
 * nothing: the write stays atomic although RGW 16 knows none of these checksums. MD5 is computed
 * only to check a Content-MD5 (RGW makes the ETag).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ChecksumAlgorithm } from '../../../apis/s3/backend.js';
import { incompleteBody, verifyDigests, type WriteOptions } from '../../embedded/s3/files.js';
import { checksumDigest, type Digest } from '../../embedded/s3/hashing.js';

export type VerifyOptions = Pick<WriteOptions, 'contentLength' | 'contentMd5' | 'checksums' | 'trailingChecksums'>;

export interface Verified {
  size: number;
  /** Only when a Content-MD5 was to be checked. */
  md5?: Buffer;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export class VerifyingStream extends Transform {
  private readonly md5: Hash | undefined;
  private readonly digests = new Map<ChecksumAlgorithm, Digest>();
  private bytes = 0;
  private held: Buffer | undefined;
  /** Set once the body ended and passed every check. */
  result: Verified | undefined;

  constructor(private readonly opts: VerifyOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.md5 = opts.contentMd5 !== undefined ? createHash('md5') : undefined;
    for (const a of Object.keys(opts.checksums ?? {}) as ChecksumAlgorithm[]) this.digests.set(a, checksumDigest(a));
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (b.length === 0) return cb();
    this.bytes += b.length;
    this.md5?.update(b);
    for (const d of this.digests.values()) d.update(b);
    if (this.opts.contentLength !== undefined && this.bytes > this.opts.contentLength) return cb(incompleteBody());
    const prev = this.held;
    this.held = b;
    if (prev) this.push(prev);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.result = this.check();
    } catch (e) {
      return cb(e as Error);
    }
    if (this.held) this.push(this.held);
    this.held = undefined;
    cb();
  }

  private check(): Verified {
    if (this.opts.contentLength !== undefined && this.bytes !== this.opts.contentLength) throw incompleteBody();
    const md5 = this.md5?.digest();
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [a, d] of this.digests) checksums[a] = d.digest();
    verifyDigests(md5 ?? Buffer.alloc(0), checksums, this.opts);
    return { size: this.bytes, md5, checksums };
  }
}
