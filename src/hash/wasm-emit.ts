// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A tiny WebAssembly binary emitter: just the sections and opcodes the generated hash kernels use
 * (one memory, functions taking and returning i32s, i32 and v128 locals, structured loops).
 * Code is built with a `Code` writer (one per function body) and assembled by `wasmModule`.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number, out: number[] = []): number[] {
  if (n < 0 || !Number.isInteger(n)) throw new RangeError(`uleb: ${n}`);
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (values ≥ 2^31 are taken as their i32 two's complement). */
export function sleb(n: number, out: number[] = []): number[] {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...uleb(b.length), ...b];
}

/** The parts concatenated (a loop: spreading large arrays is slow). */
function cat(...parts: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]);
  return out;
}

function vec(items: number[][]): number[] {
  return cat(uleb(items.length), ...items);
}

/** SIMD (0xfd-prefixed) opcodes used here. */
export const Simd = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  i32x4ExtractLane: 0x1b,
  i32x4ReplaceLane: 0x1c,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  load32Lane: 0x56,
  load32Zero: 0x5c,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;

/** Plain (one-byte) opcodes used here. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  drop: 0x1a,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
} as const;

/** The body of one function: declares locals, then appends instructions (chainable). */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(private readonly nParams: number) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.nParams + this.locals.length - 1;
  }

  op(code: number, ...imm: number[]): this {
    this.bytes.push(code, ...imm);
    return this;
  }
  simd(code: number, ...imm: number[]): this {
    this.bytes.push(0xfd, ...uleb(code), ...imm);
    return this;
  }
  get(i: number): this {
    return this.op(Op.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.op(Op.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(Op.localTee, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(Op.i32Const, ...sleb(n));
  }
  /** Memory access with a static offset; `align` is log2 of the alignment hint. */
  mem(code: number, offset: number, align: number): this {
    return this.op(code, ...uleb(align), ...uleb(offset));
  }
  simdMem(code: number, offset: number, align: number, ...imm: number[]): this {
    return this.simd(code, ...uleb(align), ...uleb(offset), ...imm);
  }
  v128Load(offset: number): this {
    return this.simdMem(Simd.load, offset, 4);
  }
  v128Store(offset: number): this {
    return this.simdMem(Simd.store, offset, 4);
  }
  v128Const(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new RangeError('v128.const takes 16 bytes');
    return this.simd(Simd.const, ...Array.from(bytes));
  }
  /** i8x16.shuffle picking 32-bit words: indices 0–3 from the first operand, 4–7 from the second. */
  shuffle32(w: [number, number, number, number]): this {
    const lanes: number[] = [];
    for (const x of w) lanes.push(4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3);
    return this.simd(Simd.shuffle, ...lanes);
  }

  /** The encoded body: locals (run-length grouped), instructions, end. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const body = cat(vec(groups), this.bytes, [Op.end]);
    return cat(uleb(body.length), body);
  }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  code: Code;
}

function section(id: number, content: number[]): number[] {
  return cat([id], uleb(content.length), content);
}

/** A module with one exported memory of `pages` 64 KiB pages and the given exported functions. */
export function wasmModule(pages: number, funcs: FuncDef[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  return new Uint8Array(
    cat(
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      section(1, vec(types)),
      section(3, vec(funcs.map((_, i) => uleb(i)))),
      section(5, vec([[0x00, ...uleb(pages)]])),
      section(7, vec([[...name('memory'), 0x02, 0x00], ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])),
      section(10, vec(funcs.map((f) => f.code.encode()))),
    ),
  );
}
