// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Parser for CloudWatch metric-math expressions: numbers, strings, query ids, arrays `[a, b]`,
 * function calls `FN(args)`, arithmetic `+ - * / ^`, comparisons `== != < <= > >=` and the logical
 * operators AND, OR, NOT, with the usual precedence.
 */

import { leftAssoc, readQuoted } from './lex.js';

export type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'id'; name: string }
  | { k: 'kw'; name: string }
  | { k: 'arr'; items: Node[] }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'un'; op: '-' | 'NOT'; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node };

export class MathSyntaxError extends Error {}

interface Tok {
  t: 'num' | 'str' | 'name' | 'op' | 'end';
  v: string;
  pos: number;
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ t: 'name', v: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const q = readQuoted(src, i);
      if (!q) throw new MathSyntaxError(`Unterminated string starting at position ${i + 1}`);
      out.push({ t: 'str', v: q.text, pos: i });
      i = q.next;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two === '&&' ? 'AND' : two === '||' ? 'OR' : two, pos: i });
      i += 2;
      continue;
    }
    if ('+-*/^(),[]<>'.includes(c)) {
      out.push({ t: 'op', v: c, pos: i });
      i++;
      continue;
    }
    throw new MathSyntaxError(`Unexpected character '${c}' at position ${i + 1}`);
  }
  out.push({ t: 'end', v: '', pos: src.length });
  return out;
}

const KEYWORDS = new Set(['REPEAT', 'LINEAR', 'ASC', 'DESC', 'AVG', 'SUM', 'MIN', 'MAX', 'STDDEV']);

export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v: string) => peek().t === 'op' && peek().v === v;
  const isWord = (v: string) => peek().t === 'name' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new MathSyntaxError(`Expected '${v}' at position ${peek().pos + 1}`);
    p++;
  };

  /** Consumes one of these operators (symbols or words) and returns its canonical name. */
  const op = (...ops: string[]) => () => {
    for (const o of ops) if (isOp(o) || isWord(o)) return (p++, o);
    return undefined;
  };
  const bin = (o: string, a: Node, b: Node): Node => ({ k: 'bin', op: o, a, b });
  const not = (): Node => {
    if (isWord('NOT')) {
      p++;
      return { k: 'un', op: 'NOT', a: not() };
    }
    return cmp();
  };
  const and = leftAssoc(not, op('AND'), bin);
  const or = leftAssoc(and, op('OR'), bin);
  const cmp = (): Node => {
    const a = add();
    for (const o of ['==', '!=', '<=', '>=', '<', '>']) {
      if (isOp(o)) {
        p++;
        return bin(o, a, add());
      }
    }
    return a;
  };
  const mul = leftAssoc(() => pow(), op('*', '/'), bin);
  const add = leftAssoc(mul, op('+', '-'), bin);
  const pow = (): Node => {
    const a = unary();
    if (isOp('^')) {
      p++;
      return { k: 'bin', op: '^', a, b: pow() };
    }
    return a;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      p++;
      return { k: 'un', op: '-', a: unary() };
    }
    if (isOp('+')) {
      p++;
      return unary();
    }
    return primary();
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    if (isOp(close)) {
      p++;
      return items;
    }
    for (;;) {
      items.push(or());
      if (isOp(',')) {
        p++;
        continue;
      }
      expect(close);
      return items;
    }
  };
  const primary = (): Node => {
    const t = peek();
    if (t.t === 'num') {
      p++;
      return { k: 'num', v: Number(t.v) };
    }
    if (t.t === 'str') {
      p++;
      return { k: 'str', v: t.v };
    }
    if (t.t === 'name') {
      p++;
      if (isOp('(')) {
        p++;
        return { k: 'call', fn: t.v.toUpperCase(), args: list(')') };
      }
      if (KEYWORDS.has(t.v)) return { k: 'kw', name: t.v };
      return { k: 'id', name: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      p++;
      const e = or();
      expect(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      p++;
      return { k: 'arr', items: list(']') };
    }
    throw new MathSyntaxError(t.t === 'end' ? 'Unexpected end of expression' : `Unexpected '${t.v}' at position ${t.pos + 1}`);
  };

  const node = or();
  if (peek().t !== 'end') throw new MathSyntaxError(`Unexpected '${peek().v}' at position ${peek().pos + 1}`);
  return node;
}

/** The query ids an expression refers to (for dependency order and cycle checks). */
export function referencedIds(n: Node, out = new Set<string>()): Set<string> {
  switch (n.k) {
    case 'id':
      out.add(n.name);
      break;
    case 'arr':
      n.items.forEach((i) => referencedIds(i, out));
      break;
    case 'call':
      n.args.forEach((i) => referencedIds(i, out));
      break;
    case 'un':
      referencedIds(n.a, out);
      break;
    case 'bin':
      referencedIds(n.a, out);
      referencedIds(n.b, out);
      break;
  }
  return out;
}
