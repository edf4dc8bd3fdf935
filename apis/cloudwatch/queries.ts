// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * MetricDataQueries: validation and evaluation into time series, shared by GetMetricData and
 * metric-math alarms. MetricStat queries become per-period aggregations on the backend;
 * expressions are evaluated over them (math-eval.ts), SEARCH() lists and aggregates matching metrics.
 */
import { AwsError } from '../../src/errors.js';
import type { Dimension, MetricBackend, MetricId, Tenant } from './backend.js';
import { invalidValue } from './errors.js';
import { evaluate, isArray, isSeries, type EvalEnv, type Series, type Val } from './math-eval.js';
import { MathSyntaxError, parseExpression, referencedIds, type Node } from './math-parse.js';
import { isInsightsQuery, parseInsights, runInsights, type InsightsQuery } from './metrics-insights.js';
import { parseSearch, searchLabel, searchMatches } from './search.js';
import { expandLabel } from './labels.js';
import { bucketStatistic } from './statistics.js';
import {
  alignStart,
  checkDimensions,
  checkLength,
  checkNamespace,
  checkPeriod,
  checkUnit,
  parseStatistic,
  periodAvailable,
  required,
  type ParsedStatistic,
} from './validate.js';

export interface MetricDataQuery {
  Id?: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
    Period?: number;
    Stat?: string;
    Unit?: string;
  };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

export interface CheckedQuery {
  id: string;
  label?: string;
  returnData: boolean;
  stat?: { metric: MetricId; period: number; stat: ParsedStatistic; unit?: string };
  expr?: Node;
  exprText?: string;
  insights?: InsightsQuery;
  period?: number;
}

const ID_RE = /^[a-z][a-zA-Z0-9_]*$/;
const SEARCH_LIMIT = 500;

export const validationError = (m: string) => new AwsError('ValidationError', m, { status: 400, queryCode: 'ValidationError' });

export function checkQueries(queries: MetricDataQuery[] | undefined, name: string, accountId: string): CheckedQuery[] {
  const list = required(queries, name);
  if (list.length === 0) throw invalidValue(`The collection ${name} must contain at least one query.`);
  if (list.length > 500) throw invalidValue(`The collection ${name} must not have a size greater than 500.`);
  const ids = new Set<string>();
  const out = list.map((q, i): CheckedQuery => {
    const at = `${name}.member.${i + 1}`;
    const id = required(q?.Id, `${at}.Id`);
    checkLength(id, `${at}.Id`, 1, 255);
    if (!ID_RE.test(id)) {
      throw validationError(`Invalid metrics list: the Id ${id} must start with a lowercase letter and contain only letters, numbers and underscores.`);
    }
    if (ids.has(id)) throw validationError(`Invalid metrics list: the Id ${id} is used more than once.`);
    ids.add(id);
    if (q.AccountId !== undefined && q.AccountId !== accountId) {
      throw validationError(`Invalid metrics list: ${at}.AccountId ${q.AccountId} is not this account or a linked source account.`);
    }
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      throw validationError(`Invalid metrics list: ${at} must specify exactly one of MetricStat and Expression.`);
    }
    const base = { id, label: q.Label, returnData: q.ReturnData !== false };
    if (q.MetricStat) {
      const ms = q.MetricStat;
      const m = required(ms.Metric, `${at}.MetricStat.Metric`);
      const namespace = required(m.Namespace, `${at}.MetricStat.Metric.Namespace`);
      checkNamespace(namespace, `${at}.MetricStat.Metric.Namespace`, false);
      const metricName = required(m.MetricName, `${at}.MetricStat.Metric.MetricName`);
      checkLength(metricName, `${at}.MetricStat.Metric.MetricName`, 1, 255);
      const dimensions = checkDimensions(m.Dimensions, `${at}.MetricStat.Metric.Dimensions`);
      const period = checkPeriod(ms.Period, `${at}.MetricStat.Period`);
      const stat = parseStatistic(required(ms.Stat, `${at}.MetricStat.Stat`), `${at}.MetricStat.Stat`);
      checkUnit(ms.Unit, `${at}.MetricStat.Unit`);
      return { ...base, stat: { metric: { namespace, metricName, dimensions }, period, stat, unit: ms.Unit } };
    }
    const text = q.Expression!;
    checkLength(text, `${at}.Expression`, 1, 2048);
    if (isInsightsQuery(text)) {
      if (q.Period === undefined) throw validationError(`Error in expression '${id}': a Metrics Insights query needs a Period.`);
      const period = checkPeriod(q.Period, `${at}.Period`);
      try {
        return { ...base, insights: parseInsights(text), exprText: text, period };
      } catch (e) {
        if (e instanceof MathSyntaxError) throw validationError(`Error in expression '${id}': ${e.message}`);
        throw e;
      }
    }
    let expr: Node;
    try {
      expr = parseExpression(text);
    } catch (e) {
      if (e instanceof MathSyntaxError) throw validationError(`Error in expression '${id}': ${e.message}`);
      throw e;
    }
    const period = q.Period !== undefined ? checkPeriod(q.Period, `${at}.Period`) : undefined;
    return { ...base, expr, exprText: text, period };
  });
  const byId = new Map(out.map((q) => [q.id, q]));
  for (const q of out) {
    if (!q.expr) continue;
    for (const ref of referencedIds(q.expr)) {
      if (!byId.has(ref)) throw validationError(`Error in expression '${q.id}': Unrecognized identifier ${ref}`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (q: CheckedQuery) => {
    if (done.has(q.id)) return;
    if (visiting.has(q.id)) throw validationError(`Error in expression '${q.id}': Circular dependency between metrics`);
    visiting.add(q.id);
    if (q.expr) for (const ref of referencedIds(q.expr)) visit(byId.get(ref)!);
    visiting.delete(q.id);
    done.add(q.id);
  };
  out.forEach(visit);
  return out;
}

export interface QueryRange {
  start: number;
  end: number;
  now: number;
}

/** Aggregates one metric into a series of one statistic. */
export async function statSeries(
  backend: MetricBackend,
  tenant: Tenant,
  metric: MetricId,
  period: number,
  stat: ParsedStatistic,
  unit: string | undefined,
  r: QueryRange,
): Promise<Series> {
  const start = alignStart(r.start, r.now, period);
  const buckets = periodAvailable(start, r.now, period)
    ? await backend.aggregate(tenant, {
        metric,
        start,
        end: r.end,
        period,
        unit,
        mergeUnits: true,
        percentiles: stat.percentile !== undefined ? [stat.percentile] : undefined,
        trimmed: stat.trimmed ? [stat.trimmed] : undefined,
      })
    : [];
  const ts: number[] = [];
  const v: number[] = [];
  for (const b of buckets) {
    const x = bucketStatistic(b, stat);
    if (x === undefined) continue;
    ts.push(b.timestamp);
    v.push(x);
  }
  return { label: metric.metricName, period, ts, v, metric, stat: stat.name };
}

/** Evaluates every query; the values by query id (a series, an array of series or a scalar). */
/** Metric queries of one GetMetricData call read at the same time. */
const STAT_PARALLEL = 8;

export async function runQueries(backend: MetricBackend, tenant: Tenant, queries: CheckedQuery[], r: QueryRange): Promise<Map<string, Val>> {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const results = new Map<string, Promise<Val>>();
  const resolve = (id: string): Promise<Val> => {
    let p = results.get(id);
    if (!p) {
      p = compute(byId.get(id)!);
      results.set(id, p);
    }
    return p;
  };
  const compute = async (q: CheckedQuery): Promise<Val> => {
    if (q.stat) {
      const s = await statSeries(backend, tenant, q.stat.metric, q.stat.period, q.stat.stat, q.stat.unit, r);
      return { ...s, id: q.id };
    }
    if (q.insights) {
      const period = q.period!;
      return runInsights(backend, tenant, q.insights, alignStart(r.start, r.now, period), r.end, period, r.now - 14 * 86_400_000);
    }
    const env: EvalEnv = {
      gridStart: (period) => alignStart(r.start, r.now, period),
      end: r.end,
      resolve,
      metrics: async (filter) => {
        const out: Series[] = [];
        for (const m of queries) {
          if (!m.stat || (filter !== undefined && !m.id.includes(filter))) continue;
          out.push((await resolve(m.id)) as Series);
        }
        return out;
      },
      search: async (text, statName, period) => {
        const sq = parseSearch(text);
        const stat = parseStatistic(statName, 'SEARCH statistic');
        const p = checkPeriod(period, 'SEARCH period');
        const found: MetricId[] = [];
        let cursor: string | undefined;
        do {
          const page = await backend.list(tenant, { namespace: sq.namespace, activeSince: r.now - 14 * 86_400_000 }, cursor, 500);
          for (const m of page.metrics) if (searchMatches(sq, m) && found.length < SEARCH_LIMIT) found.push(m);
          cursor = page.next;
        } while (cursor !== undefined && found.length < SEARCH_LIMIT);
        found.sort((x, y) => (searchLabel(x) < searchLabel(y) ? -1 : searchLabel(x) > searchLabel(y) ? 1 : 0));
        const out: Series[] = [];
        for (const m of found) out.push({ ...(await statSeries(backend, tenant, m, p, stat, undefined, r)), label: searchLabel(m) });
        return out;
      },
    };
    try {
      const v = await evaluate(q.expr!, env);
      if (typeof v === 'string' || (typeof v === 'object' && 'kw' in v)) throw new MathSyntaxError('The expression must return a time series or a scalar');
      return v;
    } catch (e) {
      if (e instanceof MathSyntaxError || (e instanceof AwsError && e.queryCode === 'InvalidParameterValue')) {
        throw validationError(`Error in expression '${q.id}': ${e.message}`);
      }
      throw e;
    }
  };
  // metric queries are independent reads (one PromQL round trip each on a remote TSDB): run up
  // to STAT_PARALLEL at once; failures surface below, in query order, as before
  const stats = queries.filter((q) => q.stat);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < stats.length) await resolve(stats[next++].id).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(STAT_PARALLEL, stats.length) }, worker));
  const out = new Map<string, Val>();
  for (const q of queries) out.set(q.id, await resolve(q.id));
  return out;
}

/** The series a query returns to the caller (scalars become one point per bucket of the range). */
export function resultSeries(q: CheckedQuery, v: Val, r: QueryRange, accountId = ''): Series[] {
  const label = (s: Series, fallback: string): Series => ({
    ...s,
    id: q.id,
    label: q.label !== undefined
      ? expandLabel(q.label, { metric: s.metric, stat: s.stat, period: s.period, accountId, defaultLabel: fallback, values: s.v })
      : fallback,
  });
  if (isArray(v)) return v.map((s) => label(s, s.label));
  if (isSeries(v)) return [label(v, q.stat ? v.label : q.id)];
  if (typeof v === 'number') {
    const period = q.period ?? 60;
    const ts: number[] = [];
    for (let t = alignStart(r.start, r.now, period); t < r.end; t += period * 1000) ts.push(t);
    if (!Number.isFinite(v)) return [label({ label: q.id, period, ts: [], v: [] }, q.id)];
    return [label({ label: q.id, period, ts, v: ts.map(() => v) }, q.id)];
  }
  return [];
}
