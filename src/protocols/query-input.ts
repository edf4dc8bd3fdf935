// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Decoding of query-style parameters (awsQuery and EC2) into an input shape. The parameters come
 * from the form body (`application/x-www-form-urlencoded`) and, for GET, the query string.
 *
 * Naming, mirroring what the SDKs' serializers send:
 *  - awsQuery: member `locationName` or member name; lists `Name.member.N` (element name from the
 *    list's member locationName) unless flattened (`Name.N`, or `<member locationName>.N`); maps
 *    `Name.entry.N.key` / `.value` (flattened: `Name.N.key`); an empty list is `Name=`.
 *  - EC2: `queryName`, else the capitalized `locationName`, else the member name; lists are always
 *    `Name.N`.
 */
import { AwsError } from '../errors.js';
import type { Shape } from './model.js';
import { parseBoolean, parseNumber, parseTimestamp, setKey } from './common.js';

export type QueryFlavor = 'query' | 'ec2';

/** True when URLSearchParams would read `src` as it is: no escapes, no leading '?'. */
export function hasNoEscapes(src: string): boolean {
  return src.charCodeAt(0) !== 63 /* ? */ && !src.includes('%') && !src.includes('+');
}

/** Parameters of a query request: values by full key, plus the key tree for lists and maps. */
export class QueryParams {
  readonly values = new Map<string, string>();
  /** For each key prefix, the set of next segments seen below it ('' is the root). */
  private readonly children = new Map<string, Set<string>>();

  static parse(...sources: string[]): QueryParams {
    const p = new QueryParams();
    for (const src of sources) {
      if (!src) continue;
      if (hasNoEscapes(src)) {
        // the usual form (Action=…&Version=…&Name.member.1=…): split in place
        for (const part of src.split('&')) {
          if (part === '') continue;
          const eq = part.indexOf('=');
          if (eq < 0) p.add(part, '');
          else p.add(part.slice(0, eq), part.slice(eq + 1));
        }
      } else {
        for (const [k, v] of new URLSearchParams(src)) p.add(k, v);
      }
    }
    return p;
  }

  add(key: string, value: string): void {
    if (!this.values.has(key)) this.values.set(key, value);
    let parent = '';
    for (const seg of key.split('.')) {
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(seg);
      parent = parent === '' ? seg : `${parent}.${seg}`;
    }
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  has(prefix: string): boolean {
    return this.values.has(prefix) || this.children.has(prefix);
  }

  /** Positive integer indexes directly below `prefix`, ascending. */
  indexes(prefix: string): number[] {
    const set = this.children.get(prefix);
    if (!set) return [];
    const out: number[] = [];
    for (const s of set) if (/^[1-9]\d*$/.test(s)) out.push(Number(s));
    return out.sort((a, b) => a - b);
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function queryMemberName(name: string, m: Shape, flavor: QueryFlavor): string {
  if (flavor === 'ec2') return m.queryName ?? (m.locationName ? capitalize(m.locationName) : name);
  return m.locationName ?? name;
}

function invalid(flavor: QueryFlavor, key: string, value: string, what: string): AwsError {
  if (flavor === 'ec2') {
    return new AwsError('InvalidParameterValue', `Invalid value '${value}' for ${key}. It must be ${what}.`);
  }
  return new AwsError('InvalidParameterValue', `Value (${value}) for parameter ${key} is invalid. It must be ${what}.`);
}

function scalar(shape: Shape, key: string, raw: string, flavor: QueryFlavor): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const n = parseNumber(raw, true);
      if (n === undefined) throw invalid(flavor, key, raw, 'an integer');
      return n;
    }
    case 'float':
    case 'double': {
      const n = parseNumber(raw, false);
      if (n === undefined) throw invalid(flavor, key, raw, 'a number');
      return n;
    }
    case 'boolean': {
      const b = parseBoolean(raw);
      if (b === undefined) throw invalid(flavor, key, raw, 'a boolean (true or false)');
      return b;
    }
    case 'timestamp': {
      const d = parseTimestamp(raw);
      if (!d) throw invalid(flavor, key, raw, 'a timestamp in ISO 8601 format');
      return d;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}

/** Decodes the value of `shape` found at `key`; undefined when absent. */
export function decodeQueryValue(p: QueryParams, shape: Shape, key: string, flavor: QueryFlavor, depth = 0): unknown {
  if (depth > 32) throw new AwsError('InvalidParameterValue', `Parameter ${key} is nested too deeply.`);
  switch (shape.type) {
    case 'structure': {
      if (key !== '' && !p.has(key)) return undefined;
      return decodeQueryStructure(p, shape, key, flavor, depth);
    }
    case 'list': {
      if (!p.has(key) && !(flavor === 'query' && shape.flattened && shape.member?.locationName)) return undefined;
      const member = shape.member!;
      let base: string;
      if (flavor === 'ec2') base = key;
      else if (shape.flattened) {
        base = member.locationName ? key.split('.').slice(0, -1).concat(member.locationName).join('.') : key;
      } else base = `${key}.${member.locationName ?? 'member'}`;
      const idx = p.indexes(base);
      if (idx.length === 0) return p.get(key) !== undefined || p.has(base) ? [] : undefined;
      return idx.map((i) => decodeQueryValue(p, member, `${base}.${i}`, flavor, depth + 1));
    }
    case 'map': {
      if (!p.has(key)) return undefined;
      const base = shape.flattened ? key : `${key}.entry`;
      const out: Record<string, unknown> = {};
      const kName = shape.key?.locationName ?? 'key';
      const vName = shape.value?.locationName ?? 'value';
      for (const i of p.indexes(base)) {
        const k = p.get(`${base}.${i}.${kName}`);
        if (k === undefined) continue;
        setKey(out, k, decodeQueryValue(p, shape.value!, `${base}.${i}.${vName}`, flavor, depth + 1));
      }
      return out;
    }
    default: {
      const raw = p.get(key);
      return raw === undefined ? undefined : scalar(shape, key, raw, flavor);
    }
  }
}

export function decodeQueryStructure(
  p: QueryParams,
  shape: Shape,
  prefix: string,
  flavor: QueryFlavor,
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(shape.members ?? {})) {
    const v = decodeQueryValue(p, m, join(prefix, queryMemberName(name, m, flavor)), flavor, depth + 1);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
