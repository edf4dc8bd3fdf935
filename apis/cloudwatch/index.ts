// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch (signing name `monitoring`, model monitoring-2010-08-01): metrics on a MetricBackend
 * chosen by `cloudwatch.backend` (embedded: LMDB under <dataDir>/cloudwatch; grafana: a Prometheus-compatible
 * TSDB, translators/grafana). The handlers are
 * protocol-agnostic: query, json 1.0 and rpc-v2-cbor all reach the same functions.
 */
import type { ServiceDefinition, ServiceFactory } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import { EmbeddedMetricStore } from '../../translators/embedded/cloudwatch/store.js';
import { grafanaSettings, prometheusSettings } from '../../translators/grafana/config.js';
import { GrafanaDashboardMirror } from '../../translators/grafana/dashboard-mirror.js';
import { PrometheusMetricStore } from '../../translators/grafana/metrics.js';
import type { MetricBackend } from './backend.js';
import { metricHandlers } from './metrics.js';
import { metricDataHandlers } from './metric-data.js';
import { ActionDispatcher } from './actions.js';
import { AlarmEngine } from './alarm-engine.js';
import { describeHandlers } from './alarm-describe.js';
import { alarmHandlers } from './alarms.js';
import { tagHandlers } from './tags.js';
import { dashboardHandlers } from './dashboards.js';
import { attachPublisher } from './publish.js';

export interface CloudWatchService {
  def: ServiceDefinition;
  backend: MetricBackend;
  alarms: AlarmEngine;
}

export interface CloudWatchOptions {
  backend?: MetricBackend;
  actions?: ActionDispatcher;
  /** Start the evaluation timer (default true; handler tests drive alarms.tick() themselves). */
  scheduler?: boolean;
}

function createBackend(gw: Gateway): MetricBackend {
  const kind = gw.config.cloudwatch.backend;
  if (kind === 'embedded') return new EmbeddedMetricStore(gw.config.dataDir);
  if (kind === 'grafana') return new PrometheusMetricStore(prometheusSettings(gw.config.backends.grafana));
  throw new Error(`cloudwatch backend '${kind}' is not available in this build`);
}

/** With the grafana backend and a backends.grafana.grafana section, dashboards also go to Grafana. */
function dashboardMirror(gw: Gateway) {
  const g = gw.config.backends.grafana;
  return gw.config.cloudwatch.backend === 'grafana' && g?.grafana !== undefined ? new GrafanaDashboardMirror(grafanaSettings(g), prometheusSettings(g).closedRanges) : undefined;
}

/** The service plus its parts, for tests that drive the alarm scheduler or the store directly. */
export async function createCloudWatch(gw: Gateway, opts: CloudWatchOptions = {}): Promise<CloudWatchService> {
  const backend = opts.backend ?? createBackend(gw);
  const alarms = new AlarmEngine(gw, backend, opts.actions ?? new ActionDispatcher(gw));
  // retention: data older than 455 days goes, checked every hour of gateway time
  let expiring: Promise<number> | undefined;
  let lastExpiry = gw.clock.now();
  const retention =
    opts.scheduler === false
      ? undefined
      : setInterval(() => {
          if (expiring || gw.clock.now() - lastExpiry < 3_600_000) return;
          lastExpiry = gw.clock.now();
          expiring = backend
            .expire(lastExpiry)
            .catch((e) => (gw.log.warn('cloudwatch: metric expiry failed', { err: e }), 0))
            .finally(() => (expiring = undefined));
        }, 60_000);
  retention?.unref();
  if (opts.scheduler !== false) alarms.start();
  attachPublisher(gw, backend);
  const def: ServiceDefinition = {
    name: 'monitoring',
    model: 'monitoring-2010-08-01',
    operations: {
      ...metricHandlers(backend),
      ...metricDataHandlers(backend),
      ...alarmHandlers(alarms),
      ...describeHandlers(),
      ...tagHandlers(),
      ...dashboardHandlers(dashboardMirror(gw)),
    },
    health: async () => ({ backend: backend.name, ...((await backend.health?.()) ?? { state: 'ok' }) }),
    close: async () => {
      if (retention) clearInterval(retention);
      await expiring;
      await alarms.stop();
      await backend.close();
    },
  };
  return { def, backend, alarms };
}

export const createService: ServiceFactory = async (gw) => (await createCloudWatch(gw)).def;
