// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The PartiQL subset DynamoDB accepts: SELECT … FROM "t"[."index"] [WHERE …], INSERT INTO "t"
 * VALUE {…}, UPDATE "t" SET …/REMOVE … WHERE …, DELETE FROM "t" WHERE …, with ? parameters.
 * Statements become the same condition and update trees as DynamoDB's expressions.
 */
import { validation } from './errors.js';
import type { CmpOp, Condition, Operand, PathElem, PathOperand, SetValue, UpdateActions, ValueOperand } from './expr/ast.js';
import { normalizeNumber } from './numbers.js';
import { validateValue, type AttributeValue, type Item } from './types.js';

interface Tok {
  k: 'id' | 'qid' | 'str' | 'num' | 'op' | 'param' | 'eof';
  v: string;
}

const malformed = (detail: string) => validation(`Statement wasn't well formed, can't be processed: ${detail}`);

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= s.length) throw malformed('Unterminated string or identifier');
        if (s[j] === c) {
          if (s[j + 1] === c) {
            v += c;
            j += 2;
            continue;
          }
          break;
        }
        v += s[j++];
      }
      out.push({ k: c === "'" ? 'str' : 'qid', v });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /^(\d|\.\d)/.test(s.slice(i + 1, i + 3)) && !/^(num|id|qid|str)$/.test(out[out.length - 1]?.k ?? ''))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s.slice(i))!;
      out.push({ k: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i))!;
      out.push({ k: 'id', v: m[0] });
      i += m[0].length;
    } else if (c === '?') {
      out.push({ k: 'param', v: '?' });
      i++;
    } else {
      const op = ['<<', '>>', '<>', '<=', '>=', '!=', '=', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', ':', '*', '+', '-'].find((o) => s.startsWith(o, i));
      if (!op) throw malformed(`Unexpected character: ${c}`);
      out.push({ k: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ k: 'eof', v: '' });
  return out;
}

export type Statement =
  | { kind: 'SELECT'; table: string; index?: string; projection?: PathElem[][]; where?: Condition }
  | { kind: 'INSERT'; table: string; item: Item }
  | { kind: 'UPDATE'; table: string; update: UpdateActions; where?: Condition }
  | { kind: 'DELETE'; table: string; where?: Condition };

class Parser {
  private pos = 0;
  private param = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly params: AttributeValue[],
  ) {}

  peek(o = 0): Tok {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)]!;
  }
  next(): Tok {
    return this.toks[this.pos++] ?? this.toks[this.toks.length - 1]!;
  }
  kw(w: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === 'id' && t.v.toUpperCase() === w;
  }
  op(v: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === v;
  }
  expectKw(w: string): void {
    if (!this.kw(w)) throw malformed(`Expected ${w}`);
    this.pos++;
  }
  expectOp(v: string): void {
    if (!this.op(v)) throw malformed(`Expected ${v}`);
    this.pos++;
  }
  done(): void {
    if (this.peek().k !== 'eof') throw malformed(`Unexpected token: ${this.peek().v}`);
    if (this.param !== this.params.length) throw validation('Number of parameters in request and statement don\'t match.');
  }

  ident(): string {
    const t = this.next();
    if (t.k !== 'id' && t.k !== 'qid') throw malformed(`Expected identifier, found ${t.v || 'end of statement'}`);
    return t.v;
  }

  path(): PathOperand {
    const path: PathElem[] = [this.ident()];
    for (;;) {
      if (this.op('.')) {
        this.pos++;
        path.push(this.ident());
      } else if (this.op('[')) {
        this.pos++;
        const t = this.next();
        if (t.k === 'num' && /^\d+$/.test(t.v)) path.push(Number(t.v));
        else if (t.k === 'str') path.push(t.v);
        else throw malformed('Expected a list index');
        this.expectOp(']');
      } else return { k: 'path', raw: [], path };
    }
  }

  literal(): AttributeValue {
    const t = this.next();
    switch (t.k) {
      case 'str':
        return { S: t.v };
      case 'num':
        return { N: normalizeNumber(t.v) };
      case 'param': {
        const v = this.params[this.param++];
        if (!v) throw validation('Number of parameters in request and statement don\'t match.');
        return v;
      }
      case 'id': {
        const w = t.v.toUpperCase();
        if (w === 'TRUE' || w === 'FALSE') return { BOOL: w === 'TRUE' };
        if (w === 'NULL') return { NULL: true };
        break;
      }
      case 'op':
        if (t.v === '[') {
          const l: AttributeValue[] = [];
          while (!this.op(']')) {
            l.push(this.literal());
            if (!this.op(']')) this.expectOp(',');
          }
          this.pos++;
          return { L: l };
        }
        if (t.v === '{') {
          const m: Item = {};
          while (!this.op('}')) {
            const k = this.next();
            if (k.k !== 'str' && k.k !== 'qid' && k.k !== 'id') throw malformed('Expected a map key');
            this.expectOp(':');
            m[k.v] = this.literal();
            if (!this.op('}')) this.expectOp(',');
          }
          this.pos++;
          return { M: m };
        }
        if (t.v === '<<') {
          const els: AttributeValue[] = [];
          while (!this.op('>>')) {
            els.push(this.literal());
            if (!this.op('>>')) this.expectOp(',');
          }
          this.pos++;
          if (els.length && els.every((e) => e.S !== undefined)) return { SS: els.map((e) => e.S!) };
          if (els.length && els.every((e) => e.N !== undefined)) return { NS: els.map((e) => e.N!) };
          if (els.length && els.every((e) => e.B !== undefined)) return { BS: els.map((e) => e.B!) };
          throw malformed('Sets must be non-empty and of one scalar type');
        }
    }
    throw malformed(`Unexpected token: ${t.v || 'end of statement'}`);
  }

  operand(): Operand {
    const t = this.peek();
    if (t.k === 'id' && this.peek(1).k === 'op' && this.peek(1).v === '(' && !['TRUE', 'FALSE', 'NULL'].includes(t.v.toUpperCase())) {
      this.pos += 2;
      const args: Operand[] = [];
      while (!this.op(')')) {
        args.push(this.operand());
        if (!this.op(')')) this.expectOp(',');
      }
      this.pos++;
      return { k: 'fn', name: t.v.toLowerCase(), args };
    }
    if ((t.k === 'id' && !['TRUE', 'FALSE', 'NULL'].includes(t.v.toUpperCase())) || t.k === 'qid') return this.path();
    const value = this.literal();
    validateValue(value);
    return { k: 'val', ref: '', value } satisfies ValueOperand;
  }

  or(): Condition {
    let l = this.and();
    while (this.kw('OR')) {
      this.pos++;
      l = { k: 'or', l, r: this.and() };
    }
    return l;
  }
  and(): Condition {
    let l = this.not();
    while (this.kw('AND')) {
      this.pos++;
      l = { k: 'and', l, r: this.not() };
    }
    return l;
  }
  not(): Condition {
    if (this.kw('NOT')) {
      this.pos++;
      return { k: 'not', c: this.not() };
    }
    if (this.op('(')) {
      this.pos++;
      const c = this.or();
      this.expectOp(')');
      return c;
    }
    const a = this.operand();
    const t = this.peek();
    if (t.k === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.pos++;
      return { k: 'cmp', op: (t.v === '!=' ? '<>' : t.v) as CmpOp, a, b: this.operand() };
    }
    if (this.kw('BETWEEN')) {
      this.pos++;
      const lo = this.operand();
      this.expectKw('AND');
      return { k: 'between', a, lo, hi: this.operand() };
    }
    if (this.kw('IN')) {
      this.pos++;
      const close = this.op('[') ? ']' : ')';
      this.pos++;
      const list: Operand[] = [];
      while (!this.op(close)) {
        list.push(this.operand());
        if (!this.op(close)) this.expectOp(',');
      }
      this.pos++;
      return { k: 'in', a, list };
    }
    if (this.kw('IS')) {
      this.pos++;
      const neg = this.kw('NOT');
      if (neg) this.pos++;
      if (this.kw('MISSING')) {
        this.pos++;
        return { k: 'call', fn: { k: 'fn', name: neg ? 'attribute_exists' : 'attribute_not_exists', args: [a] } };
      }
      if (this.kw('NULL')) {
        this.pos++;
        const c: Condition = { k: 'call', fn: { k: 'fn', name: 'attribute_type', args: [a, { k: 'val', ref: '', value: { S: 'NULL' } }] } };
        return neg ? { k: 'not', c } : c;
      }
      throw malformed('Expected MISSING or NULL');
    }
    if (a.k === 'fn') return { k: 'call', fn: a };
    throw malformed(`Unexpected token: ${t.v || 'end of statement'}`);
  }

  table(): { table: string; index?: string } {
    const table = this.ident();
    if (this.op('.')) {
      this.pos++;
      return { table, index: this.ident() };
    }
    return { table };
  }

  statement(): Statement {
    const head = this.next();
    const w = head.k === 'id' ? head.v.toUpperCase() : '';
    if (w === 'SELECT') {
      let projection: PathElem[][] | undefined;
      if (this.op('*')) this.pos++;
      else {
        projection = [this.path().path];
        while (this.op(',')) {
          this.pos++;
          projection.push(this.path().path);
        }
      }
      this.expectKw('FROM');
      const { table, index } = this.table();
      const where = this.kw('WHERE') ? (this.pos++, this.or()) : undefined;
      this.done();
      return { kind: 'SELECT', table, index, projection, where };
    }
    if (w === 'INSERT') {
      this.expectKw('INTO');
      const table = this.ident();
      this.expectKw('VALUE');
      const v = this.literal();
      if (v.M === undefined) throw malformed('INSERT expects a tuple ({…}) as its VALUE');
      this.done();
      return { kind: 'INSERT', table, item: v.M };
    }
    if (w === 'UPDATE') {
      const table = this.ident();
      const update: UpdateActions = { set: [], remove: [], add: [], delete: [] };
      while (this.kw('SET') || this.kw('REMOVE')) {
        const set = this.next().v.toUpperCase() === 'SET';
        const p = this.path();
        if (set) {
          this.expectOp('=');
          const a = this.operand();
          let value: SetValue = a;
          if (this.peek().k === 'op' && (this.peek().v === '+' || this.peek().v === '-')) value = { k: this.next().v as '+' | '-', a, b: this.operand() };
          update.set.push({ path: p, value });
        } else update.remove.push(p);
      }
      if (!update.set.length && !update.remove.length) throw malformed('Expected SET or REMOVE');
      this.expectKw('WHERE');
      const where = this.or();
      this.done();
      return { kind: 'UPDATE', table, update, where };
    }
    if (w === 'DELETE') {
      this.expectKw('FROM');
      const table = this.ident();
      this.expectKw('WHERE');
      const where = this.or();
      this.done();
      return { kind: 'DELETE', table, where };
    }
    throw malformed(`Unexpected token: ${head.v || 'end of statement'}`);
  }
}

export function parseStatement(text: string, params: AttributeValue[] = []): Statement {
  for (const p of params) validateValue(p);
  return new Parser(lex(text), params).statement();
}
