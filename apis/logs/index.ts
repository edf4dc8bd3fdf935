// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch Logs (signing name `logs`, model logs-2014-03-28, awsJson 1.1). Group and stream
 * metadata live in the gateway state store; events in the LogsBackend chosen by `logs.backend`
 * (embedded: LMDB under <dataDir>/logs; grafana: Loki, translators/grafana/logs.ts). A sweeper applies retention policies every 10 minutes of
 * gateway time (gw.clock): events older than the group's retentionInDays are deleted.
 */
import type { ServiceDefinition, ServiceFactory } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import { EmbeddedLogStore } from '../../translators/embedded/logs/store.js';
import { lokiSettings } from '../../translators/grafana/config.js';
import { LokiLogStore } from '../../translators/grafana/logs.js';
import type { LogsBackend } from './backend.js';
import { eventHandlers } from './events.js';
import { groupHandlers } from './groups.js';
import { GROUPS, type GroupRecord } from './model.js';
import { metricFilterHandlers } from './metric-filters.js';
import { queryHandlers } from './queries.js';
import { streamHandlers } from './streams.js';

const SWEEP_MS = 600_000;

export interface LogsService {
  def: ServiceDefinition;
  backend: LogsBackend;
  /** Applies retention policies now; returns the number of events removed. */
  sweep(): Promise<number>;
}

function createBackend(gw: Gateway): LogsBackend {
  const kind = gw.config.logs.backend;
  if (kind === 'embedded') return new EmbeddedLogStore(gw.config.dataDir);
  if (kind === 'grafana') return new LokiLogStore(lokiSettings(gw.config.backends.grafana));
  throw new Error(`logs backend '${kind}' is not available in this build`);
}

export async function createLogs(gw: Gateway, opts: { backend?: LogsBackend; sweeper?: boolean } = {}): Promise<LogsService> {
  const backend = opts.backend ?? createBackend(gw);
  let sweeping: Promise<number> | undefined;
  const sweepOnce = async () => {
    const now = gw.clock.now();
    let removed = 0;
    for (const [key, g] of await gw.state.table<GroupRecord>(GROUPS).range()) {
      if (g.retentionInDays === undefined) continue;
      const [accountId, region] = key.split('/');
      removed += await backend.expire({ accountId, region }, g.logGroupName, now - g.retentionInDays * 86_400_000);
    }
    return removed;
  };
  const sweep = () => (sweeping ??= sweepOnce().finally(() => (sweeping = undefined)));
  let timer: NodeJS.Timeout | undefined;
  if (opts.sweeper !== false) {
    let last = gw.clock.now();
    timer = setInterval(() => {
      if (gw.clock.now() - last < SWEEP_MS) return;
      last = gw.clock.now();
      sweep().catch((e) => gw.log.warn('logs: retention sweep failed', { err: e }));
    }, 30_000);
    timer.unref();
  }
  const def: ServiceDefinition = {
    name: 'logs',
    model: 'logs-2014-03-28',
    operations: {
      ...groupHandlers(backend),
      ...streamHandlers(backend),
      ...eventHandlers(backend),
      ...queryHandlers(backend),
      ...metricFilterHandlers(),
    },
    health: async () => ({ backend: backend.name, ...((await backend.health?.()) ?? { state: 'ok' }) }),
    close: async () => {
      if (timer) clearInterval(timer);
      await sweeping;
      await backend.close();
    },
  };
  return { def, backend, sweep };
}

export const createService: ServiceFactory = async (gw) => (await createLogs(gw)).def;
