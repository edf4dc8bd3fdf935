// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The syntax half of the gateway's linear-time regular expressions (src/util/regex.ts): parses the
 * JavaScript regex syntax without backreferences and lookaround — literals, `.`, classes with ranges
 * and `\d \w \s` (and negations), `^ $ \b \B`, groups (capturing, `(?:…)`, `(?<name>…)`), `|`,
 * `* + ? {n} {n,} {n,m}` greedy or lazy — and compiles it to a program for a Pike VM. Whatever a
 * backtracking engine would need (backreferences, lookahead, lookbehind, `\p{…}`) is refused with
 * a RegexSyntaxError naming it, as are programs beyond a size limit.
 */

export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
}

/** A character class: sorted, merged [lo, hi] code-unit ranges. */
export type Ranges = number[];

type Node =
  | { t: 'char'; c: number }
  | { t: 'set'; r: Ranges }
  | { t: 'cat'; xs: Node[] }
  | { t: 'alt'; xs: Node[] }
  | { t: 'rep'; x: Node; min: number; max: number; lazy: boolean }
  | { t: 'group'; x: Node; slot?: number }
  | { t: 'assert'; k: number };

export const OP_CHAR = 0;
export const OP_SET = 1;
export const OP_SPLIT = 2;
export const OP_JMP = 3;
export const OP_SAVE = 4;
export const OP_ASSERT = 5;
export const OP_MATCH = 6;

export const A_BOL = 0;
export const A_EOL = 1;
export const A_WORD = 2;
export const A_NOTWORD = 3;

export interface Program {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  sets: Ranges[];
  /** capture groups, not counting the whole match */
  groups: number;
  names: Map<string, number>;
}

/** Most instructions a program may have; most times a counted repetition may repeat. */
export const MAX_PROGRAM = 20_000;
export const MAX_REPEAT = 1000;

const MAX_CODE = 0xffff;
export const DIGIT: Ranges = [0x30, 0x39];
export const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
export const SPACE: Ranges = [0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];
const LINE_END: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

export function normalize(r: Ranges): Ranges {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    if (out.length && lo <= out[out.length - 1] + 1) out[out.length - 1] = Math.max(out[out.length - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

export function complement(r: Ranges): Ranges {
  const n = normalize(r);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < n.length; i += 2) {
    if (n[i] > next) out.push(next, n[i] - 1);
    next = n[i + 1] + 1;
  }
  if (next <= MAX_CODE) out.push(next, MAX_CODE);
  return out;
}

/** Adds the other case of every letter in the ranges (simple case folding, as /i does). */
function caseFold(r: Ranges): Ranges {
  const out = [...r];
  for (let i = 0; i < r.length; i += 2) {
    for (let c = r[i]; c <= r[i + 1] && c <= MAX_CODE; c++) {
      for (const o of [String.fromCharCode(c).toLowerCase(), String.fromCharCode(c).toUpperCase()]) {
        if (o.length === 1 && o.charCodeAt(0) !== c) out.push(o.charCodeAt(0), o.charCodeAt(0));
      }
      if (c - r[i] > 0x3000) break;
    }
  }
  return normalize(out);
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, v: 11, f: 12, '0': 0 };

class Parser {
  i = 0;
  groups = 0;
  names = new Map<string, number>();
  constructor(
    readonly src: string,
    readonly ignoreCase: boolean,
    readonly dotAll: boolean,
  ) {}

  fail(what: string): never {
    throw new RegexSyntaxError(`Invalid regular expression /${this.src}/: ${what} at position ${this.i}`);
  }

  parse(): Node {
    const n = this.alt();
    if (this.i < this.src.length) this.fail(this.src[this.i] === ')' ? 'unmatched )' : `unexpected ${this.src[this.i]}`);
    return n;
  }

  alt(): Node {
    const xs = [this.cat()];
    while (this.src[this.i] === '|') {
      this.i++;
      xs.push(this.cat());
    }
    return xs.length === 1 ? xs[0] : { t: 'alt', xs };
  }

  cat(): Node {
    const xs: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') xs.push(this.repeat(this.atom()));
    return { t: 'cat', xs };
  }

  repeat(x: Node): Node {
    {
      const c = this.src[this.i];
      let min: number;
      let max: number;
      if (c === '*' || c === '+' || c === '?') {
        this.i++;
        [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i, this.i + 24))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i))!;
        this.i += m[0].length;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (max < min) this.fail('numbers out of order in {} quantifier');
        if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) this.fail(`repetition count over ${MAX_REPEAT}`);
      } else return x;
      if (x.t === 'assert') this.fail('nothing to repeat');
      const lazy = this.src[this.i] === '?';
      if (lazy) this.i++;
      // a quantifier right after another one has nothing to repeat (the next atom() says so)
      return { t: 'rep', x, min, max, lazy };
    }
  }

  atom(): Node {
    const s = this.src;
    const c = s[this.i++];
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { t: 'set', r: this.klass() };
      case '.':
        return { t: 'set', r: this.dotAll ? [0, MAX_CODE] : complement(LINE_END) };
      case '^':
        return { t: 'assert', k: A_BOL };
      case '$':
        return { t: 'assert', k: A_EOL };
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case '{':
        if (/^\d+(,\d*)?\}/.test(s.slice(this.i, this.i + 24))) this.fail('nothing to repeat');
        return this.char(c.charCodeAt(0));
      case '\\': {
        const e = s[this.i];
        if (e === 'b' || e === 'B') {
          this.i++;
          return { t: 'assert', k: e === 'b' ? A_WORD : A_NOTWORD };
        }
        const r = this.escape(false);
        return typeof r === 'number' ? this.char(r) : { t: 'set', r: this.fold(r) };
      }
      default:
        // a whole code point (a surrogate pair is two code units, matched in sequence)
        return this.char(c.charCodeAt(0));
    }
  }

  char(c: number): Node {
    if (!this.ignoreCase) return { t: 'char', c };
    const r = caseFold([c, c]);
    return r.length === 2 && r[0] === r[1] ? { t: 'char', c } : { t: 'set', r };
  }

  fold(r: Ranges): Ranges {
    return this.ignoreCase ? caseFold(r) : normalize(r);
  }

  group(): Node {
    const s = this.src;
    let slot: number | undefined;
    if (s[this.i] === '?') {
      const head = s.slice(this.i, this.i + 3);
      if (head.startsWith('?:')) this.i += 2;
      else if (head.startsWith('?<') && head !== '?<=' && head !== '?<!') {
        const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(s.slice(this.i));
        if (!m) this.fail('invalid capture group name');
        if (this.names.has(m[1])) this.fail(`duplicate capture group name ${m[1]}`);
        this.i += m[0].length;
        slot = ++this.groups;
        this.names.set(m[1], slot);
      } else if (head.startsWith('?=') || head.startsWith('?!') || head === '?<=' || head === '?<!') this.fail('lookahead and lookbehind are not supported');
      else this.fail('invalid group');
    } else slot = ++this.groups;
    const x = this.alt();
    if (s[this.i] !== ')') this.fail('missing )');
    this.i++;
    return { t: 'group', x, slot };
  }

  /** After a backslash: a code unit, or the ranges of a class escape. */
  escape(inClass: boolean): number | Ranges {
    const s = this.src;
    const e = s[this.i++];
    if (e === undefined) this.fail('\\ at end of pattern');
    switch (e) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      case 'x':
      case 'u': {
        const m = (e === 'x' ? /^[0-9A-Fa-f]{2}/ : /^[0-9A-Fa-f]{4}/).exec(s.slice(this.i));
        if (!m) this.fail(`invalid \\${e} escape`);
        this.i += m[0].length;
        return parseInt(m[0], 16);
      }
      case 'c': {
        const l = s[this.i];
        if (!l || !/[A-Za-z]/.test(l)) this.fail('invalid \\c escape');
        this.i++;
        return l.charCodeAt(0) % 32;
      }
      case 'b':
        if (inClass) return 8;
        break;
      case 'k':
        this.fail('backreferences are not supported');
      // falls through (fail never returns)
      case 'p':
      case 'P':
        this.fail('unicode property escapes are not supported');
    }
    if (e in SIMPLE_ESCAPES) {
      if (e === '0' && /[0-9]/.test(s[this.i] ?? '')) this.fail('octal escapes are not supported');
      return SIMPLE_ESCAPES[e];
    }
    if (/[1-9]/.test(e)) this.fail('backreferences are not supported');
    if (/[A-Za-z0-9]/.test(e)) this.fail(`unknown escape \\${e}`);
    return e.charCodeAt(0);
  }

  klass(): Ranges {
    const s = this.src;
    const neg = s[this.i] === '^';
    if (neg) this.i++;
    const out: Ranges = [];
    for (;;) {
      if (this.i >= s.length) this.fail('missing ]');
      // JS: [] matches nothing, [^] anything; a ']' ends the class wherever it stands
      if (s[this.i] === ']') break;
      const lo = this.classAtom();
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length) {
        this.i++;
        const hi = this.classAtom();
        if (typeof lo !== 'number' || typeof hi !== 'number') {
          // as JavaScript reads /[\w-.]/ (Annex B): both sides, and the '-' itself
          for (const x of [lo, 0x2d, hi]) typeof x === 'number' ? out.push(x, x) : out.push(...x);
          continue;
        }
        if (hi < lo) this.fail('range out of order in character class');
        out.push(lo, hi);
      } else if (typeof lo === 'number') out.push(lo, lo);
      else out.push(...lo);
    }
    this.i++;
    // case folding first, negation after: /[^a]/i matches neither a nor A
    return neg ? complement(this.fold(out)) : this.fold(out);
  }

  classAtom(): number | Ranges {
    const c = this.src[this.i++];
    return c === '\\' ? this.escape(true) : c.charCodeAt(0);
  }
}

class Emitter {
  op: number[] = [];
  a: number[] = [];
  b: number[] = [];
  sets: Ranges[] = [];

  emit(op: number, a = 0, b = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new RegexSyntaxError(`Regular expression too large (over ${MAX_PROGRAM} instructions once repetitions are expanded)`);
    this.op.push(op);
    this.a.push(a);
    this.b.push(b);
    return this.op.length - 1;
  }

  node(n: Node): void {
    switch (n.t) {
      case 'char':
        this.emit(OP_CHAR, n.c);
        return;
      case 'set':
        this.sets.push(n.r);
        this.emit(OP_SET, this.sets.length - 1);
        return;
      case 'assert':
        this.emit(OP_ASSERT, n.k);
        return;
      case 'cat':
        for (const x of n.xs) this.node(x);
        return;
      case 'group':
        if (n.slot === undefined) return this.node(n.x);
        this.emit(OP_SAVE, 2 * n.slot);
        this.node(n.x);
        this.emit(OP_SAVE, 2 * n.slot + 1);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < n.xs.length; k++) {
          if (k < n.xs.length - 1) {
            const split = this.emit(OP_SPLIT, 0, 0);
            this.a[split] = split + 1;
            this.node(n.xs[k]);
            jumps.push(this.emit(OP_JMP));
            this.b[split] = this.op.length;
          } else this.node(n.xs[k]);
        }
        for (const j of jumps) this.a[j] = this.op.length;
        return;
      }
      case 'rep':
        return this.rep(n);
    }
  }

  /** A SPLIT preferring `first`, else `second` (swapped for a lazy quantifier). */
  split(at: number, body: number, skip: number, lazy: boolean): void {
    this.a[at] = lazy ? skip : body;
    this.b[at] = lazy ? body : skip;
  }

  rep(n: Extract<Node, { t: 'rep' }>): void {
    for (let k = 0; k < n.min; k++) this.node(n.x);
    if (n.max === Infinity) {
      const loop = this.emit(OP_SPLIT);
      this.node(n.x);
      this.emit(OP_JMP, loop);
      this.split(loop, loop + 1, this.op.length, n.lazy);
      return;
    }
    const splits: number[] = [];
    for (let k = n.min; k < n.max; k++) {
      splits.push(this.emit(OP_SPLIT));
      this.node(n.x);
    }
    for (const s of splits) this.split(s, s + 1, this.op.length, n.lazy);
  }
}

/** Parses and compiles `source` (flags: i, m, s; g, u, y, d accepted and ignored). */
export function compileProgram(source: string, flags: string): Program & { multiline: boolean } {
  for (const f of flags) if (!'gimsuyd'.includes(f)) throw new RegexSyntaxError(`Invalid regular expression flags '${flags}'`);
  const p = new Parser(source, flags.includes('i'), flags.includes('s'));
  const tree = p.parse();
  const e = new Emitter();
  e.emit(OP_SAVE, 0);
  e.node(tree);
  e.emit(OP_SAVE, 1);
  e.emit(OP_MATCH);
  return { op: Uint8Array.from(e.op), a: Int32Array.from(e.a), b: Int32Array.from(e.b), sets: e.sets, groups: p.groups, names: p.names, multiline: flags.includes('m') };
}
