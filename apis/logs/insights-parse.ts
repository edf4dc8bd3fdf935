// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Parser for the common CloudWatch Logs Insights commands, joined by `|`:
 *   fields a, b as c | display a | filter <expr> | parse <field> "glob * pattern" as x, y
 *   parse <field> /(?<name>regex)/ | stats count(*) as n, avg(x) by bin(5m), host
 *   sort f desc, g | limit 20
 * Filter expressions: comparisons (= != < <= > >=), like / not like (string or /regex/), =~,
 * in [..], not in [..], ispresent(f), and / or / not, parentheses, arithmetic + - * /.
 */

import { leftAssoc, readQuoted } from '../cloudwatch/lex.js';
import { LinearRegex, RegexSyntaxError } from '../../src/util/regex.js';

export class QuerySyntaxError extends Error {}

export type Expr =
  | { k: 'lit'; v: string | number | boolean }
  | { k: 'field'; name: string }
  | { k: 'regex'; re: LinearRegex }
  | { k: 'list'; items: Expr[] }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'un'; op: 'not' | '-'; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr };

export interface Aggregate {
  fn: string;
  args: Expr[];
  name: string;
}

export type Command =
  | { k: 'fields'; items: Array<{ expr: Expr; name: string }>; display: boolean }
  | { k: 'filter'; expr: Expr }
  | { k: 'parse'; field: string; glob?: string; regex?: LinearRegex; names: string[] }
  | { k: 'stats'; aggs: Aggregate[]; by: Array<{ expr: Expr; name: string }> }
  | { k: 'sort'; keys: Array<{ name: string; desc: boolean }> }
  | { k: 'limit'; n: number };

interface Tok {
  t: 'num' | 'str' | 're' | 'name' | 'op';
  v: string;
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
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^(\d+(\.\d+)?)([smhdw]?)(?![\w@.])/.exec(rest))) {
      // durations (5m, 1h) are names for bin()
      out.push({ t: m[3] ? 'name' : 'num', v: m[3] ? m[0] : m[1] });
      i += m[0].length;
    } else if ((m = /^[@A-Za-z_][\w.@]*/.exec(rest))) {
      out.push({ t: 'name', v: m[0] });
      i += m[0].length;
    } else if ((m = /^`([^`]*)`/.exec(rest))) {
      out.push({ t: 'name', v: m[1] });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const q = readQuoted(src, i);
      if (!q) throw new QuerySyntaxError(`unterminated string at position ${i + 1}`);
      out.push({ t: 'str', v: q.text });
      i = q.next;
    } else if (c === '/' && (out.length === 0 || ['like', '=~', '(', ','].includes(out[out.length - 1].v.toLowerCase()) || out[out.length - 2]?.v.toLowerCase() === 'parse')) {
      const end = src.indexOf('/', i + 1);
      if (end < 0) throw new QuerySyntaxError(`unterminated regular expression at position ${i + 1}`);
      let flags = '';
      let j = end + 1;
      while (/[imsu]/.test(src[j] ?? '')) flags += src[j++];
      out.push({ t: 're', v: src.slice(i + 1, end) + '/' + flags });
      i = j;
    } else if ((m = /^(==|!=|<=|>=|=~|[=<>+\-*/(),[\]|])/.exec(rest))) {
      out.push({ t: 'op', v: m[0] === '==' ? '=' : m[0] });
      i += m[0].length;
    } else throw new QuerySyntaxError(`unexpected character '${c}' at position ${i + 1}`);
  }
  return out;
}

/** A query's /regex/, on the linear-time engine (no pattern can hold the event loop). */
function toRegex(v: string): LinearRegex {
  const k = v.lastIndexOf('/');
  try {
    return new LinearRegex(v.slice(0, k), v.slice(k + 1).replace(/[^imsu]/g, ''));
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw new QuerySyntaxError(e.message);
    throw e;
  }
}

export function exprName(e: Expr): string {
  switch (e.k) {
    case 'field':
      return e.name;
    case 'lit':
      return e.v === '*' ? '*' : typeof e.v === 'string' ? `"${e.v}"` : String(e.v);
    case 'call':
      return `${e.fn}(${e.args.map(exprName).join(',')})`;
    case 'regex':
      return String(e.re);
    case 'list':
      return `[${e.items.map(exprName).join(',')}]`;
    case 'un':
      return `${e.op} ${exprName(e.a)}`;
    case 'bin':
      return `${exprName(e.a)}${e.op}${exprName(e.b)}`;
  }
}

export function parseQuery(src: string): Command[] {
  const stages: Tok[][] = [[]];
  for (const t of tokenize(src)) {
    if (t.t === 'op' && t.v === '|') stages.push([]);
    else stages[stages.length - 1].push(t);
  }
  return stages.filter((s) => s.length > 0).map(parseStage);
}

function parseStage(toks: Tok[]): Command {
  let p = 0;
  const peek = () => toks[p];
  const is = (v: string) => peek() !== undefined && peek().v.toLowerCase() === v && (peek().t === 'name' || peek().t === 'op');
  const take = () => {
    const t = toks[p++];
    if (!t) throw new QuerySyntaxError('unexpected end of query');
    return t;
  };
  const expect = (v: string) => {
    if (!is(v)) throw new QuerySyntaxError(`expected '${v}'${peek() ? ` near '${peek().v}'` : ''}`);
    p++;
  };

  const op = (...ops: string[]) => () => {
    for (const o of ops) if (is(o)) return (p++, o);
    return undefined;
  };
  const bin = (o: string, a: Expr, b: Expr): Expr => ({ k: 'bin', op: o, a, b });
  const and = leftAssoc(() => not(), op('and'), bin);
  const or = leftAssoc(and, op('or'), bin);
  const not = (): Expr => {
    if (is('not')) {
      p++;
      return { k: 'un', op: 'not', a: not() };
    }
    return cmp();
  };
  const cmp = (): Expr => {
    const a = add();
    if (is('not') && toks[p + 1] && ['like', 'in'].includes(toks[p + 1].v.toLowerCase())) {
      p++;
      const op = take().v.toLowerCase();
      return { k: 'un', op: 'not', a: { k: 'bin', op, a, b: add() } };
    }
    for (const op of ['=', '!=', '<', '<=', '>', '>=', '=~', 'like', 'in']) {
      if (is(op)) {
        p++;
        return { k: 'bin', op: op === '=~' ? 'like' : op, a, b: add() };
      }
    }
    return a;
  };
  const mul = leftAssoc(() => unary(), op('*', '/'), bin);
  const add = leftAssoc(mul, op('+', '-'), bin);
  const unary = (): Expr => {
    if (is('-')) {
      p++;
      return { k: 'un', op: '-', a: unary() };
    }
    return primary();
  };
  const args = (close: string): Expr[] => {
    const out: Expr[] = [];
    if (is(close)) {
      p++;
      return out;
    }
    for (;;) {
      if (is('*')) {
        p++;
        out.push({ k: 'lit', v: '*' });
      } else out.push(or());
      if (is(',')) {
        p++;
        continue;
      }
      expect(close);
      return out;
    }
  };
  const primary = (): Expr => {
    const t = take();
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 're') return { k: 'regex', re: toRegex(t.v) };
    if (t.t === 'op' && t.v === '(') {
      const e = or();
      expect(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') return { k: 'list', items: args(']') };
    if (t.t === 'name') {
      if (is('(')) {
        p++;
        return { k: 'call', fn: t.v.toLowerCase(), args: args(')') };
      }
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      return { k: 'field', name: t.v };
    }
    throw new QuerySyntaxError(`unexpected '${t.v}'`);
  };
  const named = (): { expr: Expr; name: string } => {
    const expr = or();
    if (is('as')) {
      p++;
      return { expr, name: take().v };
    }
    return { expr, name: exprName(expr) };
  };
  const list = <T>(item: () => T): T[] => {
    const out = [item()];
    while (is(',')) {
      p++;
      out.push(item());
    }
    return out;
  };

  const cmd = take().v.toLowerCase();
  let out: Command;
  switch (cmd) {
    case 'fields':
    case 'display':
      out = { k: 'fields', items: list(named), display: cmd === 'display' };
      break;
    case 'filter':
      out = { k: 'filter', expr: or() };
      break;
    case 'parse': {
      const field = take().v;
      const pat = take();
      if (pat.t === 're') {
        const re = toRegex(pat.v);
        const names = re.groupNames;
        if (!names.length) throw new QuerySyntaxError('parse with a regular expression needs named groups (?<name>…)');
        out = { k: 'parse', field, regex: re, names };
        break;
      }
      if (pat.t !== 'str') throw new QuerySyntaxError('parse needs a "glob * pattern" or a /regex/');
      expect('as');
      const names = list(() => take().v);
      if (names.length !== pat.v.split('*').length - 1) throw new QuerySyntaxError('parse: the number of fields does not match the number of * in the pattern');
      out = { k: 'parse', field, glob: pat.v, names };
      break;
    }
    case 'stats': {
      const aggs = list(() => {
        const { expr, name } = named();
        if (expr.k !== 'call') throw new QuerySyntaxError(`stats needs aggregation functions, got ${name}`);
        return { fn: expr.fn, args: expr.args, name };
      });
      let by: Array<{ expr: Expr; name: string }> = [];
      if (is('by')) {
        p++;
        by = list(named);
      }
      out = { k: 'stats', aggs, by };
      break;
    }
    case 'sort':
      out = {
        k: 'sort',
        keys: list(() => {
          const name = exprName(or());
          let desc = false;
          if (is('desc') || is('asc')) desc = take().v.toLowerCase() === 'desc';
          return { name, desc };
        }),
      };
      break;
    case 'limit': {
      const n = take();
      if (n.t !== 'num' || !Number.isInteger(Number(n.v)) || Number(n.v) < 1) throw new QuerySyntaxError('limit needs a positive integer');
      out = { k: 'limit', n: Number(n.v) };
      break;
    }
    default:
      throw new QuerySyntaxError(`unknown command '${cmd}'`);
  }
  if (p < toks.length) throw new QuerySyntaxError(`unexpected '${toks[p].v}' in ${cmd}`);
  return out;
}
