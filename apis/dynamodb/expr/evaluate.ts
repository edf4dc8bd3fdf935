// SPDX-License-Identifier: AGPL-3.0-or-later
/** Evaluation of resolved conditions and projections against an item. */
import { blobBytes, compareScalars, typeOf, valuesEqual, type AttributeValue, type Item } from '../types.js';
import type { Condition, Operand, PathElem } from './ast.js';

/** The value at a document path, or undefined. */
export function getPath(item: Item | undefined, path: PathElem[]): AttributeValue | undefined {
  if (!item) return undefined;
  let cur: AttributeValue | undefined = item[path[0] as string];
  for (let i = 1; i < path.length && cur; i++) {
    const e = path[i]!;
    if (typeof e === 'number') cur = cur.L ? cur.L[e] : undefined;
    else cur = cur.M ? cur.M[e] : undefined;
  }
  return cur;
}

function sizeOf(v: AttributeValue): number | undefined {
  if (v.S !== undefined) return v.S.length;
  if (v.B !== undefined) return blobBytes(v.B).length;
  if (v.SS !== undefined) return v.SS.length;
  if (v.NS !== undefined) return v.NS.length;
  if (v.BS !== undefined) return v.BS.length;
  if (v.L !== undefined) return v.L.length;
  if (v.M !== undefined) return Object.keys(v.M).length;
  return undefined;
}

export function operandValue(o: Operand, item: Item | undefined): AttributeValue | undefined {
  switch (o.k) {
    case 'path':
      return getPath(item, o.path);
    case 'val':
      return o.value;
    case 'fn': {
      if (o.name !== 'size') return undefined;
      const v = operandValue(o.args[0]!, item);
      const n = v && sizeOf(v);
      return n === undefined ? undefined : { N: String(n) };
    }
  }
}

function contains(hay: AttributeValue, needle: AttributeValue): boolean {
  if (hay.S !== undefined) return needle.S !== undefined && hay.S.includes(needle.S);
  if (hay.B !== undefined) return needle.B !== undefined && blobBytes(hay.B).includes(blobBytes(needle.B));
  if (hay.SS !== undefined) return needle.S !== undefined && hay.SS.includes(needle.S);
  if (hay.NS !== undefined) return needle.N !== undefined && hay.NS.some((x) => valuesEqual({ N: x }, needle));
  if (hay.BS !== undefined) return needle.B !== undefined && hay.BS.includes(needle.B);
  if (hay.L !== undefined) return hay.L.some((x) => valuesEqual(x, needle));
  return false;
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  // a missing operand equals nothing: only <> holds, when exactly one side is missing
  if (!a || !b) return op === '<>' && a !== b;
  if (op === '=') return valuesEqual(a, b);
  if (op === '<>') return !valuesEqual(a, b);
  const c = compareScalars(a, b);
  if (c === undefined) return false;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

export function evalCondition(c: Condition, item: Item | undefined): boolean {
  switch (c.k) {
    case 'and':
      return evalCondition(c.l, item) && evalCondition(c.r, item);
    case 'or':
      return evalCondition(c.l, item) || evalCondition(c.r, item);
    case 'not':
      return !evalCondition(c.c, item);
    case 'cmp':
      return compare(c.op, operandValue(c.a, item), operandValue(c.b, item));
    case 'between': {
      const a = operandValue(c.a, item);
      return compare('>=', a, operandValue(c.lo, item)) && compare('<=', a, operandValue(c.hi, item));
    }
    case 'in': {
      const a = operandValue(c.a, item);
      return !!a && c.list.some((o) => {
        const v = operandValue(o, item);
        return !!v && valuesEqual(a, v);
      });
    }
    case 'call': {
      const args = c.fn.args;
      switch (c.fn.name) {
        case 'attribute_exists':
          return operandValue(args[0]!, item) !== undefined;
        case 'attribute_not_exists':
          return operandValue(args[0]!, item) === undefined;
        case 'attribute_type': {
          const v = operandValue(args[0]!, item);
          return !!v && typeOf(v) === operandValue(args[1]!, item)?.S;
        }
        case 'begins_with': {
          const v = operandValue(args[0]!, item);
          const p = operandValue(args[1]!, item);
          if (!v || !p) return false;
          if (v.S !== undefined && p.S !== undefined) return v.S.startsWith(p.S);
          if (v.B !== undefined && p.B !== undefined) {
            const pb = blobBytes(p.B);
            return blobBytes(v.B).subarray(0, pb.length).equals(pb);
          }
          return false;
        }
        case 'contains': {
          const v = operandValue(args[0]!, item);
          const n = operandValue(args[1]!, item);
          return !!v && !!n && contains(v, n);
        }
        default:
          return false;
      }
    }
  }
}

/** Projects one value onto the remaining path tails (an empty tail selects the whole value). */
function projectValue(v: AttributeValue, tails: PathElem[][]): AttributeValue | undefined {
  if (tails.some((t) => t.length === 0)) return v;
  const groups = new Map<PathElem, PathElem[][]>();
  for (const t of tails) {
    const g = groups.get(t[0]!);
    if (g) g.push(t.slice(1));
    else groups.set(t[0]!, [t.slice(1)]);
  }
  if (v.M !== undefined) {
    const m: Item = {};
    for (const [k, g] of groups) {
      if (typeof k !== 'string' || v.M[k] === undefined) continue;
      const pv = projectValue(v.M[k]!, g);
      if (pv !== undefined) m[k] = pv;
    }
    return Object.keys(m).length ? { M: m } : undefined;
  }
  if (v.L !== undefined) {
    const idx = [...groups.keys()].filter((k): k is number => typeof k === 'number').sort((a, b) => a - b);
    const l: AttributeValue[] = [];
    for (const i of idx) {
      if (v.L[i] === undefined) continue;
      const pv = projectValue(v.L[i]!, groups.get(i)!);
      if (pv !== undefined) l.push(pv);
    }
    return l.length ? { L: l } : undefined;
  }
  return undefined;
}

/**
 * Applies a ProjectionExpression: only the given paths, nested maps merged, selected list
 * elements kept in their order.
 */
export function project(item: Item, paths: PathElem[][]): Item {
  const top = new Map<string, PathElem[][]>();
  for (const p of paths) {
    const g = top.get(p[0] as string);
    if (g) g.push(p.slice(1));
    else top.set(p[0] as string, [p.slice(1)]);
  }
  const out: Item = {};
  for (const [name, tails] of top) {
    const v = item[name];
    if (v === undefined) continue;
    const pv = projectValue(v, tails);
    if (pv !== undefined) out[name] = pv;
  }
  return out;
}
