// SPDX-License-Identifier: AGPL-3.0-or-later
/** Starting and stopping a gateway: used by `mcgw serve`, the conformance harness and benches. */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadConfig, type CliOverrides, type Config } from '../config.js';
import { buildGateway, type Clock, type GatewayHandle } from '../gateway.js';
import { createLogger, type Logger } from '../log.js';
import { Metrics } from '../observability/metrics.js';
import { createServices } from '../services.js';
import { IdentityStore } from '../state/identity.js';
import { openStateStore } from '../state/open.js';
import { bootstrapRoot, type RootCredentials } from './bootstrap.js';
import { buildHttpServer } from './http.js';

export interface StartOptions extends CliOverrides {
  /** Extra config merged over the loaded one (tests). */
  overrides?: Partial<Config>;
  clock?: Clock;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface RunningGateway {
  url: string;
  port: number;
  config: Config;
  gateway: GatewayHandle;
  root: RootCredentials;
  /** True when this start created the first account. */
  createdRoot: boolean;
  /** True when this start generated the root key pair (print it once). */
  generatedRoot: boolean;
  /** Stops accepting, drains in-flight requests up to the grace period, closes services and state. */
  close(): Promise<void>;
}

export async function startGateway(opts: StartOptions = {}): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const config = { ...loadConfig(opts, env), ...opts.overrides };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const log = opts.log ?? createLogger();
  const { state, identity: identityOptions } = await openStateStore(config);
  const identity = new IdentityStore(state, identityOptions);
  const gw = buildGateway({ config, state, identity, log, metrics: new Metrics(), clock: opts.clock });
  let boot;
  try {
    boot = await bootstrapRoot(identity, config.dataDir, env);
    for (const [name, def] of await createServices(gw)) gw.services.set(name, def);
  } catch (e) {
    await state.close();
    throw e;
  }
  const app = buildHttpServer(gw);
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    config,
    gateway: gw,
    root: boot.root,
    createdRoot: boot.created,
    generatedRoot: boot.generated,
    close() {
      closing ??= (async () => {
        const grace = setTimeout(() => app.server.closeAllConnections(), config.limits.shutdownGraceMs);
        app.server.closeIdleConnections();
        await app.close();
        clearTimeout(grace);
        for (const def of gw.services.values()) await def.close?.();
        await gw.runCloseHooks();
        await state.close();
      })();
      return closing;
    },
  };
}
