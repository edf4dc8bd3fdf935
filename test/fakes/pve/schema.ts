// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Parameter validation with the semantics and messages of pve-common's PVE::JSONSchema
 * (`check_object`, `check_prop`, `check_type`, `validate`):
 * - an undeclared parameter → "property is not defined in schema and the schema does not allow
 *   additional properties"; a missing required one → "property is missing and it is not optional";
 * - integer/number/boolean type checks ("type check ('integer') failed - got 'x'"; booleans are
 *   exactly '1' or '0', or JSON true/false); format checks ("invalid format - …"); pattern
 *   (anchored, "value does not match the regex pattern"); maxLength/minLength; minimum/maximum;
 *   enum ("value 'x' does not have a value in the enumeration 'a, b'");
 * - all failures are collected into one map and raised as HTTP 400 "Parameter verification failed."
 * Property strings (net0, scsi0, ipconfig0, …) are checked by `format` functions that parse them
 * as PVE::JSONSchema::parse_property_string does (see qemu-schema.ts).
 */
import { paramError } from './errors.js';

export interface Prop {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'array';
  optional?: boolean;
  pattern?: RegExp;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
  /** Throws an Error whose message (with PVE's trailing newline) follows "invalid format - ". */
  format?: (value: string) => void;
  items?: Prop;
}

export type Props = Record<string, Prop>;
export type Params = Record<string, unknown>;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/;

function scalar(v: unknown): string | boolean {
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => String(x)).join('\0');
  return String(v);
}

function checkScalar(path: string, raw: unknown, p: Prop, errors: Record<string, string>): unknown {
  const v = scalar(raw);
  if (p.type === 'boolean') {
    if (v === true || v === '1') return 1;
    if (v === false || v === '0') return 0;
    errors[path] = `type check ('boolean') failed - got '${v}'`;
    return undefined;
  }
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : v;
  if (p.type === 'integer' && !INTEGER.test(s)) {
    errors[path] = `type check ('integer') failed - got '${s}'`;
    return undefined;
  }
  if (p.type === 'number' && !NUMBER.test(s)) {
    errors[path] = `type check ('number') failed - got '${s}'`;
    return undefined;
  }
  if (p.format) {
    try {
      p.format(s);
    } catch (e) {
      errors[path] = `invalid format - ${(e as Error).message}`;
      return undefined;
    }
  }
  if (p.pattern && !new RegExp(`^(?:${p.pattern.source})$`, p.pattern.flags).test(s)) {
    errors[path] = 'value does not match the regex pattern';
    return undefined;
  }
  if (p.maxLength !== undefined && s.length > p.maxLength) {
    errors[path] = `value may only be ${p.maxLength} characters long`;
    return undefined;
  }
  if (p.minLength !== undefined && s.length < p.minLength) {
    errors[path] = `value must be at least ${p.minLength} characters long`;
    return undefined;
  }
  if (NUMBER.test(s)) {
    const n = Number(s);
    if (p.maximum !== undefined && n > p.maximum) {
      errors[path] = `value must have a maximum value of ${p.maximum}`;
      return undefined;
    }
    if (p.minimum !== undefined && n < p.minimum) {
      errors[path] = `value must have a minimum value of ${p.minimum}`;
      return undefined;
    }
  }
  if (p.enum && !p.enum.includes(s)) {
    errors[path] = `value '${s}' does not have a value in the enumeration '${p.enum.join(', ')}'`;
    return undefined;
  }
  return p.type === 'integer' || p.type === 'number' ? Number(s) : s;
}

/** Validates and types `input` against `props`; throws the 400 PveError on any failure. */
export function validate(input: Params, props: Props): Params {
  const errors: Record<string, string> = {};
  const out: Params = {};
  for (const [k, p] of Object.entries(props)) {
    const raw = input[k];
    if (raw === undefined || raw === null) {
      if (!p.optional) errors[k] = 'property is missing and it is not optional';
      continue;
    }
    if (p.type === 'array') {
      const list = Array.isArray(raw) ? raw : String(raw).split('\0');
      const items = p.items ?? { type: 'string' };
      const typed: unknown[] = [];
      list.forEach((el, i) => {
        const v = checkScalar(`${k}[${i}]`, el, items, errors);
        if (v !== undefined) typed.push(v);
      });
      out[k] = typed;
      continue;
    }
    const v = checkScalar(k, raw, p, errors);
    if (v !== undefined) out[k] = v;
  }
  for (const k of Object.keys(input)) {
    if (!(k in props)) errors[k] = 'property is not defined in schema and the schema does not allow additional properties';
  }
  if (Object.keys(errors).length) paramError(errors);
  return out;
}

// ---- standard options (PVE::JSONSchema get_standard_option) ----

function fmt(test: (v: string) => boolean, msg: string): (v: string) => void {
  return (v) => {
    if (!test(v)) throw new Error(msg.replace('%s', v));
  };
}

export const NODE: Prop = {
  type: 'string',
  format: fmt((v) => /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v), 'value does not look like a valid node name\n'),
};
export const VMID: Prop = { type: 'integer', minimum: 100, maximum: 999999999 };
export const STORAGE_ID: Prop = {
  type: 'string',
  format: fmt((v) => /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v), "storage ID '%s' contains illegal characters\n"),
};
export const POOL_ID: Prop = {
  type: 'string',
  maxLength: 1024,
  format: fmt((v) => /^[A-Za-z0-9_][A-Za-z0-9_\-]*(\/[A-Za-z0-9_][A-Za-z0-9_\-]*){0,2}$/.test(v), "invalid pool ID '%s'\n"),
};
export const DIGEST: Prop = { type: 'string', maxLength: 64, optional: true };
export const CONFIGID: Prop = {
  type: 'string',
  format: fmt((v) => /^[a-z][a-z0-9_]+$/i.test(v), "invalid configuration ID '%s'\n"),
};
export const DNS_NAME: Prop = {
  type: 'string',
  format: fmt(
    (v) => /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)$/.test(v),
    "value '%s' does not look like a valid DNS name\n",
  ),
};
export const BOOL: Prop = { type: 'boolean', optional: true };

export function opt(p: Prop): Prop {
  return { ...p, optional: true };
}
