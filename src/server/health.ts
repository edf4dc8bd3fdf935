// SPDX-License-Identifier: AGPL-3.0-or-later
/** GET /_mcgw/health: each service's backend and its state, plus the state store. */
import type { BackendHealth } from '../context.js';
import type { Gateway } from '../gateway.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  region: string;
  uptimeSeconds: number;
  state: { kind: string; state: 'ok' | 'down'; detail?: string };
  services: Record<string, BackendHealth>;
}

const started = Date.now();

export async function healthReport(gw: Gateway): Promise<HealthReport> {
  const services: Record<string, BackendHealth> = {};
  let degraded = false;
  for (const [name, def] of gw.services) {
    let h: BackendHealth;
    try {
      h = def.health ? await def.health() : { backend: 'embedded', state: 'ok' };
    } catch (e) {
      h = { backend: 'unknown', state: 'down', detail: (e as Error).message };
    }
    if (h.state !== 'ok' && h.backend !== 'none') degraded = true;
    services[name] = h;
  }
  let state: HealthReport['state'] = { kind: gw.state.describe().kind, state: 'ok' };
  if (gw.state.health) {
    const h = await gw.state.health().catch((e: Error) => ({ ok: false, detail: e.message }));
    if (!h.ok) {
      // without its state store a gateway cannot even authenticate a request
      state = { ...state, state: 'down', detail: h.detail };
      degraded = true;
    }
  }
  return {
    status: degraded ? 'degraded' : 'ok',
    region: gw.config.region,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    state,
    services,
  };
}
