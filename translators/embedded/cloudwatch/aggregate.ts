// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Period aggregation of raw metric entries, as CloudWatch computes statistics: every entry falls in
 * the bucket [start + k*period, start + (k+1)*period) that holds its timestamp, one bucket per unit.
 * Percentiles use the nearest-rank method over the bucket's values weighted by their counts;
 * statistic sets only contribute to percentiles when they describe a single repeated value
 * (Minimum = Maximum), as CloudWatch documents.
 */
import type { AggregateBucket, AggregateQuery } from '../../../apis/cloudwatch/backend.js';
import { percentile, trimmedStat } from '../../../apis/cloudwatch/statistics.js';

/** One stored PutMetricData entry. */
export interface PointRecord {
  /** unit */
  u: string;
  /** storage resolution */
  r: 1 | 60;
  /** values (Value or Values) */
  v?: number[];
  /** counts, absent when all are 1 */
  c?: number[];
  /** statistic set [SampleCount, Sum, Minimum, Maximum] */
  s?: [number, number, number, number];
  /** a chunk's per-value timestamps (values of one series within one clock minute, one call) */
  t?: number[];
  /** a rolled-up entry's value distribution ([values, counts]); null when percentiles were lost */
  d?: [number[], number[]] | null;
}

interface Acc {
  b: AggregateBucket;
  /** [value, count] pairs for percentiles; null once a statistic set made them unavailable. */
  dist: Array<[number, number]> | null;
}

/** Aggregates entries given as (timestamp, record) pairs; `each` calls back once per entry. */
export function aggregateEntries(each: (visit: (ts: number, rec: PointRecord) => void) => void, q: AggregateQuery): AggregateBucket[] {
  const periodMs = q.period * 1000;
  const wantPct = (q.percentiles?.length ?? 0) > 0 || (q.trimmed?.length ?? 0) > 0;
  // one bucket per period (numeric keys) unless units are kept apart
  const oneUnit = q.unit !== undefined || q.mergeUnits === true;
  const byTime = new Map<number, Acc>();
  const byUnit = new Map<string, Acc>();
  const accAt = (ts: number, unit: string): Acc | undefined => {
    if (ts < q.start || ts >= q.end) return undefined;
    const bucketStart = q.start + Math.floor((ts - q.start) / periodMs) * periodMs;
    let acc = oneUnit ? byTime.get(bucketStart) : byUnit.get(`${bucketStart}\0${unit}`);
    if (!acc) {
      acc = { b: { timestamp: bucketStart, unit, sampleCount: 0, sum: 0, min: Infinity, max: -Infinity }, dist: wantPct ? [] : null };
      if (oneUnit) byTime.set(bucketStart, acc);
      else byUnit.set(`${bucketStart}\0${unit}`, acc);
    }
    return acc;
  };
  const addValue = (acc: Acc, v: number, c: number) => {
    const b = acc.b;
    b.sampleCount += c;
    b.sum += v * c;
    if (v < b.min) b.min = v;
    if (v > b.max) b.max = v;
    if (acc.dist && c > 0) acc.dist.push([v, c]);
  };
  each((ts, rec) => {
    if (q.unit !== undefined && rec.u !== q.unit) return;
    const vs = rec.v ?? [];
    if (rec.t) {
      // a chunk: one timestamp per value
      for (let i = 0; i < vs.length; i++) {
        const acc = accAt(rec.t[i], rec.u);
        if (acc) addValue(acc, vs[i], rec.c ? rec.c[i] : 1);
      }
      return;
    }
    const acc = accAt(ts, rec.u);
    if (!acc) return;
    if (rec.s) {
      const b = acc.b;
      const [n, sum, min, max] = rec.s;
      b.sampleCount += n;
      b.sum += sum;
      if (min < b.min) b.min = min;
      if (max > b.max) b.max = max;
      if (acc.dist) {
        if (rec.d) rec.d[0].forEach((v, i) => acc.dist!.push([v, rec.d![1][i]]));
        else if (min === max && rec.d === undefined) acc.dist.push([min, n]);
        else acc.dist = null;
      }
    } else for (let i = 0; i < vs.length; i++) addValue(acc, vs[i], rec.c ? rec.c[i] : 1);
  });
  const out: AggregateBucket[] = [];
  for (const acc of oneUnit ? byTime.values() : byUnit.values()) {
    if (q.percentiles?.length) {
      acc.b.percentiles = {};
      for (const p of q.percentiles) acc.b.percentiles[p] = acc.dist ? percentile(acc.dist, p) : undefined;
    }
    if (q.trimmed?.length) {
      acc.b.trimmed = {};
      for (const t of q.trimmed) acc.b.trimmed[t.name] = acc.dist ? trimmedStat(acc.dist, t) : undefined;
    }
    out.push(acc.b);
  }
  out.sort((a, b) => a.timestamp - b.timestamp || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  return out;
}
