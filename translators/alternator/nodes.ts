// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The Alternator nodes and how requests are spread over them. Alternator has no load balancer of
 * its own (scylladb docs/alternator/compatibility.md, "Load balancing"): every node serves the
 * whole API, and `GET /localnodes` on any node lists the live nodes of its data centre (addresses
 * only; they share the seed's port and scheme). The pool:
 *  - starts from the configured seeds and refreshes the list from /localnodes every
 *    `discoverySeconds`;
 *  - hands out live nodes round-robin;
 *  - takes a node out when a request to it fails at the connection level or answers 5xx, and
 *    health-checks it (`GET /`, which Alternator answers 200 "healthy: …") every `healthSeconds`
 *    until it answers again.
 */
import { Pool } from 'undici';
import type { AlternatorConfig } from './config.js';

export interface AlternatorNode {
  /** Origin, e.g. http://127.0.0.2:8000 */
  origin: string;
  host: string;
  pool: Pool;
  live: boolean;
  /** Consecutive failures. */
  failures: number;
}

export interface NodeLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export class NodePool {
  private nodes = new Map<string, AlternatorNode>();
  private rr = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly scheme: string;
  private readonly port: string;
  private closed = false;

  constructor(
    private readonly cfg: AlternatorConfig,
    private readonly log: NodeLog,
  ) {
    const seed = cfg.endpoints[0]!;
    this.scheme = seed.protocol;
    this.port = seed.port || (seed.protocol === 'https:' ? '443' : '80');
    for (const u of cfg.endpoints) this.add(u.origin);
  }

  /** Starts discovery and health checks. The first discovery is awaited (failure tolerated). */
  async start(): Promise<void> {
    await this.discover();
    if (this.cfg.discoverySeconds > 0) this.timers.push(setInterval(() => void this.discover(), this.cfg.discoverySeconds * 1000).unref());
    this.timers.push(setInterval(() => void this.healthCheck(), this.cfg.healthSeconds * 1000).unref());
  }

  list(): AlternatorNode[] {
    return [...this.nodes.values()];
  }

  /**
   * Nodes to try, in order: the live ones starting at the round-robin position, then (as a last
   * resort, when none is live) the others.
   */
  candidates(): AlternatorNode[] {
    const all = [...this.nodes.values()];
    const live = all.filter((n) => n.live);
    if (!live.length) return all;
    const start = this.rr++ % live.length;
    if (this.rr > 1e9) this.rr = 0;
    return [...live.slice(start), ...live.slice(0, start)];
  }

  markDown(n: AlternatorNode, why: string): void {
    n.failures++;
    if (n.live) this.log.warn('alternator node taken out', { node: n.origin, why });
    n.live = false;
  }

  markUp(n: AlternatorNode): void {
    n.failures = 0;
    n.live = true;
  }

  private add(origin: string): AlternatorNode {
    let n = this.nodes.get(origin);
    if (!n) {
      const u = new URL(origin);
      n = { origin, host: u.host, pool: new Pool(origin, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: this.cfg.timeoutMs, bodyTimeout: this.cfg.timeoutMs }), live: true, failures: 0 };
      this.nodes.set(origin, n);
    }
    return n;
  }

  private originOf(addr: string): string {
    const host = addr.includes(':') && !addr.startsWith('[') ? `[${addr}]` : addr;
    return `${this.scheme}//${host}:${this.port}`;
  }

  /** Asks a live node for /localnodes; adds new nodes, drops the ones no longer listed (seeds stay). */
  async discover(): Promise<void> {
    if (this.closed) return;
    for (const n of this.candidates()) {
      try {
        const r = await n.pool.request({ method: 'GET', path: '/localnodes', headersTimeout: this.cfg.timeoutMs, bodyTimeout: this.cfg.timeoutMs });
        const text = await r.body.text();
        if (r.statusCode !== 200) continue;
        const addrs = JSON.parse(text) as unknown;
        if (!Array.isArray(addrs) || !addrs.every((a) => typeof a === 'string')) continue;
        const listed = new Set(addrs.map((a) => this.originOf(a)));
        for (const o of listed) this.add(o);
        const seeds = new Set(this.cfg.endpoints.map((u) => u.origin));
        for (const [o, node] of this.nodes) {
          if (!listed.has(o) && !seeds.has(o)) {
            this.nodes.delete(o);
            void node.pool.close().catch(() => undefined);
          }
        }
        return;
      } catch (e) {
        this.markDown(n, `localnodes: ${(e as Error).message}`);
      }
    }
  }

  /** GET / on every node taken out; a 200 puts it back. */
  async healthCheck(): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      [...this.nodes.values()]
        .filter((n) => !n.live)
        .map(async (n) => {
          try {
            const r = await n.pool.request({ method: 'GET', path: '/', headersTimeout: this.cfg.timeoutMs, bodyTimeout: this.cfg.timeoutMs });
            await r.body.dump();
            if (r.statusCode === 200) this.markUp(n);
          } catch {
            n.failures++;
          }
        }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all([...this.nodes.values()].map((n) => n.pool.close().catch(() => undefined)));
  }
}
