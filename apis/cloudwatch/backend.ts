// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What apis/cloudwatch needs from a metric store. The embedded LMDB store
 * (translators/embedded/cloudwatch) implements it today; a Prometheus/VictoriaMetrics store can
 * implement the same calls later: writes are per-timestamp distributions (values with counts, or a
 * statistic set) and reads are aggregations per period over a time range, never raw point dumps.
 *
 * Every call is scoped by a Tenant (account id + region): a store must never mix tenants.
 * Times are epoch milliseconds; periods are seconds, as in the CloudWatch API.
 */

/** Whose metrics: CloudWatch data belongs to one account in one region. */
export interface Tenant {
  accountId: string;
  region: string;
}

export interface Dimension {
  Name: string;
  Value: string;
}

/** A metric identity. Dimensions are sorted by Name (CloudWatch treats them as a set). */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
}

/** One PutMetricData entry after validation: a distribution observed at one timestamp. */
export interface MetricPoint {
  metric: MetricId;
  timestamp: number;
  /** A StandardUnit; 'None' when the caller gave none. */
  unit: string;
  storageResolution: 1 | 60;
  /** Raw values with their counts (Value → one value with count 1). */
  values?: number[];
  counts?: number[];
  /** A pre-aggregated statistic set. */
  stats?: { sampleCount: number; sum: number; min: number; max: number };
}

export interface AggregateQuery {
  metric: MetricId;
  /** First bucket starts here (already aligned by the caller); buckets are [start + k*period, +period). */
  start: number;
  /** Exclusive end of the range. */
  end: number;
  period: number;
  /** Only points published with this unit; all units (aggregated per unit) when absent. */
  unit?: string;
  /** Without `unit`: one bucket per period across all units instead of one per unit. */
  mergeUnits?: boolean;
  /** Percentiles to compute, as numbers in [0, 100] (p99.9 → 99.9). */
  percentiles?: number[];
  /** Trimmed statistics to compute (TM, WM, TC, TS, PR), keyed by their name in the request. */
  trimmed?: TrimmedStat[];
}

/**
 * A trimmed statistic over the values between two bounds: TM (trimmed mean), WM (winsorized mean:
 * values outside clamped to the bounds), TC (count), TS (sum), PR (percentage of values within).
 * Bounds are percentiles when `percent`, else absolute values.
 */
export interface TrimmedStat {
  name: string;
  kind: 'TM' | 'WM' | 'TC' | 'TS' | 'PR';
  lo?: number;
  hi?: number;
  percent: boolean;
}

export interface AggregateBucket {
  /** Start of the bucket (epoch ms). */
  timestamp: number;
  unit: string;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  /**
   * Percentile values by the requested number; undefined when the bucket holds statistic sets
   * that cannot give percentiles (CloudWatch needs raw values for them).
   */
  percentiles?: Record<number, number | undefined>;
  /** Trimmed statistics by name; undefined when the raw values are not available. */
  trimmed?: Record<string, number | undefined>;
}

export interface ListMetricsFilter {
  namespace?: string;
  metricName?: string;
  /** Dimensions the metric must have; Value absent = any value. */
  dimensions?: Array<{ Name: string; Value?: string }>;
  /** Only metrics that received data at or after this time (epoch ms). */
  activeSince?: number;
}

export interface ListMetricsPage {
  metrics: MetricId[];
  /** Opaque cursor for the next page. */
  next?: string;
}

export interface MetricBackend {
  readonly name: string;
  /** Stores the points atomically: all or nothing. `receivedAt` is the gateway clock at the call. */
  put(tenant: Tenant, points: MetricPoint[], receivedAt: number): Promise<void>;
  /** Non-empty buckets in ascending time order (one per bucket and unit). */
  aggregate(tenant: Tenant, q: AggregateQuery): Promise<AggregateBucket[]>;
  /** Metrics in a stable order (namespace, name, dimensions), `limit` at a time. */
  list(tenant: Tenant, filter: ListMetricsFilter, cursor: string | undefined, limit: number): Promise<ListMetricsPage>;
  /**
   * Storage upkeep: drops data past CloudWatch's retention (455 days) and, in stores that keep
   * datapoints themselves, rolls old data up to coarser periods. Returns the number of points removed.
   */
  expire(now: number): Promise<number>;
  /** The state of the store behind, for GET /_mcgw/health (absent: always ok). */
  health?(): Promise<{ state: 'ok' | 'degraded' | 'down'; detail?: string }>;
  close(): Promise<void>;
}

/** The canonical string of a metric's dimension set (sorted by name), usable in keys. */
export function dimensionKey(dims: Dimension[]): string {
  return dims.map((d) => `${d.Name}\u0001${d.Value}`).join('\u0002');
}

export function sortDimensions(dims: Dimension[]): Dimension[] {
  return [...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}
