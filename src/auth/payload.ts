// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Payload checks that run while the body streams: a SHA-256 compared at the end of the body
 * (literal x-amz-content-sha256, or the deferred signature check of services that sign the body
 * without sending its hash), and splicing a verifying Transform in front of the request body.
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { WireRequest } from '../context.js';

/** Passes bytes through; at the end calls `check(sha256hex)`, and errors the stream with its result. */
export class Sha256Check extends Transform {
  private readonly h = createHash('sha256');
  constructor(private readonly check: (hex: string) => Error | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.h.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    let err: Error | undefined;
    try {
      err = this.check(this.h.digest('hex'));
    } catch (e) {
      err = e as Error;
    }
    cb(err);
  }
}

/** Replaces req.body by `t` fed from the old body; source errors reach the consumer through `t`. */
export function splice(req: WireRequest, t: Transform): void {
  const src: Readable = req.body;
  req.body = pipeline(src, t, () => {
    /* errors surface on `t` itself */
  });
}

/** True when the HTTP framing says there is no body at all. */
export function bodyIsEmpty(req: WireRequest): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const cl = req.headers['content-length'];
  return cl === undefined || cl === '0';
}
