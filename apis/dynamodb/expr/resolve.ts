// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Semantic checks of parsed expressions against ExpressionAttributeNames/Values, in DynamoDB's
 * order: unknown functions, misused functions, reserved words, then undefined names/values,
 * operand counts, distinct operands and operand types. Fills resolved paths and values in place
 * and records which names/values were used (for the "unused" check).
 */
import { validation } from '../errors.js';
import { compareScalars, typeOf, validateValue, type AttributeValue } from '../types.js';
import type { Condition, Operand, PathElem, PathOperand, SetValue, UpdateActions } from './ast.js';
import { isReserved } from './reserved.js';

export interface ExprInput {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

export class ExprContext {
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
  readonly unusedNames: Set<string>;
  readonly unusedValues: Set<string>;

  /** Validates the maps themselves (keys, values) as DynamoDB does before parsing. */
  constructor(input: ExprInput) {
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    if (names) {
      const keys = Object.keys(names);
      if (!keys.length) throw validation('ExpressionAttributeNames must not be empty');
      for (const k of keys) if (!/^#[0-9a-zA-Z_]+$/.test(k)) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${k}"`);
    }
    if (values) {
      const keys = Object.keys(values);
      if (!keys.length) throw validation('ExpressionAttributeValues must not be empty');
      for (const k of keys) if (!/^:[0-9a-zA-Z_]+$/.test(k)) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${k}"`);
      for (const k of keys) {
        try {
          validateValue(values[k]!);
        } catch (e) {
          // JSON type errors stay SerializationExceptions; DynamoDB's rules get the map's prefix
          if ((e as { code?: string }).code !== 'ValidationException') throw e;
          throw validation(`ExpressionAttributeValues contains invalid value: ${(e as Error).message} for key ${k}`);
        }
      }
    }
    this.names = names ?? {};
    this.values = values ?? {};
    this.unusedNames = new Set(Object.keys(this.names));
    this.unusedValues = new Set(Object.keys(this.values));
  }

  /** After all expressions were resolved. */
  checkUnused(): void {
    if (this.unusedNames.size) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${[...this.unusedNames].join(', ')}}`);
    if (this.unusedValues.size) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${[...this.unusedValues].join(', ')}}`);
  }
}

const ORDER = ['section', 'unknownFunction', 'misusedFunction', 'reserved', 'attrName', 'attrVal', 'pathOverlap', 'operand', 'distinct', 'function'] as const;
type Category = (typeof ORDER)[number];

class Errors {
  private readonly found: Partial<Record<Category, string>> = {};
  add(cat: Category, msg: string): void {
    if (!this.found[cat]) this.found[cat] = msg;
  }
  throwFirst(what: string): void {
    for (const c of ORDER) if (this.found[c]) throw validation(`Invalid ${what}: ${this.found[c]}`);
  }
}

export function pathString(p: PathElem[]): string {
  return `[${p.map((e) => (typeof e === 'number' ? `[${e}]` : e)).join(', ')}]`;
}

const CONDITION_FNS: Record<string, number> = { attribute_exists: 1, attribute_not_exists: 1, attribute_type: 2, begins_with: 2, contains: 2, size: 1 };
const UPDATE_FNS: Record<string, number> = { if_not_exists: 2, list_append: 2 };
const TYPE_NAMES = ['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M'];

class Resolver {
  readonly errors = new Errors();
  constructor(readonly ctx: ExprContext) {}

  path(p: PathOperand): void {
    p.path = p.raw.map((e) => {
      if (typeof e === 'number') return e;
      if (e.ref) {
        const n = this.ctx.names[e.name];
        if (n === undefined) {
          this.errors.add('attrName', `An expression attribute name used in the document path is not defined; attribute name: ${e.name}`);
          return e.name;
        }
        this.ctx.unusedNames.delete(e.name);
        return n;
      }
      if (isReserved(e.name)) this.errors.add('reserved', `Attribute name is a reserved keyword; reserved keyword: ${e.name}`);
      return e.name;
    });
  }

  /** Resolves an operand; returns the static type when known (values, functions). */
  operand(o: Operand, fns: Record<string, number>, asValue: boolean): string | undefined {
    if (o.k === 'path') {
      this.path(o);
      return undefined;
    }
    if (o.k === 'val') {
      const v = this.ctx.values[o.ref];
      if (v === undefined) {
        this.errors.add('attrVal', `An expression attribute value used in expression is not defined; attribute value: ${o.ref}`);
        return undefined;
      }
      this.ctx.unusedValues.delete(o.ref);
      o.value = v;
      return typeOf(v);
    }
    return this.fn(o, fns, asValue);
  }

  fn(f: Extract<Operand, { k: 'fn' }>, fns: Record<string, number>, asValue: boolean): string | undefined {
    const n = fns[f.name];
    const types = f.args.map((a) => this.operand(a, fns, true));
    if (n === undefined) {
      this.errors.add('unknownFunction', `Invalid function name; function: ${f.name}`);
      return undefined;
    }
    const isValueFn = f.name === 'size' || fns === UPDATE_FNS;
    if (asValue !== isValueFn) this.errors.add('misusedFunction', `The function is not allowed to be used this way in an expression; function: ${f.name}`);
    for (const a of f.args) if (a.k === 'fn' && a.name !== 'size' && fns === CONDITION_FNS) this.errors.add('misusedFunction', `The function is not allowed to be used this way in an expression; function: ${a.name}`);
    if (f.args.length !== n) {
      this.errors.add('operand', `Incorrect number of operands for operator or function; operator or function: ${f.name}, number of operands: ${f.args.length}`);
      return undefined;
    }
    this.distinct(f.name, f.args);
    switch (f.name) {
      case 'attribute_exists':
      case 'attribute_not_exists':
      case 'if_not_exists':
        if (f.args[0]!.k !== 'path') this.errors.add('function', `Operator or function requires a document path; operator or function: ${f.name}`);
        return f.name === 'if_not_exists' ? types[1] : 'BOOL';
      case 'attribute_type': {
        const t = types[1];
        if (t !== 'S') {
          this.errors.add('function', `Incorrect operand type for operator or function; operator or function: ${f.name}, operand type: ${t ?? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}'}`);
        } else {
          const name = (f.args[1] as { value?: AttributeValue }).value!.S!;
          if (!TYPE_NAMES.includes(name)) this.errors.add('function', `Invalid attribute type name found; type: ${name}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`);
        }
        return 'BOOL';
      }
      case 'begins_with':
        for (const t of types) if (t && t !== 'S' && t !== 'B') this.errors.add('function', `Incorrect operand type for operator or function; operator or function: ${f.name}, operand type: ${t}`);
        return 'BOOL';
      case 'size':
        if (types[0] === 'N' || types[0] === 'BOOL' || types[0] === 'NULL') this.errors.add('function', `Incorrect operand type for operator or function; operator or function: size, operand type: ${types[0]}`);
        return 'N';
      case 'list_append':
        for (const t of types) if (t && t !== 'L') this.errors.add('function', `Incorrect operand type for operator or function; operator or function: list_append, operand type: ${t}`);
        return 'L';
      default:
        return 'BOOL';
    }
  }

  distinct(name: string, args: Operand[]): void {
    const [a, b] = args;
    if (args.length < 2 || a!.k !== 'path' || b!.k !== 'path') return;
    if (a.path.length === b.path.length && a.path.every((e, i) => e === b.path[i])) {
      this.errors.add('distinct', `The first operand must be distinct from the remaining operands for this operator or function; operator: ${name}, first operand: ${pathString(a.path)}`);
    }
  }

  condition(c: Condition): void {
    switch (c.k) {
      case 'and':
      case 'or':
        this.condition(c.l);
        this.condition(c.r);
        return;
      case 'not':
        this.condition(c.c);
        return;
      case 'call':
        this.fn(c.fn, CONDITION_FNS, false);
        return;
      case 'cmp':
        this.operand(c.a, CONDITION_FNS, true);
        this.operand(c.b, CONDITION_FNS, true);
        this.distinct(c.op, [c.a, c.b]);
        return;
      case 'in':
        this.operand(c.a, CONDITION_FNS, true);
        for (const o of c.list) this.operand(o, CONDITION_FNS, true);
        this.distinct('IN', [c.a, ...c.list]);
        return;
      case 'between': {
        this.operand(c.a, CONDITION_FNS, true);
        this.operand(c.lo, CONDITION_FNS, true);
        this.operand(c.hi, CONDITION_FNS, true);
        this.distinct('BETWEEN', [c.a, c.lo, c.hi]);
        if (c.lo.k === 'val' && c.hi.k === 'val' && c.lo.value && c.hi.value) {
          const lo = c.lo.value;
          const hi = c.hi.value;
          const tl = typeOf(lo);
          const th = typeOf(hi);
          const show = (t: string, v: AttributeValue) => `AttributeValue: {${t}:${String((v as Record<string, unknown>)[t])}}`;
          if (tl !== th) {
            this.errors.add('function', `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: ${show(tl, lo)}, upper bound operand: ${show(th, hi)}`);
          } else if ((compareScalars(lo, hi) ?? 0) > 0) {
            this.errors.add('function', `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${show(tl, lo)}, upper bound operand: ${show(th, hi)}`);
          }
        }
        return;
      }
    }
  }
}

export function resolveCondition(c: Condition, what: string, ctx: ExprContext): Condition {
  const r = new Resolver(ctx);
  r.condition(c);
  r.errors.throwFirst(what);
  return c;
}

export function resolveProjection(paths: PathOperand[], ctx: ExprContext, what = 'ProjectionExpression'): PathElem[][] {
  const r = new Resolver(ctx);
  for (const p of paths) r.path(p);
  const out = paths.map((p) => p.path);
  checkOverlaps(out, r.errors);
  r.errors.throwFirst(what);
  return out;
}

function checkOverlaps(paths: PathElem[][], errors: Errors): void {
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = paths[i]!;
      const b = paths[j]!;
      let k = 0;
      for (; k < a.length && k < b.length; k++) {
        if (typeof a[k] !== typeof b[k]) {
          errors.add('pathOverlap', `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${pathString(a)}, path two: ${pathString(b)}`);
          break;
        }
        if (a[k] !== b[k]) break;
      }
      if (k === Math.min(a.length, b.length)) {
        errors.add('pathOverlap', `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${pathString(a)}, path two: ${pathString(b)}`);
      }
    }
  }
}

const TYPE_WORDS: Record<string, string> = { S: 'STRING', N: 'NUMBER', B: 'BINARY', NULL: 'NULL', BOOL: 'BOOLEAN', L: 'LIST', M: 'MAP' };

export function resolveUpdate(u: UpdateActions, ctx: ExprContext): UpdateActions {
  const r = new Resolver(ctx);
  const paths: PathElem[][] = [];
  const setValue = (v: SetValue) => {
    if (v.k === '+' || v.k === '-') {
      const ta = r.operand(v.a, UPDATE_FNS, true);
      const tb = r.operand(v.b, UPDATE_FNS, true);
      for (const t of [ta, tb]) if (t && t !== 'N') r.errors.add('function', `Incorrect operand type for operator or function; operator or function: ${v.k}, operand type: ${t}`);
    } else {
      r.operand(v as Operand, UPDATE_FNS, true);
    }
  };
  for (const a of u.set) {
    r.path(a.path);
    paths.push(a.path.path);
    setValue(a.value);
  }
  for (const p of u.remove) {
    r.path(p);
    paths.push(p.path);
  }
  for (const [op, list] of [['ADD', u.add], ['DELETE', u.delete]] as const) {
    for (const a of list) {
      r.path(a.path);
      paths.push(a.path.path);
      const t = r.operand(a.value, UPDATE_FNS, true);
      const bad = t && TYPE_WORDS[t] && !(op === 'ADD' && t === 'N');
      if (bad) r.errors.add('operand', `Incorrect operand type for operator or function; operator: ${op}, operand type: ${TYPE_WORDS[t]}`);
    }
  }
  checkOverlaps(paths, r.errors);
  r.errors.throwFirst('UpdateExpression');
  return u;
}
