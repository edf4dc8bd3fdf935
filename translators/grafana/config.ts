// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `backends.grafana` config section, validated with messages naming the key:
 *
 *   backends:
 *     grafana:
 *       prometheus:                      # CloudWatch metrics (cloudwatch.backend: grafana)
 *         url: http://127.0.0.1:9090     # query API base (Prometheus, VictoriaMetrics, Mimir's /prometheus)
 *         flavor: prometheus2            # prometheus2 | prometheus3 | victoriametrics | mimir
 *         remoteWriteUrl: …              # default <url>/api/v1/write (Mimir: …/api/v1/push)
 *         orgId: account                 # X-Scope-OrgID: a fixed tenant, or `account` (one per account)
 *         headers: {Authorization: …}    # sent with every request
 *         batchSamples: 5000             # samples per remote-write request
 *         flushMs: 10                    # longest wait before a partial batch goes out
 *         maxPendingSamples: 200000      # back-pressure: callers wait beyond this…
 *         maxWaitMs: 5000                # …at most this long, then Throttling
 *         maxInFlight: 2                 # remote-write requests outstanding at once (group commit)
 *         retries: 4                     # on network errors, 429 and 5xx
 *         timeoutMs: 10000
 *         percentiles: true              # cw_dist series (percentiles, trimmed statistics)
 *         percentileDigits: 3            # significant digits kept per distinct value
 *         forceFlush: false              # VictoriaMetrics: /internal/force_flush after each write
 *         closedRanges: (by flavor)      # range windows [t-r, t] (Prometheus 2, Mimir 2) vs (t-r, t]
 *         healthCacheMs: 5000            # /_mcgw/health probes the TSDB at most this often
 *       loki:                            # CloudWatch Logs (logs.backend: grafana)
 *         url: http://127.0.0.1:3100
 *         orgId: …                       # X-Scope-OrgID (Loki with auth_enabled)
 *         headers: {…}
 *         timeoutMs: 10000
 *         healthCacheMs: 5000            # /_mcgw/health probes Loki's /ready at most this often
 *       grafana:                         # dashboards, `mcgw grafana provision`
 *         url: http://127.0.0.1:3000
 *         token: …                       # service account token, or user + password
 */
import { ConfigError } from '../../src/config.js';

export const FLAVORS = ['prometheus2', 'prometheus3', 'victoriametrics', 'mimir'] as const;
export type Flavor = (typeof FLAVORS)[number];

export interface PrometheusSettings {
  url: string;
  flavor: Flavor;
  remoteWriteUrl: string;
  orgId?: string;
  headers: Record<string, string>;
  batchSamples: number;
  flushMs: number;
  maxPendingSamples: number;
  maxWaitMs: number;
  maxInFlight: number;
  retries: number;
  timeoutMs: number;
  percentiles: boolean;
  percentileDigits: number;
  forceFlush: boolean;
  closedRanges: boolean;
  healthCacheMs: number;
}

export interface LokiSettings {
  url: string;
  orgId?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  healthCacheMs: number;
}

export interface GrafanaSettings {
  url: string;
  token?: string;
  user?: string;
  password?: string;
}

type Obj = Record<string, unknown>;

function section(root: Obj | undefined, key: string): Obj {
  const v = root?.[key];
  if (v === undefined) throw new ConfigError(`backends.grafana.${key} is missing (needed by the grafana backend)`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`backends.grafana.${key} must be a mapping`);
  return v as Obj;
}

function check(sec: Obj, path: string, known: string[]): void {
  for (const k of Object.keys(sec)) if (!known.includes(k)) throw new ConfigError(`${path}.${k}: unknown key (known: ${known.join(', ')})`);
}

function url(sec: Obj, path: string, key = 'url'): string {
  const v = sec[key];
  if (typeof v !== 'string') throw new ConfigError(`${path}.${key} must be a URL string`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${path}.${key}: '${v}' is not a valid URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${path}.${key}: only http and https URLs are supported`);
  return v.replace(/\/+$/, '');
}

function num(sec: Obj, path: string, key: string, def: number, min: number, max: number): number {
  const v = sec[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${path}.${key} must be an integer in [${min}, ${max}]`);
  return v;
}

function bool(sec: Obj, path: string, key: string, def: boolean): boolean {
  const v = sec[key] ?? def;
  if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key} must be true or false`);
  return v;
}

function str(sec: Obj, path: string, key: string): string | undefined {
  const v = sec[key];
  if (v !== undefined && (typeof v !== 'string' || v === '')) throw new ConfigError(`${path}.${key} must be a non-empty string`);
  return v as string | undefined;
}

function headers(sec: Obj, path: string): Record<string, string> {
  const h = sec.headers ?? {};
  if (typeof h !== 'object' || h === null || Array.isArray(h) || Object.values(h).some((v) => typeof v !== 'string')) {
    throw new ConfigError(`${path}.headers must be a mapping of header names to strings`);
  }
  return h as Record<string, string>;
}

export function prometheusSettings(root: Obj | undefined): PrometheusSettings {
  const p = 'backends.grafana.prometheus';
  const s = section(root, 'prometheus');
  check(s, p, ['url', 'flavor', 'remoteWriteUrl', 'orgId', 'headers', 'batchSamples', 'flushMs', 'maxPendingSamples', 'maxWaitMs', 'maxInFlight', 'retries', 'timeoutMs', 'percentiles', 'percentileDigits', 'forceFlush', 'closedRanges', 'healthCacheMs']);
  const base = url(s, p);
  const flavor = (s.flavor ?? 'prometheus2') as Flavor;
  if (!FLAVORS.includes(flavor)) throw new ConfigError(`${p}.flavor must be one of ${FLAVORS.join(', ')}`);
  return {
    url: base,
    flavor,
    remoteWriteUrl: s.remoteWriteUrl === undefined ? `${base}/api/v1/write` : url(s, p, 'remoteWriteUrl'),
    orgId: str(s, p, 'orgId'),
    headers: headers(s, p),
    batchSamples: num(s, p, 'batchSamples', 5000, 1, 1_000_000),
    flushMs: num(s, p, 'flushMs', 10, 0, 60_000),
    maxPendingSamples: num(s, p, 'maxPendingSamples', 200_000, 1, 100_000_000),
    maxWaitMs: num(s, p, 'maxWaitMs', 5000, 0, 600_000),
    maxInFlight: num(s, p, 'maxInFlight', 2, 1, 64),
    retries: num(s, p, 'retries', 4, 0, 20),
    timeoutMs: num(s, p, 'timeoutMs', 10_000, 100, 600_000),
    percentiles: bool(s, p, 'percentiles', true),
    percentileDigits: num(s, p, 'percentileDigits', 3, 1, 17),
    forceFlush: bool(s, p, 'forceFlush', false),
    closedRanges: bool(s, p, 'closedRanges', flavor === 'prometheus2' || flavor === 'mimir'),
    healthCacheMs: num(s, p, 'healthCacheMs', 5000, 0, 600_000),
  };
}

export function lokiSettings(root: Obj | undefined): LokiSettings {
  const p = 'backends.grafana.loki';
  const s = section(root, 'loki');
  check(s, p, ['url', 'orgId', 'headers', 'timeoutMs', 'healthCacheMs']);
  return {
    url: url(s, p),
    orgId: str(s, p, 'orgId'),
    headers: headers(s, p),
    timeoutMs: num(s, p, 'timeoutMs', 10_000, 100, 600_000),
    healthCacheMs: num(s, p, 'healthCacheMs', 5000, 0, 600_000),
  };
}

export function grafanaSettings(root: Obj | undefined): GrafanaSettings {
  const p = 'backends.grafana.grafana';
  const s = section(root, 'grafana');
  check(s, p, ['url', 'token', 'user', 'password']);
  const g: GrafanaSettings = { url: url(s, p), token: str(s, p, 'token'), user: str(s, p, 'user'), password: str(s, p, 'password') };
  if ((g.user === undefined) !== (g.password === undefined)) throw new ConfigError(`${p}: user and password go together`);
  return g;
}
