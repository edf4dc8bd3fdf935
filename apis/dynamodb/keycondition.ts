// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Query key conditions: KeyConditionExpression or legacy KeyConditions turned into the partition
 * key value and an optional sort key condition, checked against the table's or index's schema.
 */
import type { KeyDef, RangeCondition } from './backend.js';
import { invalidParam, validation } from './errors.js';
import type { Condition, Operand } from './expr/ast.js';
import type { LegacyCondition } from './legacy.js';
import { compareScalars, validateValue, type AttributeValue, type Item } from './types.js';

interface KeyCond {
  op: string;
  values: AttributeValue[];
}

const FLIP: Record<string, string> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const OPS: Record<string, string> = { '=': 'EQ', '<': 'LT', '<=': 'LE', '>': 'GT', '>=': 'GE' };

function collect(c: Condition, out: Map<string, KeyCond>): void {
  if (c.k === 'or' || c.k === 'not' || c.k === 'in')
    throw validation(`Invalid operator used in KeyConditionExpression: ${c.k.toUpperCase()}`);
  if (c.k === 'and') {
    collect(c.l, out);
    collect(c.r, out);
    return;
  }
  let args: Operand[];
  let op: string;
  if (c.k === 'call') {
    const name = c.fn.name;
    if (name !== 'begins_with') {
      if (name === 'size') throw validation('KeyConditionExpressions cannot contain nested operations');
      throw validation(`Invalid operator used in KeyConditionExpression: ${name}`);
    }
    if (c.fn.args[0]!.k !== 'path') throw validation(`Invalid condition in KeyConditionExpression: ${name} operator must have the key attribute as its first operand`);
    args = c.fn.args;
    op = 'BEGINS_WITH';
  } else if (c.k === 'between') {
    if (c.a.k !== 'path') throw validation('Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand');
    args = [c.a, c.lo, c.hi];
    op = 'BETWEEN';
  } else {
    if (c.op === '<>') throw validation('Invalid operator used in KeyConditionExpression: <>');
    args = [c.a, c.b];
    op = c.op;
  }
  let name: string | undefined;
  let at = 0;
  args.forEach((a, i) => {
    if (a.k === 'fn') throw validation('KeyConditionExpressions cannot contain nested operations');
    if (a.k !== 'path') return;
    if (name !== undefined) throw validation('Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
    if (a.path.length > 1) throw validation('KeyConditionExpressions cannot have conditions on nested attributes');
    name = a.path[0] as string;
    at = i;
  });
  if (name === undefined) throw validation('Invalid condition in KeyConditionExpression: No key attribute specified');
  if (out.has(name)) throw validation('KeyConditionExpressions must only contain one condition per key');
  if (at !== 0) op = FLIP[op]!;
  const values = args.filter((_, i) => i !== at).map((a) => (a as { value?: AttributeValue }).value!);
  out.set(name, { op: OPS[op] ?? op, values });
}

export function fromExpression(c: Condition): Map<string, KeyCond> {
  const out = new Map<string, KeyCond>();
  collect(c, out);
  return out;
}

const COUNTS: Record<string, number> = { EQ: 1, LE: 1, LT: 1, GE: 1, GT: 1, BEGINS_WITH: 1, BETWEEN: 2 };

export function fromLegacy(kc: Record<string, LegacyCondition>): Map<string, KeyCond> {
  const out = new Map<string, KeyCond>();
  for (const [name, c] of Object.entries(kc)) {
    const values = c.AttributeValueList ?? [];
    const op = c.ComparisonOperator ?? '';
    for (const v of values) validateValue(v);
    const n = COUNTS[op];
    if (n !== undefined && n !== values.length) throw invalidParam(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
    out.set(name, { op, values });
  }
  return out;
}

export interface ResolvedKeyCondition {
  hash: AttributeValue;
  range?: RangeCondition;
}

/** Checks the conditions against the (table or index) key schema. */
export function resolveKeyConditions(conds: Map<string, KeyCond>, hash: KeyDef, range: KeyDef | undefined): ResolvedKeyCondition {
  if (conds.size !== 1 && conds.size !== 2) throw validation('Conditions can be of length 1 or 2 only');
  if (!range && conds.size > 1) throw validation('Query key condition not supported');
  for (const def of [hash, range]) {
    if (!def) continue;
    const c = conds.get(def.name);
    if (!c) {
      if (def === hash || conds.size > 1) throw validation(`Query condition missed key schema element: ${def.name}`);
      continue;
    }
    if (!(c.op in COUNTS)) throw validation('Attempted conditional constraint is not an indexable operation');
    if (c.values.some((v) => (v as Record<string, unknown>)[def.type] === undefined)) throw invalidParam('Condition parameter type does not match schema type');
    if (def === hash && c.op !== 'EQ') throw validation('Query key condition not supported');
  }
  for (const name of conds.keys()) {
    if (name !== hash.name && name !== range?.name) throw validation(`Query condition missed key schema element: ${range && !conds.has(range.name) ? range.name : hash.name}`);
  }
  const h = conds.get(hash.name)!.values[0]!;
  const r = range ? conds.get(range.name) : undefined;
  if (!r) return { hash: h };
  if (r.op === 'BETWEEN') {
    if ((compareScalars(r.values[0]!, r.values[1]!) ?? 0) > 0) throw validation('The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
    return { hash: h, range: { op: 'BETWEEN', value: r.values[0]!, value2: r.values[1]! } };
  }
  if (r.op === 'BEGINS_WITH' && range!.type === 'N') throw invalidParam('ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type');
  return { hash: h, range: { op: r.op as 'EQ', value: r.values[0]! } };
}

function rangeHolds(v: AttributeValue | undefined, r: RangeCondition): boolean {
  if (!v) return false;
  if (r.op === 'BEGINS_WITH') {
    if (v.S !== undefined && r.value.S !== undefined) return v.S.startsWith(r.value.S);
    if (v.B !== undefined && r.value.B !== undefined) return Buffer.from(v.B, 'base64').subarray(0, Buffer.byteLength(r.value.B, 'base64')).equals(Buffer.from(r.value.B, 'base64'));
    return false;
  }
  const c = compareScalars(v, r.value);
  if (c === undefined) return false;
  switch (r.op) {
    case 'EQ':
      return c === 0;
    case 'LT':
      return c < 0;
    case 'LE':
      return c <= 0;
    case 'GT':
      return c > 0;
    case 'GE':
      return c >= 0;
    case 'BETWEEN':
      return c >= 0 && (compareScalars(v, r.value2) ?? 1) <= 0;
    default:
      return false;
  }
}

/** An ExclusiveStartKey must lie inside the queried key range (DynamoDB's checks and messages). */
export function checkStartKeyInRange(esk: Item | undefined, kc: ResolvedKeyCondition, hash: KeyDef, range: KeyDef | undefined): void {
  if (!esk) return;
  const sameHash = compareScalars(esk[hash.name]!, kc.hash) === 0;
  if (!range || !kc.range) {
    if (!sameHash) throw validation('The provided starting key is outside query boundaries based on provided conditions');
    return;
  }
  if (!rangeHolds(esk[range.name], kc.range)) throw validation('The provided starting key does not match the range key predicate');
  if (!sameHash) throw validation('The query can return at most one row and cannot be restarted');
}
