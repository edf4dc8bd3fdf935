// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded metric store: one LMDB env under <dataDir>/cloudwatch.
 *   series  "<acct>\0<region>\0<namespace>\0<metric>\0<sha1(dims)>" → SeriesRecord (numeric id, dims, last write)
 *   points  [seriesId, timestampMs, bootId, seq]          → PointRecord: the raw values one call
 *           sent for a series within one clock minute (a chunk, with a timestamp per value), or
 *           one statistic set, or a rolled-up entry
 *   meta    "nextSeriesId"                                  → number
 * Raw entries are kept (values with counts or statistic sets), so every statistic and percentile
 * CloudWatch offers is computed exactly at read time; expire() applies the 455-day retention.
 */
import { createHash, randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
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
} from '../../../apis/cloudwatch/backend.js';
import { aggregateEntries, type PointRecord } from './aggregate.js';
import { TIERS, mergeEntries } from './rollup.js';
import { STANDARD_UNITS } from '../../../apis/cloudwatch/validate.js';

interface SeriesRecord {
  id: number;
  ns: string;
  name: string;
  dims: Array<{ Name: string; Value: string }>;
  /** Gateway time of the last write (ListMetrics RecentlyActive, two-week listing window). */
  last: number;
  /** Newest datapoint timestamp, for expiry. */
  maxTs: number;
}

type PointKey = [number, number, number, number];

const RETENTION_MS = 455 * 86_400_000;
const FLUSH_MS = 1000;
/** Raw values of one series are stored together per clock minute of one call. */
const CHUNK_MS = 60_000;
const UNITS = [...STANDARD_UNITS];
/** Rolled entries are keyed [series, bucket, 0, period, unit index]. */
const unitIndex = (u: string) => Math.max(0, UNITS.indexOf(u));

export class EmbeddedMetricStore implements MetricBackend {
  readonly name = 'embedded';
  private readonly root: RootDatabase;
  private readonly series: Database<SeriesRecord, Buffer>;
  private readonly points: Database<PointRecord, PointKey>;
  private readonly meta: Database<number, string>;
  private readonly boot = randomInt(1, 2 ** 47);
  private seq = 0;
  private readonly flusher: NodeJS.Timeout;

  constructor(dataDir: string) {
    const path = join(dataDir, 'cloudwatch');
    mkdirSync(path, { recursive: true, mode: 0o700 });
    // Like other time-series stores, the metric store flushes to disk once a second rather than
    // once per write: commits stay atomic and ordered, and an operating-system crash can lose at
    // most the last second of datapoints (a process crash loses nothing).
    this.root = open({ path, maxDbs: 8, mapSize: 2 ** 36, compression: false, noSync: true });
    this.flusher = setInterval(() => this.flush(), FLUSH_MS);
    this.flusher.unref();
    // binary keys: exact byte order for prefix scans (series keys hold \0 separators)
    this.series = this.root.openDB({ name: 'series', encoding: 'msgpack', keyEncoding: 'binary' });
    this.points = this.root.openDB({ name: 'points', encoding: 'msgpack' });
    this.meta = this.root.openDB({ name: 'meta', encoding: 'msgpack' });
  }

  private static seriesKey(t: Tenant, m: MetricId): Buffer {
    const h = createHash('sha1').update(dimensionKey(m.dimensions)).digest('hex');
    return Buffer.from(`${t.accountId}\0${t.region}\0${m.namespace}\0${m.metricName}\0${h}`);
  }

  async put(tenant: Tenant, pts: MetricPoint[], receivedAt: number): Promise<void> {
    // one write transaction: all entries or none
    // series keys (a SHA-1 of the dimensions) once per distinct metric of the call
    const keyOf = new Map<string, Buffer>();
    const seriesKeys = pts.map((p) => {
      const m = p.metric;
      // the same string as `${namespace}\0${metricName}\0${dimensionKey(dimensions)}`, without
      // the arrays dimensionKey allocates
      let local = m.namespace + '\0' + m.metricName + '\0';
      const dims = m.dimensions;
      for (let d = 0; d < dims.length; d++) local += (d ? '\u0002' : '') + dims[d]!.Name + '\u0001' + dims[d]!.Value;
      let k = keyOf.get(local);
      if (!k) keyOf.set(local, (k = EmbeddedMetricStore.seriesKey(tenant, m)));
      return k;
    });
    await this.root.transaction(() => {
      const ids = new Map<Buffer, [Buffer, SeriesRecord]>();
      const chunks = new Map<string, { id: number; min: number; rec: PointRecord }>();
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        const sk = seriesKeys[i];
        const hk = sk;
        let rec = ids.get(hk)?.[1] ?? this.series.get(sk);
        if (!rec) {
          const id = (this.meta.get('nextSeriesId') ?? 1) as number;
          this.meta.put('nextSeriesId', id + 1);
          rec = { id, ns: p.metric.namespace, name: p.metric.metricName, dims: p.metric.dimensions, last: receivedAt, maxTs: p.timestamp };
        }
        rec.last = receivedAt;
        if (p.timestamp > rec.maxTs) rec.maxTs = p.timestamp;
        ids.set(hk, [sk, rec]);
        if (p.stats) {
          const v: PointRecord = { u: p.unit, r: p.storageResolution, s: [p.stats.sampleCount, p.stats.sum, p.stats.min, p.stats.max] };
          this.points.put([rec.id, p.timestamp, this.boot, ++this.seq], v);
          continue;
        }
        // raw values of one series, clock minute, unit and resolution go into one chunk entry
        const ck = `${rec.id}\0${Math.floor(p.timestamp / CHUNK_MS)}\0${p.unit}\0${p.storageResolution}`;
        let chunk = chunks.get(ck);
        if (!chunk) chunks.set(ck, (chunk = { id: rec.id, min: p.timestamp, rec: { u: p.unit, r: p.storageResolution, t: [], v: [] } }));
        if (p.timestamp < chunk.min) chunk.min = p.timestamp;
        const vals = p.values ?? [];
        for (let j = 0; j < vals.length; j++) {
          const c = p.counts ? p.counts[j] : 1;
          if (c !== 1 && !chunk.rec.c) chunk.rec.c = chunk.rec.v!.map(() => 1);
          chunk.rec.t!.push(p.timestamp);
          chunk.rec.v!.push(vals[j]);
          chunk.rec.c?.push(c);
        }
      }
      for (const { id, min, rec } of chunks.values()) {
        // a chunk of one timestamp is stored as a plain entry
        if (rec.t!.every((t) => t === min)) delete rec.t;
        this.points.put([id, min, this.boot, ++this.seq], rec);
      }
      for (const [sk, rec] of ids.values()) this.series.put(sk, rec);
    });
  }

  async aggregate(tenant: Tenant, q: AggregateQuery): Promise<AggregateBucket[]> {
    const rec = this.series.get(EmbeddedMetricStore.seriesKey(tenant, q.metric));
    if (!rec) return [];
    // a chunk is keyed by its first timestamp and spans less than a minute
    const entries = this.points.getRange({ start: [rec.id, q.start - CHUNK_MS + 1] as unknown as PointKey, end: [rec.id, q.end] as unknown as PointKey });
    return aggregateEntries((visit) => {
      for (const { key, value } of entries) visit(key[1], value);
    }, q);
  }

  async list(tenant: Tenant, f: ListMetricsFilter, cursor: string | undefined, limit: number): Promise<ListMetricsPage> {
    let prefix = `${tenant.accountId}\0${tenant.region}\0`;
    if (f.namespace !== undefined) {
      prefix += `${f.namespace}\0`;
      if (f.metricName !== undefined) prefix += `${f.metricName}\0`;
    }
    // every key under the prefix sorts below this: the prefix ends in \0, the lowest character
    const end = prefix.slice(0, -1) + '\u0001';
    const start = cursor !== undefined && cursor >= prefix ? cursor : prefix;
    const metrics: MetricId[] = [];
    let last: string | undefined;
    for (const { key: raw, value } of this.series.getRange({ start: Buffer.from(start), end: Buffer.from(end) })) {
      const key = raw.toString('utf8');
      if (cursor !== undefined && key === cursor) continue;
      if (!matches(value, f)) continue;
      if (metrics.length === limit) return { metrics, next: last };
      metrics.push({ namespace: value.ns, metricName: value.name, dimensions: value.dims });
      last = key;
    }
    return { metrics };
  }

  async expire(now: number): Promise<number> {
    const cutoff = now - RETENTION_MS;
    let removed = 0;
    for (const { key, value } of this.series.getRange({})) {
      const keys = [...this.points.getKeys({ start: [value.id, 0] as unknown as PointKey, end: [value.id, cutoff] as unknown as PointKey })];
      if (keys.length === 0 && value.maxTs >= cutoff) continue;
      await this.root.transaction(() => {
        for (const k of keys) this.points.remove(k);
        if (value.maxTs < cutoff) this.series.remove(key);
      });
      removed += keys.length;
    }
    await this.rollup(now);
    return removed;
  }

  /** Rolls old entries up to coarser periods (see rollup.ts); returns the number of entries merged. */
  async rollup(now: number): Promise<number> {
    let merged = 0;
    for (const { value: series } of this.series.getRange({})) {
      for (const tier of TIERS) {
        const cutoff = Math.floor((now - tier.age) / tier.period) * tier.period;
        const groups = new Map<string, { bucket: number; unit: string; keys: number[][]; entries: PointRecord[]; rolled: boolean }>();
        for (const { key, value } of this.points.getRange({ start: [series.id, 0] as unknown as PointKey, end: [series.id, cutoff] as unknown as PointKey })) {
          const k = key as unknown as number[];
          if (tier.below !== undefined && value.r >= tier.below) continue;
          const bucket = Math.floor(k[1] / tier.period) * tier.period;
          const g = `${bucket}\0${value.u}`;
          let grp = groups.get(g);
          if (!grp) groups.set(g, (grp = { bucket, unit: value.u, keys: [], entries: [], rolled: true }));
          grp.keys.push(k);
          grp.entries.push(value);
          // already one rolled entry of this period or coarser: nothing to do
          if (!(k[2] === 0 && k[3] >= tier.period)) grp.rolled = false;
        }
        const todo = [...groups.values()].filter((g) => !(g.rolled && g.entries.length === 1));
        if (todo.length === 0) continue;
        await this.root.transaction(() => {
          for (const g of todo) {
            for (const k of g.keys) this.points.remove(k as unknown as PointKey);
            const res: 1 | 60 = tier.below !== undefined ? 60 : g.entries[0].r;
            this.points.put([series.id, g.bucket, 0, tier.period, unitIndex(g.unit)] as unknown as PointKey, mergeEntries(g.entries, res));
            merged += g.entries.length;
          }
        });
      }
    }
    return merged;
  }

  private flush(): Promise<void> {
    // lmdb's env sync (mdb_env_sync): writes the committed pages to disk
    const env = this.root as unknown as { sync(cb: (err?: Error) => void): void };
    return new Promise((resolve) => env.sync(() => resolve()));
  }

  async close(): Promise<void> {
    clearInterval(this.flusher);
    await this.flush();
    await this.root.close();
  }
}

function matches(s: SeriesRecord, f: ListMetricsFilter): boolean {
  if (f.namespace !== undefined && s.ns !== f.namespace) return false;
  if (f.metricName !== undefined && s.name !== f.metricName) return false;
  const since = f.activeSince;
  if (since !== undefined && s.last < since) return false;
  for (const want of f.dimensions ?? []) {
    const have = s.dims.find((d) => d.Name === want.Name);
    if (!have || (want.Value !== undefined && have.Value !== want.Value)) return false;
  }
  return true;
}
