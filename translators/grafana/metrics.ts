// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch metrics on a Prometheus-compatible TSDB (Prometheus, Mimir, VictoriaMetrics).
 * Writes: every PutMetricData call is pre-aggregated per (metric, unit, second) into four series
 * cw_sum/cw_count/cw_min/cw_max (labels.ts) plus, for percentiles, cw_dist{value=…}: the count of
 * each distinct value (rounded to `percentileDigits` significant digits). Samples sit at
 * second + a per-call millisecond (0–999), so two calls for the same metric and second are two
 * samples, never a "duplicate sample for timestamp"; CloudWatch buckets start on whole seconds,
 * so the millisecond never moves a sample to another bucket.
 * Reads: `<agg>_over_time` range queries evaluated at the last millisecond of each CloudWatch bucket
 * [T, T+period): range `period` on TSDBs whose windows are left-open (t-r, t] (VictoriaMetrics,
 * Prometheus 3), `period - 1ms` on closed windows [t-r, t] (Prometheus 2, Mimir 2). A final partial
 * bucket (EndTime inside a period) is queried on its own, so no datapoint at or after EndTime counts.
 */
import {
  dimensionKey,
  type AggregateBucket,
  type AggregateQuery,
  type ListMetricsFilter,
  type ListMetricsPage,
  type MetricBackend,
  type MetricId,
  type MetricPoint,
  type Tenant,
} from '../../apis/cloudwatch/backend.js';
import { percentile, trimmedStat } from '../../apis/cloudwatch/statistics.js';
import type { PrometheusSettings } from './config.js';
import { STAT_NAMES, identityLabels, metricFromLabels, selector } from './labels.js';
import { PromApi } from './prom-api.js';
import { encodeLabel, type EncodedSeries } from './remote-write.js';
import { AwsError } from '../../src/errors.js';
import { RemoteWriteError, RemoteWriter } from './writer.js';

/** Most points per range query (Prometheus refuses more than 11,000). */
const MAX_STEPS = 10_000;
const LIST_LOOKBACK_MS = 455 * 86_400_000;
/** Metrics whose labels are kept encoded (cleared when full). */
const LABEL_CACHE = 100_000;
const NAME_LABELS = Object.fromEntries(Object.entries(STAT_NAMES).map(([k, v]) => [k, encodeLabel('__name__', v)])) as Record<keyof typeof STAT_NAMES, Buffer>;
const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

interface SeriesLabels {
  /** Labels without __name__, sorted by name. */
  base: Array<[string, string]>;
  /** Their Label fields, encoded. */
  mid: Buffer[];
  /** `value` Label fields of cw_dist by value. */
  dist: Map<string, Buffer>;
}

interface Group {
  series: SeriesLabels;
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  dist: Map<string, number> | null;
}

type Matcher = [string, '=' | '!=' | '=~', string];

export class PrometheusMetricStore implements MetricBackend {
  readonly name = 'grafana';
  private readonly api: PromApi;
  private readonly writers = new Map<string, RemoteWriter>();
  private offset = Math.floor(Math.random() * 1000);
  private readonly labelCache = new Map<string, SeriesLabels>();

  constructor(private readonly s: PrometheusSettings) {
    // VictoriaMetrics rounds query_range start/end to the step for its cache unless nocache=1: bucket
    // boundaries must stay exact
    this.api = new PromApi(s.url, s.headers, s.timeoutMs, s.flavor === 'victoriametrics' ? { nocache: '1' } : {});
  }

  private orgId(t: Tenant): string | undefined {
    return this.s.orgId === 'account' ? t.accountId : this.s.orgId;
  }

  /** One writer per X-Scope-OrgID (one in all when orgId is fixed or absent). */
  writer(t: Tenant): RemoteWriter {
    const org = this.orgId(t) ?? '';
    let w = this.writers.get(org);
    if (!w) {
      const s = this.s;
      const headers = { ...s.headers, ...(org ? { 'x-scope-orgid': org } : {}) };
      const flushUrl = `${s.url}/internal/force_flush`;
      w = new RemoteWriter({
        url: s.remoteWriteUrl,
        headers,
        batchSamples: s.batchSamples,
        flushMs: s.flushMs,
        maxPendingSamples: s.maxPendingSamples,
        maxWaitMs: s.maxWaitMs,
        retries: s.retries,
        timeoutMs: s.timeoutMs,
        afterWrite: s.forceFlush ? async () => void (await fetch(flushUrl, { headers }).then((r) => r.arrayBuffer())) : undefined,
      });
      this.writers.set(org, w);
    }
    return w;
  }

  private round(v: number): string {
    return String(v === 0 ? 0 : Number(v.toPrecision(this.s.percentileDigits)));
  }

  /** Labels of one metric and unit, with their encodings (cached: the same metrics come back every call). */
  private seriesOf(tenant: Tenant, p: MetricPoint, key: string): SeriesLabels {
    let c = this.labelCache.get(key);
    if (c) return c;
    const base = identityLabels(tenant, p.metric);
    base.push(['unit', p.unit]);
    base.sort(byName);
    // every label sorts after __name__ and before value (lower-case names; `_` < `a`)
    const mid = base.map(([k, v]) => encodeLabel(k, v));
    c = { base, mid, dist: new Map() };
    if (this.labelCache.size >= LABEL_CACHE) this.labelCache.clear();
    this.labelCache.set(key, c);
    return c;
  }

  /** The remote-write series for one call (exported for tests). */
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
        g = { series: this.seriesOf(tenant, p, mkey), ts: sec * 1000 + this.offset, count: 0, sum: 0, min: Infinity, max: -Infinity, dist: this.s.percentiles ? new Map() : null };
        groups.set(key, g);
      }
      if (p.stats) {
        const { sampleCount: n, sum, min, max } = p.stats;
        g.count += n;
        g.sum += sum;
        g.min = Math.min(g.min, min);
        g.max = Math.max(g.max, max);
        // a statistic set gives a distribution only when it describes one repeated value
        if (g.dist && min === max && n > 0) g.dist.set(this.round(min), (g.dist.get(this.round(min)) ?? 0) + n);
        continue;
      }
      const vs = p.values ?? [];
      for (let i = 0; i < vs.length; i++) {
        const v = vs[i];
        const c = p.counts ? p.counts[i] : 1;
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
    // samples of the same series (several seconds of one metric in a call) share one series
    const out = new Map<string, EncodedSeries>();
    const add = (key: string, labels: () => Array<[string, string]>, encoded: () => Buffer[], value: number, timestamp: number) => {
      let s = out.get(key);
      if (!s) out.set(key, (s = { labels: labels(), encoded: encoded(), samples: [] }));
      s.samples.push({ value, timestamp });
    };
    for (const [gk, g] of groups) {
      if (g.count === 0 && g.min === Infinity) continue;
      const { base, mid, dist } = g.series;
      const mk = gk.slice(0, gk.lastIndexOf('\0'));
      for (const [stat, value] of [['count', g.count], ['sum', g.sum], ['min', g.min], ['max', g.max]] as const) {
        const name = STAT_NAMES[stat];
        add(`${mk}\0${stat}`, () => [['__name__', name], ...base], () => [NAME_LABELS[stat], ...mid], value, g.ts);
      }
      for (const [v, c] of g.dist ?? []) {
        let enc = dist.get(v);
        if (!enc) {
          enc = encodeLabel('value', v);
          if (dist.size < 10_000) dist.set(v, enc);
        }
        const e = enc;
        add(`${mk}\0d\0${v}`, () => [['__name__', STAT_NAMES.dist], ...base, ['value', v]], () => [NAME_LABELS.dist, ...mid, e], c, g.ts);
      }
    }
    const res = [...out.values()];
    for (const s of res) if (s.samples.length > 1) s.samples.sort((a, b) => a.timestamp - b.timestamp);
    return res;
  }

  async put(tenant: Tenant, pts: MetricPoint[]): Promise<void> {
    try {
      await this.writer(tenant).write(this.seriesFor(tenant, pts));
    } catch (e) {
      // the TSDB cannot keep up: the caller slows down, as with CloudWatch's own throttling
      if (e instanceof RemoteWriteError && e.status === 429) throw new AwsError('Throttling', 'Rate exceeded', { status: 400 });
      throw e;
    }
  }

  private matchers(tenant: Tenant, m: MetricId, unit?: string): Matcher[] {
    const out: Matcher[] = identityLabels(tenant, m).map(([k, v]) => [k, '=', v]);
    if (unit !== undefined) out.push(['unit', '=', unit]);
    return out;
  }

  /**
   * One range query for every statistic over buckets [from + k*len, +len) for k < steps: the
   * `agg_over_time(stat[window])` parts joined with `or`, each tagged with a `cw_stat` label.
   */
  private async rangeQuery(tenant: Tenant, parts: Array<[string, string, string, string]>, m: Matcher[], from: number, steps: number, lenMs: number) {
    const win = this.s.closedRanges ? lenMs - 1 : lenMs;
    const q = parts
      .map(([field, fn, stat, by]) => {
        const outer = fn === 'sum_over_time' ? 'sum' : fn === 'min_over_time' ? 'min' : 'max';
        return `label_replace(${outer} by (${by}) (${fn}(${selector(stat, m)}[${win}ms])), "cw_stat", "${field}", "", "")`;
      })
      .join(' or ');
    const first = from + lenMs - 1;
    return this.api.queryRange(q, first, first + (steps - 1) * lenMs, lenMs, this.orgId(tenant));
  }

  async aggregate(tenant: Tenant, q: AggregateQuery): Promise<AggregateBucket[]> {
    const P = q.period * 1000;
    const full = Math.floor((q.end - q.start) / P);
    const tail = q.end - q.start - full * P;
    const windows: Array<{ from: number; steps: number; len: number }> = [];
    for (let k = 0; k < full; k += MAX_STEPS) windows.push({ from: q.start + k * P, steps: Math.min(MAX_STEPS, full - k), len: P });
    if (tail > (this.s.closedRanges ? 1 : 0)) windows.push({ from: q.start + full * P, steps: 1, len: tail });
    const m = this.matchers(tenant, q.metric, q.unit);
    const wantDist = this.s.percentiles && ((q.percentiles?.length ?? 0) > 0 || (q.trimmed?.length ?? 0) > 0);
    const parts: Array<[string, string, string, string]> = [
      ['sampleCount', 'sum_over_time', STAT_NAMES.count, 'unit'],
      ['sum', 'sum_over_time', STAT_NAMES.sum, 'unit'],
      ['min', 'min_over_time', STAT_NAMES.min, 'unit'],
      ['max', 'max_over_time', STAT_NAMES.max, 'unit'],
    ];
    if (wantDist) parts.push(['dist', 'sum_over_time', STAT_NAMES.dist, 'unit,value']);
    const results = await Promise.all(windows.map(async (w) => ({ w, res: await this.rangeQuery(tenant, parts, m, w.from, w.steps, w.len) })));
    const oneUnit = q.unit !== undefined || q.mergeUnits === true;
    const buckets = new Map<string, AggregateBucket & { dist?: Array<[number, number]> }>();
    const bucketOf = (w: { len: number }, t: number, unit: string) => {
      const ts = Math.round(t * 1000) - (w.len - 1);
      const key = oneUnit ? String(ts) : `${ts}\0${unit}`;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { timestamp: ts, unit, sampleCount: 0, sum: 0, min: Infinity, max: -Infinity }));
      return b;
    };
    for (const { w, res } of results) {
      for (const s of res) {
        const field = s.metric.cw_stat;
        const unit = s.metric.unit ?? 'None';
        for (const [t, text] of s.values) {
          const v = Number(text);
          const b = bucketOf(w, t, unit);
          if (field === 'sampleCount' || field === 'sum') b[field] += v;
          else if (field === 'min') b.min = Math.min(b.min, v);
          else if (field === 'max') b.max = Math.max(b.max, v);
          else (b.dist ??= []).push([Number(s.metric.value), v]);
        }
      }
    }
    const out: AggregateBucket[] = [];
    for (const b of buckets.values()) {
      if (b.sampleCount === 0 && b.min === Infinity) continue;
      const { dist, ...bucket } = b;
      // the distribution is complete only when every sample of the bucket carried its value
      const have = (dist ?? []).reduce((n, [, c]) => n + c, 0);
      const complete = dist !== undefined && Math.abs(have - b.sampleCount) < 1e-9 * Math.max(1, b.sampleCount);
      if (q.percentiles?.length) {
        bucket.percentiles = {};
        for (const p of q.percentiles) bucket.percentiles[p] = complete ? percentile([...dist!], p) : undefined;
      }
      if (q.trimmed?.length) {
        bucket.trimmed = {};
        for (const t of q.trimmed) bucket.trimmed[t.name] = complete ? trimmedStat([...dist!], t) : undefined;
      }
      out.push(bucket);
    }
    out.sort((a, b) => a.timestamp - b.timestamp || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
    return out;
  }

  async list(tenant: Tenant, f: ListMetricsFilter, cursor: string | undefined, limit: number): Promise<ListMetricsPage> {
    const m: Matcher[] = [
      ['account', '=', tenant.accountId],
      ['region', '=', tenant.region],
    ];
    if (f.namespace !== undefined) m.push(['namespace', '=', f.namespace]);
    if (f.metricName !== undefined) m.push(['metric_name', '=', f.metricName]);
    const now = Date.now();
    // the series API needs one positive matcher besides __name__ on some stores: account is one
    const sets = await this.api.series(selector(STAT_NAMES.count, m), f.activeSince ?? now - LIST_LOOKBACK_MS, now + 3 * 3_600_000, this.orgId(tenant));
    const found = new Map<string, MetricId>();
    for (const l of sets) {
      const id = metricFromLabels(l);
      if (!id || l.account !== tenant.accountId || l.region !== tenant.region) continue;
      if (f.namespace !== undefined && id.namespace !== f.namespace) continue;
      if (f.metricName !== undefined && id.metricName !== f.metricName) continue;
      const ok = (f.dimensions ?? []).every((want) => id.dimensions.some((d) => d.Name === want.Name && (want.Value === undefined || d.Value === want.Value)));
      if (ok) found.set(`${id.namespace}\0${id.metricName}\0${dimensionKey(id.dimensions)}`, id);
    }
    const keys = [...found.keys()].sort();
    const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
    const rest = after === undefined ? keys : keys.filter((k) => k > after);
    const page = rest.slice(0, limit);
    const metrics = page.map((k) => found.get(k)!);
    return rest.length > limit ? { metrics, next: Buffer.from(page[page.length - 1], 'utf8').toString('base64url') } : { metrics };
  }

  /** Retention is the TSDB's own (Prometheus --storage.tsdb.retention.time, VM -retentionPeriod). */
  async expire(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.drain()));
  }
}

