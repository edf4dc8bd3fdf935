// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * More metric-math functions: RUNNING_SUM, DIFF_TIME, FIRST, LAST, SORT, SLICE, TIME_SERIES.
 * (DATAPOINT_COUNT is an aggregate in math-eval.ts.) Each takes already evaluated arguments.
 */
import { MathSyntaxError } from './math-parse.js';
import type { Series, Val } from './math-eval.js';

const isSeries = (v: Val): v is Series => typeof v === 'object' && !Array.isArray(v) && 'ts' in v;
const isArray = (v: Val): v is Series[] => Array.isArray(v);

function perSeries(v: Val, fn: string, f: (s: Series) => Series): Series | Series[] {
  if (isArray(v)) return v.map(f);
  if (!isSeries(v)) throw new MathSyntaxError(`${fn} needs a time series or an array of time series`);
  return f(v);
}

function needArray(v: Val, fn: string): Series[] {
  if (isArray(v)) return v;
  if (isSeries(v)) return [v];
  throw new MathSyntaxError(`${fn} needs an array of time series`);
}

const STATS: Record<string, (xs: number[]) => number> = {
  AVG: (xs) => xs.reduce((s, x) => s + x, 0) / xs.length,
  SUM: (xs) => xs.reduce((s, x) => s + x, 0),
  MIN: (xs) => Math.min(...xs),
  MAX: (xs) => Math.max(...xs),
  STDDEV: (xs) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
  },
};

export const EXTRA_FUNCTIONS = new Set(['RUNNING_SUM', 'DIFF_TIME', 'FIRST', 'LAST', 'SORT', 'SLICE', 'TIME_SERIES']);

export function extraFunction(fn: string, args: Val[], grid: (period: number) => number[]): Val {
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) throw new MathSyntaxError(`${fn} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
  };
  switch (fn) {
    case 'RUNNING_SUM':
      arity(1);
      return perSeries(args[0], fn, (s) => {
        let acc = 0;
        return { ...s, v: s.v.map((x) => (acc += x)) };
      });
    case 'DIFF_TIME':
      arity(1);
      return perSeries(args[0], fn, (s) => ({ ...s, ts: s.ts.slice(1), v: s.ts.slice(1).map((t, i) => (t - s.ts[i]) / 1000) }));
    case 'FIRST':
    case 'LAST': {
      arity(1);
      const a = needArray(args[0], fn);
      const pick = fn === 'FIRST' ? a[0] : a[a.length - 1];
      return pick ?? [];
    }
    case 'SORT': {
      arity(3, 4);
      const a = needArray(args[0], fn);
      const stat = args[1];
      const order = args[2];
      const name = typeof stat === 'object' && stat !== null && 'kw' in stat ? stat.kw : '';
      const dir = typeof order === 'object' && order !== null && 'kw' in order ? order.kw : '';
      if (!STATS[name]) throw new MathSyntaxError('SORT needs AVG, MIN, MAX, SUM or STDDEV as its second argument');
      if (dir !== 'ASC' && dir !== 'DESC') throw new MathSyntaxError('SORT needs ASC or DESC as its third argument');
      const keyed = a.map((s) => ({ s, k: s.v.length ? STATS[name](s.v) : -Infinity }));
      keyed.sort((x, y) => (dir === 'ASC' ? x.k - y.k : y.k - x.k));
      const n = args[3];
      if (n !== undefined && (typeof n !== 'number' || n < 0)) throw new MathSyntaxError('SORT: the limit must be a non-negative number');
      return keyed.slice(0, n === undefined ? undefined : n).map((x) => x.s);
    }
    case 'SLICE': {
      arity(3);
      const a = needArray(args[0], fn);
      const [from, to] = [args[1], args[2]];
      if (typeof from !== 'number' || typeof to !== 'number') throw new MathSyntaxError('SLICE needs numeric bounds');
      return a.slice(from, to);
    }
    case 'TIME_SERIES': {
      arity(1);
      const v = args[0];
      if (typeof v !== 'number') throw new MathSyntaxError('TIME_SERIES needs a scalar');
      const ts = grid(60);
      return { label: 'TIME_SERIES', period: 60, ts, v: ts.map(() => v) };
    }
    default:
      throw new MathSyntaxError(`Unrecognized function ${fn}`);
  }
}
