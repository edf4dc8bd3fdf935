// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The legacy (pre-expression) parameters older SDK code still sends: Expected, QueryFilter,
 * ScanFilter, KeyConditions (with ConditionalOperator), AttributeUpdates and AttributesToGet,
 * validated with DynamoDB's messages and translated into the same trees as the expressions.
 */
import { invalidParam, validation } from './errors.js';
import type { Condition, Operand, PathOperand, UpdateActions, ValueOperand } from './expr/ast.js';
import { compareScalars, typeOf, validateValue, type AttributeValue } from './types.js';

export interface LegacyCondition {
  AttributeValueList?: AttributeValue[];
  ComparisonOperator?: string;
  Value?: AttributeValue;
  Exists?: boolean;
}

const path = (name: string): PathOperand => ({ k: 'path', raw: [{ name, ref: false }], path: [name] });
const val = (v: AttributeValue): ValueOperand => ({ k: 'val', ref: '', value: v });
const call = (name: string, ...args: Operand[]): Condition => ({ k: 'call', fn: { k: 'fn', name, args } });

const ARGS: Record<string, (n: number) => boolean> = {
  EQ: (n) => n === 1,
  NE: (n) => n === 1,
  LE: (n) => n === 1,
  LT: (n) => n === 1,
  GE: (n) => n === 1,
  GT: (n) => n === 1,
  CONTAINS: (n) => n === 1,
  NOT_CONTAINS: (n) => n === 1,
  BEGINS_WITH: (n) => n === 1,
  NULL: (n) => n === 0,
  NOT_NULL: (n) => n === 0,
  IN: (n) => n > 0,
  BETWEEN: (n) => n === 2,
};

const SCALAR_ONLY = new Set(['LE', 'LT', 'GE', 'GT', 'BETWEEN', 'CONTAINS', 'NOT_CONTAINS', 'IN']);

/** One legacy comparison as a condition tree. */
function comparison(name: string, op: string, values: AttributeValue[]): Condition {
  if (!ARGS[op]!(values.length)) throw invalidParam(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
  for (const v of values) validateValue(v);
  if (values.length) {
    const t = typeOf(values[0]!);
    if (values.some((v) => typeOf(v) !== t)) throw invalidParam('AttributeValues inside AttributeValueList must be of same type');
    const scalar = t === 'S' || t === 'N' || t === 'B';
    if ((SCALAR_ONLY.has(op) && !scalar) || (op === 'BEGINS_WITH' && t !== 'S' && t !== 'B')) {
      throw invalidParam(`ComparisonOperator ${op} is not valid for ${t} AttributeValue type`);
    }
    if (op === 'BETWEEN' && (compareScalars(values[0]!, values[1]!) ?? 0) > 0) {
      throw validation('The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
    }
  }
  const a = path(name);
  const [v1, v2] = values.map(val);
  switch (op) {
    case 'EQ':
      return { k: 'cmp', op: '=', a, b: v1! };
    case 'NE':
      return { k: 'cmp', op: '<>', a, b: v1! };
    case 'LE':
      return { k: 'cmp', op: '<=', a, b: v1! };
    case 'LT':
      return { k: 'cmp', op: '<', a, b: v1! };
    case 'GE':
      return { k: 'cmp', op: '>=', a, b: v1! };
    case 'GT':
      return { k: 'cmp', op: '>', a, b: v1! };
    case 'NULL':
      return call('attribute_not_exists', a);
    case 'NOT_NULL':
      return call('attribute_exists', a);
    case 'CONTAINS':
      return call('contains', a, v1!);
    case 'NOT_CONTAINS':
      return { k: 'and', l: call('attribute_exists', a), r: { k: 'not', c: call('contains', a, v1!) } };
    case 'BEGINS_WITH':
      return call('begins_with', a, v1!);
    case 'IN':
      return { k: 'in', a, list: values.map(val) };
    default:
      return { k: 'between', a, lo: v1!, hi: v2! };
  }
}

function combine(conds: Condition[], op: string | undefined): Condition | undefined {
  if (!conds.length) return undefined;
  return conds.reduce((l, r): Condition => (op === 'OR' ? { k: 'or', l, r } : { k: 'and', l, r }));
}

/** Expected (PutItem, UpdateItem, DeleteItem). */
export function expectedCondition(expected: Record<string, LegacyCondition> | undefined, op: string | undefined): Condition | undefined {
  if (!expected) return undefined;
  const conds: Condition[] = [];
  for (const [name, c] of Object.entries(expected)) {
    if (c.AttributeValueList !== undefined && c.Value !== undefined) throw invalidParam(`Value and AttributeValueList cannot be used together for Attribute: ${name}`);
    if (c.ComparisonOperator !== undefined) {
      if (c.Exists !== undefined) throw invalidParam(`Exists and ComparisonOperator cannot be used together for Attribute: ${name}`);
      if (c.ComparisonOperator !== 'NULL' && c.ComparisonOperator !== 'NOT_NULL' && c.AttributeValueList === undefined && c.Value === undefined) {
        throw invalidParam(`Value or AttributeValueList must be used with ComparisonOperator: ${c.ComparisonOperator} for Attribute: ${name}`);
      }
      const values = c.AttributeValueList ?? (c.Value !== undefined ? [c.Value] : []);
      conds.push(comparison(name, c.ComparisonOperator, values));
    } else if (c.AttributeValueList !== undefined) {
      throw invalidParam(`AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`);
    } else if (c.Exists === false) {
      if (c.Value !== undefined) throw invalidParam(`Value cannot be used when Exists is false for Attribute: ${name}`);
      conds.push(call('attribute_not_exists', path(name)));
    } else {
      if (c.Value === undefined) throw invalidParam(`Value must be provided when Exists is ${c.Exists === undefined ? 'null' : 'true'} for Attribute: ${name}`);
      validateValue(c.Value);
      conds.push({ k: 'cmp', op: '=', a: path(name), b: val(c.Value) });
    }
  }
  return combine(conds, op);
}

/** QueryFilter / ScanFilter / KeyConditions entries (ComparisonOperator required). */
export function filterCondition(filter: Record<string, LegacyCondition> | undefined, op: string | undefined): Condition | undefined {
  if (!filter) return undefined;
  const conds = Object.entries(filter).map(([name, c]) => comparison(name, c.ComparisonOperator ?? '', c.AttributeValueList ?? []));
  return combine(conds, op);
}

export function attributesToGet(names: string[] | undefined): string[][] | undefined {
  if (!names) return undefined;
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalidParam(`Duplicate value in attribute name: ${n}`);
    seen.add(n);
  }
  return names.map((n) => [n]);
}

export interface AttributeUpdate {
  Value?: AttributeValue;
  Action?: 'PUT' | 'DELETE' | 'ADD';
}

/** AttributeUpdates as update actions (PUT → SET, DELETE → REMOVE/DELETE, ADD → ADD). */
export function attributeUpdates(updates: Record<string, AttributeUpdate> | undefined): UpdateActions | undefined {
  if (!updates) return undefined;
  const out: UpdateActions = { set: [], remove: [], add: [], delete: [] };
  for (const [name, u] of Object.entries(updates)) {
    const action = u.Action ?? 'PUT';
    if (u.Value !== undefined) validateValue(u.Value);
    const t = u.Value && typeOf(u.Value);
    if (u.Value === undefined) {
      if (action !== 'DELETE') throw invalidParam('Only DELETE action is allowed when no attribute value is specified');
      out.remove.push(path(name));
    } else if (action === 'PUT') {
      out.set.push({ path: path(name), value: val(u.Value) });
    } else if (action === 'DELETE') {
      if (t !== 'SS' && t !== 'NS' && t !== 'BS') throw invalidParam(`DELETE action with value is not supported for the type ${t}`);
      out.delete.push({ path: path(name), value: val(u.Value) });
    } else {
      if (t !== 'N' && t !== 'SS' && t !== 'NS' && t !== 'BS' && t !== 'L') throw invalidParam(`ADD action is not supported for the type ${t}`);
      out.add.push({ path: path(name), value: val(u.Value) });
    }
  }
  return out;
}
