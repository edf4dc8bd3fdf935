// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Recursive-descent parsers for DynamoDB's condition/filter/key-condition, update and projection
 * expressions. They only check syntax; names, values, functions and types are checked by
 * resolve.ts, in DynamoDB's order.
 */
import { validation } from '../errors.js';
import type { CmpOp, Condition, FnOperand, Operand, PathOperand, RawElem, SetValue, UpdateActions, ValueOperand } from './ast.js';
import { Cursor, tokenize } from './lexer.js';

/** DynamoDB: "The maximum length of any expression string is 4 KB." */
const MAX_EXPRESSION_BYTES = 4096;
const CMP = new Set(['=', '<>', '<', '<=', '>', '>=']);
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);

function cursor(src: string, what: string): Cursor {
  if (src === '') throw validation(`Invalid ${what}: The expression can not be empty;`);
  const size = Buffer.byteLength(src, 'utf8');
  if (size > MAX_EXPRESSION_BYTES) throw validation(`Invalid ${what}: Expression size has exceeded the maximum allowed size; expression size: ${size}`);
  return new Cursor(src, tokenize(src), what);
}

function parsePath(c: Cursor): PathOperand {
  const raw: RawElem[] = [];
  const first = c.peek();
  if ((first.kind !== 'id' && first.kind !== 'name') || (first.kind === 'id' && KEYWORDS.has(first.text.toUpperCase()))) c.fail();
  c.next();
  raw.push({ name: first.text, ref: first.kind === 'name' });
  for (;;) {
    if (c.isOp('.')) {
      c.next();
      const t = c.peek();
      if (t.kind !== 'id' && t.kind !== 'name') c.fail();
      c.next();
      raw.push({ name: t.text, ref: t.kind === 'name' });
    } else if (c.isOp('[')) {
      c.next();
      const t = c.peek();
      if (t.kind !== 'int') c.fail();
      c.next();
      raw.push(Number(t.text));
      c.expectOp(']');
    } else {
      return { k: 'path', raw, path: [] };
    }
  }
}

function parseOperand(c: Cursor): Operand {
  const t = c.peek();
  if (t.kind === 'value') {
    c.next();
    return { k: 'val', ref: t.text } satisfies ValueOperand;
  }
  if (t.kind === 'id' && c.isOp('(', 1) && !KEYWORDS.has(t.text.toUpperCase())) {
    c.next();
    c.next();
    const args: Operand[] = [];
    if (!c.isOp(')')) {
      args.push(parseOperand(c));
      while (c.isOp(',')) {
        c.next();
        args.push(parseOperand(c));
      }
    }
    c.expectOp(')');
    return { k: 'fn', name: t.text, args } satisfies FnOperand;
  }
  return parsePath(c);
}

function parseOr(c: Cursor): Condition {
  let l = parseAnd(c);
  while (c.isKeyword('OR')) {
    c.next();
    l = { k: 'or', l, r: parseAnd(c) };
  }
  return l;
}

function parseAnd(c: Cursor): Condition {
  let l = parseNot(c);
  while (c.isKeyword('AND')) {
    c.next();
    l = { k: 'and', l, r: parseNot(c) };
  }
  return l;
}

function parseNot(c: Cursor): Condition {
  if (c.isKeyword('NOT')) {
    c.next();
    return { k: 'not', c: parseNot(c) };
  }
  return parsePrimary(c);
}

function parsePrimary(c: Cursor): Condition {
  if (c.isOp('(')) {
    c.next();
    const inner = parseOr(c);
    c.expectOp(')');
    return inner;
  }
  const a = parseOperand(c);
  const t = c.peek();
  if (t.kind === 'op' && CMP.has(t.text)) {
    c.next();
    return { k: 'cmp', op: t.text as CmpOp, a, b: parseOperand(c) };
  }
  if (c.isKeyword('BETWEEN')) {
    c.next();
    const lo = parseOperand(c);
    if (!c.isKeyword('AND')) c.fail();
    c.next();
    return { k: 'between', a, lo, hi: parseOperand(c) };
  }
  if (c.isKeyword('IN')) {
    c.next();
    c.expectOp('(');
    const list = [parseOperand(c)];
    while (c.isOp(',')) {
      c.next();
      list.push(parseOperand(c));
    }
    c.expectOp(')');
    return { k: 'in', a, list };
  }
  if (a.k === 'fn') return { k: 'call', fn: a };
  return c.fail();
}

/** ConditionExpression, FilterExpression and KeyConditionExpression. */
export function parseCondition(src: string, what: string): Condition {
  const c = cursor(src, what);
  const cond = parseOr(c);
  if (c.peek().kind !== 'eof') c.fail();
  return cond;
}

export function parseProjection(src: string, what = 'ProjectionExpression'): PathOperand[] {
  const c = cursor(src, what);
  const out = [parsePath(c)];
  while (c.isOp(',')) {
    c.next();
    out.push(parsePath(c));
  }
  if (c.peek().kind !== 'eof') c.fail();
  return out;
}

const SECTIONS = ['SET', 'REMOVE', 'ADD', 'DELETE'] as const;

function parseSetValue(c: Cursor): SetValue {
  const a = parseOperand(c);
  if (c.isOp('+') || c.isOp('-')) {
    const op = c.next().text as '+' | '-';
    return { k: op, a, b: parseOperand(c) };
  }
  return a;
}

function parseValueRef(c: Cursor): ValueOperand {
  const t = c.peek();
  if (t.kind !== 'value') c.fail();
  c.next();
  return { k: 'val', ref: t.text };
}

export function parseUpdate(src: string): UpdateActions {
  const what = 'UpdateExpression';
  const c = cursor(src, what);
  const out: UpdateActions = { set: [], remove: [], add: [], delete: [] };
  const seen = new Set<string>();
  let duplicate: string | undefined;
  do {
    const section = SECTIONS.find((s) => c.isKeyword(s)) ?? c.fail();
    c.next();
    if (seen.has(section) && !duplicate) duplicate = section;
    seen.add(section);
    for (;;) {
      const path = parsePath(c);
      switch (section) {
        case 'SET':
          c.expectOp('=');
          out.set.push({ path, value: parseSetValue(c) });
          break;
        case 'REMOVE':
          out.remove.push(path);
          break;
        case 'ADD':
          out.add.push({ path, value: parseValueRef(c) });
          break;
        case 'DELETE':
          out.delete.push({ path, value: parseValueRef(c) });
          break;
      }
      if (!c.isOp(',')) break;
      c.next();
    }
  } while (c.peek().kind !== 'eof');
  if (duplicate) throw validation(`Invalid UpdateExpression: The "${duplicate}" section can only be used once in an update expression;`);
  return out;
}
