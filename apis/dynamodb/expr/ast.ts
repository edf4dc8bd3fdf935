// SPDX-License-Identifier: AGPL-3.0-or-later
/** Syntax trees of DynamoDB expressions, before (raw) and after name/value resolution. */
import type { AttributeValue } from '../types.js';

/** A path element: an attribute/map key name, or a list index. */
export type PathElem = string | number;

/** A raw path element as written: plain name, #ref, or [index]. */
export type RawElem = { name: string; ref: boolean } | number;

export interface PathOperand {
  k: 'path';
  raw: RawElem[];
  /** Filled by resolution. */
  path: PathElem[];
}

export interface ValueOperand {
  k: 'val';
  ref: string;
  /** Filled by resolution. */
  value?: AttributeValue;
}

export interface FnOperand {
  k: 'fn';
  name: string;
  args: Operand[];
}

export type Operand = PathOperand | ValueOperand | FnOperand;

export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { k: 'cmp'; op: CmpOp; a: Operand; b: Operand }
  | { k: 'between'; a: Operand; lo: Operand; hi: Operand }
  | { k: 'in'; a: Operand; list: Operand[] }
  | { k: 'and'; l: Condition; r: Condition }
  | { k: 'or'; l: Condition; r: Condition }
  | { k: 'not'; c: Condition }
  | { k: 'call'; fn: FnOperand };

/** The right-hand side of a SET action. */
export type SetValue = Operand | { k: '+' | '-'; a: Operand; b: Operand };

export interface UpdateActions {
  set: Array<{ path: PathOperand; value: SetValue }>;
  remove: PathOperand[];
  add: Array<{ path: PathOperand; value: ValueOperand }>;
  delete: Array<{ path: PathOperand; value: ValueOperand }>;
}
