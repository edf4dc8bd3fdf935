// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * `mcgw grafana provision`: Grafana data sources for this gateway — Grafana's CloudWatch data
 * source with the gateway as custom endpoint (jsonData.endpoint; it sends CloudWatch, Logs, EC2 and
 * tagging calls there), the Prometheus data source the metrics live in, Loki when configured —
 * and a dashboard of the gateway's own /_mcgw/metrics (Prometheus scrapes it: see scrapeConfig).
 * Either written as Grafana provisioning files (grafana.com/docs/grafana/latest/administration/
 * provisioning/: datasources/*.yaml, dashboards/*.yaml providers + JSON) or pushed through the HTTP API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { GrafanaSettings, LokiSettings, PrometheusSettings } from './config.js';
import { DATASOURCE_UIDS } from './dashboard-mirror.js';
import { GrafanaApi } from './grafana-api.js';

export interface ProvisionInput {
  gatewayUrl: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  prometheus?: PrometheusSettings;
  loki?: LokiSettings;
}

type Obj = Record<string, unknown>;

function tenantHeader(orgId: string | undefined): { jsonData: Obj; secureJsonData: Obj } {
  // Grafana's custom HTTP headers: jsonData.httpHeaderName1 + secureJsonData.httpHeaderValue1
  return orgId && orgId !== 'account' ? { jsonData: { httpHeaderName1: 'X-Scope-OrgID' }, secureJsonData: { httpHeaderValue1: orgId } } : { jsonData: {}, secureJsonData: {} };
}

export function datasources(i: ProvisionInput): Array<Obj & { uid: string }> {
  const out: Array<Obj & { uid: string }> = [
    {
      uid: DATASOURCE_UIDS.cloudwatch,
      name: 'mcgw CloudWatch',
      type: 'cloudwatch',
      access: 'proxy',
      jsonData: { authType: 'keys', defaultRegion: i.region, endpoint: i.gatewayUrl },
      secureJsonData: { accessKey: i.accessKeyId, secretKey: i.secretAccessKey },
    },
  ];
  if (i.prometheus) {
    const h = tenantHeader(i.prometheus.orgId);
    out.push({
      uid: DATASOURCE_UIDS.prometheus,
      name: 'mcgw Prometheus',
      type: 'prometheus',
      access: 'proxy',
      url: i.prometheus.url,
      isDefault: true,
      jsonData: { httpMethod: 'POST', timeInterval: '60s', ...h.jsonData },
      secureJsonData: h.secureJsonData,
    });
  }
  if (i.loki) {
    const h = tenantHeader(i.loki.orgId);
    out.push({ uid: DATASOURCE_UIDS.loki, name: 'mcgw Loki', type: 'loki', access: 'proxy', url: i.loki.url, jsonData: { maxLines: 1000, ...h.jsonData }, secureJsonData: h.secureJsonData });
  }
  return out;
}

/** The dashboard of the gateway's own metrics (job="mcgw" in the scrape config below). */
export function gatewayDashboard(): Obj {
  const ds = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };
  const panel = (id: number, title: string, x: number, y: number, expr: string, legend: string, unit: string, type = 'timeseries'): Obj => ({
    id,
    title,
    type,
    datasource: ds,
    gridPos: { x, y, w: 12, h: 8 },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: 'A', datasource: ds, expr, legendFormat: legend }],
  });
  return {
    uid: 'mcgw-gateway',
    title: 'mcgw gateway',
    tags: ['mcgw'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    panels: [
      panel(1, 'Requests by service', 0, 0, 'sum by (service) (rate(mcgw_requests_total{job="mcgw"}[$__rate_interval]))', '{{service}}', 'reqps'),
      panel(2, 'Errors (4xx, 5xx) by service', 12, 0, 'sum by (service, status) (rate(mcgw_requests_total{job="mcgw",status=~"[45].."}[$__rate_interval]))', '{{service}} {{status}}', 'reqps'),
      panel(3, 'Latency p99 by service', 0, 8, 'histogram_quantile(0.99, sum by (le, service) (rate(mcgw_request_duration_seconds_bucket{job="mcgw"}[$__rate_interval])))', '{{service}}', 's'),
      panel(4, 'Backend errors', 12, 8, 'sum by (service, backend, kind) (rate(mcgw_backend_errors_total{job="mcgw"}[$__rate_interval]))', '{{service}} {{backend}} {{kind}}', 'reqps'),
      panel(5, 'Resident memory', 0, 16, 'mcgw_process_resident_memory_bytes{job="mcgw"}', '{{instance}}', 'bytes'),
      panel(6, 'Uptime', 12, 16, 'mcgw_uptime_seconds{job="mcgw"}', '{{instance}}', 's', 'stat'),
    ],
  };
}

/** The Prometheus scrape job the gateway dashboard expects. */
export function scrapeConfig(gatewayUrl: string): string {
  const u = new URL(gatewayUrl);
  return stringify({ scrape_configs: [{ job_name: 'mcgw', scheme: u.protocol.replace(':', ''), metrics_path: '/_mcgw/metrics', static_configs: [{ targets: [u.host] }] }] });
}

/** Writes provisioning files under `dir`; returns the paths written. */
export function writeProvisioning(dir: string, i: ProvisionInput): string[] {
  const root = resolve(dir);
  mkdirSync(join(root, 'datasources'), { recursive: true });
  mkdirSync(join(root, 'dashboards', 'mcgw'), { recursive: true });
  const files: Array<[string, string]> = [
    [join(root, 'datasources', 'mcgw.yaml'), stringify({ apiVersion: 1, datasources: datasources(i).map(({ isDefault, ...d }) => ({ ...d, isDefault: isDefault === true, editable: true })) })],
    [join(root, 'dashboards', 'mcgw.yaml'), stringify({ apiVersion: 1, providers: [{ name: 'mcgw', folder: 'mcgw', folderUid: 'mcgw', type: 'file', options: { path: join(root, 'dashboards', 'mcgw') } }] })],
    [join(root, 'dashboards', 'mcgw', 'mcgw-gateway.json'), JSON.stringify(gatewayDashboard(), null, 2)],
    [join(root, 'prometheus-scrape-mcgw.yaml'), scrapeConfig(i.gatewayUrl)],
  ];
  for (const [path, text] of files) writeFileSync(path, text, { mode: 0o600 });
  return files.map((f) => f[0]);
}

/** Pushes the data sources and the gateway dashboard through Grafana's HTTP API. */
export async function pushProvisioning(g: GrafanaSettings, i: ProvisionInput): Promise<string[]> {
  const api = new GrafanaApi(g);
  const done: string[] = [];
  for (const ds of datasources(i)) done.push(`data source ${String(ds.name)} (${ds.uid}): ${await api.upsertDatasource(ds)}`);
  if (i.prometheus) {
    await api.ensureFolder('mcgw', 'mcgw');
    const r = await api.upsertDashboard(gatewayDashboard(), 'mcgw', 'mcgw grafana provision');
    done.push(`dashboard mcgw gateway: ${g.url}${r.url}`);
  }
  return done;
}
