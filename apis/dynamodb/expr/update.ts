// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Applies a resolved UpdateExpression: every right-hand side is evaluated against the item as it
 * was, then SET, REMOVE (list indexes highest first), ADD and DELETE are applied to a copy.
 */
import { validation } from '../errors.js';
import { addNumbers } from '../numbers.js';
import { cloneItem, setElementKey, typeOf, type AttributeValue, type Item } from '../types.js';
import type { Operand, PathElem, SetValue, UpdateActions } from './ast.js';
import { getPath, operandValue } from './evaluate.js';

const missingAttr = () => validation('The provided expression refers to an attribute that does not exist in the item');
const badType = () => validation('An operand in the update expression has an incorrect data type');
const badPath = () => validation('The document path provided in the update expression is invalid for update');

function rhs(o: Operand, item: Item | undefined): AttributeValue {
  if (o.k === 'fn') {
    if (o.name === 'if_not_exists') {
      const cur = operandValue(o.args[0]!, item);
      return cur ?? rhs(o.args[1]!, item);
    }
    if (o.name === 'list_append') {
      const a = rhs(o.args[0]!, item);
      const b = rhs(o.args[1]!, item);
      if (a.L === undefined || b.L === undefined) throw badType();
      return { L: [...a.L, ...b.L] };
    }
  }
  const v = operandValue(o, item);
  if (v === undefined) throw missingAttr();
  return v;
}

function setValueOf(v: SetValue, item: Item | undefined): AttributeValue {
  if (v.k === '+' || v.k === '-') {
    const a = rhs(v.a, item);
    const b = rhs(v.b, item);
    if (a.N === undefined || b.N === undefined) throw badType();
    return { N: addNumbers(a.N, b.N, v.k === '-') };
  }
  return rhs(v as Operand, item);
}

/** The container holding the last path element, or undefined when a parent is missing. */
function parentOf(item: Item, path: PathElem[]): AttributeValue | undefined {
  if (path.length === 1) return { M: item };
  return getPath(item, path.slice(0, -1));
}

function setPath(item: Item, path: PathElem[], v: AttributeValue): void {
  const last = path[path.length - 1]!;
  const parent = parentOf(item, path);
  if (!parent) throw badPath();
  if (typeof last === 'number') {
    if (parent.L === undefined) throw badPath();
    if (last >= parent.L.length) parent.L.push(v);
    else parent.L[last] = v;
  } else {
    if (parent.M === undefined) throw badPath();
    parent.M[last] = v;
  }
}

function removePath(item: Item, path: PathElem[]): void {
  const last = path[path.length - 1]!;
  const parent = parentOf(item, path);
  if (!parent) throw badPath();
  if (typeof last === 'number') {
    if (parent.L === undefined) throw badPath();
    if (last < parent.L.length) parent.L.splice(last, 1);
  } else {
    if (parent.M === undefined) throw badPath();
    delete parent.M[last];
  }
}

type SetTag = 'SS' | 'NS' | 'BS';
const isSet = (t: string): t is SetTag => t === 'SS' || t === 'NS' || t === 'BS';

function setOp(cur: AttributeValue, v: AttributeValue, add: boolean): AttributeValue | undefined {
  const t = typeOf(cur);
  if (!isSet(t) || t !== typeOf(v)) throw badType();
  const a = (cur as Record<SetTag, string[]>)[t];
  const b = (v as Record<SetTag, string[]>)[t];
  if (add) {
    const seen = new Set(a.map((x) => setElementKey(t, x)));
    const out = [...a];
    for (const x of b) if (!seen.has(setElementKey(t, x))) out.push(x);
    return { [t]: out } as AttributeValue;
  }
  const drop = new Set(b.map((x) => setElementKey(t, x)));
  const out = a.filter((x) => !drop.has(setElementKey(t, x)));
  return out.length ? ({ [t]: out } as AttributeValue) : undefined;
}

/** Returns the updated copy of `old` (or of `key` for a new item). */
export function applyUpdate(old: Item | undefined, key: Item, u: UpdateActions): Item {
  const values = u.set.map((a) => setValueOf(a.value, old));
  const item = old ? cloneItem(old) : cloneItem(key);
  u.set.forEach((a, i) => setPath(item, a.path.path, values[i]!));
  const removes = [...u.remove].sort((x, y) => {
    const a = x.path[x.path.length - 1];
    const b = y.path[y.path.length - 1];
    return typeof a === 'number' && typeof b === 'number' ? b - a : 0;
  });
  for (const p of removes) removePath(item, p.path);
  for (const a of u.add) {
    const v = a.value.value!;
    const cur = getPath(item, a.path.path);
    if (cur === undefined) setPath(item, a.path.path, v);
    else if (cur.N !== undefined && v.N !== undefined) setPath(item, a.path.path, { N: addNumbers(cur.N, v.N) });
    else if (cur.L !== undefined && v.L !== undefined) setPath(item, a.path.path, { L: [...cur.L, ...v.L] }); // legacy ADD on lists
    else setPath(item, a.path.path, setOp(cur, v, true)!);
  }
  for (const d of u.delete) {
    const cur = getPath(item, d.path.path);
    if (cur === undefined) continue;
    const next = setOp(cur, d.value.value!, false);
    if (next) setPath(item, d.path.path, next);
    else removePath(item, d.path.path);
  }
  return item;
}
