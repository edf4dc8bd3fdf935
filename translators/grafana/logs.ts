// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch Logs events on Loki (HTTP API: push, query_range, delete).
 * - One Loki stream per CloudWatch log stream, labelled {account, region, log_group, log_stream}.
 * - Entry timestamp (ns) = event timestamp (ms) × 10⁶ + an arrival counter (0 … 999,999): events
 *   with the same millisecond stay distinct and in arrival order (Loki keeps one copy of identical
 *   timestamp + line); the ingestion time rides as structured metadata `ingestion_time`, read back
 *   with `X-Loki-Response-Encoding-Flags: categorize-labels`.
 * - Positions (56 digits): the entry's ns (20) + a hash of the stream name (16) + 20 zeros, so they
 *   order like Loki's own time order.
 * - Reads page through query_range (at most 5000 entries per request, Loki's default
 *   max_entries_limit_per_query); filter patterns run in the gateway on the fetched lines.
 * - Deletes and retention go through Loki's delete API (compactor with deletion enabled); see
 *   docs/grafana.md for Loki's own retention settings.
 */
import { createHash } from 'node:crypto';
import type { GroupScan, GroupScanResult, LogsBackend, NewLogEvent, StoredLogEvent, StreamRead, Tenant } from '../../apis/logs/backend.js';
import type { LokiSettings } from './config.js';
import { promString, reQuote } from './labels.js';
import { ReadyProbe, type StoreState } from './health.js';

const PAGE = 5000;
/** Most entries one scanGroup call examines before answering with a continuation. */
const SCAN_BUDGET = 50_000;
const MS = 1_000_000n;

interface LokiValue {
  ns: bigint;
  line: string;
  stream: string;
  ingestion?: number;
}

export function streamHash(stream: string): string {
  return String(parseInt(createHash('sha1').update(stream).digest('hex').slice(0, 12), 16)).padStart(16, '0');
}

function position(ns: bigint, stream: string): string {
  return ns.toString().padStart(20, '0') + streamHash(stream) + '0'.repeat(20);
}

function positionNs(p: string): bigint | undefined {
  return /^\d{56}$/.test(p) ? BigInt(p.slice(0, 20)) : undefined;
}

export class LokiLogStore implements LogsBackend {
  readonly name = 'grafana';
  private counter = BigInt(Math.floor(Math.random() * 1_000_000));
  /** Last retention cut-off sent per group (delete requests at most daily). */
  private readonly expired = new Map<string, number>();

  private readonly ready: ReadyProbe;

  constructor(private readonly s: LokiSettings) {
    this.ready = new ReadyProbe('loki', `${s.url}/ready`, this.headers(), s.healthCacheMs);
  }

  /** Loki's readiness (GET /ready, cached probe). */
  health(): Promise<StoreState> {
    return this.ready.check();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.s.headers, ...(this.s.orgId ? { 'x-scope-orgid': this.s.orgId } : {}), ...extra };
  }

  private async request(path: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.s.url}${path}`, { ...init, headers: this.headers(init.headers), signal: AbortSignal.timeout(this.s.timeoutMs) });
    } catch (e) {
      throw new Error(`loki ${path}: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`loki ${path}: HTTP ${res.status}: ${text.trim().slice(0, 300)}`);
    return text;
  }

  private selector(t: Tenant, group: string, stream?: string, extra = ''): string {
    const m = [`account=${promString(t.accountId)}`, `region=${promString(t.region)}`, `log_group=${promString(group)}`];
    if (stream !== undefined) m.push(`log_stream=${promString(stream)}`);
    if (extra) m.push(extra);
    return `{${m.join(',')}}`;
  }

  async append(t: Tenant, group: string, stream: string, events: NewLogEvent[], ingestionTime: number): Promise<string[]> {
    const meta = { ingestion_time: String(ingestionTime) };
    const values = events.map((e) => {
      this.counter = (this.counter + 1n) % MS;
      return [(BigInt(e.timestamp) * MS + this.counter).toString(), e.message, meta] as const;
    });
    const body = JSON.stringify({ streams: [{ stream: { account: t.accountId, region: t.region, log_group: group, log_stream: stream }, values }] });
    await this.request('/loki/api/v1/push', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    return values.map((v) => position(BigInt(v[0]), stream));
  }

  /** One query_range page: entries in [start, end) ns, ordered by time in `direction`. */
  private async page(query: string, start: bigint, end: bigint, forward: boolean, limit: number): Promise<LokiValue[]> {
    const p = new URLSearchParams({ query, start: start.toString(), end: end.toString(), limit: String(limit), direction: forward ? 'forward' : 'backward' });
    const text = await this.request('/loki/api/v1/query_range', {
      method: 'POST',
      body: p.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-loki-response-encoding-flags': 'categorize-labels' },
    });
    const doc = JSON.parse(text) as { data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string, { structuredMetadata?: Record<string, string> }?]> }> } };
    const out: LokiValue[] = [];
    for (const r of doc.data.result) {
      for (const [ns, line, extra] of r.values) {
        const sm = extra?.structuredMetadata ?? r.stream;
        out.push({ ns: BigInt(ns), line, stream: r.stream.log_stream, ingestion: sm.ingestion_time !== undefined ? Number(sm.ingestion_time) : undefined });
      }
    }
    out.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0) * (forward ? 1 : -1));
    return out;
  }

  private toEvent(v: LokiValue): StoredLogEvent {
    const timestamp = Number(v.ns / MS);
    return { stream: v.stream, timestamp, message: v.line, ingestionTime: v.ingestion ?? timestamp, id: position(v.ns, v.stream) };
  }

  async readStream(t: Tenant, group: string, stream: string, q: StreamRead): Promise<StoredLogEvent[]> {
    if (q.limit <= 0) return [];
    let start = q.start !== undefined ? BigInt(q.start) * MS : 0n;
    let end = q.end !== undefined ? BigInt(q.end) * MS : BigInt(Date.now() + 86_400_000) * MS;
    const after = q.after !== undefined ? positionNs(q.after) : undefined;
    const before = q.before !== undefined ? positionNs(q.before) : undefined;
    const forward = after !== undefined || (q.fromHead && before === undefined);
    if (after !== undefined && after + 1n > start) start = after + 1n;
    if (!forward && before !== undefined && before < end) end = before;
    const query = this.selector(t, group, stream);
    const out: LokiValue[] = [];
    while (out.length < q.limit && start < end) {
      const want = Math.min(PAGE, q.limit - out.length);
      const got = await this.page(query, start, end, forward, want);
      out.push(...got);
      if (got.length < want) break;
      if (forward) start = got[got.length - 1].ns + 1n;
      else end = got[got.length - 1].ns;
    }
    if (!forward) out.reverse();
    return out.map((v) => this.toEvent(v));
  }

  async scanGroup(t: Tenant, group: string, q: GroupScan): Promise<GroupScanResult> {
    let extra = '';
    if (q.streams) extra = `log_stream=~${promString([...q.streams].map(reQuote).join('|'))}`;
    else if (q.streamPrefix !== undefined) extra = `log_stream=~${promString(`${reQuote(q.streamPrefix)}.*`)}`;
    if (q.streams && q.streams.size === 0) return { events: [] };
    const query = this.selector(t, group, undefined, extra);
    const afterNs = q.after !== undefined ? positionNs(q.after) : undefined;
    let start = q.start !== undefined ? BigInt(q.start) * MS : 0n;
    // ties on the same ns (two gateways) are told apart by position: re-read that ns
    if (afterNs !== undefined && afterNs > start) start = afterNs;
    const end = q.end !== undefined ? BigInt(q.end) * MS : BigInt(Date.now() + 86_400_000) * MS;
    const events: StoredLogEvent[] = [];
    let examined = 0;
    while (start < end) {
      const got = await this.page(query, start, end, true, PAGE);
      for (const v of got) {
        const e = this.toEvent(v);
        if (q.after !== undefined && e.id <= q.after) continue;
        examined++;
        if (q.streams && !q.streams.has(e.stream)) continue;
        if (q.streamPrefix !== undefined && !e.stream.startsWith(q.streamPrefix)) continue;
        if (q.match && !q.match(e.message)) continue;
        if (events.length >= q.limit) return { events, next: events[events.length - 1].id };
        events.push(e);
      }
      if (got.length < PAGE) break;
      if (examined >= SCAN_BUDGET) {
        const last = got[got.length - 1];
        return { events, next: events.length ? events[events.length - 1].id : position(last.ns, last.stream) };
      }
      start = got[got.length - 1].ns + 1n;
    }
    return { events };
  }

  private async deleteRequest(query: string, endMs: number): Promise<void> {
    const p = new URLSearchParams({ query, start: '0', end: (endMs / 1000).toFixed(3) });
    await this.request(`/loki/api/v1/delete?${p}`, { method: 'POST' });
  }

  async deleteStream(t: Tenant, group: string, stream: string): Promise<void> {
    await this.deleteRequest(this.selector(t, group, stream), Date.now() + 86_400_000);
  }

  async deleteGroup(t: Tenant, group: string): Promise<void> {
    await this.deleteRequest(this.selector(t, group), Date.now() + 86_400_000);
    this.expired.delete(`${t.accountId}/${t.region}/${group}`);
  }

  /** A delete request up to `before`, at most one per group and day; Loki does not say how many it removes. */
  async expire(t: Tenant, group: string, before: number): Promise<number> {
    const key = `${t.accountId}/${t.region}/${group}`;
    const last = this.expired.get(key);
    if (last !== undefined && before - last < 86_400_000) return 0;
    await this.deleteRequest(this.selector(t, group), before - 1);
    this.expired.set(key, before);
    return 0;
  }

  async close(): Promise<void> {}
}
