// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The running gateway's shared parts, handed to every service factory and reachable from a
 * handler as ctx.gateway: configuration, state store, identities, clock, logger, metrics and the
 * other services (S3 publishes CloudWatch metrics, EC2 reads EBS volumes…).
 */
import type { Config } from './config.js';
import type { ServiceDefinition } from './context.js';
import type { Logger } from './log.js';
import type { Metrics } from './observability/metrics.js';
import type { IdentityStore } from './state/identity.js';
import type { StateStore } from './state/store.js';

export interface Clock {
  /** Epoch milliseconds. Tests replace it to drive lifecycles, expiries and alarm evaluation. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Gateway {
  readonly config: Config;
  readonly state: StateStore;
  readonly identity: IdentityStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Services by signing name, once all have been created. */
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  /**
   * Registers work to run on shutdown (timers, background sweepers). Returns the same function
   * so callers can write `gw.onClose(() => clearInterval(t))`.
   */
  onClose(fn: () => void | Promise<void>): void;
}

export interface GatewayParts {
  config: Config;
  state: StateStore;
  identity: IdentityStore;
  log: Logger;
  metrics: Metrics;
  clock?: Clock;
}

/** The Gateway object plus the means to fill its service map and run its close hooks. */
export interface GatewayHandle extends Gateway {
  readonly services: Map<string, ServiceDefinition>;
  runCloseHooks(): Promise<void>;
}

export function buildGateway(parts: GatewayParts): GatewayHandle {
  const hooks: Array<() => void | Promise<void>> = [];
  return {
    config: parts.config,
    state: parts.state,
    identity: parts.identity,
    log: parts.log,
    metrics: parts.metrics,
    clock: parts.clock ?? systemClock,
    services: new Map(),
    onClose(fn) {
      hooks.push(fn);
    },
    async runCloseHooks() {
      for (const fn of hooks.splice(0).reverse()) await fn();
    },
  };
}
