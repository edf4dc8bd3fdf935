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
import { epochSeconds, parseTimestamp, setKey, toBuffer } from './common.js';

export type DocMode = 'json' | 'cbor';

/** Java class names Coral's deserializer reports for scalar types. */
const JAVA_TYPES: Record<string, string> = {
  string: 'String',
  boolean: 'Boolean',
  integer: 'Integer',
  long: 'Long',
  float: 'Float',
  double: 'Double',
  timestamp: 'Date',
};

function serialization(message: string): AwsError {
  return new AwsError('SerializationException', message);
}

/**
 * The SerializationException Coral (DynamoDB, Logs…) answers when a value has the wrong JSON type
 * for `shape`, with its messages ("NUMBER_VALUE cannot be converted to String", "Start of
 * structure or map found where not expected"…; dynalite mirrors them from the real service).
 */
function mismatch(v: unknown, shape: Shape): AwsError {
  const container = shape.type === 'structure' || shape.type === 'list' || shape.type === 'map';
  if (Array.isArray(v)) {
    if (shape.type === 'map') return serialization('Unrecognized collection type java.util.Map<java.lang.String, ?>');
    if (shape.type === 'structure') return serialization(`Unrecognized collection type class ${shape.shapeName?.replace(/^bc:/, '') ?? 'structure'}`);
    if (shape.type === 'blob') return serialization('Unrecognized collection type class java.nio.ByteBuffer');
    return serialization(`Unrecognized collection type class java.lang.${JAVA_TYPES[shape.type] ?? 'Object'}`);
  }
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    return serialization('Start of structure or map found where not expected');
  }
  if (container) return serialization('Unexpected field type');
  if (shape.type === 'blob') return serialization('only base-64-encoded strings are convertible to bytes');
  const type = JAVA_TYPES[shape.type] ?? 'Object';
  if (typeof v === 'boolean') return serialization(`${v ? 'TRUE_VALUE' : 'FALSE_VALUE'} cannot be converted to ${type}`);
  if (typeof v === 'number' || typeof v === 'bigint') {
    return serialization(`${Number.isInteger(Number(v)) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE'} cannot be converted to ${type}`);
  }
  if (typeof v === 'string') return serialization(`STRING_VALUE cannot be converted to ${type}`);
  return serialization(`Unexpected value type in payload`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Set when a decoded structure lacks a required member (see decodeInput). */
let sawMissing = false;

/**
 * Decodes a request document into the operation's input, and says whether some structure in it
 * lacks a required member — only then does the codec walk the input again (checkRequired) to
 * name the first one in the service's words.
 */
export function decodeInput(doc: unknown, shape: Shape, mode: DocMode): { input: Record<string, unknown>; missingRequired: boolean } {
  sawMissing = false;
  const input = decodeDoc(doc, shape, mode) as Record<string, unknown>;
  return { input, missingRequired: sawMissing };
}

/** Decodes a document value into the handler representation of `shape`. */
export function decodeDoc(v: unknown, shape: Shape, mode: DocMode, depth = 0): unknown {
  if (v === null || v === undefined) return undefined;
  if (depth > 64) throw new AwsError('SerializationException', 'The document is nested too deeply.');
  if (shape.rawJson) {
    if (!isPlainObject(v)) throw mismatch(v, shape);
    return v;
  }
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(v)) throw mismatch(v, shape);
      const members = shape.members ?? {};
      // The document was just decoded from the request and belongs to the codec: when every key
      // is a member with a value (the usual request), members are decoded in place instead of
      // copying each object; otherwise unknown members and nulls are left out of a copy.
      let inPlace = true;
      for (const k in v) {
        if (!Object.hasOwn(members, k) || v[k] === null || v[k] === undefined) {
          inPlace = false;
          break;
        }
      }
      let out: Record<string, unknown>;
      if (inPlace) {
        for (const k in v) v[k] = decodeDoc(v[k], members[k]!, mode, depth + 1);
        out = v;
      } else {
        out = {};
        for (const k of Object.keys(v)) {
          if (!Object.hasOwn(members, k)) continue;
          const d = decodeDoc(v[k], members[k]!, mode, depth + 1);
          if (d !== undefined) out[k] = d;
        }
      }
      const required = shape.required;
      if (required) for (let i = 0; i < required.length; i++) if (out[required[i]!] === undefined) sawMissing = true;
      return out;
    }
    case 'list': {
      if (!Array.isArray(v)) throw mismatch(v, shape);
      const m = shape.member!;
      for (let i = 0; i < v.length; i++) v[i] = decodeDoc(v[i], m, mode, depth + 1) ?? null;
      return v;
    }
    case 'map': {
      if (!isPlainObject(v)) throw mismatch(v, shape);
      const m = shape.value!;
      // Maps of AttributeValues (Item, Key…): passed through whole, values checked to be objects.
      if (m.rawJson) {
        for (const k in v) if (!isPlainObject(v[k])) throw mismatch(v[k], m);
        return v;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const d = decodeDoc(v[k], m, mode, depth + 1);
        if (d !== undefined) setKey(out, k, d);
      }
      return out;
    }
    case 'string':
      if (typeof v !== 'string') throw mismatch(v, shape);
      return v;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && mode === 'json') {
        // Coral's parser converts these spellings, and only these.
        const u = v.toUpperCase();
        if (u === 'TRUE' || u === '1' || u === 'YES') return true;
        if (u === 'FALSE' || u === '0' || u === 'NO') return false;
        throw serialization('Unexpected token received from parser');
      }
      throw mismatch(v, shape);
    case 'integer':
    case 'long':
      if (typeof v === 'bigint') return Number(v);
      if (typeof v !== 'number') throw mismatch(v, shape);
      return Math.floor(v);
    case 'float':
    case 'double':
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'number') return v;
      // The JSON protocols send NaN and infinities as strings.
      if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
      throw mismatch(v, shape);
    case 'timestamp': {
      if (typeof v !== 'number' && !(v instanceof Date) && typeof v !== 'string' && typeof v !== 'bigint') throw mismatch(v, shape);
      const d = parseTimestamp(typeof v === 'bigint' ? Number(v) : v);
      if (!d) throw serialization(`${typeof v === 'string' ? 'STRING_VALUE' : 'NUMBER_VALUE'} cannot be converted to Date`);
      return d;
    }
    case 'blob': {
      if (mode === 'cbor' && v instanceof Uint8Array) return toBuffer(v);
      if (typeof v !== 'string') throw mismatch(v, shape);
      if (v.length % 4) throw serialization(`Base64 encoded length is expected a multiple of 4 bytes but found: ${v.length}`);
      const b = Buffer.from(v, 'base64');
      if (b.toString('base64') !== v) throw serialization('Invalid last non-pad Base64 character dectected');
      return b;
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
      if (shape.value!.rawJson && !(v instanceof Map)) return v;
      const out: Record<string, unknown> = {};
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
      for (const [k, e] of entries) {
        const x = encodeDoc(e, shape.value!, mode, depth + 1);
        if (x !== undefined) setKey(out, String(k), x);
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
