// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoDB type system on decoded wire values: validation of AttributeValues with DynamoDB's
 * messages (numbers canonicalised in place), exact comparison and equality, and item size as
 * DynamoDB computes it for the 400 KB limit.
 */
import { invalidParam, validation } from './errors.js';
import { compareNumbers, normalizeNumber, parseDec } from './numbers.js';

export interface AttributeValue {
  S?: string;
  N?: string;
  B?: Buffer;
  SS?: string[];
  NS?: string[];
  BS?: Buffer[];
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
  NULL?: boolean;
  BOOL?: boolean;
}
export type Item = Record<string, AttributeValue>;
export type TypeTag = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'NULL' | 'BOOL';
export const TYPE_TAGS: readonly TypeTag[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];

export const MAX_ITEM_SIZE = 400 * 1024;
export const MAX_DEPTH = 32;

/** The single type tag of a (validated) value. */
export function typeOf(v: AttributeValue): TypeTag {
  for (const k in v) if ((v as Record<string, unknown>)[k] !== undefined) return k as TypeTag;
  return 'NULL';
}

function dupOf<T>(arr: T[], keyOf: (x: T) => string): boolean {
  const seen = new Set<string>();
  for (const x of arr) {
    const k = keyOf(x);
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

function showList(arr: Array<string | Buffer>): string {
  return `[${arr.map((x) => (Buffer.isBuffer(x) ? x.toString('base64') : x)).join(', ')}]`;
}

/**
 * Validates one AttributeValue (recursively) and canonicalises its numbers in place. Messages and
 * their order follow DynamoDB.
 */
export function validateValue(v: AttributeValue, depth = 1): void {
  if (v === null || typeof v !== 'object') throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (depth > MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
  let count = 0;
  for (const k in v) {
    const val = (v as Record<string, unknown>)[k];
    if (val === undefined || val === null) continue;
    count++;
    switch (k) {
      case 'N':
        v.N = normalizeNumber(val as string);
        break;
      case 'NULL':
        if (val !== true) throw invalidParam('Null attribute value types must have the value of true');
        break;
      case 'SS': {
        const ss = val as string[];
        if (!ss.length) throw invalidParam('An string set  may not be empty');
        if (dupOf(ss, (x) => x)) throw invalidParam(`Input collection ${showList(ss)} contains duplicates.`);
        break;
      }
      case 'NS': {
        const ns = val as string[];
        if (!ns.length) throw invalidParam('An number set  may not be empty');
        for (let i = 0; i < ns.length; i++) ns[i] = normalizeNumber(ns[i]!);
        if (dupOf(ns, (x) => x)) throw validation('Input collection contains duplicates');
        break;
      }
      case 'BS': {
        const bs = val as Buffer[];
        if (!bs.length) throw invalidParam('Binary sets should not be empty');
        if (dupOf(bs, (x) => x.toString('latin1'))) throw invalidParam(`Input collection ${showList(bs)}of type BS contains duplicates.`);
        break;
      }
      case 'M':
        for (const name in val as Item) validateValue((val as Item)[name]!, depth + 1);
        break;
      case 'L':
        for (const e of val as AttributeValue[]) validateValue(e, depth + 1);
        break;
    }
  }
  if (count === 0) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (count > 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
}

export function validateItemValues(item: Item): void {
  for (const name in item) validateValue(item[name]!);
}

function cmpBuf(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

function cmpStr(a: string, b: string): number {
  // DynamoDB orders strings by their UTF-8 bytes; JS compares UTF-16 code units, which differs
  // only for astral vs. high-BMP characters.
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Order of two scalar values of the same type (S, N, B); undefined when not comparable. */
export function compareScalars(a: AttributeValue, b: AttributeValue): number | undefined {
  if (a.S !== undefined && b.S !== undefined) return cmpStr(a.S, b.S);
  if (a.N !== undefined && b.N !== undefined) return compareNumbers(a.N, b.N);
  if (a.B !== undefined && b.B !== undefined) return cmpBuf(a.B, b.B);
  return undefined;
}

function setEq<T>(a: T[], b: T[], key: (x: T) => string): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(key));
  return b.every((x) => s.has(key(x)));
}

const numKey = (x: string) => {
  const d = parseDec(x)!;
  return `${d.neg ? '-' : ''}${d.digits}e${d.exp}`;
};

export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  switch (t) {
    case 'S':
      return a.S === b.S;
    case 'N':
      return compareNumbers(a.N!, b.N!) === 0;
    case 'B':
      return a.B!.equals(b.B!);
    case 'BOOL':
      return a.BOOL === b.BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return setEq(a.SS!, b.SS!, (x) => x);
    case 'NS':
      return setEq(a.NS!, b.NS!, numKey);
    case 'BS':
      return setEq(a.BS!, b.BS!, (x) => x.toString('latin1'));
    case 'L':
      return a.L!.length === b.L!.length && a.L!.every((x, i) => valuesEqual(x, b.L![i]!));
    case 'M': {
      const ka = Object.keys(a.M!);
      if (ka.length !== Object.keys(b.M!).length) return false;
      return ka.every((k) => b.M![k] !== undefined && valuesEqual(a.M![k]!, b.M![k]!));
    }
  }
}

/** Key string of a set element, for set algebra (ADD/DELETE). */
export function setElementKey(t: 'SS' | 'NS' | 'BS', x: string | Buffer): string {
  if (t === 'SS') return x as string;
  if (t === 'NS') return numKey(x as string);
  return (x as Buffer).toString('latin1');
}

function numberSize(n: string): number {
  const d = parseDec(n)!;
  if (d.digits === '') return 1;
  // DynamoDB stores two digits per byte, aligned on the exponent's parity, plus one byte of
  // exponent and one more for negative numbers.
  const len = d.digits.length;
  const aligned = (d.exp % 2 === 0 ? 0 : 1) + len;
  return 1 + Math.ceil(aligned / 2) + (d.neg ? 1 : 0);
}

/** Size of a value as DynamoDB counts it. */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + numberSize(x), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + x.length, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if (v.M !== undefined) {
    let s = 3;
    for (const k in v.M) s += 1 + Buffer.byteLength(k, 'utf8') + valueSize(v.M[k]!);
    return s;
  }
  return 1;
}

/** Item size: attribute names plus values (UTF-8 bytes). */
export function itemSize(item: Item): number {
  let s = 0;
  for (const k in item) s += Buffer.byteLength(k, 'utf8') + valueSize(item[k]!);
  return s;
}

/** Deep copy of a value (Buffers shared: they are never mutated). */
export function cloneValue(v: AttributeValue): AttributeValue {
  if (v.M !== undefined) {
    const m: Item = {};
    for (const k in v.M) m[k] = cloneValue(v.M[k]!);
    return { M: m };
  }
  if (v.L !== undefined) return { L: v.L.map(cloneValue) };
  if (v.SS !== undefined) return { SS: [...v.SS] };
  if (v.NS !== undefined) return { NS: [...v.NS] };
  if (v.BS !== undefined) return { BS: [...v.BS] };
  return { ...v };
}

export function cloneItem(item: Item): Item {
  const out: Item = {};
  for (const k in item) out[k] = cloneValue(item[k]!);
  return out;
}
