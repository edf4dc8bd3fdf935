// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoDB type system on decoded wire values: validation of AttributeValues with DynamoDB's
 * messages (numbers canonicalised in place), exact comparison and equality, and item size as
 * DynamoDB computes it for the 400 KB limit.
 */
import { AwsError } from '../../src/errors.js';
import { invalidParam, validation } from './errors.js';
import { compareNumbers, normalizeNumber, parseDec } from './numbers.js';

/** As the json codec hands it over: B and BS are base64 strings (validated canonical). */
export type { AttributeValue } from './shapes.gen.js';
import type { AttributeValue } from './shapes.gen.js';
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

function showList(arr: string[]): string {
  return `[${arr.join(', ')}]`;
}

function serialization(message: string): AwsError {
  return new AwsError('SerializationException', message);
}

/** The Coral deserializer's complaint about a JSON value of the wrong type. */
function wrongType(v: unknown, want: 'String' | 'Blob' | 'Boolean' | 'List' | 'Map'): AwsError {
  if (Array.isArray(v)) {
    if (want === 'Map') return serialization('Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>');
    return serialization(want === 'Blob' ? 'Unrecognized collection type class java.nio.ByteBuffer' : `Unrecognized collection type class java.lang.${want}`);
  }
  if (typeof v === 'object') return serialization('Start of structure or map found where not expected');
  if (want === 'List' || want === 'Map') return serialization('Unexpected field type');
  if (want === 'Blob') return serialization(typeof v === 'string' ? 'Unexpected field type' : 'only base-64-encoded strings are convertible to bytes');
  if (typeof v === 'number') return serialization(`${Number.isInteger(v) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE'} cannot be converted to ${want}`);
  if (typeof v === 'boolean') return serialization(`${v ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to ${want}`);
  return serialization('Unexpected token received from parser');
}

function checkString(v: unknown): string {
  if (typeof v !== 'string') throw wrongType(v, 'String');
  return v;
}

/** Base64 as DynamoDB accepts it: padded, canonical. */
function checkBlob(v: unknown): string {
  if (typeof v !== 'string') throw wrongType(v, 'Blob');
  if (v.length % 4) throw serialization(`Base64 encoded length is expected a multiple of 4 bytes but found: ${v.length}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || Buffer.from(v, 'base64').toString('base64') !== v) throw serialization('Invalid last non-pad Base64 character dectected');
  return v;
}

function checkList(v: unknown, want: 'List'): unknown[] {
  if (!Array.isArray(v)) throw wrongType(v, want);
  return v;
}

const KNOWN = new Set<string>(TYPE_TAGS);

/**
 * Validates one AttributeValue (recursively) as the codec passed it through: JSON types first
 * (SerializationException), then DynamoDB's rules (ValidationException), canonicalising numbers
 * in place and dropping members the model does not know.
 */
export function validateValue(v: AttributeValue, depth = 1): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw serialization(Array.isArray(v) ? 'Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue' : 'Unexpected value type in payload');
  }
  if (depth > MAX_DEPTH) throw validation('Nesting Levels have exceeded supported limits');
  const raw = v as Record<string, unknown>;
  let count = 0;
  for (const k in raw) {
    const val = raw[k];
    if (!KNOWN.has(k) || val === undefined || val === null) {
      delete raw[k];
      continue;
    }
    count++;
    switch (k) {
      case 'S':
        checkString(val);
        break;
      case 'B':
        checkBlob(val);
        break;
      case 'BOOL':
      case 'NULL':
        if (typeof val !== 'boolean') throw wrongType(val, 'Boolean');
        if (k === 'NULL' && val !== true) throw invalidParam('Null attribute value types must have the value of true');
        break;
      case 'N':
        v.N = normalizeNumber(checkString(val));
        break;
      case 'SS': {
        const ss = checkList(val, 'List').map(checkString);
        if (!ss.length) throw invalidParam('An string set  may not be empty');
        if (dupOf(ss, (x) => x)) throw invalidParam(`Input collection ${showList(ss)} contains duplicates.`);
        break;
      }
      case 'NS': {
        const ns = checkList(val, 'List').map(checkString);
        if (!ns.length) throw invalidParam('An number set  may not be empty');
        v.NS = ns.map(normalizeNumber);
        if (dupOf(v.NS, (x) => x)) throw validation('Input collection contains duplicates');
        break;
      }
      case 'BS': {
        const bs = checkList(val, 'List').map(checkBlob);
        if (!bs.length) throw invalidParam('Binary sets should not be empty');
        if (dupOf(bs, (x) => x)) throw invalidParam(`Input collection ${showList(bs)}of type BS contains duplicates.`);
        break;
      }
      case 'M': {
        if (typeof val !== 'object' || Array.isArray(val)) throw wrongType(val, 'Map');
        const m = val as Item;
        for (const name in m) validateValue(m[name]!, depth + 1);
        break;
      }
      case 'L':
        for (const e of checkList(val, 'List') as AttributeValue[]) validateValue(e, depth + 1);
        break;
    }
  }
  if (count === 0) throw validation('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (count > 1) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
}

export function validateItemValues(item: Item): void {
  for (const name in item) validateValue(item[name]!);
}

/** Bytes of a (validated) base64 blob. */
export function blobBytes(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

function cmpBuf(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(blobBytes(a), blobBytes(b));
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
      return a.B === b.B;
    case 'BOOL':
      return a.BOOL === b.BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return setEq(a.SS!, b.SS!, (x) => x);
    case 'NS':
      return setEq(a.NS!, b.NS!, numKey);
    case 'BS':
      return setEq(a.BS!, b.BS!, (x) => x);
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
export function setElementKey(t: 'SS' | 'NS' | 'BS', x: string): string {
  return t === 'NS' ? numKey(x) : x;
}

/** numberSize for the common case, a plain decimal without exponent (undefined for the rest). */
function plainNumberSize(n: string): number | undefined {
  let i = 0;
  const c0 = n.charCodeAt(0);
  const neg = c0 === 45; /* - */
  if (neg || c0 === 43 /* + */) i = 1;
  let digits = 0;
  let intLen = 0;
  let lead = 0;
  let trailing = 0;
  let dot = false;
  let nonZero = false;
  for (; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c === 46 /* . */ && !dot) {
      dot = true;
      continue;
    }
    if (c < 48 || c > 57) return undefined;
    digits++;
    if (!dot) intLen++;
    if (c !== 48) {
      nonZero = true;
      trailing = 0;
    } else if (nonZero) trailing++;
    else lead++;
  }
  if (!digits) return undefined;
  if (!nonZero) return 1;
  const aligned = ((intLen - lead) % 2 === 0 ? 0 : 1) + digits - lead - trailing;
  return 1 + Math.ceil(aligned / 2) + (neg ? 1 : 0);
}

export function numberSize(n: string): number {
  const plain = plainNumberSize(n);
  if (plain !== undefined) return plain;
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
  if (v.B !== undefined) return Buffer.byteLength(v.B, 'base64');
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + Buffer.byteLength(x, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + numberSize(x), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + Buffer.byteLength(x, 'base64'), 0);
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

/** Deep copy of a value. */
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
