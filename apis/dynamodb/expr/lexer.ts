// SPDX-License-Identifier: AGPL-3.0-or-later
/** Tokens of DynamoDB expressions and the "Syntax error; token: …, near: …" message. */
import { validation } from '../errors.js';

export type TokKind = 'id' | 'name' | 'value' | 'int' | 'op' | 'bad' | 'eof';

export interface Token {
  kind: TokKind;
  text: string;
  start: number;
  end: number;
}

const OPS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '.', '[', ']', '+', '-'];

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}

export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    if (isIdStart(c)) {
      while (i < s.length && isIdPart(s.charCodeAt(i))) i++;
      out.push({ kind: 'id', text: s.slice(start, i), start, end: i });
    } else if (c === 35 || c === 58) {
      i++;
      while (i < s.length && isIdPart(s.charCodeAt(i))) i++;
      out.push({ kind: i - start > 1 ? (c === 35 ? 'name' : 'value') : 'bad', text: s.slice(start, i), start, end: i });
    } else if (c >= 48 && c <= 57) {
      while (i < s.length && isIdPart(s.charCodeAt(i))) i++;
      const text = s.slice(start, i);
      out.push({ kind: /^\d+$/.test(text) ? 'int' : 'bad', text, start, end: i });
    } else {
      const op = OPS.find((o) => s.startsWith(o, i));
      if (op) {
        i += op.length;
        out.push({ kind: 'op', text: op, start, end: i });
      } else {
        const cp = s.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        out.push({ kind: 'bad', text: s.slice(start, i), start, end: i });
      }
    }
  }
  out.push({ kind: 'eof', text: '<EOF>', start: s.length, end: s.length });
  return out;
}

/** A cursor over tokens with DynamoDB's syntax error message. */
export class Cursor {
  pos = 0;
  constructor(
    readonly src: string,
    readonly toks: Token[],
    readonly what: string,
  ) {}

  peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }

  isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'id' && t.text.toUpperCase() === word;
  }

  expectOp(text: string): void {
    if (!this.isOp(text)) this.fail();
    this.pos++;
  }

  /** Throws the syntax error for the current token. */
  fail(at = this.pos): never {
    const idx = Math.min(at, this.toks.length - 1);
    const tok = this.toks[idx]!;
    const prev = idx > 0 ? this.toks[idx - 1]! : tok;
    const nxt = tok.kind === 'eof' ? tok : this.toks[idx + 1]!;
    const near = this.src.slice(prev.start, nxt.kind === 'eof' ? this.src.length : nxt.end);
    throw validation(`Invalid ${this.what}: Syntax error; token: "${tok.text}", near: "${near}"`);
  }
}
