// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch's statistics: the value of one in an aggregated bucket, and the percentile and
 * trimmed statistics every metric store computes from a weighted value distribution.
 */
import type { AggregateBucket, TrimmedStat } from './backend.js';
import type { ParsedStatistic } from './validate.js';

export function bucketStatistic(b: AggregateBucket, s: ParsedStatistic): number | undefined {
  switch (s.basic) {
    case 'SampleCount':
      return b.sampleCount;
    case 'Sum':
      return b.sum;
    case 'Average':
      return b.sampleCount > 0 ? b.sum / b.sampleCount : undefined;
    case 'Minimum':
      return b.sampleCount > 0 ? b.min : undefined;
    case 'Maximum':
      return b.sampleCount > 0 ? b.max : undefined;
    default:
      if (s.trimmed) return b.trimmed?.[s.trimmed.name];
      return s.percentile !== undefined ? b.percentiles?.[s.percentile] : undefined;
  }
}

/** Nearest-rank percentile of a weighted distribution (sorts `dist` in place). */
export function percentile(dist: Array<[number, number]>, p: number): number | undefined {
  let total = 0;
  for (const [, c] of dist) total += c;
  if (total <= 0) return undefined;
  dist.sort((a, b) => a[0] - b[0]);
  const rank = Math.max(Math.ceil((p / 100) * total - 1e-9), 1);
  let seen = 0;
  for (const [v, c] of dist) {
    seen += c;
    if (seen >= rank) return v;
  }
  return dist[dist.length - 1][0];
}

/** A trimmed statistic of a weighted distribution (sorts `dist` in place). */
export function trimmedStat(dist: Array<[number, number]>, t: TrimmedStat): number | undefined {
  let total = 0;
  for (const [, c] of dist) total += c;
  if (total <= 0) return undefined;
  dist.sort((a, b) => a[0] - b[0]);
  const lo = t.lo === undefined ? -Infinity : t.percent ? percentile(dist, t.lo)! : t.lo;
  const hi = t.hi === undefined ? Infinity : t.percent ? percentile(dist, t.hi)! : t.hi;
  // percent bounds: values above the lower percentile value (or all from the start for 0 %)
  const above = (v: number) => (t.percent && t.lo !== undefined && t.lo > 0 ? v > lo : v >= lo);
  let n = 0;
  let sum = 0;
  let wsum = 0;
  for (const [v, c] of dist) {
    if (above(v) && v <= hi) {
      n += c;
      sum += v * c;
    }
    wsum += Math.min(Math.max(v, lo), hi) * c;
  }
  switch (t.kind) {
    case 'TC':
      return n;
    case 'TS':
      return sum;
    case 'PR':
      return (n / total) * 100;
    case 'WM':
      return wsum / total;
    default:
      return n > 0 ? sum / n : undefined;
  }
}
