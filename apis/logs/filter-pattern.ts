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
import { LinearRegex, RegexSyntaxError, compileGlob } from '../../src/util/regex.js';

export class FilterPatternError extends Error {}

/**
 * A `%regex%` term: CloudWatch Logs' regex subset (letters, digits, the symbols : _ # = @ / ; , -,
 * the operators ^ $ ? [ ] { } | \ * + . — no parentheses, no multi-byte characters), run by the
 * linear-time engine (src/util/regex.ts) so that no pattern can hold the event loop.
 */
export function filterRegex(term: string): LinearRegex {
  const body = term.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const e = body[++i];
      if (e === undefined || e < ' ' || e > '~') throw new FilterPatternError(`Invalid regex in filter pattern ${term}: a backslash must escape a printable ASCII character`);
      if (/[1-9k]/.test(e)) throw new FilterPatternError(`Invalid regex in filter pattern ${term}: backreferences are not supported`);
      continue;
    }
    if (c === '(' || c === ')') throw new FilterPatternError(`Invalid regex in filter pattern ${term}: the ( and ) operators are not supported`);
    if (c.charCodeAt(0) > 0x7f) throw new FilterPatternError(`Invalid regex in filter pattern ${term}: multi-byte characters are not supported`);
    if (!/[A-Za-z0-9:_#=@/;,\-^$?[\]{}|*+.]/.test(c)) throw new FilterPatternError(`Invalid character '${c}' in regex filter pattern ${term}`);
  }
  try {
    return new LinearRegex(body);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw new FilterPatternError(`Invalid regex in filter pattern ${term}: ${e.message}`);
    throw e;
  }
}

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
    const re = filterRegex(v);
    return (s) => re.test(s);
  }
  if (!v.includes('*')) return (s) => s === v;
  const re = compileGlob(v, { question: false });
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
      const re = filterRegex(body);
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
    // compiled once, with the pattern: a bad %regex% is refused before any event is read
    const like = wildcard(text);
    const eq = (v: unknown) => (num !== undefined && typeof v === 'number' ? v === num : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? like(String(v)) : false);
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
  // which (pattern field, event field) positions can still lead to a match, computed from the end:
  // one step per pair, where trying every split of the fields at each `...` would be polynomial
  // in the number of fields (one degree per `...`)
  const match = (vals: string[]): Map<string, string> | null => {
    const F = fields.length;
    const V = vals.length;
    if (!fields.some((f) => 'ellipsis' in f) && F !== V) return null;
    // one bit per pair: a few MiB at most for the largest event and the longest pattern
    const bits = new Uint8Array(Math.ceil(((F + 1) * (V + 1)) / 8));
    const ok = (fi: number, vi: number) => (bits[(fi * (V + 1) + vi) >> 3] >> ((fi * (V + 1) + vi) & 7)) & 1;
    const set = (fi: number, vi: number) => (bits[(fi * (V + 1) + vi) >> 3] |= 1 << ((fi * (V + 1) + vi) & 7));
    set(F, V);
    for (let fi = F - 1; fi >= 0; fi--) {
      const f = fields[fi];
      for (let vi = V; vi >= 0; vi--) {
        if ('ellipsis' in f ? ok(fi + 1, vi) || (vi < V && ok(fi, vi + 1)) : vi < V && ok(fi + 1, vi + 1) && f.test(vals[vi])) set(fi, vi);
      }
    }
    if (!ok(0, 0)) return null;
    // the named fields along the match that skips the fewest fields at each `...`
    const got = new Map<string, string>();
    for (let fi = 0, vi = 0; fi < F; ) {
      const f = fields[fi];
      if ('ellipsis' in f) {
        if (ok(fi + 1, vi)) fi++;
        else vi++;
        continue;
      }
      if (f.name) got.set(f.name, vals[vi]);
      fi++;
      vi++;
    }
    return got;
  };
  return (msg) => {
    const got = match(splitFields(msg));
    if (!got) return null;
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
