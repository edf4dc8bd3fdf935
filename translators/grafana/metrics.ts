// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch metrics on a Prometheus-compatible TSDB (Prometheus, Mimir, VictoriaMetrics).
 * Writes: every PutMetricData call is pre-aggregated per (metric, unit, second) into four series
 * cw_sum/cw_count/cw_min/cw_max (labels.ts) plus, for percentiles, cw_dist{sid,unit,value=…}: the
 * count of each distinct value rounded to `percentileDigits` significant digits (series.ts builds
 * them; values read back are clamped to the exact Minimum and Maximum). Samples sit at
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
import { STAT_NAMES, identityLabels, metricFromLabels, selector, seriesId } from './labels.js';
import { PromApi } from './prom-api.js';
import type { EncodedSeries } from './remote-write.js';
import { SeriesEncoder } from './series.js';
import { ReadyProbe, tsdbReadyUrl, type StoreState } from './health.js';
import { AwsError } from '../../src/errors.js';
import { RemoteWriteError, RemoteWriter } from './writer.js';

/** Most points per range query (Prometheus refuses more than 11,000). */
const MAX_STEPS = 10_000;
const LIST_LOOKBACK_MS = 455 * 86_400_000;

type Matcher = [string, '=' | '!=' | '=~', string];
/** One statistic of a range query: [field, function, series name, grouping labels, matchers]. */
type Part = [string, string, string, string, Matcher[]];

export class PrometheusMetricStore implements MetricBackend {
  readonly name = 'grafana';
  private readonly api: PromApi;
  private readonly writers = new Map<string, RemoteWriter>();
  readonly encoder: SeriesEncoder;
  private readonly ready: ReadyProbe;

  constructor(private readonly s: PrometheusSettings) {
    // VictoriaMetrics rounds query_range start/end to the step for its cache unless nocache=1: bucket
    // boundaries must stay exact
    this.encoder = new SeriesEncoder(s.percentiles, s.percentileDigits);
    this.ready = new ReadyProbe(s.flavor === 'victoriametrics' ? 'victoriametrics' : s.flavor === 'mimir' ? 'mimir' : 'prometheus', tsdbReadyUrl(s.url, s.flavor), s.headers, s.healthCacheMs);
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
        maxInFlight: s.maxInFlight,
        retries: s.retries,
        timeoutMs: s.timeoutMs,
        afterWrite: s.forceFlush ? async () => void (await fetch(flushUrl, { headers }).then((r) => r.arrayBuffer())) : undefined,
      });
      this.writers.set(org, w);
    }
    return w;
  }

  /** The remote-write series for one call (exported for tests). */
  seriesFor(tenant: Tenant, pts: MetricPoint[]): EncodedSeries[] {
    return this.encoder.seriesFor(tenant, pts);
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
  private async rangeQuery(tenant: Tenant, parts: Part[], from: number, steps: number, lenMs: number) {
    const win = this.s.closedRanges ? lenMs - 1 : lenMs;
    const q = parts
      .map(([field, fn, stat, by, m]) => {
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
    const parts: Part[] = [
      ['sampleCount', 'sum_over_time', STAT_NAMES.count, 'unit', m],
      ['sum', 'sum_over_time', STAT_NAMES.sum, 'unit', m],
      ['min', 'min_over_time', STAT_NAMES.min, 'unit', m],
      ['max', 'max_over_time', STAT_NAMES.max, 'unit', m],
    ];
    if (wantDist) {
      const dm: Matcher[] = [['sid', '=', seriesId(tenant, q.metric)]];
      if (q.unit !== undefined) dm.push(['unit', '=', q.unit]);
      parts.push(['dist', 'sum_over_time', STAT_NAMES.dist, 'unit,value', dm]);
    }
    const results = await Promise.all(windows.map(async (w) => ({ w, res: await this.rangeQuery(tenant, parts, w.from, w.steps, w.len) })));
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
      if (complete && dist.length > 1) {
        // the lowest value kept holds the exact Minimum, the highest the exact Maximum: they stand
        // for those buckets (p0 and p100 exact; every value within [Minimum, Maximum])
        dist.sort((x, y) => x[0] - y[0]);
        dist[0][0] = b.min;
        dist[dist.length - 1][0] = b.max;
      } else if (complete) dist[0][0] = Math.min(Math.max(dist[0][0], b.min), b.max);
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

  /**
   * The TSDB's readiness (cached probe); degraded when it answers but the last remote write failed
   * for good after the last one that went through (e.g. a Prometheus without the remote-write
   * receiver, or a write path behind another URL that is down).
   */
  async health(): Promise<StoreState> {
    const r = await this.ready.check();
    let queued = 0;
    for (const w of this.writers.values()) {
      queued += w.queued;
      if (r.state === 'ok' && w.lastFailure && w.lastFailure.at > w.lastOkAt) return { state: 'degraded', detail: `${r.detail}; last remote write failed: ${w.lastFailure.message}` };
    }
    return queued > 0 ? { ...r, detail: `${r.detail}; ${queued} samples queued for remote write` } : r;
  }

  /** Retention is the TSDB's own (Prometheus --storage.tsdb.retention.time, VM -retentionPeriod). */
  async expire(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.drain()));
  }
}

