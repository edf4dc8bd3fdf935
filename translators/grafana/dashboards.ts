// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch dashboard bodies (CloudWatch "Dashboard Body Structure and Syntax") as Grafana
 * dashboards, upserted into one Grafana folder per account (uid `mcgw-<account>`):
 * - metric widgets → time series / stat / gauge / bar chart panels (`view`); Average, Sum,
 *   SampleCount, Minimum and Maximum become PromQL over the cw_* series on the Prometheus data
 *   source (the widget's period as step and range, one millisecond short on closed-window TSDBs); other statistics (percentiles, trimmed)
 *   and math expressions become queries of Grafana's CloudWatch data source pointed at this
 *   gateway (`mcgw grafana provision` creates both), in a mixed panel when needed.
 * - text widgets → text panels (markdown); alarm widgets → text panels listing the alarms;
 *   log widgets → logs panels on the Loki data source (the SOURCE groups as a stream selector).
 * - explorer and custom widgets have no Grafana counterpart here: a text panel says so.
 * Layout: CloudWatch and Grafana both use a 24-column grid; widgets without x/y flow left to right.
 */
import { createHash } from 'node:crypto';
import type { Tenant } from '../../apis/cloudwatch/backend.js';
import { escapeDimName, promString, reQuote } from './labels.js';

export interface DatasourceUids {
  prometheus: string;
  cloudwatch: string;
  loki?: string;
}

export interface ConvertOptions {
  ds: DatasourceUids;
  /** The TSDB's range windows are closed [t-r, t] (Prometheus 2): ranges one millisecond short. */
  closedRanges: boolean;
}

type Obj = Record<string, unknown>;

const PROM_STATS: Record<string, (sel: (n: string) => string, r: string) => string> = {
  Average: (s, r) => `sum(sum_over_time(${s('cw_sum')}[${r}])) / sum(sum_over_time(${s('cw_count')}[${r}]))`,
  Sum: (s, r) => `sum(sum_over_time(${s('cw_sum')}[${r}]))`,
  SampleCount: (s, r) => `sum(sum_over_time(${s('cw_count')}[${r}]))`,
  Minimum: (s, r) => `min(min_over_time(${s('cw_min')}[${r}]))`,
  Maximum: (s, r) => `max(max_over_time(${s('cw_max')}[${r}]))`,
};

const VIEWS: Record<string, string> = { timeSeries: 'timeseries', singleValue: 'stat', gauge: 'gauge', bar: 'barchart', pie: 'piechart', table: 'table' };

export const folderUid = (accountId: string) => `mcgw-${accountId}`;

/** Grafana uids are at most 40 characters: a digest of account and name. */
export function dashboardUid(accountId: string, name: string): string {
  return `cw-${createHash('sha1').update(`${accountId}/${name}`).digest('hex').slice(0, 32)}`;
}

/** Expands the "." and "..." shorthands of a widget's metrics rows. */
export function expandMetricRows(rows: unknown[]): Array<{ fields: string[]; opts: Obj }> {
  const out: Array<{ fields: string[]; opts: Obj }> = [];
  let prev: string[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    const last = row[row.length - 1];
    const opts = last && typeof last === 'object' && !Array.isArray(last) ? (last as Obj) : {};
    const raw = (opts === last ? row.slice(0, -1) : row).map(String);
    let fields: string[];
    if (raw[0] === '...') {
      const rest = raw.slice(1);
      fields = [...prev.slice(0, Math.max(0, prev.length - rest.length)), ...rest];
    } else fields = raw.map((f, i) => (f === '.' ? (prev[i] ?? '') : f));
    if (fields.length > 0) prev = fields;
    out.push({ fields, opts });
  }
  return out;
}

/** ISO-8601 duration of `start` ("-PT3H", "-P7D") as Grafana relative time ("now-3h"). */
export function relativeTime(iso: unknown): string | undefined {
  if (typeof iso !== 'string') return undefined;
  const m = /^-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return undefined;
  const secs = (+(m[1] ?? 0) * 7 + +(m[2] ?? 0)) * 86_400 + +(m[3] ?? 0) * 3600 + +(m[4] ?? 0) * 60 + +(m[5] ?? 0);
  return secs > 0 ? `now-${secs}s` : undefined;
}

function metricPanel(tenant: Tenant, p: Obj, ds: DatasourceUids, closed: boolean): Obj {
  const defStat = typeof p.stat === 'string' ? p.stat : 'Average';
  const defPeriod = typeof p.period === 'number' ? p.period : 300;
  const region = typeof p.region === 'string' ? p.region : tenant.region;
  const targets: Obj[] = [];
  let n = 0;
  for (const { fields, opts } of expandMetricRows(Array.isArray(p.metrics) ? p.metrics : [])) {
    const refId = typeof opts.id === 'string' ? opts.id : `m${++n}`;
    const label = typeof opts.label === 'string' ? opts.label : undefined;
    const hide = opts.visible === false;
    if (typeof opts.expression === 'string') {
      targets.push({ refId, hide, datasource: { type: 'cloudwatch', uid: ds.cloudwatch }, queryMode: 'Metrics', metricEditorMode: 1, metricQueryType: 0, expression: opts.expression, id: refId, label, region, period: String(defPeriod) });
      continue;
    }
    const [namespace, metricName, ...dimFields] = fields;
    if (!namespace || !metricName) continue;
    const dims: Array<[string, string]> = [];
    for (let i = 0; i + 1 < dimFields.length; i += 2) dims.push([dimFields[i], dimFields[i + 1]]);
    const stat = typeof opts.stat === 'string' ? opts.stat : defStat;
    const period = typeof opts.period === 'number' ? opts.period : defPeriod;
    const prom = PROM_STATS[stat];
    const metricRegion = typeof opts.region === 'string' ? opts.region : region;
    if (prom) {
      const matchers = [
        `account=${promString(tenant.accountId)}`,
        `region=${promString(metricRegion)}`,
        `namespace=${promString(namespace)}`,
        `metric_name=${promString(metricName)}`,
        `ndims=${promString(String(dims.length))}`,
        ...dims.map(([k, v]) => `${escapeDimName(k)}=${promString(v)}`),
      ].join(',');
      targets.push({
        refId,
        hide,
        datasource: { type: 'prometheus', uid: ds.prometheus },
        expr: prom((name) => `${name}{${matchers}}`, closed ? `${period * 1000 - 1}ms` : `${period}s`),
        interval: `${period}s`,
        legendFormat: label ?? [metricName, ...dims.map(([, v]) => v)].join(' '),
      });
    } else {
      targets.push({
        refId,
        hide,
        datasource: { type: 'cloudwatch', uid: ds.cloudwatch },
        queryMode: 'Metrics',
        metricQueryType: 0,
        metricEditorMode: 0,
        namespace,
        metricName,
        dimensions: Object.fromEntries(dims),
        matchExact: true,
        statistic: stat,
        period: String(period),
        region: metricRegion,
        id: refId,
        label,
      });
    }
  }
  const types = new Set(targets.map((t) => (t.datasource as Obj).uid));
  const datasource = types.size === 1 ? targets[0].datasource : { type: 'datasource', uid: '-- Mixed --' };
  return { type: VIEWS[String(p.view ?? 'timeSeries')] ?? 'timeseries', datasource, targets, fieldConfig: { defaults: {}, overrides: [] }, options: p.stacked ? { stacking: { mode: 'normal' } } : {} };
}

function textPanel(markdown: string): Obj {
  return { type: 'text', options: { mode: 'markdown', content: markdown } };
}

function logPanel(tenant: Tenant, p: Obj, ds: DatasourceUids): Obj {
  const query = String(p.query ?? '');
  const groups = [...query.matchAll(/SOURCE\s+'([^']+)'/g)].map((m) => m[1]);
  if (!ds.loki || groups.length === 0) return textPanel(`Logs Insights query (run it in CloudWatch Logs):\n\n\`\`\`\n${query}\n\`\`\``);
  const region = typeof p.region === 'string' ? p.region : tenant.region;
  const expr = `{account=${promString(tenant.accountId)},region=${promString(region)},log_group=~${promString(groups.map(reQuote).join('|'))}}`;
  return { type: 'logs', datasource: { type: 'loki', uid: ds.loki }, targets: [{ refId: 'A', datasource: { type: 'loki', uid: ds.loki }, expr }], description: query };
}

/** The Grafana dashboard model of a (validated) CloudWatch dashboard body. */
export function toGrafanaDashboard(tenant: Tenant, name: string, body: string, { ds, closedRanges }: ConvertOptions): Obj {
  const doc = JSON.parse(body) as { widgets: Obj[]; start?: string; end?: string };
  const panels: Obj[] = [];
  let cx = 0;
  let cy = 0;
  let rowH = 0;
  doc.widgets.forEach((w, i) => {
    const p = (w.properties ?? {}) as Obj;
    const width = typeof w.width === 'number' ? w.width : 6;
    const height = typeof w.height === 'number' ? w.height : 6;
    if (typeof w.x !== 'number' && cx + width > 24) {
      cx = 0;
      cy += rowH;
      rowH = 0;
    }
    const x = typeof w.x === 'number' ? w.x : cx;
    const y = typeof w.y === 'number' ? w.y : cy;
    cx = x + width;
    rowH = Math.max(rowH, height);
    let panel: Obj;
    switch (w.type) {
      case 'metric':
        panel = metricPanel(tenant, p, ds, closedRanges);
        break;
      case 'text':
        panel = textPanel(String(p.markdown ?? ''));
        break;
      case 'alarm':
        panel = textPanel(((p.alarms as string[]) ?? []).map((a) => `- ${String(a).split(':alarm:').pop()}`).join('\n'));
        break;
      case 'log':
        panel = logPanel(tenant, p, ds);
        break;
      default:
        panel = textPanel(`This CloudWatch ${String(w.type)} widget has no Grafana counterpart; it is kept in the CloudWatch dashboard body.`);
    }
    panels.push({ id: i + 1, title: typeof p.title === 'string' ? p.title : '', gridPos: { x, y, w: width, h: height }, ...panel });
  });
  return {
    uid: dashboardUid(tenant.accountId, name),
    title: name,
    tags: ['cloudwatch', 'mcgw'],
    timezone: 'browser',
    schemaVersion: 39,
    editable: true,
    time: { from: relativeTime(doc.start) ?? 'now-3h', to: relativeTime(doc.end) ?? 'now' },
    panels,
  };
}
