// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Regular expressions that run in time linear in the subject (times the pattern's size), for every
 * pattern a user sends: a Thompson NFA for `test`, a Pike VM (the same leftmost-first answers as
 * a backtracking engine, captures included) for `exec`. V8's RegExp backtracks: `(a+)+$` or
 * `a*a*a*a*b` over a long log line holds the event loop for minutes; here both take one pass.
 * Syntax: src/util/regex-syntax.ts (JavaScript's, without backreferences and lookaround).
 * `test` and the start of an `exec` match are always V8's; where a quantified group can iterate
 * on an empty string the extent and captures of the match may differ (a Pike VM visits each
 * instruction once per position, as RE2 does), and a quantified group keeps its last iteration's
 * captures where V8 resets them.
 */
import { A_BOL, A_EOL, A_WORD, OP_ASSERT, OP_CHAR, OP_JMP, OP_MATCH, OP_SAVE, OP_SET, OP_SPLIT, compileProgram, normalize, type Program, type Ranges } from './regex-syntax.js';

export { RegexSyntaxError } from './regex-syntax.js';

export interface RegexMatch {
  /** where the match starts and ends (code units) */
  index: number;
  end: number;
  /** the matched text, then each capture group (undefined when it took no part) */
  captures: Array<string | undefined>;
  /** named groups */
  groups: Record<string, string | undefined>;
}

/** Membership of a code unit in a class: a table for ASCII, a binary search above. */
class CharSet {
  private readonly ascii = new Uint8Array(128);
  private readonly high: Int32Array;
  constructor(r: Ranges) {
    const high: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      for (let c = r[i]; c <= Math.min(r[i + 1], 127); c++) this.ascii[c] = 1;
      if (r[i + 1] > 127) high.push(Math.max(r[i], 128), r[i + 1]);
    }
    this.high = Int32Array.from(high);
  }
  has(c: number): boolean {
    if (c < 128) return this.ascii[c] === 1;
    const h = this.high;
    let lo = 0;
    let hi = h.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (c < h[2 * mid]) hi = mid - 1;
      else if (c > h[2 * mid + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLineEnd = (c: number) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

export class LinearRegex {
  readonly source: string;
  readonly flags: string;
  /** named capture groups, in order */
  readonly groupNames: string[];
  private readonly prog: Program & { multiline: boolean };
  private readonly sets: CharSet[];
  private readonly mark: Uint32Array;
  private gen = 0;
  private readonly stack: Int32Array;
  /** the character every match starts with, when the pattern begins with a literal ('' otherwise) */
  private readonly first: string;
  /** the characters a match can start with; null when a match can be empty */
  private readonly firstSet: CharSet | null;

  /** Throws RegexSyntaxError for what it does not support (backreferences, lookaround…). */
  constructor(source: string, flags = '') {
    this.source = source;
    this.flags = flags;
    this.prog = compileProgram(source, flags);
    this.sets = this.prog.sets.map((r) => new CharSet(r));
    this.groupNames = [...this.prog.names.keys()];
    this.mark = new Uint32Array(this.prog.op.length);
    this.stack = new Int32Array(2 * this.prog.op.length + 2);
    // instruction 0 saves the match's start; a literal at 1 is reached from the start only
    this.first = this.prog.op[1] === OP_CHAR ? String.fromCharCode(this.prog.a[1]) : '';
    this.firstSet = this.startChars();
  }

  /** The characters the start's threads consume (assertions taken as holding); null if MATCH is reachable. */
  private startChars(): CharSet | null {
    const { op, a, b } = this.prog;
    const seen = new Uint8Array(op.length);
    const todo = [0];
    const ranges: Ranges = [];
    while (todo.length) {
      const pc = todo.pop()!;
      if (seen[pc]) continue;
      seen[pc] = 1;
      if (op[pc] === OP_MATCH) return null;
      if (op[pc] === OP_CHAR) ranges.push(a[pc], a[pc]);
      else if (op[pc] === OP_SET) ranges.push(...this.prog.sets[a[pc]]);
      else if (op[pc] === OP_JMP) todo.push(a[pc]);
      else if (op[pc] === OP_SPLIT) todo.push(a[pc], b[pc]);
      else todo.push(pc + 1);
    }
    return new CharSet(normalize(ranges));
  }

  /** The first position from `from` on where a match can start; -1 when none can. */
  private nextStart(s: string, from: number): number {
    if (this.first) return s.indexOf(this.first, from);
    const set = this.firstSet!;
    for (let i = from; i < s.length; i++) if (set.has(s.charCodeAt(i))) return i;
    return -1;
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }

  private assertion(k: number, s: string, pos: number): boolean {
    const n = s.length;
    if (k === A_BOL) return pos === 0 || (this.prog.multiline && isLineEnd(s.charCodeAt(pos - 1)));
    if (k === A_EOL) return pos === n || (this.prog.multiline && isLineEnd(s.charCodeAt(pos)));
    const boundary = (pos > 0 && isWordChar(s.charCodeAt(pos - 1))) !== (pos < n && isWordChar(s.charCodeAt(pos)));
    return k === A_WORD ? boundary : !boundary;
  }

  private consumes(pc: number, c: number): boolean {
    const { op, a } = this.prog;
    return op[pc] === OP_CHAR ? a[pc] === c : this.sets[a[pc]].has(c);
  }

  private nextGen(): number {
    if (++this.gen === 0xffffffff) {
      this.mark.fill(0);
      this.gen = 1;
    }
    return this.gen;
  }

  /** Adds the threads reachable from `pc` without consuming input at `pos`; returns the new count. */
  private closure(list: Int32Array, count: number, pc0: number, s: string, pos: number, gen: number): number {
    const { op, a, b } = this.prog;
    const stack = this.stack;
    const mark = this.mark;
    const o0 = op[pc0];
    if (o0 === OP_CHAR || o0 === OP_SET || o0 === OP_MATCH) {
      // the common case, a consuming instruction: no walk
      if (mark[pc0] !== gen) {
        mark[pc0] = gen;
        list[count++] = pc0;
      }
      return count;
    }
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp];
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (op[pc]) {
        case OP_JMP:
          stack[sp++] = a[pc];
          break;
        case OP_SPLIT:
          stack[sp++] = b[pc];
          stack[sp++] = a[pc];
          break;
        case OP_SAVE:
          stack[sp++] = pc + 1;
          break;
        case OP_ASSERT:
          if (this.assertion(a[pc], s, pos)) stack[sp++] = pc + 1;
          break;
        default:
          list[count++] = pc;
      }
    }
    return count;
  }

  /** Whether the pattern matches anywhere in `s`: one pass, no captures. */
  test(s: string): boolean {
    const { op, a } = this.prog;
    const sets = this.sets;
    const size = op.length;
    let clist = new Int32Array(size);
    let nlist = new Int32Array(size);
    let cn = this.closure(clist, 0, 0, s, 0, this.nextGen());
    const n = s.length;
    for (let pos = 0; ; pos++) {
      const gen = this.nextGen();
      let nn = 0;
      const c = pos < n ? s.charCodeAt(pos) : -1;
      for (let k = 0; k < cn; k++) {
        const pc = clist[k];
        const o = op[pc];
        if (o === OP_MATCH) return true;
        if (c >= 0 && (o === OP_CHAR ? a[pc] === c : sets[a[pc]].has(c))) nn = this.closure(nlist, nn, pc + 1, s, pos + 1, gen);
      }
      if (pos >= n) return false;
      if (nn === 0 && this.firstSet) {
        // no thread alive: the next match can only start where a first character of one is
        const next = this.nextStart(s, pos + 1);
        if (next < 0) return false;
        pos = next - 1;
        cn = this.closure(clist, 0, 0, s, next, this.nextGen());
        continue;
      }
      nn = this.closure(nlist, nn, 0, s, pos + 1, gen);
      const t = clist;
      clist = nlist;
      nlist = t;
      cn = nn;
    }
  }

  /** The leftmost match, with the captures a backtracking engine would give; null when none. */
  exec(s: string): RegexMatch | null {
    // the capture-free pass first: most subjects that do not match cost no capture bookkeeping
    if (!this.test(s)) return null;
    const { op, a, b } = this.prog;
    const size = op.length;
    const slots = 2 * (this.prog.groups + 1);
    let cpc = new Int32Array(size);
    let ccaps: number[][] = new Array(size);
    let npc = new Int32Array(size);
    let ncaps: number[][] = new Array(size);
    const mark = this.mark;
    const stackPc: number[] = [];
    // captures as plain arrays, copied on SAVE only: far cheaper to copy than typed arrays
    const stackCaps: number[][] = [];
    const add = (list: Int32Array, caps: number[][], count: number, pc0: number, caps0: number[], pos: number, gen: number): number => {
      stackPc.push(pc0);
      stackCaps.push(caps0);
      while (stackPc.length) {
        const pc = stackPc.pop()!;
        const cp = stackCaps.pop()!;
        if (mark[pc] === gen) continue;
        mark[pc] = gen;
        switch (op[pc]) {
          case OP_JMP:
            stackPc.push(a[pc]);
            stackCaps.push(cp);
            break;
          case OP_SPLIT:
            stackPc.push(b[pc], a[pc]);
            stackCaps.push(cp, cp);
            break;
          case OP_SAVE: {
            const c2 = cp.slice();
            c2[a[pc]] = pos;
            stackPc.push(pc + 1);
            stackCaps.push(c2);
            break;
          }
          case OP_ASSERT:
            if (this.assertion(a[pc], s, pos)) {
              stackPc.push(pc + 1);
              stackCaps.push(cp);
            }
            break;
          default:
            list[count] = pc;
            caps[count++] = cp;
        }
      }
      return count;
    };
    const fresh = () => new Array<number>(slots).fill(-1);
    let matched: number[] | null = null;
    let cn = add(cpc, ccaps, 0, 0, fresh(), 0, this.nextGen());
    const n = s.length;
    for (let pos = 0; ; pos++) {
      const gen = this.nextGen();
      let nn = 0;
      const c = pos < n ? s.charCodeAt(pos) : -1;
      for (let k = 0; k < cn; k++) {
        const pc = cpc[k];
        if (op[pc] === OP_MATCH) {
          // every thread after this one has a lower priority
          matched = ccaps[k];
          break;
        }
        if (c >= 0 && this.consumes(pc, c)) nn = add(npc, ncaps, nn, pc + 1, ccaps[k], pos + 1, gen);
      }
      if (pos >= n) break;
      let at = pos + 1;
      let startGen = gen;
      if (nn === 0 && !matched && this.firstSet) {
        // no thread alive: skip to where a match can start (marks made at pos + 1 do not hold there)
        at = this.nextStart(s, pos + 1);
        if (at < 0) break;
        pos = at - 1;
        startGen = this.nextGen();
      }
      if (!matched) nn = add(npc, ncaps, nn, 0, fresh(), at, startGen);
      // a match and no thread of a higher priority left
      if (nn === 0 && matched) break;
      [cpc, npc] = [npc, cpc];
      [ccaps, ncaps] = [ncaps, ccaps];
      cn = nn;
    }
    if (!matched) return null;
    const m = matched;
    const captures: Array<string | undefined> = [];
    for (let g = 0; g < slots / 2; g++) captures.push(m[2 * g] >= 0 && m[2 * g + 1] >= 0 ? s.slice(m[2 * g], m[2 * g + 1]) : undefined);
    const groups: Record<string, string | undefined> = {};
    for (const [name, slot] of this.prog.names) groups[name] = captures[slot];
    return { index: m[0], end: m[1], captures, groups };
  }
}

/** `s` as a pattern that matches exactly it. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A wildcard pattern (`*` any run, and `?` one character unless `question` is false; a backslash
 * escapes the next character when `escapes`) as a whole-string LinearRegex.
 */
export function compileGlob(pattern: string, opts: { question?: boolean; escapes?: boolean; caseInsensitive?: boolean } = {}): LinearRegex {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && opts.escapes && i + 1 < pattern.length) src += escapeRegex(pattern[++i]);
    else if (c === '*') src += '[^]*';
    else if (c === '?' && opts.question !== false) src += '[^]';
    else src += escapeRegex(c);
  }
  return new LinearRegex(`^${src}$`, opts.caseInsensitive ? 'i' : '');
}
