// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * How CloudWatch metric identities become Prometheus labels, reversibly. CloudWatch names
 * (`AWS/EC2`, `Auto Scaling Group`) are not PromQL identifiers, so they live in label values:
 *   __name__     cw_sum | cw_count | cw_min | cw_max | cw_dist   (one per statistic; cw_dist carries `value`)
 *   account      12-digit account id (the tenant)     region   the CloudWatch region
 *   namespace    CloudWatch namespace                 metric_name  CloudWatch metric name
 *   unit         StandardUnit                         ndims    number of dimensions (exact-set matching)
 *   dim_<name>   one per dimension; the name is escaped: [A-Za-z0-9] kept, `_` → `__`, every other
 *                UTF-8 byte → `_HH` (upper-case hex), so `Auto Scaling Group` → `dim_Auto_20Scaling_20Group`.
 * cw_dist (the distribution, see series.ts) carries only `sid`, `unit` and `value`: `sid` is a digest
 * of the tenant and the metric identity (seriesId). A series with fewer labels costs the TSDB less
 * to create and to append to (a posting per label), and cw_dist is the series that comes and goes.
 */
import { createHash } from 'node:crypto';
import { dimensionKey, type Dimension, type MetricId, type Tenant } from '../../apis/cloudwatch/backend.js';

export const STAT_NAMES = { sum: 'cw_sum', count: 'cw_count', min: 'cw_min', max: 'cw_max', dist: 'cw_dist' } as const;

export function escapeDimName(name: string): string {
  let out = 'dim_';
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9]/.test(c)) out += c;
    else if (c === '_') out += '__';
    else out += '_' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The dimension name of a `dim_…` label, or undefined for other labels. */
export function unescapeDimName(label: string): string | undefined {
  if (!label.startsWith('dim_')) return undefined;
  const bytes: number[] = [];
  for (let i = 4; i < label.length; i++) {
    const c = label[i];
    if (c !== '_') bytes.push(c.charCodeAt(0));
    else if (label[i + 1] === '_') (bytes.push(0x5f), i++);
    else {
      const h = label.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Labels naming one metric of one tenant (no __name__, no unit). */
export function identityLabels(t: Tenant, m: MetricId): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['account', t.accountId],
    ['region', t.region],
    ['namespace', m.namespace],
    ['metric_name', m.metricName],
    ['ndims', String(m.dimensions.length)],
  ];
  for (const d of m.dimensions) out.push([escapeDimName(d.Name), d.Value]);
  return out;
}

/**
 * The `sid` label of a metric's cw_dist series: 128 bits of SHA-256 over account, region,
 * namespace, metric name and dimensions (base64url, 22 characters). Readers compute it from the
 * same identity, so no lookup is needed; the account is part of it, so tenants never share one.
 */
export function seriesId(t: Tenant, m: MetricId): string {
  const h = createHash('sha256');
  h.update(`${t.accountId}\0${t.region}\0${m.namespace}\0${m.metricName}\0${dimensionKey(m.dimensions)}`);
  return h.digest('base64url').slice(0, 22);
}

/** The metric identity a series' labels describe, or undefined when they are not ours. */
export function metricFromLabels(l: Record<string, string>): MetricId | undefined {
  if (l.namespace === undefined || l.metric_name === undefined) return undefined;
  const dimensions: Dimension[] = [];
  for (const [k, v] of Object.entries(l)) {
    const name = unescapeDimName(k);
    if (name !== undefined) dimensions.push({ Name: name, Value: v });
  }
  dimensions.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return { namespace: l.namespace, metricName: l.metric_name, dimensions };
}

/** A PromQL string literal (double-quoted, Go escapes). */
export function promString(s: string): string {
  return JSON.stringify(s);
}

/** A PromQL selector body `{a="x",b!=""}` from matchers. */
export function selector(name: string, matchers: Array<[string, '=' | '!=' | '=~', string]>): string {
  return `${name}{${matchers.map(([k, op, v]) => `${k}${op}${promString(v)}`).join(',')}}`;
}

/** A regular expression (RE2) matching `s` literally. */
export function reQuote(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
