// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multi-buffer MD5: many concurrent streams hashed together by WebAssembly SIMD kernels, one v128
 * lane per stream (md5-kernel.ts). `update` only queues the chunk (a reference, no copy); once
 * per event-loop turn (one setImmediate, armed by the first data of the turn) the shared scheduler
 * hashes every whole 64-byte block pending: streams, largest backlog first, are grouped eight (or
 * four) to a kernel call, each lane's data copied into its slab of WASM memory, the call running
 * over the group's smallest backlog (at most one slab); lanes left with data go into the next
 * pass, a lone stream to the scalar kernel. Only a tail shorter than a block outlives the turn
 * (copied, ≤ 63 bytes), so memory stays bounded however large the upload.
 *
 * A stream is hashed by these kernels from its first byte to its last: its state is never handed
 * to OpenSSL (it cannot be). That costs nothing when it is alone: the scalar kernel runs at about
 * OpenSSL's speed on this kind of machine (bench/md5.ts).
 */
import { DATA, INIT, MAX_LANES, PTRS, SLAB_BLOCKS, STAGED_AT, STAGED_SLAB, STAGED_SLABS, STATE1, instantiateMd5, laneData, laneState, type Md5Kernels } from './md5-kernel.js';

/**
 * A slab of the kernels' own memory (STAGED_SLAB bytes, page-aligned, so fit for O_DIRECT): bytes
 * a writer stages there are hashed in place (updateStaged), with no copy of their own.
 */
export interface Md5Slab {
  readonly buf: Buffer;
  /** Its offset in the kernels' memory. */
  readonly at: number;
}

export interface LaneMd5 {
  /** Queues `chunk` (kept by reference until hashed, at most a few turns; do not modify it before). */
  update(chunk: Buffer): void;
  /**
   * Queues bytes [start, start + length) of `slab`, hashed in place: they must stay as they are
   * until `drained` resolves (or the stream is digested or discarded).
   */
  updateStaged(slab: Md5Slab, start: number, length: number): void;
  /** Resolves once every whole block queued is hashed (staged bytes then free to reuse). */
  drained(): Promise<void>;
  /** The MD5 of everything queued; resolves after the turn hashes the last data and padding. */
  digest(): Promise<Buffer>;
  /** Drops the stream: pending data released, `digest` no longer possible. */
  discard(): void;
}

/** A drop-in for crypto.createHash('md5') in an async writer. */
export function createLaneMd5(): LaneMd5 {
  return new Stream();
}

const freeSlabs: Md5Slab[] = [];
let slabsMade = 0;

/** A staging slab, or undefined when all STAGED_SLABS are taken. */
export function takeMd5Slab(): Md5Slab | undefined {
  const s = freeSlabs.pop();
  if (s || slabsMade >= STAGED_SLABS) return s;
  const at = STAGED_AT + slabsMade++ * STAGED_SLAB;
  return { at, buf: Buffer.from(k().mem.buffer, at, STAGED_SLAB) };
}

/** Gives a slab back (no stream may still have unhashed bytes staged in it). */
export function giveMd5Slab(s: Md5Slab): void {
  freeSlabs.push(s);
}

/** Bytes staged in a slab: [at, at + len) of the kernels' memory. */
class Range {
  constructor(
    readonly at: number,
    public len: number,
  ) {}
}
type Entry = Buffer | Range;
const lengthOf = (e: Entry): number => (e instanceof Range ? e.len : e.length);

/**
 * Group sizes: five or more streams with whole blocks pending go to md5x8 (one call costs about
 * 1.25× an md5x4 call, 1.6× an md5x1 call, per block), two to four to md5x4, a lone one to md5x1.
 */
const X8_MIN = 5;
const X4_MIN = 2;
/**
 * Fewer than X8_MIN streams ready and none finishing: their data wait for company, since a lone
 * stream's scalar kernel costs about four times, and a half-empty md5x4 call about 1.5 times, per
 * byte what a full md5x8 call does. Chunks held by reference wait at most WAIT_TURNS turns and
 * WAIT_BYTES bytes a stream; staged bytes (already in the kernels' memory, holding nothing else)
 * wait until their writer needs them hashed (`drained`) or the digest is asked for.
 */
const WAIT_TURNS = 2;
const WAIT_BYTES = 512 * 1024;

let kernels: Md5Kernels | undefined;
function k(): Md5Kernels {
  return (kernels ??= instantiateMd5({ transpose: 'shuffle', msgInMemory: true, anchor: 4 }));
}

class Stream implements LaneMd5 {
  readonly state = Uint32Array.from(INIT);
  /** Pending chunks and staged ranges; the first `qi` are consumed, and `off` bytes of entry `qi`. */
  queue: Entry[] = [];
  qi = 0;
  off = 0;
  pending = 0;
  total = 0;
  closed = false;
  /** Turns its data have waited for company (reset when hashed). */
  waits = 0;
  waiting = false;
  /** Someone waits for `drained`: hash now, not after waiting for company. */
  urgent = false;
  draining?: { promise: Promise<void>; resolve: () => void };
  result?: { promise: Promise<Buffer>; resolve: (b: Buffer) => void; reject: (e: Error) => void };

  update(chunk: Buffer): void {
    if (this.closed) throw new Error(this.result ? 'md5: digest already called' : 'md5: stream discarded');
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.pending += chunk.length;
    this.total += chunk.length;
    schedule(this);
  }

  updateStaged(slab: Md5Slab, start: number, length: number): void {
    if (this.closed) throw new Error(this.result ? 'md5: digest already called' : 'md5: stream discarded');
    if (length === 0) return;
    const at = slab.at + start;
    const last = this.queue[this.queue.length - 1];
    // contiguous with the range before it (the next bytes of the same slab): one range
    if (last instanceof Range && last.at + last.len === at && this.queue.length > this.qi) last.len += length;
    else this.queue.push(new Range(at, length));
    this.pending += length;
    this.total += length;
    schedule(this);
  }

  drained(): Promise<void> {
    if (this.pending < 64) {
      this.unstageTail();
      return Promise.resolve();
    }
    this.urgent = true;
    schedule(this);
    if (!this.draining) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.draining = { promise, resolve };
    }
    return this.draining.promise;
  }

  digest(): Promise<Buffer> {
    if (this.result) return this.result.promise;
    if (this.closed) return Promise.reject(new Error('md5: stream discarded'));
    this.closed = true;
    const zeros = (55 - (this.total % 64) + 64) % 64;
    const pad = Buffer.alloc(1 + zeros + 8);
    pad[0] = 0x80;
    pad.writeUInt32LE((this.total * 8) >>> 0, 1 + zeros);
    pad.writeUInt32LE(Math.floor(this.total / 2 ** 29), 5 + zeros);
    this.queue.push(pad);
    this.pending += pad.length;
    let resolve!: (b: Buffer) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Buffer>((res, rej) => ((resolve = res), (reject = rej)));
    this.result = { promise, resolve, reject };
    schedule(this);
    return promise;
  }

  discard(): void {
    if (this.closed && !this.result) return;
    this.closed = true;
    this.release();
    dirty.delete(this);
    this.result?.reject(new Error('md5: stream discarded'));
  }

  release(): void {
    this.queue = [];
    this.qi = this.off = this.pending = 0;
    this.wake();
  }

  /** Settles `drained` once nothing whole is pending. */
  wake(): void {
    if (this.pending >= 64 || !this.draining) return;
    this.unstageTail();
    this.draining.resolve();
    this.draining = undefined;
    this.urgent = false;
  }

  /** A sub-block tail still staged is copied out (≤ 63 bytes): its writer may reuse the slab. */
  private unstageTail(): void {
    if (!this.queue.some((e, i) => i >= this.qi && e instanceof Range)) return;
    const n = this.pending;
    const tail = Buffer.allocUnsafe(n);
    this.take(tail, 0, n);
    this.queue = [tail];
    this.qi = this.off = 0;
    this.pending = n;
  }

  /** Whether chunks (not only staged ranges) are pending: their waiting holds memory. */
  holdsChunks(): boolean {
    for (let i = this.qi; i < this.queue.length; i++) if (!(this.queue[i] instanceof Range)) return true;
    return false;
  }

  /** Whole blocks that can be hashed in place from the head (a staged range), else 0. */
  inPlace(): number {
    const e = this.queue[this.qi];
    return e instanceof Range ? Math.min(Math.floor((e.len - this.off) / 64), STAGED_SLAB / 64) : 0;
  }

  /** Whole blocks the next kernel call may take: in place, or copied (at most a lane region). */
  ready(): number {
    return this.inPlace() || Math.min(Math.floor(this.pending / 64), SLAB_BLOCKS);
  }

  /**
   * Makes the next `n` pending bytes readable by the kernel and consumes them: their address in
   * place when the head range holds them all, else a copy to `region`.
   */
  source(region: number, n: number): number {
    const e = this.queue[this.qi];
    if (e instanceof Range && e.len - this.off >= n) {
      const at = e.at + this.off;
      this.skip(n);
      return at;
    }
    this.take(k().mem, region, n);
    return region;
  }

  private skip(n: number): void {
    this.pending -= n;
    this.off += n;
    const e = this.queue[this.qi];
    if (this.off === lengthOf(e)) {
      this.queue[this.qi++] = EMPTY;
      this.off = 0;
    }
  }

  /** Copies the next `n` pending bytes to `dst` at `at`, consuming them. */
  take(dst: Uint8Array, at: number, n: number): void {
    while (n > 0) {
      const e = this.queue[this.qi];
      const m = Math.min(n, lengthOf(e) - this.off);
      if (e instanceof Range) {
        const mem = k().mem;
        if (dst === mem) mem.copyWithin(at, e.at + this.off, e.at + this.off + m);
        else dst.set(mem.subarray(e.at + this.off, e.at + this.off + m), at);
      } else dst.set(m === e.length ? e : e.subarray(this.off, this.off + m), at);
      at += m;
      n -= m;
      this.skip(m);
    }
  }

  /**
   * End of turn: keeps what waits for company, else only the sub-block tail (a chunk's copied, a
   * staged range's left in place); settles `drained` and a digest.
   */
  settle(): void {
    if (this.waiting || this.queue.slice(this.qi).every((e) => e instanceof Range)) {
      this.queue = this.queue.slice(this.qi);
    } else {
      const tail = Buffer.allocUnsafe(this.pending);
      const n = this.pending;
      this.take(tail, 0, n);
      this.queue = [tail];
      this.pending = n;
    }
    this.qi = 0;
    this.wake();
    if (this.waiting) return;
    if (this.result && this.pending === 0) {
      const out = Buffer.alloc(16);
      for (let w = 0; w < 4; w++) out.writeUInt32LE(this.state[w], 4 * w);
      this.result.resolve(out);
    }
  }
}

const EMPTY = Buffer.alloc(0);
const dirty = new Set<Stream>();
let armed = false;

function schedule(s: Stream): void {
  dirty.add(s);
  if (!armed) {
    armed = true;
    setImmediate(runTurn);
  }
}

function runTurn(): void {
  armed = false;
  const streams = [...dirty];
  dirty.clear();
  let waited = false;
  try {
    hashAll(streams);
  } catch (e) {
    for (const s of streams) {
      s.closed = true;
      s.release();
      s.result?.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return;
  }
  for (const s of streams) {
    s.settle();
    if (s.waiting) {
      // it joins the next turn; only held chunks make that turn come (their wait is bounded):
      // staged bytes wait for more data, `drained` or the digest, each of which arms a turn
      dirty.add(s);
      if (s.holdsChunks()) waited = true;
    }
  }
  if (waited && !armed) {
    armed = true;
    setImmediate(runTurn);
  }
}

/** Hashes every whole block pending in `streams`, in passes of grouped kernel calls. */
function hashAll(streams: Stream[]): void {
  for (let pass = 0; ; pass++) {
    const ready = streams.filter((s) => s.pending >= 64).sort((a, b) => b.pending - a.pending);
    if (ready.length === 0) return;
    if (pass === 0) {
      const now = ready.length >= X8_MIN || ready.some((s) => s.result || s.urgent || (s.holdsChunks() && (s.waits >= WAIT_TURNS || s.pending >= WAIT_BYTES)));
      for (const s of ready) {
        s.waiting = !now;
        s.waits = now ? 0 : s.waits + 1;
      }
      if (!now) return;
    }
    for (let i = 0; i < ready.length; ) {
      const left = ready.length - i;
      const lanes = left >= X8_MIN ? 8 : left >= X4_MIN ? 4 : 1;
      const group = ready.slice(i, i + lanes);
      i += group.length;
      run(group, lanes);
    }
  }
}

/** One kernel call over `group` (≤ lanes streams, sorted by backlog, largest first). */
function run(group: Stream[], lanes: number): void {
  const { u32, x1, x4, x8 } = k();
  let blocks = Infinity;
  for (const s of group) blocks = Math.min(blocks, s.ready());
  const bytes = blocks * 64;
  if (lanes === 1) {
    const s = group[0];
    u32.set(s.state, STATE1 / 4);
    u32[PTRS / 4] = s.source(DATA, bytes);
    x1(blocks);
    s.state.set(u32.subarray(STATE1 / 4, STATE1 / 4 + 4));
    return;
  }
  for (let l = 0; l < MAX_LANES; l++) {
    const s = group[l];
    // a lane without a stream reads its own region: every pointer stays inside the memory
    u32[PTRS / 4 + l] = s ? s.source(laneData(l), bytes) : laneData(l);
    if (!s) continue;
    for (let w = 0; w < 4; w++) u32[laneState(l, w)] = s.state[w];
  }
  if (lanes === 8) x8(blocks);
  else x4(blocks);
  for (let l = 0; l < group.length; l++) {
    const s = group[l];
    for (let w = 0; w < 4; w++) s.state[w] = u32[laneState(l, w)];
  }
}
