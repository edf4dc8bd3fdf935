// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Evaluation of metric-math expressions over time series. A value is a scalar, one time series or
 * an array of time series (METRICS(), SEARCH(), [a, b]). Binary operations between two series keep
 * the timestamps present in both, as CloudWatch does; aggregate functions over an array give a
 * series per timestamp and over a single series give a scalar.
 */
import type { MetricId } from './backend.js';
import { EXTRA_FUNCTIONS, extraFunction } from './math-funcs.js';
import { MathSyntaxError, type Node } from './math-parse.js';

export interface Series {
  id?: string;
  label: string;
  /** Seconds. */
  period: number;
  /** Ascending epoch ms. */
  ts: number[];
  v: number[];
  /** The metric and statistic a MetricStat or SEARCH series comes from (dynamic labels). */
  metric?: MetricId;
  stat?: string;
}

export type Val = number | Series | Series[] | string | { kw: string };

export interface EvalEnv {
  /** The first bucket start for a period (seconds) and the exclusive end of the requested range. */
  gridStart(period: number): number;
  end: number;
  resolve(id: string): Promise<Val>;
  /** The MetricStat series of the request, optionally only those whose Id contains `filter`. */
  metrics(filter?: string): Promise<Series[]>;
  search(query: string, stat: string, period: number): Promise<Series[]>;
}

const isSeries = (v: Val): v is Series => typeof v === 'object' && !Array.isArray(v) && 'ts' in v;
const isArray = (v: Val): v is Series[] => Array.isArray(v);

function kind(v: Val): string {
  return typeof v === 'number' ? 'a scalar' : typeof v === 'string' ? 'a string' : isArray(v) ? 'an array of time series' : isSeries(v) ? 'a time series' : 'a keyword';
}

function mapSeries(s: Series, f: (x: number, t: number) => number): Series {
  const ts: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < s.ts.length; i++) {
    const r = f(s.v[i], s.ts[i]);
    if (Number.isFinite(r)) {
      ts.push(s.ts[i]);
      v.push(r);
    }
  }
  return { ...s, ts, v };
}

function pointwise(a: Val, fn: string, f: (x: number) => number): Val {
  if (typeof a === 'number') return f(a);
  if (isSeries(a)) return mapSeries(a, (x) => f(x));
  if (isArray(a)) return a.map((s) => mapSeries(s, (x) => f(x)));
  throw new MathSyntaxError(`${fn} cannot take ${kind(a)}`);
}

function zipSeries(a: Series, b: Series, f: (x: number, y: number) => number): Series {
  const m = new Map<number, number>();
  for (let i = 0; i < b.ts.length; i++) m.set(b.ts[i], b.v[i]);
  const ts: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < a.ts.length; i++) {
    const y = m.get(a.ts[i]);
    if (y === undefined) continue;
    const r = f(a.v[i], y);
    if (Number.isFinite(r)) {
      ts.push(a.ts[i]);
      v.push(r);
    }
  }
  return { label: a.label, period: a.period, ts, v };
}

function binary(a: Val, b: Val, op: string, f: (x: number, y: number) => number): Val {
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  if (typeof a === 'number' && (isSeries(b) || isArray(b))) return pointwise(b, op, (y) => f(a, y));
  if (typeof b === 'number' && (isSeries(a) || isArray(a))) return pointwise(a, op, (x) => f(x, b));
  if (isSeries(a) && isSeries(b)) return zipSeries(a, b, f);
  if (isArray(a) && isSeries(b)) return a.map((s) => zipSeries(s, b, f));
  if (isSeries(a) && isArray(b)) return b.map((s) => ({ ...zipSeries(a, s, f), label: s.label }));
  throw new MathSyntaxError(`The operator ${op} cannot combine ${kind(a)} and ${kind(b)}`);
}

const BIN: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '^': (x, y) => x ** y,
  '==': (x, y) => +(x === y),
  '!=': (x, y) => +(x !== y),
  '<': (x, y) => +(x < y),
  '<=': (x, y) => +(x <= y),
  '>': (x, y) => +(x > y),
  '>=': (x, y) => +(x >= y),
  AND: (x, y) => +(x !== 0 && y !== 0),
  OR: (x, y) => +(x !== 0 || y !== 0),
};

const REDUCERS: Record<string, (xs: number[]) => number> = {
  DATAPOINT_COUNT: (xs) => xs.length,
  SUM: (xs) => xs.reduce((s, x) => s + x, 0),
  AVG: (xs) => xs.reduce((s, x) => s + x, 0) / xs.length,
  MIN: (xs) => Math.min(...xs),
  MAX: (xs) => Math.max(...xs),
  STDDEV: (xs) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
  },
};

const UNARY: Record<string, (x: number) => number> = {
  ABS: Math.abs,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  LOG: Math.log,
  LOG10: Math.log10,
};

function reduce(fn: string, a: Val): Val {
  const r = REDUCERS[fn];
  if (isSeries(a)) return a.v.length ? r(a.v) : NaN;
  if (isArray(a)) {
    const by = new Map<number, number[]>();
    for (const s of a) for (let i = 0; i < s.ts.length; i++) (by.get(s.ts[i]) ?? by.set(s.ts[i], []).get(s.ts[i])!).push(s.v[i]);
    const ts = [...by.keys()].sort((x, y) => x - y);
    return { label: fn, period: a[0]?.period ?? 60, ts, v: ts.map((t) => r(by.get(t)!)) };
  }
  throw new MathSyntaxError(`${fn} cannot take ${kind(a)}`);
}

function needSeries(v: Val, fn: string): Series {
  if (!isSeries(v)) throw new MathSyntaxError(`${fn} needs a time series, not ${kind(v)}`);
  return v;
}

function perSeries(v: Val, fn: string, f: (s: Series) => Series): Series | Series[] {
  if (isArray(v)) return v.map(f);
  return f(needSeries(v, fn));
}

function delta(s: Series, perSecond: boolean): Series {
  const ts: number[] = [];
  const v: number[] = [];
  for (let i = 1; i < s.ts.length; i++) {
    ts.push(s.ts[i]);
    v.push(perSecond ? (s.v[i] - s.v[i - 1]) / ((s.ts[i] - s.ts[i - 1]) / 1000) : s.v[i] - s.v[i - 1]);
  }
  return { ...s, ts, v };
}

function fill(s: Series, how: Val, env: EvalEnv): Series {
  const step = s.period * 1000;
  const have = new Map<number, number>();
  s.ts.forEach((t, i) => have.set(t, s.v[i]));
  const ts: number[] = [];
  const v: number[] = [];
  const mode = typeof how === 'number' ? 'value' : typeof how === 'object' && 'kw' in how ? how.kw : '';
  if (!mode) throw new MathSyntaxError(`FILL takes a number, REPEAT or LINEAR as its second argument, not ${kind(how)}`);
  for (let t = env.gridStart(s.period); t < env.end; t += step) {
    const x = have.get(t);
    if (x !== undefined) {
      ts.push(t);
      v.push(x);
      continue;
    }
    if (mode === 'value') {
      ts.push(t);
      v.push(how as number);
    } else if (mode === 'REPEAT') {
      if (v.length) {
        ts.push(t);
        v.push(v[v.length - 1]);
      }
    } else {
      let prev = -1;
      for (let j = 0; j < s.ts.length && s.ts[j] < t; j++) prev = j;
      const next = s.ts.findIndex((pt) => pt > t);
      if (prev >= 0 && next >= 0) {
        const f = (t - s.ts[prev]) / (s.ts[next] - s.ts[prev]);
        ts.push(t);
        v.push(s.v[prev] + f * (s.v[next] - s.v[prev]));
      }
    }
  }
  return { ...s, ts, v };
}

function ifThen(cond: Val, a: Val, b: Val | undefined): Val {
  const c = needSeries(cond, 'IF');
  const at = (x: Val | undefined, t: number): number | undefined => {
    if (x === undefined) return undefined;
    if (typeof x === 'number') return x;
    if (isSeries(x)) {
      const i = x.ts.indexOf(t);
      return i >= 0 ? x.v[i] : undefined;
    }
    throw new MathSyntaxError(`IF cannot return ${kind(x)}`);
  };
  const ts: number[] = [];
  const v: number[] = [];
  c.ts.forEach((t, i) => {
    const r = at(c.v[i] !== 0 ? a : b, t);
    if (r !== undefined && Number.isFinite(r)) {
      ts.push(t);
      v.push(r);
    }
  });
  return { ...c, label: isSeries(a) ? a.label : c.label, ts, v };
}

export async function evaluate(n: Node, env: EvalEnv): Promise<Val> {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'str':
      return n.v;
    case 'kw':
      return { kw: n.name };
    case 'id':
      return env.resolve(n.name);
    case 'arr': {
      const out: Series[] = [];
      for (const item of n.items) {
        const v = await evaluate(item, env);
        if (isSeries(v)) out.push(v);
        else if (isArray(v)) out.push(...v);
        else throw new MathSyntaxError(`An array can only hold time series, not ${kind(v)}`);
      }
      return out;
    }
    case 'un': {
      const a = await evaluate(n.a, env);
      return n.op === '-' ? pointwise(a, '-', (x) => -x) : pointwise(a, 'NOT', (x) => +(x === 0));
    }
    case 'bin':
      return binary(await evaluate(n.a, env), await evaluate(n.b, env), n.op, BIN[n.op]);
    case 'call':
      return call(n.fn, n.args, env);
  }
}

async function call(fn: string, argNodes: Node[], env: EvalEnv): Promise<Val> {
  const arity = (min: number, max = min) => {
    if (argNodes.length < min || argNodes.length > max) {
      throw new MathSyntaxError(`${fn} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${argNodes.length}`);
    }
  };
  if (fn === 'METRICS') {
    arity(0, 1);
    const f = argNodes.length ? await evaluate(argNodes[0], env) : undefined;
    if (f !== undefined && typeof f !== 'string') throw new MathSyntaxError(`METRICS takes a string, not ${kind(f)}`);
    return env.metrics(f);
  }
  if (fn === 'SEARCH') {
    arity(3);
    const [q, stat, period] = [await evaluate(argNodes[0], env), await evaluate(argNodes[1], env), await evaluate(argNodes[2], env)];
    if (typeof q !== 'string' || typeof stat !== 'string' || typeof period !== 'number') {
      throw new MathSyntaxError(`SEARCH takes a search string, a statistic and a period`);
    }
    return env.search(q, stat, period);
  }
  const args: Val[] = [];
  for (const a of argNodes) args.push(await evaluate(a, env));
  if (fn in REDUCERS) {
    arity(1);
    return reduce(fn, args[0]);
  }
  if (fn in UNARY) {
    arity(1);
    return pointwise(args[0], fn, UNARY[fn]);
  }
  switch (fn) {
    case 'RATE':
    case 'DIFF':
      arity(1);
      return perSeries(args[0], fn, (s) => delta(s, fn === 'RATE'));
    case 'FILL':
      arity(2);
      return perSeries(args[0], fn, (s) => fill(s, args[1], env));
    case 'IF':
      arity(2, 3);
      return ifThen(args[0], args[1], args[2]);
    case 'REMOVE_EMPTY':
      arity(1);
      if (!isArray(args[0])) return args[0];
      return args[0].filter((s) => s.ts.length > 0);
    case 'PERIOD':
      arity(1);
      return needSeries(args[0], fn).period;
    default:
      if (EXTRA_FUNCTIONS.has(fn)) {
        return extraFunction(fn, args, (period) => {
          const ts: number[] = [];
          for (let t = env.gridStart(period); t < env.end; t += period * 1000) ts.push(t);
          return ts;
        });
      }
      throw new MathSyntaxError(`Unrecognized function ${fn}`);
  }
}

export { isArray, isSeries };
