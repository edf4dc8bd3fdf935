// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Reachability of the grafana backend's stores for GET /_mcgw/health: a readiness probe of the
 * TSDB (Prometheus and VictoriaMetrics `GET /-/ready`, Mimir `GET /ready` at its root) and of Loki
 * (`GET /ready`), at most one probe per `healthCacheMs` whatever the number of health calls
 * (concurrent calls share the probe under way), each bounded by a short timeout, so the health
 * endpoint stays cheap and answers even when a store hangs.
 */
import type { Flavor } from './config.js';

export type StoreState = { state: 'ok' | 'degraded' | 'down'; detail: string };

/** Longest wait for a readiness answer (a store that takes longer is reported down). */
const PROBE_TIMEOUT_MS = 2000;

/** The readiness URL of a TSDB's query API base. */
export function tsdbReadyUrl(url: string, flavor: Flavor): string {
  // Mimir's query API lives under /prometheus; its readiness endpoint at the root
  return flavor === 'mimir' ? `${new URL(url).origin}/ready` : `${url}/-/ready`;
}

/** Why a fetch failed, as specific as Node says (ECONNREFUSED 127.0.0.1:9090, a timeout, …). */
function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${PROBE_TIMEOUT_MS} ms`;
  return err.cause?.message ?? err.cause?.code ?? err.message;
}

export class ReadyProbe {
  private last: { at: number; result: StoreState } | undefined;
  private running: Promise<StoreState> | undefined;

  constructor(
    /** What the store is, for the detail ('prometheus', 'loki', …). */
    private readonly what: string,
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The store's state, probed at most once per cacheMs. */
  async check(): Promise<StoreState> {
    if (this.last && this.now() - this.last.at < this.cacheMs) return this.last.result;
    this.running ??= this.probe().then((result) => {
      this.last = { at: this.now(), result };
      this.running = undefined;
      return result;
    });
    return this.running;
  }

  private async probe(): Promise<StoreState> {
    try {
      const res = await fetch(this.url, { headers: this.headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      const text = (await res.text()).trim().slice(0, 200);
      if (res.ok) return { state: 'ok', detail: `${this.what} ${this.url}: ready` };
      return { state: 'down', detail: `${this.what} ${this.url}: HTTP ${res.status}${text ? ` ${text}` : ''}` };
    } catch (e) {
      return { state: 'down', detail: `${this.what} ${this.url}: ${reason(e)}` };
    }
  }
}
