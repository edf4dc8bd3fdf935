// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Where an object's bytes go on their way to its data file. Two sinks, one interface:
 *
 *  - DirectSink (the default on filesystems that take it): the bytes are copied into a page-aligned
 *    slab and written with O_DIRECT, a whole slab at a time, the last block padded and the file
 *    then truncated to its size. The kernel neither copies the data into its page cache nor writes
 *    those pages back at fdatasync, nor drops them when the object is deleted: on this kind of
 *    machine that is 250–600 µs of CPU per MiB, against one user-space copy (~60 µs).
 *  - BufferedSink: chunks gathered up to a batch and written with one writev, through the page
 *    cache. Used when no slab is free (many uploads at once) and where O_DIRECT is refused (tmpfs
 *    and others answer EINVAL).
 *
 * The slabs are those of the MD5 kernels' WebAssembly memory (src/hash/md5-lanes.ts): mapped by
 * page, so aligned, which a Buffer's own allocation does not promise, and never grown, so never
 * detached under a write in flight. The bytes staged there are MD5-hashed in place too: one copy
 * per byte serves the ETag and the disk, and the socket's chunks are let go at once (they die
 * young, instead of piling up in the old generation until a full collection).
 */
import { constants, ftruncate, unlink, write as fsWrite, writev as fsWritev } from 'node:fs';
import { giveMd5Slab, takeMd5Slab, type LaneMd5, type Md5Slab } from '../../../src/hash/md5-lanes.js';
import { STAGED_SLAB } from '../../../src/hash/md5-kernel.js';

/** Bytes per slab, and per O_DIRECT write. */
export const SLAB = STAGED_SLAB;
/** O_DIRECT's alignment of buffers, offsets and lengths (the largest logical block size in use). */
const ALIGN = 4096;
/** Chunks gathered before a buffered writev. */
const WRITE_BATCH = 1024 * 1024;

export interface Sink {
  /**
   * Takes `chunk` (which the caller must not change afterwards) and feeds `md5` with it (in place
   * when staged: the slab then stays with the sink until `md5` is digested or discarded); a promise
   * when it had to write.
   */
  add(chunk: Buffer, md5?: LaneMd5): Promise<void> | undefined;
  /** Writes what is left; the file then holds every byte given, and only those. */
  end(): Promise<void>;
  /** The descriptor, once the first bytes made the file. */
  readonly fd: number | undefined;
  /** Gives the slab back: after end and the MD5's digest, or on failure after its discard. */
  release(): void;
}

/** Opens the file for writing: `direct` asks for O_DIRECT. */
export type Opener = (direct: boolean) => Promise<number>;

/** O_DIRECT where the filesystem has it: decided by the first file made, per data dir. */
export class SinkFactory {
  /** undefined: not tried yet. */
  private direct: boolean | undefined = constants.O_DIRECT === undefined ? false : undefined;

  create(open: Opener, path: string): Sink {
    const slab = this.direct !== false ? takeMd5Slab() : undefined;
    return slab ? new DirectSink(this, slab, open, path) : new BufferedSink(open);
  }

  /** Opens with O_DIRECT unless refused; the first refusal turns it off for good. */
  async open(open: Opener, path: string): Promise<{ fd: number; direct: boolean }> {
    if (this.direct === false) return { fd: await open(false), direct: false };
    try {
      const fd = await open(true);
      this.direct = true;
      return { fd, direct: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      this.direct = false;
      // Linux refuses O_DIRECT after making the file: take it away before making it again
      await new Promise<void>((resolve) => unlink(path, () => resolve()));
      return { fd: await open(false), direct: false };
    }
  }
}

class DirectSink implements Sink {
  fd: number | undefined;
  private direct = true;
  /** Bytes in the slab, and the file offset of its first byte. */
  private fill = 0;
  private pos = 0;
  private slab: Md5Slab | undefined;
  /**
   * The stream still hashing the slab's last fill in place: waited for only when the slab is
   * filled again, so a slab that is an object's last is hashed whenever company comes (the
   * digest, asked for after the file is durable, waits for the rest).
   */
  private hashing: LaneMd5 | undefined;

  constructor(
    private readonly factory: SinkFactory,
    slab: Md5Slab,
    private readonly opener: Opener,
    private readonly path: string,
  ) {
    this.slab = slab;
  }

  add(chunk: Buffer, md5?: LaneMd5): Promise<void> | undefined {
    // the common case, a chunk that leaves room in the slab, without an async call
    if (chunk.length < SLAB - this.fill && this.hashing === undefined) {
      this.stage(chunk, 0, chunk.length, md5);
      return undefined;
    }
    return this.addSlow(chunk, md5);
  }

  private async addSlow(chunk: Buffer, md5?: LaneMd5): Promise<void> {
    for (let off = 0; off < chunk.length; ) {
      // the slab is refilled once on disk (flush) and hashed
      if (this.hashing) await this.hashing.drained();
      this.hashing = undefined;
      const n = Math.min(chunk.length - off, SLAB - this.fill);
      this.stage(chunk, off, n, md5);
      off += n;
      if (this.fill === SLAB) {
        await this.flush(SLAB);
        this.hashing = md5;
      }
    }
  }

  /** Copies `n` bytes of `chunk` from `off` into the slab and queues them for `md5` in place. */
  private stage(chunk: Buffer, off: number, n: number, md5?: LaneMd5): void {
    chunk.copy(this.slab!.buf, this.fill, off, off + n);
    md5?.updateStaged(this.slab!, this.fill, n);
    this.fill += n;
  }

  /** The descriptor, the file made by the first write. */
  private async file(): Promise<number> {
    if (this.fd === undefined) {
      const o = await this.factory.open(this.opener, this.path);
      this.fd = o.fd;
      this.direct = o.direct;
    }
    return this.fd;
  }

  /** Writes the first `len` bytes of the slab (a multiple of ALIGN, or any length without O_DIRECT). */
  private async flush(len: number): Promise<void> {
    await writeFully(await this.file(), this.slab!.buf, len, this.pos);
    this.pos += this.fill;
    this.fill = 0;
  }

  async end(): Promise<void> {
    const fill = this.fill;
    if (fill === 0) return;
    const size = this.pos + fill;
    const padded = Math.ceil(fill / ALIGN) * ALIGN;
    const fd = await this.file();
    // O_DIRECT writes whole blocks: the last one padded with zeros (no byte of an earlier upload
    // reaches the disk), then cut off
    if (this.direct) this.slab!.buf.fill(0, fill, padded);
    await writeFully(fd, this.slab!.buf, this.direct ? padded : fill, this.pos);
    this.pos = size;
    this.fill = 0;
    if (this.direct && padded !== fill) await new Promise<void>((resolve, reject) => ftruncate(fd, size, (err) => (err ? reject(err) : resolve())));
  }

  release(): void {
    if (this.slab) giveMd5Slab(this.slab);
    this.slab = undefined;
  }
}

class BufferedSink implements Sink {
  fd: number | undefined;
  private batch: Buffer[] = [];
  private batched = 0;
  /** File offset of the batch's first byte. */
  private pos = 0;

  constructor(private readonly opener: Opener) {}

  add(chunk: Buffer, md5?: LaneMd5): Promise<void> | undefined {
    md5?.update(chunk);
    this.batch.push(chunk);
    this.batched += chunk.length;
    return this.batched >= WRITE_BATCH ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    if (!this.batched) return;
    this.fd ??= await this.opener(false);
    await writeAll(this.fd, this.batch, this.batched, this.pos);
    this.pos += this.batched;
    this.batch = [];
    this.batched = 0;
  }

  end(): Promise<void> {
    return this.flush();
  }

  release(): void {
    this.batch = [];
  }
}

/** Writes `len` bytes of `buf` at `pos` (a short write is continued). */
async function writeFully(fd: number, buf: Buffer, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) {
    done += await new Promise<number>((resolve, reject) => fsWrite(fd, buf, done, len - done, pos + done, (err, n) => (err ? reject(err) : resolve(n))));
  }
}

/** Writes every byte of `bufs` (`total` of them) at `pos` (writev may write less than asked). */
async function writeAll(fd: number, bufs: Buffer[], total: number, pos: number): Promise<void> {
  const done = await new Promise<number>((resolve, reject) => fsWritev(fd, bufs, pos, (err, n) => (err ? reject(err) : resolve(n))));
  if (done < total) await writeFully(fd, Buffer.concat(bufs).subarray(done), total - done, pos + done);
}
