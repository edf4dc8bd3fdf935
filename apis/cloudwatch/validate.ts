// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Input checks shared by the CloudWatch operations, with CloudWatch's parameter naming
 * (query-style paths like MetricData.member.1.Value, which CloudWatch uses on every protocol).
 */
import { sortDimensions, type Dimension, type TrimmedStat } from './backend.js';
import { invalidCombination, invalidValue, missingParameter } from './errors.js';

export const STANDARD_UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
  'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);

export const BASIC_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

const MAX_DIMENSIONS = 30;
const VALUE_LIMIT = 2 ** 360;

export function required<T>(v: T | undefined | null, name: string): T {
  if (v === undefined || v === null || (typeof v === 'string' && v === '')) throw missingParameter(name);
  return v;
}

export function checkLength(v: string, name: string, min: number, max: number): void {
  if (v.length < min || v.length > max) {
    throw invalidValue(`The value ${v} for parameter ${name} is invalid: its length must be between ${min} and ${max}.`);
  }
}

export function checkNamespace(ns: string, name: string, forWrite: boolean): void {
  checkLength(ns, name, 1, 255);
  if (ns.startsWith(':') || /[^\x20-\x7e]/.test(ns)) throw invalidValue(`The value ${ns} for parameter ${name} is invalid.`);
  if (forWrite && ns.startsWith('AWS/')) throw invalidValue(`The value ${ns} for parameter ${name} is invalid.`);
}

export function checkUnit(unit: string | undefined, name: string): void {
  if (unit !== undefined && !STANDARD_UNITS.has(unit)) throw invalidValue(`The value ${unit} for parameter ${name} is invalid.`);
}

/** Validates a full dimension set (names and values required) and returns it sorted by name. */
export function checkDimensions(dims: Dimension[] | undefined, name: string): Dimension[] {
  const list = dims ?? [];
  if (list.length > MAX_DIMENSIONS) {
    throw invalidValue(`The collection ${name} must not have a size greater than ${MAX_DIMENSIONS}.`);
  }
  const seen = new Set<string>();
  list.forEach((d, i) => {
    const at = `${name}.member.${i + 1}`;
    required(d?.Name, `${at}.Name`);
    required(d.Value, `${at}.Value`);
    checkLength(d.Name, `${at}.Name`, 1, 255);
    checkLength(d.Value, `${at}.Value`, 1, 1024);
    if (seen.has(d.Name)) {
      throw invalidCombination(`No metric may have duplicate dimension names: ${d.Name} appears more than once in ${name}.`);
    }
    seen.add(d.Name);
  });
  return sortDimensions(list.map((d) => ({ Name: d.Name, Value: d.Value })));
}

/**
 * The common case of checkDimensions without building a parameter path per dimension: the
 * sorted copy when every rule holds, undefined when any does not (checkDimensions then names
 * the first failure exactly).
 */
export function quickDimensions(dims: Dimension[] | undefined): Dimension[] | undefined {
  if (dims === undefined) return [];
  if (!Array.isArray(dims) || dims.length > MAX_DIMENSIONS) return undefined;
  const out: Dimension[] = new Array(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (d === null || typeof d !== 'object') return undefined;
    const { Name, Value } = d;
    if (typeof Name !== 'string' || typeof Value !== 'string' || Name.length < 1 || Name.length > 255 || Value.length < 1 || Value.length > 1024) return undefined;
    for (let j = 0; j < i; j++) if (out[j]!.Name === Name) return undefined;
    out[i] = { Name, Value };
  }
  return out.length > 1 ? out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)) : out;
}

/** Whether checkValue accepts v. */
export function validValue(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= VALUE_LIMIT;
}

export function checkValue(v: number, name: string): void {
  if (!Number.isFinite(v) || Math.abs(v) > VALUE_LIMIT) throw invalidValue(`The value ${v} for parameter ${name} is invalid.`);
}

/** 1, 5, 10, 30, 60 or a multiple of 60 (seconds). */
export function checkPeriod(period: number | undefined, name: string): number {
  const p = required(period, name);
  if (!Number.isInteger(p) || p < 1) throw invalidValue(`The parameter ${name} must be greater than 0.`);
  if (p < 60 ? ![1, 5, 10, 30].includes(p) : p % 60 !== 0) {
    throw invalidValue(`The parameter ${name} must be 1, 5, 10, 30, 60, or any multiple of 60.`);
  }
  return p;
}

export interface ParsedStatistic {
  /** The name as the caller wrote it (the key in ExtendedStatistics maps). */
  name: string;
  basic?: BasicStatistic;
  /** pNN: the percentile in [0, 100]. */
  percentile?: number;
  /** tmNN, wmNN, tcNN, tsNN, TM(a%:b%), WM(…), TC(…), TS(…), PR(a:b), IQM. */
  trimmed?: TrimmedStat;
}

const PCT_RE = /^p(\d{1,3}(?:\.\d{1,10})?)$/;
const SHORT_TRIM_RE = /^(tm|wm|tc|ts)(\d{1,2}(?:\.\d{1,10})?)$/;
const RANGE_RE = /^(TM|WM|TC|TS|PR)\((-?[\d.]+%?)?:(-?[\d.]+%?)?\)$/;

function bound(b: string | undefined): { v?: number; pct: boolean } | null {
  if (b === undefined) return { pct: false };
  const pct = b.endsWith('%');
  const v = Number(pct ? b.slice(0, -1) : b);
  if (!Number.isFinite(v) || (pct && (v < 0 || v > 100))) return null;
  return { v, pct };
}

/** A statistic name as accepted by MetricStat.Stat, alarms and GetMetricStatistics. */
export function parseStatistic(s: string, name: string): ParsedStatistic {
  if ((BASIC_STATISTICS as readonly string[]).includes(s)) return { name: s, basic: s as BasicStatistic };
  const m = PCT_RE.exec(s);
  if (m) {
    const p = Number(m[1]);
    if (p >= 0 && p <= 100) return { name: s, percentile: p };
  }
  if (s === 'IQM') return { name: s, trimmed: { name: s, kind: 'TM', lo: 25, hi: 75, percent: true } };
  const short = SHORT_TRIM_RE.exec(s);
  if (short) {
    const hi = Number(short[2]);
    if (hi > 0 && hi <= 100) return { name: s, trimmed: { name: s, kind: short[1].toUpperCase() as TrimmedStat['kind'], lo: 0, hi, percent: true } };
  }
  const r = RANGE_RE.exec(s);
  if (r) {
    const lo = bound(r[2]);
    const hi = bound(r[3]);
    const kind = r[1] as TrimmedStat['kind'];
    const mixed = r[2] !== undefined && r[3] !== undefined && lo?.pct !== hi?.pct;
    if (lo && hi && !mixed && (r[2] !== undefined || r[3] !== undefined) && !(kind === 'PR' && (lo.pct || hi.pct))) {
      const percent = lo.pct || hi.pct;
      if (lo.v === undefined || hi.v === undefined || lo.v <= hi.v) return { name: s, trimmed: { name: s, kind, lo: lo.v, hi: hi.v, percent } };
    }
  }
  throw invalidValue(`The value ${s} for parameter ${name} is not supported.`);
}

/**
 * CloudWatch rounds StartTime down by the age of the data: to the minute (or second for periods
 * under a minute) within 15 days, to 5 minutes within 63 days, to the hour beyond.
 */
export function alignStart(start: number, now: number, period: number): number {
  const age = now - start;
  const unit = age > 63 * 86_400_000 ? 3_600_000 : age > 15 * 86_400_000 ? 300_000 : period < 60 ? 1000 : 60_000;
  return Math.floor(start / unit) * unit;
}

/**
 * Whether data of that age can be read at that period: CloudWatch keeps 1-second data 3 hours,
 * 1-minute data 15 days, 5-minute data 63 days, 1-hour data 455 days.
 */
export function periodAvailable(start: number, now: number, period: number): boolean {
  const age = now - start;
  if (age > 63 * 86_400_000) return period % 3600 === 0;
  if (age > 15 * 86_400_000) return period % 300 === 0;
  if (age > 3 * 3_600_000) return period % 60 === 0;
  return true;
}

export function toMs(d: Date | number | string, name: string): number {
  const ms = d instanceof Date ? d.getTime() : typeof d === 'number' ? d * 1000 : Date.parse(d);
  if (!Number.isFinite(ms)) throw invalidValue(`The parameter ${name} is not a valid timestamp.`);
  return ms;
}
