// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The body of an object read from its data files: a Readable over byte ranges of open file
 * descriptors (one per segment), decrypted on the way when the file is encrypted at rest.
 *
 * Read as any Readable, every chunk is a fresh buffer. Piped into an HTTP response or a socket
 * (what the server does with a GET's body: `stream.pipeline(body, res)` pipes), it skips the
 * Readable machinery: each chunk is read with one callback `fs.read` into a buffer from a small
 * shared pool and written straight to the destination, and the buffer goes back to the pool once
 * the write callback says the bytes have left for the kernel. No allocation, no page faults of a
 * fresh buffer, no promise per chunk. At most one chunk per body is being read and one waits in
 * the destination (backpressure is the destination's `write()` answer), so memory stays flat
 * whatever the object size. Other destinations (a PassThrough, a collector) may keep a chunk
 * after acknowledging it, so they get Readable's own pipe and fresh buffers.
 */
import type { Decipher } from 'node:crypto';
import { read } from 'node:fs';
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { AwsError } from '../../../src/errors.js';

/** Bytes `start`..`end` (inclusive) of an open file. */
export interface Piece {
  fd: number;
  start: number;
  end: number;
  /** Set for files encrypted at rest: a decipher already positioned at `start`. */
  decipher?: Decipher;
  /** Gives the descriptor back (closes it, or returns it to the store's cache); called once, when the body is done with it. */
  release: () => void;
}

/** Chunk size of the reads (and of the pooled buffers). */
export const CHUNK = 512 * 1024;
/** Free buffers kept for reuse (8 MiB): beyond this, returned buffers are left to the GC. */
const POOL_MAX = 16;
const pool: Buffer[] = [];

function take(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function give(b: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(b);
}

/** Buffers currently free in the pool (tests). */
export function pooledBuffers(): number {
  return pool.length;
}

function shortFile(missing: number): AwsError {
  return new AwsError('InternalError', `An object's data file ended ${missing} bytes before its recorded size.`, { status: 500 });
}

export class FileBody extends Readable {
  /** Index of the piece being read, and the next byte offset in it. */
  private i = 0;
  private pos: number;
  /** A read is in flight: its fd must not be released (closed, and maybe reused by the OS) before it returns. */
  private busy = false;
  private piped = false;

  constructor(private readonly pieces: Piece[]) {
    super({ highWaterMark: CHUNK });
    this.pos = pieces[0]?.start ?? 0;
  }

  /** Reads the next chunk into `buf`; `out` is the bytes to send, `own` true when they are `buf`'s. */
  private readNext(buf: Buffer, cb: (err: Error | null, out?: Buffer, own?: boolean) => void): void {
    const p = this.pieces[this.i];
    const want = Math.min(buf.length, p.end - this.pos + 1);
    this.busy = true;
    read(p.fd, buf, 0, want, this.pos, (err, n) => {
      this.busy = false;
      if (this.destroyed) {
        this.closeAll();
        return cb(err ?? new Error('body destroyed'));
      }
      if (err) return cb(err);
      if (n === 0) return cb(shortFile(p.end - this.pos + 1));
      this.pos += n;
      let out = n === buf.length ? buf : buf.subarray(0, n);
      let own = true;
      if (p.decipher) {
        out = p.decipher.update(out);
        own = false;
      }
      if (this.pos > p.end) {
        this.done(p);
        if (++this.i < this.pieces.length) this.pos = this.pieces[this.i].start;
      }
      cb(null, out, own);
    });
  }

  override _read(): void {
    if (this.i >= this.pieces.length) {
      this.push(null);
      return;
    }
    const p = this.pieces[this.i];
    this.readNext(Buffer.allocUnsafeSlow(Math.min(CHUNK, p.end - this.pos + 1)), (err, out) => {
      if (err) this.destroy(err);
      else this.push(out);
    });
  }

  /**
   * Writes the remaining bytes to an HTTP response or socket from pooled buffers (see the file
   * comment). Any other destination, or a stream already read some other way, gets Readable's own
   * pipe.
   */
  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    if (!(dest instanceof ServerResponse || dest instanceof Socket) || this.piped || this.busy || this.readableFlowing !== null || this.readableLength > 0 || this.readableEnded || this.destroyed) return super.pipe(dest, opts);
    this.piped = true;
    const w = dest as unknown as Writable;
    const end = opts?.end !== false;
    let finished = false;
    // a destination that goes away stops the reads and releases the files
    w.once('close', () => {
      if (!finished) this.destroy();
    });
    const step = (): void => {
      if (this.destroyed) return;
      if (this.i >= this.pieces.length) {
        finished = true;
        this.push(null);
        // flowing with nothing buffered: 'end' (then 'close') follows, which pipeline waits for
        this.resume();
        if (end) w.end();
        return;
      }
      const buf = take();
      this.readNext(buf, (err, out, own) => {
        if (err || this.destroyed) {
          give(buf);
          if (err && !this.destroyed) this.destroy(err);
          return;
        }
        let more: boolean;
        if (own) {
          more = w.write(out!, () => give(buf));
        } else {
          give(buf);
          more = w.write(out!);
        }
        if (more) step();
        else w.once('drain', step);
      });
    };
    step();
    return dest;
  }

  private done(p: Piece): void {
    if (p.fd < 0) return;
    p.fd = -1;
    p.release();
  }

  private closeAll(): void {
    for (const p of this.pieces) this.done(p);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // with a read in flight the fds close when it returns (readNext)
    if (!this.busy) this.closeAll();
    cb(err);
  }
}
