// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A strict CBOR (RFC 8949) decoder for rpc-v2-cbor request bodies. cbor-x refuses
 * indefinite-length byte and text strings, which Java's Jackson-based SDK writes for long strings
 * and which the Smithy RPC v2 CBOR protocol allows; this reader takes every well-formed item:
 * definite and indefinite lengths, half/single/double floats, tag 1 timestamps (→ Date), tags 2/3
 * bignums (→ bigint), other tags (→ their content). Maps become plain objects (keys as strings).
 * Malformed input throws CborError; lengths are checked against the bytes left before allocating.
 */
import { setKey } from './common.js';

export class CborError extends Error {
  override name = 'CborError';
}

const BREAK = Symbol('break');
const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_DEPTH = 64;

function halfFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) throw new CborError('unexpected end of CBOR data');
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** Reads a fixed-size big-endian value of `n` bytes. */
  private fixed<T>(n: number, get: (offset: number) => T): T {
    this.need(n);
    const v = get(this.pos);
    this.pos += n;
    return v;
  }

  /** The argument of an initial byte: a length or value; -1 for indefinite length. */
  private argument(ai: number): number | bigint {
    if (ai < 24) return ai;
    switch (ai) {
      case 24:
        return this.u8();
      case 25:
        return this.fixed(2, (o) => this.view.getUint16(o));
      case 26:
        return this.fixed(4, (o) => this.view.getUint32(o));
      case 27: {
        const v = this.fixed(8, (o) => this.view.getBigUint64(o));
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 31:
        return -1;
      default:
        throw new CborError(`reserved additional information ${ai}`);
    }
  }

  private length(ai: number): number {
    const n = this.argument(ai);
    if (typeof n === 'bigint') throw new CborError('CBOR length too large');
    return n;
  }

  private bytes(len: number): Uint8Array {
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /** Concatenated chunks of an indefinite-length string of major type `major`. */
  private chunks(major: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const ib = this.u8();
      if (ib === 0xff) break;
      if (ib >> 5 !== major || (ib & 31) === 31) throw new CborError('bad chunk in indefinite-length string');
      const part = this.bytes(this.length(ib & 31));
      parts.push(part);
      total += part.length;
    }
    return Buffer.concat(parts, total);
  }

  read(depth = 0): unknown {
    const v = this.item(depth);
    if (v === BREAK) throw new CborError('unexpected break');
    return v;
  }

  private item(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CborError('CBOR nested too deeply');
    const ib = this.u8();
    const major = ib >> 5;
    const ai = ib & 31;
    switch (major) {
      case 0:
        if (ai === 31) throw new CborError('indefinite length integer');
        return this.argument(ai);
      case 1: {
        if (ai === 31) throw new CborError('indefinite length integer');
        const n = this.argument(ai);
        return typeof n === 'bigint' ? -1n - n : n >= Number.MAX_SAFE_INTEGER ? -1n - BigInt(n) : -1 - n;
      }
      case 2: {
        const len = this.length(ai);
        return Buffer.from(len < 0 ? this.chunks(2) : this.bytes(len));
      }
      case 3: {
        const len = this.length(ai);
        try {
          return utf8.decode(len < 0 ? this.chunks(3) : this.bytes(len));
        } catch (e) {
          if (e instanceof CborError) throw e;
          throw new CborError('invalid UTF-8 in CBOR text string');
        }
      }
      case 4: {
        const len = this.length(ai);
        const out: unknown[] = [];
        if (len < 0) {
          for (let x = this.item(depth + 1); x !== BREAK; x = this.item(depth + 1)) out.push(x);
        } else {
          this.need(len); // every item takes at least a byte
          for (let i = 0; i < len; i++) out.push(this.read(depth + 1));
        }
        return out;
      }
      case 5: {
        const len = this.length(ai);
        const out: Record<string, unknown> = {};
        const entry = (k: unknown) => {
          if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'bigint') throw new CborError('CBOR map key must be a string');
          setKey(out, String(k), this.read(depth + 1));
        };
        if (len < 0) {
          for (let k = this.item(depth + 1); k !== BREAK; k = this.item(depth + 1)) entry(k);
        } else {
          this.need(len * 2);
          for (let i = 0; i < len; i++) entry(this.read(depth + 1));
        }
        return out;
      }
      case 6: {
        const tag = this.argument(ai);
        const v = this.read(depth + 1);
        if (tag === 1) {
          const secs = typeof v === 'bigint' ? Number(v) : v;
          if (typeof secs !== 'number') throw new CborError('tag 1 needs a number');
          return new Date(Math.round(secs * 1000));
        }
        if ((tag === 2 || tag === 3) && v instanceof Uint8Array) {
          let n = 0n;
          for (const b of v) n = (n << 8n) | BigInt(b);
          return tag === 2 ? n : -1n - n;
        }
        return v;
      }
      default:
        switch (ai) {
          case 20:
            return false;
          case 21:
            return true;
          case 22:
            return null;
          case 23:
            return undefined;
          case 24:
            this.u8();
            return undefined;
          case 25:
            return halfFloat(this.fixed(2, (o) => this.view.getUint16(o)));
          case 26:
            return this.fixed(4, (o) => this.view.getFloat32(o));
          case 27:
            return this.fixed(8, (o) => this.view.getFloat64(o));
          case 31:
            return BREAK;
          default:
            if (ai < 20) return undefined; // unassigned simple values
            throw new CborError(`reserved simple value ${ai}`);
        }
    }
  }
}

/** Decodes one CBOR data item that must span all of `bytes`. */
export function decodeCbor(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const v = r.read();
  if (!r.done()) throw new CborError('trailing bytes after the CBOR data item');
  return v;
}
