// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * One evaluation of a metric alarm, as CloudWatch documents it: the alarm reads an evaluation
 * range a few periods longer than EvaluationPeriods (N), ending at the last complete period.
 *  - With at least N real datapoints in the range, the N most recent real ones decide and
 *    TreatMissingData plays no part.
 *  - With fewer, every real datapoint counts and the missing ones are filled per TreatMissingData:
 *    breaching / notBreaching fill with bad / good points; `missing` judges the real points alone
 *    and goes INSUFFICIENT_DATA when there are none; `ignore` keeps the current state unless the
 *    real points alone already decide.
 * ALARM when at least DatapointsToAlarm (M) of the evaluated points breach, OK otherwise.
 * Percentile alarms with EvaluateLowSampleCountPercentile=ignore keep their state while a
 * datapoint has too few samples to be statistically significant.
 */
import type { MetricBackend } from './backend.js';
import type { AlarmRecord, AlarmState } from './alarm-model.js';
import { checkQueries, resultSeries, runQueries } from './queries.js';
import { bucketStatistic } from './statistics.js';
import { parseStatistic } from './validate.js';

/** Extra periods read before the N evaluated ones, to find real datapoints to use. */
const EXTRA_PERIODS = 5;

export interface Datapoint {
  timestamp: number;
  value: number;
  sampleCount?: number;
}

export interface Verdict {
  state: AlarmState;
  reason: string;
  reasonData: string;
}

const PHRASE: Record<string, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

export function breaches(op: string, v: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return v >= threshold;
    case 'GreaterThanThreshold':
      return v > threshold;
    case 'LessThanThreshold':
      return v < threshold;
    case 'LessThanOrEqualToThreshold':
      return v <= threshold;
    default:
      return false;
  }
}

/** The period an alarm evaluates at (seconds). */
export function alarmPeriod(a: AlarmRecord): number {
  if (a.Period) return a.Period;
  const ret = a.Metrics?.find((q) => q.ReturnData !== false) ?? a.Metrics?.[0];
  return ret?.MetricStat?.Period ?? ret?.Period ?? a.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? 60;
}

/** The alarm's datapoints over the evaluation range, oldest first, and the range itself. */
export async function fetchDatapoints(backend: MetricBackend, a: AlarmRecord, now: number): Promise<{ points: Datapoint[]; start: number; end: number }> {
  const period = alarmPeriod(a);
  const pMs = period * 1000;
  const end = Math.floor(now / pMs) * pMs;
  const start = end - (a.EvaluationPeriods! + EXTRA_PERIODS) * pMs;
  const tenant = { accountId: a.accountId, region: a.region };
  if (!a.Metrics) {
    const stat = parseStatistic(a.Statistic ?? a.ExtendedStatistic!, 'Statistic');
    const buckets = await backend.aggregate(tenant, {
      metric: { namespace: a.Namespace!, metricName: a.MetricName!, dimensions: a.Dimensions ?? [] },
      start,
      end,
      period,
      unit: a.Unit,
      mergeUnits: true,
      percentiles: stat.percentile !== undefined ? [stat.percentile] : undefined,
        trimmed: stat.trimmed ? [stat.trimmed] : undefined,
    });
    const points: Datapoint[] = [];
    for (const b of buckets) {
      const v = bucketStatistic(b, stat);
      if (v !== undefined) points.push({ timestamp: b.timestamp, value: v, sampleCount: b.sampleCount });
    }
    return { points, start, end };
  }
  const queries = checkQueries(a.Metrics, 'Metrics', a.accountId);
  const r = { start, end, now };
  const values = await runQueries(backend, tenant, queries, r);
  const ret = queries.find((q) => q.returnData)!;
  const series = resultSeries(ret, values.get(ret.id)!, r)[0];
  const points = series ? series.ts.map((t, i) => ({ timestamp: t, value: series.v[i] })) : [];
  return { points: points.filter((p) => p.timestamp >= start && p.timestamp < end), start, end };
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function fmtDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function significant(a: AlarmRecord, p: Datapoint): boolean {
  if (!a.ExtendedStatistic || a.EvaluateLowSampleCountPercentile !== 'ignore' || p.sampleCount === undefined) return true;
  if (!/^p[\d.]+$/.test(a.ExtendedStatistic)) return true;
  const q = Number(a.ExtendedStatistic.slice(1)) / 100;
  const tail = Math.min(q, 1 - q);
  return tail > 0 ? p.sampleCount * tail >= 10 - 1e-9 : false;
}

/** Decides the new state; undefined keeps the current one. */
export function judge(a: AlarmRecord, points: Datapoint[], now: number, start: number): Verdict | undefined {
  const n = a.EvaluationPeriods!;
  const m = a.DatapointsToAlarm ?? n;
  const op = a.ComparisonOperator!;
  const threshold = a.Threshold!;
  const recent = points.slice(-n).reverse();
  if (recent.some((p) => !significant(a, p))) return undefined;
  const breaching = recent.filter((p) => breaches(op, p.value, threshold)).length;
  const missing = n - recent.length;
  const treat = a.TreatMissingData ?? 'missing';
  let state: AlarmState;
  let bad = breaching;
  if (missing === 0) state = breaching >= m ? 'ALARM' : 'OK';
  else if (treat === 'breaching') {
    bad = breaching + missing;
    state = bad >= m ? 'ALARM' : 'OK';
  } else if (treat === 'notBreaching') state = breaching >= m ? 'ALARM' : 'OK';
  else if (recent.length === 0) {
    if (treat === 'ignore') return undefined;
    state = 'INSUFFICIENT_DATA';
  } else if (breaching >= m) state = 'ALARM';
  else if (treat === 'ignore' && recent.length - breaching <= n - m) return undefined;
  else state = 'OK';

  const stat = a.Statistic ?? a.ExtendedStatistic;
  const data = {
    version: '1.0',
    queryDate: new Date(now).toISOString().replace('Z', '+0000'),
    startDate: new Date(start).toISOString().replace('Z', '+0000'),
    ...(stat ? { statistic: stat } : {}),
    ...(a.Unit ? { unit: a.Unit } : {}),
    period: alarmPeriod(a),
    recentDatapoints: recent.map((p) => p.value).reverse(),
    threshold,
    evaluatedDatapoints: recent.map((p) => ({
      timestamp: new Date(p.timestamp).toISOString().replace('Z', '+0000'),
      ...(p.sampleCount !== undefined ? { sampleCount: p.sampleCount } : {}),
      value: p.value,
    })),
  };
  const list = recent.map((p) => `${fmtNum(p.value)} (${fmtDate(p.timestamp)})`).join(', ');
  const phrase = PHRASE[op] ?? op;
  let reason: string;
  if (state === 'INSUFFICIENT_DATA') {
    reason = `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`;
  } else if (state === 'ALARM') {
    const fill = bad > breaching ? ` (${bad - breaching} missing datapoint${bad - breaching === 1 ? '' : 's'} treated as breaching)` : '';
    reason = `Threshold Crossed: ${bad} out of the last ${n} datapoints [${list}] ${bad === 1 ? 'was' : 'were'} ${phrase} the threshold (${fmtNum(threshold)})${fill} (minimum ${m} datapoint${m === 1 ? '' : 's'} for OK -> ALARM transition).`;
  } else {
    const cnt = recent.length;
    reason = `Threshold Crossed: ${cnt === 0 ? 'no datapoints were received' : `${cnt} datapoint${cnt === 1 ? '' : 's'} [${list}] ${cnt === 1 ? 'was' : 'were'} not ${phrase} the threshold (${fmtNum(threshold)})`}.`;
  }
  return { state, reason, reasonData: JSON.stringify(data) };
}
