// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Roll-up of old datapoints to coarser periods, as CloudWatch stores them: 1-second entries older
 * than 3 hours become 1-minute entries, everything older than 15 days 5-minute entries, older than
 * 63 days 1-hour entries. A rolled entry keeps the exact statistic set and the value distribution
 * (merged counts; beyond MAX_DISTINCT distinct values, values are rounded to 3 significant digits,
 * so percentiles of old data stay within 0.5 %). Buckets are aligned to multiples of their period
 * since the epoch, which is how reads of old data are aligned too.
 */
import type { PointRecord } from './aggregate.js';

export const MAX_DISTINCT = 500;

export interface RollupTier {
  /** Entries older than this age (ms)… */
  age: number;
  /** …are merged into buckets of this period (ms). */
  period: number;
  /** Only entries finer than this resolution (seconds) are rolled (the 1-second tier). */
  below?: number;
}

export const TIERS: RollupTier[] = [
  { age: 63 * 86_400_000, period: 3_600_000 },
  { age: 15 * 86_400_000, period: 300_000 },
  { age: 3 * 3_600_000, period: 60_000, below: 60 },
];

function round3(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(3));
}

/** Merges entries of one bucket and unit into one rolled entry. */
export function mergeEntries(entries: PointRecord[], resolution: 1 | 60): PointRecord {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let dist: Map<number, number> | null = new Map();
  const add = (v: number, c: number) => dist && dist.set(v, (dist.get(v) ?? 0) + c);
  for (const e of entries) {
    if (e.s) {
      const [sn, ss, smin, smax] = e.s;
      n += sn;
      sum += ss;
      min = Math.min(min, smin);
      max = Math.max(max, smax);
      if (e.d) e.d[0].forEach((v, i) => add(v, e.d![1][i]));
      else if (smin === smax && e.d === undefined) add(smin, sn);
      else dist = null;
    } else {
      const vs = e.v ?? [];
      vs.forEach((v, i) => {
        const c = e.c ? e.c[i] : 1;
        n += c;
        sum += v * c;
        min = Math.min(min, v);
        max = Math.max(max, v);
        add(v, c);
      });
    }
    if (dist && dist.size > MAX_DISTINCT) {
      const coarse = new Map<number, number>();
      for (const [v, c] of dist) coarse.set(round3(v), (coarse.get(round3(v)) ?? 0) + c);
      dist = coarse;
    }
  }
  return { u: entries[0].u, r: resolution, s: [n, sum, min, max], d: dist ? [[...dist.keys()], [...dist.values()]] : null };
}
