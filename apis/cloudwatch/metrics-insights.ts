// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Metrics Insights queries in GetMetricData expressions (Grafana's "Metric Query" mode):
 *   SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId)
 *   WHERE InstanceType = 'm5.large' AND InstanceId != 'i-1'
 *   GROUP BY InstanceId ORDER BY MAX() DESC LIMIT 10
 * FROM <namespace> takes every metric of the namespace; SCHEMA(ns, k1, k2) only those whose
 * dimension keys are exactly k1, k2. Functions AVG, SUM, MIN, MAX, COUNT aggregate all datapoints
 * of all matching metrics per period (AVG = total sum / total sample count). One series per group.
 */
import type { MetricBackend, MetricId, Tenant } from './backend.js';
import { stickyTokens } from './lex.js';
import { MathSyntaxError } from './math-parse.js';
import type { Series } from './math-eval.js';

type Fn = 'AVG' | 'SUM' | 'MIN' | 'MAX' | 'COUNT';
type Where = { k: 'cmp'; key: string; op: '=' | '!='; value: string } | { k: 'and' | 'or'; a: Where; b: Where };

export interface InsightsQuery {
  fn: Fn;
  metricName: string;
  namespace: string;
  schemaKeys?: string[];
  where?: Where;
  groupBy: string[];
  order?: { fn: Fn; desc: boolean };
  limit: number;
}

const FNS = new Set(['AVG', 'SUM', 'MIN', 'MAX', 'COUNT']);
const MAX_METRICS = 10_000;

export function isInsightsQuery(expr: string): boolean {
  return /^\s*SELECT\s/i.test(expr);
}

const unq = (t: string) => (/^["']/.test(t) ? t.slice(1, -1) : t);

export function parseInsights(src: string): InsightsQuery {
  const toks = stickyTokens(src, /\s*("[^"]*"|'[^']*'|!=|[(),=]|[^\s(),=!"']+)/y);
  if (!toks) throw new MathSyntaxError(`Invalid Metrics Insights query: ${src}`);
  let p = 0;
  const kw = (w: string) => toks[p]?.toUpperCase() === w;
  const expect = (w: string) => {
    if (toks[p]?.toUpperCase() !== w) throw new MathSyntaxError(`Metrics Insights: expected ${w}${toks[p] ? ` near '${toks[p]}'` : ''}`);
    p++;
  };
  const word = () => {
    const t = toks[p++];
    if (t === undefined || '(),='.includes(t)) throw new MathSyntaxError('Metrics Insights: unexpected end of query');
    return unq(t);
  };
  const fnCall = (allowEmpty: boolean): { fn: Fn; arg?: string } => {
    const fn = (toks[p++] ?? '').toUpperCase();
    if (!FNS.has(fn)) throw new MathSyntaxError(`Metrics Insights: unknown function ${fn}`);
    expect('(');
    let arg: string | undefined;
    if (!kw(')')) arg = word();
    else if (!allowEmpty) throw new MathSyntaxError(`Metrics Insights: ${fn} needs a metric name`);
    expect(')');
    return { fn: fn as Fn, arg };
  };
  expect('SELECT');
  const sel = fnCall(false);
  expect('FROM');
  let namespace: string;
  let schemaKeys: string[] | undefined;
  if (kw('SCHEMA')) {
    p++;
    expect('(');
    namespace = word();
    schemaKeys = [];
    while (kw(',')) {
      p++;
      schemaKeys.push(word());
    }
    expect(')');
  } else namespace = word();
  let where: Where | undefined;
  if (kw('WHERE')) {
    p++;
    const atom = (): Where => {
      const key = word();
      const op = toks[p++];
      if (op !== '=' && op !== '!=') throw new MathSyntaxError(`Metrics Insights: expected = or != after ${key}`);
      return { k: 'cmp', key, op, value: word() };
    };
    const and = (): Where => {
      let a = atom();
      while (kw('AND')) {
        p++;
        a = { k: 'and', a, b: atom() };
      }
      return a;
    };
    where = and();
    while (kw('OR')) {
      p++;
      where = { k: 'or', a: where, b: and() };
    }
  }
  const groupBy: string[] = [];
  if (kw('GROUP')) {
    p++;
    expect('BY');
    groupBy.push(word());
    while (kw(',')) {
      p++;
      groupBy.push(word());
    }
  }
  let order: InsightsQuery['order'];
  if (kw('ORDER')) {
    p++;
    expect('BY');
    const o = fnCall(true);
    let desc = false;
    if (kw('DESC') || kw('ASC')) desc = toks[p++].toUpperCase() === 'DESC';
    order = { fn: o.fn, desc };
  }
  let limit = 500;
  if (kw('LIMIT')) {
    p++;
    limit = Number(toks[p++]);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new MathSyntaxError('Metrics Insights: LIMIT must be between 1 and 500');
  }
  if (p < toks.length) throw new MathSyntaxError(`Metrics Insights: unexpected '${toks[p]}'`);
  return { fn: sel.fn, metricName: sel.arg!, namespace, schemaKeys, where, groupBy, order, limit };
}

function test(w: Where, m: MetricId): boolean {
  if (w.k !== 'cmp') return w.k === 'and' ? test(w.a, m) && test(w.b, m) : test(w.a, m) || test(w.b, m);
  const v = w.key === 'MetricName' ? m.metricName : w.key === 'Namespace' ? m.namespace : m.dimensions.find((d) => d.Name === w.key)?.Value;
  return w.op === '=' ? v === w.value : v !== w.value;
}

interface Acc {
  sum: number;
  count: number;
  min: number;
  max: number;
}

function value(fn: Fn, a: Acc): number {
  return fn === 'SUM' ? a.sum : fn === 'COUNT' ? a.count : fn === 'MIN' ? a.min : fn === 'MAX' ? a.max : a.sum / a.count;
}

export async function runInsights(backend: MetricBackend, tenant: Tenant, q: InsightsQuery, start: number, end: number, period: number, activeSince: number): Promise<Series[]> {
  const metrics: MetricId[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.list(tenant, { namespace: q.namespace, metricName: q.metricName, activeSince }, cursor, 500);
    for (const m of page.metrics) {
      if (q.schemaKeys) {
        const keys = m.dimensions.map((d) => d.Name).sort();
        const want = [...q.schemaKeys].sort();
        if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) continue;
      }
      if (q.where && !test(q.where, m)) continue;
      if (q.groupBy.some((g) => !m.dimensions.some((d) => d.Name === g))) continue;
      metrics.push(m);
    }
    cursor = page.next;
  } while (cursor !== undefined && metrics.length < MAX_METRICS);
  const groups = new Map<string, { label: string; byTs: Map<number, Acc>; total: Acc }>();
  for (const m of metrics.slice(0, MAX_METRICS)) {
    const key = q.groupBy.map((g) => m.dimensions.find((d) => d.Name === g)!.Value);
    const k = JSON.stringify(key);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { label: key.join(' '), byTs: new Map(), total: { sum: 0, count: 0, min: Infinity, max: -Infinity } }));
    for (const b of await backend.aggregate(tenant, { metric: m, start, end, period, mergeUnits: true })) {
      const a = g.byTs.get(b.timestamp) ?? { sum: 0, count: 0, min: Infinity, max: -Infinity };
      a.sum += b.sum;
      a.count += b.sampleCount;
      a.min = Math.min(a.min, b.min);
      a.max = Math.max(a.max, b.max);
      g.byTs.set(b.timestamp, a);
      g.total.sum += b.sum;
      g.total.count += b.sampleCount;
      g.total.min = Math.min(g.total.min, b.min);
      g.total.max = Math.max(g.total.max, b.max);
    }
  }
  let list = [...groups.values()].filter((g) => g.byTs.size > 0);
  if (q.order) {
    const o = q.order;
    list.sort((a, b) => (value(o.fn, a.total) - value(o.fn, b.total)) * (o.desc ? -1 : 1));
  } else list.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  list = list.slice(0, q.limit);
  return list.map((g) => {
    const ts = [...g.byTs.keys()].sort((a, b) => a - b);
    return { label: g.label || q.metricName, period, ts, v: ts.map((t) => value(q.fn, g.byTs.get(t)!)) };
  });
}
