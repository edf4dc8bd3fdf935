// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Handler-level test fixtures: a Gateway on an in-memory (or LMDB temp-dir) state store, a
 * controllable clock, and RequestContexts for a given account. For tests of apis/<service>
 * without HTTP; end-to-end tests with real SDK clients live in conformance/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultConfig, type Config } from '../../src/config.js';
import type { Principal, RequestContext, ServiceDefinition, ServiceFactory, WireRequest } from '../../src/context.js';
import { buildGateway, type Clock, type GatewayHandle } from '../../src/gateway.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/observability/metrics.js';
import { IdentityStore, principalOf } from '../../src/state/identity.js';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { MemoryStateStore } from '../../src/state/memory.js';

export class TestClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.ms;
  }
  advance(ms: number) {
    this.ms += ms;
  }
}

export interface TestGatewayOptions {
  /** Use a real LMDB store in a fresh temp dir instead of memory. */
  lmdb?: boolean;
  clock?: Clock;
  config?: Partial<Config>;
}

export interface TestGateway extends GatewayHandle {
  dataDir: string;
  /** Creates an account with a root key; returns its root principal. */
  account(name?: string): Promise<Principal>;
  /** A RequestContext as the server would build it. */
  context(principal: Principal, service: string, operation: string, http?: Partial<WireRequest>): RequestContext;
  /** Creates a service through its factory and registers it. */
  add(factory: ServiceFactory): Promise<ServiceDefinition>;
  dispose(): Promise<void>;
}

let seq = 0;

export async function testGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-test-'));
  const config: Config = { ...defaultConfig(), dataDir, ...opts.config };
  const state = opts.lmdb ? new LmdbStateStore(dataDir) : new MemoryStateStore();
  const identity = new IdentityStore(state);
  const gw = buildGateway({ config, state, identity, log: silentLogger, metrics: new Metrics(), clock: opts.clock });
  const abort = new AbortController();
  return Object.assign(gw, {
    dataDir,
    async account(name = 'test') {
      const { key } = await identity.createAccount(name);
      return principalOf(key);
    },
    context(principal: Principal, service: string, operation: string, http: Partial<WireRequest> = {}): RequestContext {
      const body = http.body ?? new PassThrough().end();
      return {
        requestId: `test-${++seq}`,
        service,
        operation,
        region: config.region,
        principal,
        accountId: principal.accountId,
        gateway: gw,
        signal: abort.signal,
        http: { method: 'POST', rawUrl: '/', path: '/', query: '', headers: {}, rawHeaders: [], host: 'localhost', remoteAddress: '127.0.0.1', ...http, body },
      };
    },
    async add(factory: ServiceFactory) {
      const def = await factory(gw);
      gw.services.set(def.name, def);
      return def;
    },
    async dispose() {
      abort.abort();
      for (const def of gw.services.values()) await def.close?.();
      await gw.runCloseHooks();
      await state.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
