// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch Logs filter patterns, compiled to a predicate over the event message.
 *  - Terms:  `ERROR`, `"Connection refused"`, `-DEBUG` (must not occur), `?ERROR ?WARN` (any of),
 *            `%regex%`. Plain terms must all occur; matching is case-sensitive.
 *  - JSON:   `{ $.level = "error" && ($.latency > 100 || $.user.id NOT EXISTS) }` with = != < <= > >=,
 *            `*` wildcards in strings, IS NULL / IS TRUE / IS FALSE, EXISTS / NOT EXISTS, %regex%.
 *  - Space-delimited: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`: fields split on
 *            spaces with "quoted" and [bracketed] fields kept whole; `...` matches any number.
 */
import { stickyTokens } from '../cloudwatch/lex.js';

export class FilterPatternError extends Error {}

export type Matcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const x = compileExtractor(pattern);
  return (m) => x(m) !== null;
}

/** Field access on a matched event: `$.a.b` in JSON events, `$name` for named space-delimited fields. */
export type Fields = (selector: string) => unknown;

/** Like compileFilterPattern, but a match also gives access to the event's fields (metric filters). */
export function compileExtractor(pattern: string | undefined): (message: string) => Fields | null {
  const p = (pattern ?? '').trim();
  const none: Fields = () => undefined;
  if (p === '') return () => none;
  if (p.startsWith('{')) {
    const m = compileJson(p);
    return (msg) => {
      if (!m(msg)) return null;
      const doc = JSON.parse(msg.trimStart());
      return (sel) => (sel.startsWith('$.') || sel.startsWith('$[') ? lookup(doc, selectorPath(sel)).value : undefined);
    };
  }
  if (p.startsWith('[')) return compileDelimited(p);
  const m = compileTerms(p);
  return (msg) => (m(msg) ? none : null);
}

function wildcard(v: string): (s: string) => boolean {
  if (v.length > 2 && v.startsWith('%') && v.endsWith('%')) {
    const re = new RegExp(v.slice(1, -1));
    return (s) => re.test(s);
  }
  if (!v.includes('*')) return (s) => s === v;
  const re = new RegExp('^' + v.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (s) => re.test(s);
}

function compileTerms(p: string): Matcher {
  const toks = stickyTokens(p, /\s*([-?]?(?:"(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)+%|[^\s"]+))/y);
  if (!toks) throw new FilterPatternError(`Invalid character(s) in term in filter pattern: ${p}`);
  const all: Array<(s: string) => boolean> = [];
  const none: Array<(s: string) => boolean> = [];
  const any: Array<(s: string) => boolean> = [];
  for (const tok of toks) {
    const kind = tok[0] === '-' || tok[0] === '?' ? tok[0] : '';
    let body = kind ? tok.slice(1) : tok;
    let test: (s: string) => boolean;
    if (body.length > 2 && body.startsWith('%') && body.endsWith('%')) {
      const re = new RegExp(body.slice(1, -1));
      test = (s) => re.test(s);
    } else {
      if (body.startsWith('"')) body = body.slice(1, -1).replace(/\\(.)/g, '$1');
      if (body === '') throw new FilterPatternError(`Invalid filter pattern: empty term in ${p}`);
      const term = body;
      test = (s) => s.includes(term);
    }
    (kind === '-' ? none : kind === '?' ? any : all).push(test);
  }
  return (s) => all.every((f) => f(s)) && !none.some((f) => f(s)) && (any.length === 0 || any.some((f) => f(s)));
}

// ---------- JSON patterns ----------

type Cmp = (v: unknown, present: boolean) => boolean;

function selectorPath(sel: string): Array<string | number> {
  if (!sel.startsWith('$')) throw new FilterPatternError(`Invalid selector ${sel}: selectors start with $`);
  const out: Array<string | number> = [];
  const re = /\.([^.[\]\s]+)|\[(\d+)\]/y;
  let pos = 1;
  while (pos < sel.length) {
    re.lastIndex = pos;
    const m = re.exec(sel);
    if (!m) throw new FilterPatternError(`Invalid selector ${sel}`);
    out.push(m[1] !== undefined ? m[1] : Number(m[2]));
    pos = re.lastIndex;
  }
  return out;
}

function lookup(doc: unknown, path: Array<string | number>): { present: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as Record<string | number, unknown>))) return { present: false, value: undefined };
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return { present: true, value: cur };
}

function comparison(op: string, raw: string): Cmp {
  const quoted = raw.startsWith('"');
  const text = quoted ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  const num = !quoted && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : undefined;
  if (op === '=' || op === '!=') {
    const eq = (v: unknown) => (num !== undefined && typeof v === 'number' ? v === num : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? wildcard(text)(String(v)) : false);
    return op === '=' ? (v, present) => present && eq(v) : (v, present) => present && !eq(v);
  }
  if (num === undefined) throw new FilterPatternError(`The operator ${op} needs a number, got ${raw}`);
  const f = { '<': (a: number) => a < num, '<=': (a: number) => a <= num, '>': (a: number) => a > num, '>=': (a: number) => a >= num }[op];
  if (!f) throw new FilterPatternError(`Unknown operator ${op}`);
  return (v, present) => present && typeof v === 'number' && f(v);
}

function compileJson(p: string): Matcher {
  if (!p.endsWith('}')) throw new FilterPatternError(`Invalid JSON filter pattern: missing '}' in ${p}`);
  const toks = stickyTokens(p.slice(1, -1), /\s*("(?:[^"\\]|\\.)*"|%(?:[^%\\]|\\.)+%|&&|\|\||!=|<=|>=|=|<|>|\(|\)|[^\s()=<>!&|"]+)/y);
  if (!toks || toks.length === 0) throw new FilterPatternError(`Invalid JSON filter pattern: ${p}`);
  let i = 0;
  type Pred = (doc: unknown) => boolean;
  const or = (): Pred => {
    let a = and();
    while (toks[i] === '||') {
      i++;
      const l = a;
      const r = and();
      a = (d) => l(d) || r(d);
    }
    return a;
  };
  const and = (): Pred => {
    let a = atom();
    while (toks[i] === '&&') {
      i++;
      const l = a;
      const r = atom();
      a = (d) => l(d) && r(d);
    }
    return a;
  };
  const atom = (): Pred => {
    const t = toks[i++];
    if (t === '(') {
      const e = or();
      if (toks[i++] !== ')') throw new FilterPatternError(`Invalid JSON filter pattern: missing ')' in ${p}`);
      return e;
    }
    if (t === undefined) throw new FilterPatternError(`Invalid JSON filter pattern: ${p}`);
    const path = selectorPath(t);
    const next = toks[i];
    if (next === 'IS') {
      const what = toks[i + 1];
      i += 2;
      if (what === 'NULL') return (d) => lookup(d, path).present && lookup(d, path).value === null;
      if (what === 'TRUE' || what === 'FALSE') return (d) => lookup(d, path).value === (what === 'TRUE');
      throw new FilterPatternError(`Invalid JSON filter pattern: IS ${what}`);
    }
    if (next === 'NOT' && toks[i + 1] === 'EXISTS') {
      i += 2;
      return (d) => !lookup(d, path).present;
    }
    if (next === 'EXISTS') {
      i++;
      return (d) => lookup(d, path).present;
    }
    const op = toks[i++];
    const val = toks[i++];
    if (op === undefined || val === undefined || !['=', '!=', '<', '<=', '>', '>='].includes(op)) {
      throw new FilterPatternError(`Invalid JSON filter pattern: expected a comparison after ${t}`);
    }
    const cmp = comparison(op, val);
    return (d) => {
      const { present, value } = lookup(d, path);
      return cmp(value, present);
    };
  };
  const pred = or();
  if (i < toks.length) throw new FilterPatternError(`Invalid JSON filter pattern: unexpected '${toks[i]}'`);
  return (msg) => {
    const s = msg.trimStart();
    if (!s.startsWith('{') && !s.startsWith('[')) return false;
    try {
      return pred(JSON.parse(s));
    } catch {
      return false;
    }
  };
}

// ---------- space-delimited patterns ----------

function splitFields(msg: string): string[] {
  const out: string[] = [];
  const re = /\s*("[^"]*"|\[[^\]]*\]|\S+)/y;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(msg);
    if (!m) break;
    const f = m[1];
    out.push(f.startsWith('"') || f.startsWith('[') ? f.slice(1, -1) : f);
    pos = re.lastIndex;
  }
  return out;
}

function compileDelimited(p: string): (message: string) => Fields | null {
  if (!p.endsWith(']')) throw new FilterPatternError(`Invalid space-delimited filter pattern: missing ']' in ${p}`);
  const parts = splitTop(p.slice(1, -1));
  const fields = parts.map((part) => {
    const f = part.trim();
    if (f === '...') return { ellipsis: true as const };
    const name = /^\s*([A-Za-z_]\w*)/.exec(f)?.[1];
    const alts = f.split('||').map((alt) =>
      alt.split('&&').map((c) => {
        const m = /^\s*([A-Za-z_][\w]*)?\s*(!=|<=|>=|=|<|>)?\s*(.*?)\s*$/.exec(c)!;
        if (!m[2]) return () => true;
        const cmp = comparison(m[2], m[3]);
        return (v: string) => cmp(/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v, true);
      }),
    );
    return { name, test: (v: string) => alts.some((conds) => conds.every((c) => c(v))) };
  });
  const match = (vals: string[], fi: number, vi: number, got: Map<string, string>): boolean => {
    if (fi === fields.length) return vi === vals.length;
    const f = fields[fi];
    if ('ellipsis' in f) {
      for (let k = vi; k <= vals.length; k++) if (match(vals, fi + 1, k, got)) return true;
      return false;
    }
    if (vi >= vals.length || !f.test(vals[vi])) return false;
    if (f.name) got.set(f.name, vals[vi]);
    return match(vals, fi + 1, vi + 1, got);
  };
  return (msg) => {
    const got = new Map<string, string>();
    if (!match(splitFields(msg), 0, 0, got)) return null;
    return (sel) => (sel.startsWith('$') ? got.get(sel.slice(1)) : undefined);
  };
}

/** Splits on commas outside quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const c of s) {
    if (c === '"') q = !q;
    if (c === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
