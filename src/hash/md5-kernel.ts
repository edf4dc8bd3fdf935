// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * MD5 compression kernels generated as WebAssembly at runtime (see wasm-emit.ts):
 *  - md5x8: two interleaved sets of four lanes (v128, one lane per stream) — eight independent
 *    MD5 states advanced together; the two dependency chains give the CPU instruction-level
 *    parallelism that a single MD5 chain lacks;
 *  - md5x4: one set of four lanes;
 *  - md5x1: a scalar (i32) kernel for a stream that is alone.
 * Every kernel takes a block count n and hashes n 64-byte blocks of each lane's data (all lanes
 * the same n), from where the lane's pointer in the pointer table says (a copy in the lane's data
 * region, or bytes staged in place in a slab), reading and writing the lanes' states in the state
 * area. All 64 steps are
 * unrolled; the state rotation (a,b,c,d) → (d,a,b,c) is a renaming at generation time.
 *
 * Memory layout (bytes):
 *   STATE  0     lane l, word w (A,B,C,D) at STATE + (l>>2)*64 + w*16 + (l&3)*4 (md5x4/md5x8);
 *   STATE1 128   md5x1's A,B,C,D;
 *   PTRS   160   lane l's data pointer (i32) at PTRS + 4l (md5x1 reads lane 0's);
 *   KTAB   256   the 64 round constants, each splat to 4 lanes (16 bytes);
 *   MSG    2048  scratch for the transposed message words (msgInMemory variant);
 *   ANCHOR 4096  scratch the anchoring stores write (see KernelOptions.anchor);
 *   DATA   65536 lane l's data at laneData(l), SLAB bytes each (md5x1 uses lane 0's). (Regions
 *                staggered against L1 set conflicts measured no faster; they are contiguous.)
 *   STAGED_AT    STAGED_SLABS slabs of STAGED_SLAB bytes, page-aligned: writers stage bytes there
 *                (for O_DIRECT writes, say) and have them hashed in place (md5-lanes.ts).
 */
import { Code, I32, Op, Simd, V128, wasmModule, type FuncDef } from './wasm-emit.js';

export const STATE = 0;
/** Index (in 32-bit words) of word w (A, B, C, D) of lane l's state, for md5x4 and md5x8. */
export const laneState = (l: number, w: number): number => (STATE + (l >> 2) * 64 + w * 16 + (l & 3) * 4) / 4;
export const STATE1 = 128;
export const PTRS = 160;
const KTAB = 256;
const MSG = 2048;
const ANCHOR = 4096;
export const DATA = 65536;
/** Bytes of one lane's data region: the most one kernel call hashes per lane. */
export const SLAB = 65536;
export const SLAB_BLOCKS = SLAB / 64;
export const MAX_LANES = 8;
/** Where lane l's data region starts. */
export const laneData = (l: number): number => DATA + l * SLAB;
/** Staging slabs: where the first starts, how large each is, how many. */
export const STAGED_AT = laneData(MAX_LANES);
export const STAGED_SLAB = 1024 * 1024;
export const STAGED_SLABS = 32;
const PAGES = Math.ceil((STAGED_AT + STAGED_SLABS * STAGED_SLAB) / 65536);

/** K[i] = floor(|sin(i + 1)| · 2^32). */
export const K: readonly number[] = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
const SHIFT = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];
/** The message word step i reads. */
function word(i: number): number {
  const r = i >> 4;
  return r === 0 ? i : r === 1 ? (5 * i + 1) % 16 : r === 2 ? (3 * i + 5) % 16 : (7 * i) % 16;
}
export const INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476] as const;

export interface KernelOptions {
  /** How each set's message words are gathered across lanes: four v128 loads per lane and a
   * 4×4 transpose with i8x16.shuffle ('shuffle'), or one v128.load32_lane per word ('lane'). */
  transpose?: 'shuffle' | 'lane';
  /** Keep the transposed words in a scratch area and load them per step instead of in locals. */
  msgInMemory?: boolean;
  /** Store each set's newest state word to a scratch slot every `anchor` steps (0: never). The
   * stores sit on the effect chain and keep V8's scheduler from serialising the two sets. */
  anchor?: number;
}

/** A SIMD kernel of `sets` interleaved sets of four lanes. */
function simdKernel(sets: number, o: Required<KernelOptions>): Code {
  const c = new Code(1); // param 0: block count
  const end = c.local(I32);
  const p = c.local(I32);
  const st = Array.from({ length: sets }, () => Array.from({ length: 4 }, () => c.local(V128)));
  const saved = Array.from({ length: sets }, () => Array.from({ length: 4 }, () => c.local(V128)));
  const m = Array.from({ length: sets }, () => Array.from({ length: 16 }, () => c.local(V128)));
  const r = Array.from({ length: 4 }, () => c.local(V128));
  const t = Array.from({ length: 4 }, () => c.local(V128));
  const x = c.local(V128);
  const q = Array.from({ length: 4 * sets }, () => c.local(I32));

  for (let l = 0; l < 4 * sets; l++) c.i32(0).mem(Op.i32Load, PTRS + 4 * l, 2).set(q[l]);
  for (let s = 0; s < sets; s++) for (let w = 0; w < 4; w++) c.i32(0).v128Load(STATE + s * 64 + w * 16).set(st[s][w]);
  c.get(0).i32(6).op(Op.i32Shl).set(end);
  c.i32(0).set(p);
  c.op(Op.block, 0x40).get(0).op(Op.i32Eqz).op(Op.brIf, 0);
  c.op(Op.loop, 0x40);
  for (let s = 0; s < sets; s++) for (let w = 0; w < 4; w++) c.get(st[s][w]).set(saved[s][w]);

  // Gather: m[s][k] = word k of lanes 4s..4s+3.
  for (let s = 0; s < sets; s++) {
    const lane = (j: number): number => q[4 * s + j];
    const put = (k: number): void => {
      if (o.msgInMemory) c.set(x).i32(0).get(x).v128Store(MSG + s * 256 + k * 16);
      else c.set(m[s][k]);
    };
    if (o.transpose === 'lane') {
      for (let k = 0; k < 16; k++) {
        c.get(lane(0)).simdMem(Simd.load32Zero, 4 * k, 2).set(x);
        for (let j = 1; j < 4; j++) {
          c.get(lane(j)).get(x).simdMem(Simd.load32Lane, 4 * k, 2, j);
          if (j < 3) c.set(x);
        }
        put(k);
      }
    } else {
      for (let g = 0; g < 4; g++) {
        for (let j = 0; j < 4; j++) c.get(lane(j)).v128Load(16 * g).set(r[j]);
        c.get(r[0]).get(r[1]).shuffle32([0, 4, 1, 5]).set(t[0]);
        c.get(r[0]).get(r[1]).shuffle32([2, 6, 3, 7]).set(t[1]);
        c.get(r[2]).get(r[3]).shuffle32([0, 4, 1, 5]).set(t[2]);
        c.get(r[2]).get(r[3]).shuffle32([2, 6, 3, 7]).set(t[3]);
        c.get(t[0]).get(t[2]).shuffle32([0, 1, 4, 5]);
        put(4 * g);
        c.get(t[0]).get(t[2]).shuffle32([2, 3, 6, 7]);
        put(4 * g + 1);
        c.get(t[1]).get(t[3]).shuffle32([0, 1, 4, 5]);
        put(4 * g + 2);
        c.get(t[1]).get(t[3]).shuffle32([2, 3, 6, 7]);
        put(4 * g + 3);
      }
    }
  }

  // 64 steps, the sets interleaved step by step.
  const names = st.map((v) => [...v]); // current (a, b, c, d) locals of each set
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    const sh = SHIFT[round][i & 3];
    for (let s = 0; s < sets; s++) {
      const [a, b, cc, d] = names[s];
      c.i32(0).v128Load(KTAB + 16 * i);
      if (o.msgInMemory) c.i32(0).v128Load(MSG + s * 256 + word(i) * 16);
      else c.get(m[s][word(i)]);
      c.simd(Simd.i32x4Add).get(a).simd(Simd.i32x4Add);
      // The term depending on b (the newest word) comes last, keeping the chain short: G is
      // (c & ~d) + (b & d) (disjoint bits), H is b ^ (c ^ d).
      if (round === 0) c.get(cc).get(d).get(b).simd(Simd.bitselect);
      else if (round === 1) c.get(cc).get(d).simd(Simd.andnot).simd(Simd.i32x4Add).get(b).get(d).simd(Simd.and);
      else if (round === 2) c.get(b).get(cc).get(d).simd(Simd.xor).simd(Simd.xor);
      else c.get(b).get(d).simd(Simd.not).simd(Simd.or).get(cc).simd(Simd.xor);
      c.simd(Simd.i32x4Add).tee(x).i32(sh).simd(Simd.i32x4Shl).get(x).i32(32 - sh).simd(Simd.i32x4ShrU).simd(Simd.or);
      c.get(b).simd(Simd.i32x4Add).set(a);
      if (sets > 1 && o.anchor > 0 && i % o.anchor === o.anchor - 1) c.i32(0).get(a).v128Store(ANCHOR + 16 * s);
      names[s] = [d, a, b, cc];
    }
  }
  for (let s = 0; s < sets; s++) for (let w = 0; w < 4; w++) c.get(st[s][w]).get(saved[s][w]).simd(Simd.i32x4Add).set(st[s][w]);
  for (let l = 0; l < 4 * sets; l++) c.get(q[l]).i32(64).op(Op.i32Add).set(q[l]);

  c.get(p).i32(64).op(Op.i32Add).tee(p).get(end).op(Op.i32LtU).op(Op.brIf, 0);
  c.op(Op.end).op(Op.end);
  for (let s = 0; s < sets; s++) for (let w = 0; w < 4; w++) c.i32(0).get(st[s][w]).v128Store(STATE + s * 64 + w * 16);
  return c;
}

/** The scalar kernel over lane 0's data, state at STATE1. */
function scalarKernel(): Code {
  const c = new Code(1);
  const end = c.local(I32);
  const p = c.local(I32);
  const q = c.local(I32);
  c.i32(0).mem(Op.i32Load, PTRS, 2).set(q);
  const st = Array.from({ length: 4 }, () => c.local(I32));
  const saved = Array.from({ length: 4 }, () => c.local(I32));
  for (let w = 0; w < 4; w++) c.i32(0).mem(Op.i32Load, STATE1 + 4 * w, 2).set(st[w]);
  c.get(0).i32(6).op(Op.i32Shl).set(end);
  c.i32(0).set(p);
  c.op(Op.block, 0x40).get(0).op(Op.i32Eqz).op(Op.brIf, 0);
  c.op(Op.loop, 0x40);
  for (let w = 0; w < 4; w++) c.get(st[w]).set(saved[w]);
  let names = [...st];
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    const [a, b, cc, d] = names;
    c.get(q).mem(Op.i32Load, 4 * word(i), 2).i32(K[i]).op(Op.i32Add).get(a).op(Op.i32Add);
    if (round === 0) c.get(d).get(b).get(cc).get(d).op(Op.i32Xor).op(Op.i32And).op(Op.i32Xor);
    else if (round === 1) c.get(d).i32(-1).op(Op.i32Xor).get(cc).op(Op.i32And).op(Op.i32Add).get(b).get(d).op(Op.i32And);
    else if (round === 2) c.get(b).get(cc).get(d).op(Op.i32Xor).op(Op.i32Xor);
    else c.get(cc).get(b).get(d).i32(-1).op(Op.i32Xor).op(Op.i32Or).op(Op.i32Xor);
    c.op(Op.i32Add).i32(SHIFT[round][i & 3]).op(Op.i32Rotl).get(b).op(Op.i32Add).set(a);
    names = [d, a, b, cc];
  }
  for (let w = 0; w < 4; w++) c.get(st[w]).get(saved[w]).op(Op.i32Add).set(st[w]);
  c.get(q).i32(64).op(Op.i32Add).set(q);
  c.get(p).i32(64).op(Op.i32Add).tee(p).get(end).op(Op.i32LtU).op(Op.brIf, 0);
  c.op(Op.end).op(Op.end);
  for (let w = 0; w < 4; w++) c.i32(0).get(st[w]).mem(Op.i32Store, STATE1 + 4 * w, 2);
  return c;
}

/** The module's bytes: exports memory, md5x1, md5x4, md5x8 (each (blocks: i32) → ()). */
export function md5ModuleBytes(opts: KernelOptions = {}): Uint8Array<ArrayBuffer> {
  const o: Required<KernelOptions> = { transpose: opts.transpose ?? 'shuffle', msgInMemory: opts.msgInMemory ?? false, anchor: opts.anchor ?? 0 };
  const fn = (name: string, code: Code): FuncDef => ({ name, params: [I32], results: [], code });
  return wasmModule(PAGES, [fn('md5x1', scalarKernel()), fn('md5x4', simdKernel(1, o)), fn('md5x8', simdKernel(2, o))]);
}

/** One instance: its memory and kernels. */
export interface Md5Kernels {
  readonly mem: Uint8Array;
  readonly u32: Uint32Array;
  x1(blocks: number): void;
  x4(blocks: number): void;
  x8(blocks: number): void;
}

/** Compiles (synchronously) and instantiates a module; fills the round-constant table. */
export function instantiateMd5(opts: KernelOptions = {}): Md5Kernels {
  const mod = new WebAssembly.Module(md5ModuleBytes(opts));
  const inst = new WebAssembly.Instance(mod, {});
  const ex = inst.exports as { memory: WebAssembly.Memory; md5x1: (n: number) => void; md5x4: (n: number) => void; md5x8: (n: number) => void };
  const mem = new Uint8Array(ex.memory.buffer);
  const u32 = new Uint32Array(ex.memory.buffer);
  for (let i = 0; i < 64; i++) u32.fill(K[i], (KTAB + 16 * i) / 4, (KTAB + 16 * i + 16) / 4);
  return { mem, u32, x1: ex.md5x1, x4: ex.md5x4, x8: ex.md5x8 };
}
