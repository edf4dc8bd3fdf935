// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Which backends a parameterised conformance suite runs on. The CloudWatch suites run on the
 * embedded store and on the Grafana stack's TSDBs (Prometheus, VictoriaMetrics), each started by its
 * own conformance/backends/<name>/up.sh; the Logs suite on the embedded store and on the Loki fake
 * (test/fakes/loki). `MCGW_CONFORMANCE_BACKENDS=embedded,prometheus,…` narrows the list.
 * A backend whose up.sh fails (not installed: run its install.sh) is reported as a skipped test.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { startFakeLoki } from '../../test/fakes/loki/server.js';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export interface SuiteBackend {
  name: string;
  /** Why the backend cannot run here, or false. */
  skip: string | false;
  /** Gateway config overrides selecting the backend (starts in-process fakes, closed at teardown). */
  config(t: Teardownable): Promise<Partial<Config>>;
}

/** Source tree root (this file runs from dist-*\/conformance/backends). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const wanted = (name: string) => {
  const only = process.env.MCGW_CONFORMANCE_BACKENDS;
  return !only || only.split(',').includes(name);
};

/** Runs conformance/backends/<name>/up.sh; its JSON line, or the reason it failed. */
export function upBackend(name: string): { info?: Record<string, string>; error?: string } {
  const script = join(ROOT, 'conformance', 'backends', name, 'up.sh');
  const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { error: `${name}: up.sh failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})` };
  try {
    return { info: JSON.parse(r.stdout.trim().split('\n').pop()!) };
  } catch {
    return { error: `${name}: up.sh printed no JSON line` };
  }
}

function tsdb(name: 'prometheus' | 'victoriametrics'): SuiteBackend {
  const up = upBackend(name);
  return {
    name,
    skip: up.error ?? false,
    config: async () => ({
      cloudwatch: { backend: 'grafana' },
      // force_flush: VictoriaMetrics makes fresh samples searchable within a second; tests read at once
      backends: { grafana: { prometheus: { url: up.info!.url, flavor: up.info!.flavor, forceFlush: name === 'victoriametrics' } } },
    }),
  };
}

export function metricBackends(): SuiteBackend[] {
  const out: SuiteBackend[] = [];
  if (wanted('embedded')) out.push({ name: 'embedded', skip: false, config: async () => ({}) });
  if (wanted('prometheus')) out.push(tsdb('prometheus'));
  if (wanted('victoriametrics')) out.push(tsdb('victoriametrics'));
  return out;
}

export function logBackends(): SuiteBackend[] {
  const out: SuiteBackend[] = [];
  if (wanted('embedded')) out.push({ name: 'embedded', skip: false, config: async () => ({}) });
  if (wanted('loki')) {
    out.push({
      name: 'loki (fake)',
      skip: false,
      config: async (t) => {
        const loki = await startFakeLoki();
        t.teardown(() => loki.close());
        return { logs: { backend: 'grafana' }, backends: { grafana: { loki: { url: loki.url } } } };
      },
    });
  }
  return out;
}
