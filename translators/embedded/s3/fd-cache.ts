// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Open read-only descriptors of data files, kept for the next GET of the same object (an open and
 * a close are two thread-pool round trips per request otherwise). Safe because a data file never
 * changes once written: a file id always names the same bytes, and which ids an object consists
 * of is decided by its record, looked up before every read. Reads use positioned `read`s, so
 * concurrent readers share one descriptor.
 *
 * A descriptor is leased per reader; at most `max` stay open unused (least recently used closed
 * first). A file the store unlinks is dropped at once (closed, or when its last reader is done),
 * so deleted objects do not hold disk space.
 */
import { close, open } from 'node:fs';

interface Entry {
  fd: number;
  refs: number;
  /** No longer in the map (evicted or dropped): closed when its last lease ends. */
  gone: boolean;
}

const noop = (): void => undefined;

export class FdCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 128) {}

  /** A descriptor for `file` (at `path`); call the returned release() exactly once when done. */
  async acquire(file: string, path: string): Promise<{ fd: number; release: () => void }> {
    let e = this.entries.get(file);
    if (e) {
      // most recently used last
      this.entries.delete(file);
      this.entries.set(file, e);
    } else {
      const fd = await new Promise<number>((resolve, reject) => open(path, 'r', (err, n) => (err ? reject(err) : resolve(n))));
      e = this.entries.get(file);
      if (e) {
        // opened twice concurrently: keep the first
        close(fd, noop);
      } else {
        e = { fd, refs: 0, gone: false };
        this.entries.set(file, e);
        this.evict();
      }
    }
    const entry = e;
    entry.refs++;
    let released = false;
    return {
      fd: entry.fd,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs === 0 && entry.gone) close(entry.fd, noop);
      },
    };
  }

  /** The file is being unlinked: close its descriptor (now, or when its last reader is done). */
  drop(file: string): void {
    const e = this.entries.get(file);
    if (!e) return;
    this.entries.delete(file);
    this.retire(e);
  }

  /** Descriptors currently cached (tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes everything not in use; what is in use closes when released. */
  closeAll(): void {
    for (const e of this.entries.values()) this.retire(e);
    this.entries.clear();
  }

  private retire(e: Entry): void {
    e.gone = true;
    if (e.refs === 0) close(e.fd, noop);
  }

  private evict(): void {
    for (const [file, e] of this.entries) {
      if (this.entries.size <= this.max) return;
      this.entries.delete(file);
      this.retire(e);
    }
  }
}
