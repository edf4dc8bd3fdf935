// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB numbers: decimals with up to 38 significant digits and magnitudes between 1E-130 and
 * 9.99…E+125, compared exactly (never through a float). A number is kept as sign, significant
 * digits (no leading or trailing zeros) and an exponent such that value = 0.<digits> × 10^exp.
 */
import { validation } from './errors.js';

export interface Dec {
  neg: boolean;
  /** Significant digits, no leading/trailing zeros; '' for zero. */
  digits: string;
  /** value = 0.<digits> × 10^exp (0 for zero). */
  exp: number;
}

const NUM_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses without range checks; undefined when the text is not a number. */
export function parseDec(text: string): Dec | undefined {
  const m = NUM_RE.exec(text);
  if (!m) return undefined;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart === '' && fracPart === '') return undefined;
  const e = m[4] !== undefined ? Number(m[4]) : 0;
  if (!Number.isSafeInteger(e)) return undefined;
  const all = intPart + fracPart;
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 48) lead++;
  if (lead === all.length) return { neg: false, digits: '', exp: 0 };
  let end = all.length;
  while (all.charCodeAt(end - 1) === 48) end--;
  return { neg: m[1] === '-', digits: all.slice(lead, end), exp: intPart.length - lead + e };
}

/** Parses and checks DynamoDB's limits, throwing its ValidationException messages. */
export function checkNumber(text: string): Dec {
  if (text === '') throw validation('The parameter cannot be converted to a numeric value');
  const d = parseDec(text);
  if (!d) throw validation(`The parameter cannot be converted to a numeric value: ${text}`);
  checkRange(d);
  return d;
}

export function checkRange(d: Dec): void {
  if (d.digits === '') return;
  if (d.exp > 126) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (d.exp < -129) throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  if (d.digits.length > 38) throw validation('Attempting to store more than 38 significant digits in a Number');
}

/** Canonical text as DynamoDB returns it: plain notation, no superfluous zeros. */
export function formatDec(d: Dec): string {
  if (d.digits === '') return '0';
  const sign = d.neg ? '-' : '';
  const n = d.digits.length;
  if (d.exp <= 0) return `${sign}0.${'0'.repeat(-d.exp)}${d.digits}`;
  if (d.exp >= n) return sign + d.digits + '0'.repeat(d.exp - n);
  return `${sign}${d.digits.slice(0, d.exp)}.${d.digits.slice(d.exp)}`;
}

/** Validates and canonicalises the text of an N value. */
export function normalizeNumber(text: string): string {
  return formatDec(checkNumber(text));
}

export function compareDec(a: Dec, b: Dec): number {
  const sa = a.digits === '' ? 0 : a.neg ? -1 : 1;
  const sb = b.digits === '' ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  let c: number;
  if (a.exp !== b.exp) c = a.exp < b.exp ? -1 : 1;
  else c = a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  return sa < 0 ? -c : c;
}

/** Compares two number texts exactly (both assumed valid). */
export function compareNumbers(a: string, b: string): number {
  return compareDec(parseDec(a)!, parseDec(b)!);
}

function toScaled(d: Dec): { m: bigint; scale: number } {
  // value = digits × 10^(exp − len)
  if (d.digits === '') return { m: 0n, scale: 0 };
  const m = BigInt(d.digits);
  return { m: d.neg ? -m : m, scale: d.exp - d.digits.length };
}

function fromScaled(m: bigint, scale: number): Dec {
  if (m === 0n) return { neg: false, digits: '', exp: 0 };
  const neg = m < 0n;
  let s = (neg ? -m : m).toString();
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  const len = s.length;
  s = s.slice(0, end);
  return { neg, digits: s, exp: scale + len };
}

/** Exact a + b (or a − b), checked against DynamoDB's limits. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const x = toScaled(parseDec(a)!);
  const y = toScaled(parseDec(b)!);
  const scale = Math.min(x.scale, y.scale);
  const mx = x.m * 10n ** BigInt(x.scale - scale);
  let my = y.m * 10n ** BigInt(y.scale - scale);
  if (subtract) my = -my;
  const r = fromScaled(mx + my, scale);
  if (r.digits.length > 38) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  checkRange(r);
  return formatDec(r);
}

/** Number of significant digits of a canonical number text (for item size). */
export function significantDigits(text: string): number {
  return parseDec(text)!.digits.length;
}
