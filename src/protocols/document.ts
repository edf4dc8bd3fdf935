// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Model-driven conversion between the documents of the JSON and CBOR protocols and handler
 * values. JSON: blobs are base64 strings, timestamps epoch seconds (numbers, fraction allowed).
 * CBOR: blobs are byte strings, timestamps tag 1 (decoded by cbor-x as Date) or plain numbers.
 * Unknown members are ignored, like AWS; null means absent. Type mismatches become
 * SerializationException, the error AWS's Coral services answer. rawJson shapes (DynamoDB
 * AttributeValue) pass through untouched.
 */
import { AwsError } from '../errors.js';
import type { Shape } from './model.js';
import { epochSeconds, parseTimestamp, toBuffer } from './common.js';

export type DocMode = 'json' | 'cbor';

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (v instanceof Uint8Array) return 'BYTE_STRING';
  if (v instanceof Date) return 'TIMESTAMP';
  switch (typeof v) {
    case 'object':
      return 'START_OBJECT';
    case 'string':
      return 'VALUE_STRING';
    case 'boolean':
      return v ? 'VALUE_TRUE' : 'VALUE_FALSE';
    case 'number':
    case 'bigint':
      return Number.isInteger(Number(v)) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
    default:
      return typeof v;
  }
}

function mismatch(v: unknown, expected: string): AwsError {
  const k = kindOf(v);
  if (k === 'START_OBJECT') return new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  if (k === 'START_ARRAY') return new AwsError('SerializationException', 'Start of list found where not expected');
  return new AwsError('SerializationException', `${k} can not be converted to ${expected}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Decodes a document value into the handler representation of `shape`. */
export function decodeDoc(v: unknown, shape: Shape, mode: DocMode, depth = 0): unknown {
  if (v === null || v === undefined) return undefined;
  if (depth > 64) throw new AwsError('SerializationException', 'The document is nested too deeply.');
  if (shape.rawJson) {
    if (!isPlainObject(v)) throw mismatch(v, 'a structure');
    return v;
  }
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(v)) throw mismatch(v, 'a structure');
      const out: Record<string, unknown> = {};
      const members = shape.members ?? {};
      for (const k of Object.keys(v)) {
        const m = members[k];
        if (!m) continue;
        const d = decodeDoc(v[k], m, mode, depth + 1);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(v)) throw mismatch(v, 'a list');
      const m = shape.member!;
      return v.map((e) => decodeDoc(e, m, mode, depth + 1) ?? null);
    }
    case 'map': {
      if (!isPlainObject(v)) throw mismatch(v, 'a map');
      const out: Record<string, unknown> = {};
      const m = shape.value!;
      for (const k of Object.keys(v)) {
        const d = decodeDoc(v[k], m, mode, depth + 1);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
    case 'string':
      if (typeof v !== 'string') throw mismatch(v, 'String');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw mismatch(v, 'Boolean');
      return v;
    case 'integer':
    case 'long':
      if (typeof v === 'bigint') return Number(v);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw mismatch(v, shape.type === 'long' ? 'Long' : 'Integer');
      return v;
    case 'float':
    case 'double':
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'number') return v;
      // The JSON protocols send NaN and infinities as strings.
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
      throw mismatch(v, 'Double');
    case 'timestamp': {
      if (typeof v !== 'number' && !(v instanceof Date) && typeof v !== 'string' && typeof v !== 'bigint') throw mismatch(v, 'Date');
      const d = parseTimestamp(typeof v === 'bigint' ? Number(v) : v);
      if (!d) throw new AwsError('SerializationException', `${String(v)} can not be converted to a timestamp`);
      return d;
    }
    case 'blob': {
      if (mode === 'cbor' && v instanceof Uint8Array) return toBuffer(v);
      if (typeof v !== 'string') throw mismatch(v, 'Blob');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
        throw new AwsError('SerializationException', 'Base64 encoded binary data could not be decoded.');
      }
      return Buffer.from(v, 'base64');
    }
    default:
      return v;
  }
}

/** Encodes a handler value of `shape` for a document (undefined: leave the member out). */
export function encodeDoc(v: unknown, shape: Shape, mode: DocMode, depth = 0): unknown {
  if (v === null || v === undefined || depth > 64) return undefined;
  if (shape.rawJson) return v;
  switch (shape.type) {
    case 'structure': {
      if (typeof v !== 'object') return undefined;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, m] of Object.entries(shape.members ?? {})) {
        const e = encodeDoc(src[name], m, mode, depth + 1);
        if (e !== undefined) out[name] = e;
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(v)) return undefined;
      return v.map((e) => encodeDoc(e, shape.member!, mode, depth + 1) ?? null);
    case 'map': {
      if (typeof v !== 'object') return undefined;
      const out: Record<string, unknown> = {};
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
      for (const [k, e] of entries) {
        const x = encodeDoc(e, shape.value!, mode, depth + 1);
        if (x !== undefined) out[String(k)] = x;
      }
      return out;
    }
    case 'timestamp': {
      const d = parseTimestamp(v);
      if (!d) return undefined;
      return mode === 'cbor' ? d : epochSeconds(d);
    }
    case 'blob': {
      const b = toBuffer(v);
      if (!b) return undefined;
      return mode === 'cbor' ? b : b.toString('base64');
    }
    case 'float':
    case 'double':
      if (mode === 'json' && typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return typeof v === 'bigint' ? Number(v) : v;
    case 'integer':
    case 'long':
      return typeof v === 'bigint' ? Number(v) : v;
    default:
      return v;
  }
}
