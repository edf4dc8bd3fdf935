// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The write side of the Prometheus metric store: one PutMetricData call → remote-write series.
 * Every (metric, unit, second) becomes four samples cw_sum/cw_count/cw_min/cw_max (exact) plus, for
 * percentiles, a sparse histogram cw_dist{sid, unit, value=v}: the count of the values that round to v at
 * `percentileDigits` significant digits — the HdrHistogram idea (a bucket per significant-digit
 * value: relative error at most 0.5·10^(1−digits), integers below 10^digits exact).
 *
 * Cost and memory are bounded per datum, whatever the workload:
 *  - rounding is arithmetic (no number → string → number per value); a value's label is built once
 *    and kept in one shared, bounded cache (not one per metric);
 *  - the labels of a metric are encoded once into one buffer, kept in a bounded cache with
 *    least-recently-used eviction;
 *  - cached buffers own their memory (Buffer.allocUnsafeSlow), so a kept label never pins one of
 *    Node's shared 8 KiB pool slabs and the garbage allocated next to it.
 */
import { dimensionKey, type MetricPoint, type Tenant } from '../../apis/cloudwatch/backend.js';
import { STAT_NAMES, identityLabels, seriesId } from './labels.js';
import { encodeLabel, type EncodedSeries } from './remote-write.js';

/** Metrics whose encoded labels are kept (least recently used evicted beyond). */
export const LABEL_CACHE = 20_000;
/** Distinct rounded values whose `value` label is kept (the cache is emptied beyond). */
export const VALUE_CACHE = 50_000;

const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** A buffer with its own memory (not a view into Node's shared pool). */
function own(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}

const STATS = ['count', 'sum', 'min', 'max'] as const;
const NAME_LABELS = Object.fromEntries(Object.entries(STAT_NAMES).map(([k, v]) => [k, own(encodeLabel('__name__', v))])) as Record<keyof typeof STAT_NAMES, Buffer>;

/** The labels of one metric and unit of one tenant. */
interface MetricLabels {
  key: string;
  /** Labels without __name__ and value, sorted by name. */
  base: Array<[string, string]>;
  /** Their Label fields, encoded back to back (every name sorts after __name__). */
  mid: Buffer;
  /** cw_dist's labels between __name__ and value: sid and unit. */
  sid: string;
  distMid: Buffer;
}

/** Label fields encoded back to back, in a buffer of their own. */
function encodeLabels(labels: Array<[string, string]>): Buffer {
  const parts = labels.map(([k, v]) => encodeLabel(k, v));
  const out = Buffer.allocUnsafeSlow(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of parts) at += b.copy(out, at);
  return out;
}

/** One remote-write series of a call; its plain labels are built only when someone asks (tests). */
class Series implements EncodedSeries {
  readonly samples: Array<{ value: number; timestamp: number }> = [];
  readonly encoded: Buffer[];
  constructor(
    readonly key: string,
    private readonly m: MetricLabels,
    private readonly name: string,
    nameLabel: Buffer,
    private readonly value?: string,
    valueLabel?: Buffer,
  ) {
    this.encoded = valueLabel ? [nameLabel, m.distMid, valueLabel] : [nameLabel, m.mid];
  }
  get labels(): Array<[string, string]> {
    if (this.value === undefined) return [['__name__', this.name], ...this.m.base];
    return [['__name__', this.name], ['sid', this.m.sid], ['unit', this.m.base.find((l) => l[0] === 'unit')![1]], ['value', this.value]];
  }
}

interface Group {
  m: MetricLabels;
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  dist: Map<number, number> | null;
}

/** Powers of ten as exact doubles (10^0 … 10^22 are exact; beyond, the nearest double). */
const POW10 = Array.from({ length: 700 }, (_, i) => Number(`1e${i - 350}`));

export class SeriesEncoder {
  private offset = Math.floor(Math.random() * 1000);
  private readonly metrics = new Map<string, MetricLabels>();
  private readonly values = new Map<number, Buffer>();
  private readonly exact: number;

  constructor(
    private readonly percentiles: boolean,
    private readonly digits: number,
  ) {
    this.exact = POW10[350 + digits];
  }

  /** Cache sizes (tests, health). */
  get cached(): { metrics: number; values: number } {
    return { metrics: this.metrics.size, values: this.values.size };
  }

  /**
   * `v` rounded to `digits` significant digits: the double nearest the decimal (as
   * Number(v.toPrecision(digits)), without the strings). A power of ten is exact up to 10^22 and a
   * rounded integer times or over it is correctly rounded, so results are the same doubles.
   */
  round(v: number): number {
    const a = v < 0 ? -v : v;
    if (a < this.exact && Number.isInteger(a)) return v === 0 ? 0 : v;
    if (!Number.isFinite(v) || a === 0) return v === 0 ? 0 : v;
    let e = Math.floor(Math.log10(a));
    // log10 can be one off next to a power of ten
    if (POW10[350 + e] > a) e--;
    else if (POW10[351 + e] <= a) e++;
    const shift = this.digits - 1 - e;
    if (shift >= -22 && shift <= 22) {
      return shift >= 0 ? Math.round(v * POW10[350 + shift]) / POW10[350 + shift] : Math.round(v / POW10[350 - shift]) * POW10[350 - shift];
    }
    return Number(v.toPrecision(this.digits));
  }

  private metricLabels(tenant: Tenant, p: MetricPoint, key: string): MetricLabels {
    let m = this.metrics.get(key);
    if (m) {
      // least recently used first: a hit moves the metric to the end
      this.metrics.delete(key);
      this.metrics.set(key, m);
      return m;
    }
    const base = identityLabels(tenant, p.metric);
    base.push(['unit', p.unit]);
    base.sort(byName);
    const sid = seriesId(tenant, p.metric);
    m = { key, base, mid: encodeLabels(base), sid, distMid: this.percentiles ? encodeLabels([['sid', sid], ['unit', p.unit]]) : Buffer.alloc(0) };
    if (this.metrics.size >= LABEL_CACHE) {
      // evict the least recently used eighth at once (amortised)
      let drop = LABEL_CACHE >> 3;
      for (const k of this.metrics.keys()) {
        if (drop-- <= 0) break;
        this.metrics.delete(k);
      }
    }
    this.metrics.set(key, m);
    return m;
  }

  private valueLabel(v: number): Buffer {
    let b = this.values.get(v);
    if (!b) {
      b = own(encodeLabel('value', String(v)));
      if (this.values.size >= VALUE_CACHE) this.values.clear();
      this.values.set(v, b);
    }
    return b;
  }

  /** The remote-write series for one call. */
  seriesFor(tenant: Tenant, pts: MetricPoint[]): EncodedSeries[] {
    this.offset = (this.offset + 1) % 1000;
    const groups = new Map<string, Group>();
    const acct = `${tenant.accountId}\0${tenant.region}\0`;
    for (const p of pts) {
      const sec = Math.floor(p.timestamp / 1000);
      const mkey = `${acct}${p.metric.namespace}\0${p.metric.metricName}\0${dimensionKey(p.metric.dimensions)}\0${p.unit}`;
      const key = `${mkey}\0${sec}`;
      let g = groups.get(key);
      if (!g) {
        g = { m: this.metricLabels(tenant, p, mkey), ts: sec * 1000 + this.offset, count: 0, sum: 0, min: Infinity, max: -Infinity, dist: this.percentiles ? new Map() : null };
        groups.set(key, g);
      }
      if (p.stats) {
        const { sampleCount: n, sum, min, max } = p.stats;
        g.count += n;
        g.sum += sum;
        if (min < g.min) g.min = min;
        if (max > g.max) g.max = max;
        // a statistic set gives a distribution only when it describes one repeated value
        if (g.dist && min === max && n > 0) {
          const r = this.round(min);
          g.dist.set(r, (g.dist.get(r) ?? 0) + n);
        }
        continue;
      }
      const vs = p.values ?? [];
      const cs = p.counts;
      for (let i = 0; i < vs.length; i++) {
        const v = vs[i];
        const c = cs ? cs[i] : 1;
        g.count += c;
        g.sum += v * c;
        if (v < g.min) g.min = v;
        if (v > g.max) g.max = v;
        if (g.dist && c > 0) {
          const r = this.round(v);
          g.dist.set(r, (g.dist.get(r) ?? 0) + c);
        }
      }
    }
    // several seconds of one metric in a call share their series
    const out = new Map<string, Series>();
    const add = (m: MetricLabels, name: keyof typeof STAT_NAMES, value: number, ts: number, v?: number) => {
      const key = v === undefined ? `${m.key}\0${name}` : `${m.key}\0${name}\0${v}`;
      let s = out.get(key);
      if (!s) out.set(key, (s = v === undefined ? new Series(key, m, STAT_NAMES[name], NAME_LABELS[name]) : new Series(key, m, STAT_NAMES[name], NAME_LABELS[name], String(v), this.valueLabel(v))));
      s.samples.push({ value, timestamp: ts });
    };
    for (const g of groups.values()) {
      if (g.count === 0 && g.min === Infinity) continue;
      for (const stat of STATS) add(g.m, stat, stat === 'count' ? g.count : stat === 'sum' ? g.sum : stat === 'min' ? g.min : g.max, g.ts);
      if (g.dist) for (const [v, c] of g.dist) add(g.m, 'dist', c, g.ts, v);
    }
    const res = [...out.values()];
    for (const s of res) if (s.samples.length > 1) s.samples.sort((a, b) => a.timestamp - b.timestamp);
    return res;
  }
}
