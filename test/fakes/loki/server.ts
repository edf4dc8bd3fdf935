// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A fake Loki (Grafana Loki has no Debian package), a real HTTP server on a loopback port, built
 * from the vendor's HTTP API documentation (grafana.com/docs/loki/latest/reference/loki-http-api/):
 * - "Ingest logs": POST /loki/api/v1/push, JSON body {streams: [{stream: {labels}, values:
 *   [["<unix ns>", "<line>", {structured metadata}?]]}]} (Content-Type application/json, optionally
 *   gzip); 204 on success. Entries with the same timestamp and line in one stream are kept once.
 *   Entries older than reject_old_samples_max_age (168h, "entry too old") are refused with 400;
 *   the other entries of the request are still written (as Loki does).
 * - "Query logs within a range of time": GET or POST /loki/api/v1/query_range with query, start
 *   (inclusive), end (exclusive), limit (default 100, at most max_entries_limit_per_query = 5000),
 *   direction (backward by default); times as unix ns, unix seconds with decimals, or RFC3339.
 *   Result {status: "success", data: {resultType: "streams", result: [{stream, values}], stats}}.
 *   With `X-Loki-Response-Encoding-Flags: categorize-labels` each value carries its structured
 *   metadata as a third element {structuredMetadata: {…}} (else metadata is merged into the labels).
 * - LogQL subset ("Log queries": stream selector and line filter expressions): `{l="v", l!="v",
 *   l=~"re", l!~"re"}` followed by any of `|= "s"`, `!= "s"`, `|~ "re"`, `!~ "re"`.
 * - "Request log deletion": POST /loki/api/v1/delete?query=<selector>&start=&end= (unix seconds
 *   or RFC3339), 204; applied at once here (Loki filters deleted lines from queries too).
 * - GET /ready. Tenants: X-Scope-OrgID (default "fake", as with auth_enabled: false).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

interface Entry {
  ns: bigint;
  line: string;
  meta?: Record<string, string>;
}

interface Stream {
  labels: Record<string, string>;
  entries: Entry[];
}

type Op = '=' | '!=' | '=~' | '!~';
interface Query {
  matchers: Array<[string, Op, string]>;
  filters: Array<['|=' | '!=' | '|~' | '!~', string]>;
}

export const MAX_ENTRIES = 5000;
const OLD_NS = 168n * 3600n * 1_000_000_000n;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses the LogQL subset; throws HttpError(400) with Loki's "parse error" wording otherwise. */
export function parseLogQL(q: string): Query {
  let i = 0;
  const ws = () => {
    while (i < q.length && /\s/.test(q[i])) i++;
  };
  const fail = (what: string): never => {
    throw new HttpError(400, `parse error at line 1, col ${i + 1}: syntax error: ${what}`);
  };
  const str = (): string => {
    ws();
    const quote = q[i];
    if (quote === '`') {
      const end = q.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw string');
      const s = q.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (quote !== '"') fail(`unexpected ${q[i] ?? 'end of input'}, expecting STRING`);
    let j = i + 1;
    while (j < q.length && q[j] !== '"') j += q[j] === '\\' ? 2 : 1;
    if (j >= q.length) fail('unterminated string');
    const s = JSON.parse(q.slice(i, j + 1)) as string;
    i = j + 1;
    return s;
  };
  ws();
  if (q[i] !== '{') fail(`unexpected ${q[i] ?? 'end of input'}, expecting {`);
  i++;
  const matchers: Query['matchers'] = [];
  for (;;) {
    ws();
    if (q[i] === '}') break;
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(q.slice(i));
    if (!m) fail(`unexpected ${q[i] ?? 'end of input'}, expecting IDENTIFIER`);
    i += m![0].length;
    ws();
    const op = (['=~', '!~', '!=', '='] as Op[]).find((o) => q.startsWith(o, i));
    if (!op) fail(`unexpected ${q[i] ?? 'end of input'}, expecting = or != or =~ or !~`);
    i += op!.length;
    matchers.push([m![0], op!, str()]);
    ws();
    if (q[i] === ',') i++;
    else if (q[i] !== '}') fail(`unexpected ${q[i] ?? 'end of input'}, expecting } or ,`);
  }
  i++;
  if (!matchers.some(([, op, v]) => (op === '=' && v !== '') || (op === '=~' && !new RegExp(`^(?:${v})$`).test('')))) {
    throw new HttpError(400, 'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will');
  }
  const filters: Query['filters'] = [];
  for (;;) {
    ws();
    if (i >= q.length) break;
    const op = (['|=', '!=', '|~', '!~'] as const).find((o) => q.startsWith(o, i));
    if (!op) fail(`unexpected ${q[i]}`);
    i += op!.length;
    filters.push([op!, str()]);
  }
  return { matchers, filters };
}

function labelMatch(labels: Record<string, string>, [k, op, v]: [string, Op, string]): boolean {
  const have = labels[k] ?? '';
  if (op === '=') return have === v;
  if (op === '!=') return have !== v;
  const re = new RegExp(`^(?:${v})$`);
  return op === '=~' ? re.test(have) : !re.test(have);
}

function lineMatch(line: string, [op, v]: ['|=' | '!=' | '|~' | '!~', string]): boolean {
  if (op === '|=') return line.includes(v);
  if (op === '!=') return !line.includes(v);
  const re = new RegExp(v);
  return op === '|~' ? re.test(line) : !re.test(line);
}

/** Loki's time parameters: integer unix ns, unix seconds (with decimals), or RFC3339. */
export function parseTime(v: string | null, def: bigint): bigint {
  if (v === null || v === '') return def;
  if (/^\d+$/.test(v)) return v.length > 12 ? BigInt(v) : BigInt(v) * 1_000_000_000n;
  if (/^\d+\.\d+$/.test(v)) {
    const [s, f] = v.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new HttpError(400, `invalid time: ${v}`);
  return BigInt(ms) * 1_000_000n;
}

export class FakeLoki {
  /** tenant → stream key → stream */
  readonly tenants = new Map<string, Map<string, Stream>>();
  now: () => bigint = () => BigInt(Date.now()) * 1_000_000n;
  /** Requests seen, by path (tests check what the gateway sends). */
  readonly calls: Array<{ path: string; query: string }> = [];

  private streams(tenant: string): Map<string, Stream> {
    let m = this.tenants.get(tenant);
    if (!m) this.tenants.set(tenant, (m = new Map()));
    return m;
  }

  push(tenant: string, body: unknown): string[] {
    const streams = (body as { streams?: unknown }).streams;
    if (!Array.isArray(streams)) throw new HttpError(400, 'loghttp: streams is required');
    const errors: string[] = [];
    const store = this.streams(tenant);
    for (const s of streams as Array<{ stream?: Record<string, string>; values?: unknown[] }>) {
      const labels = s.stream ?? {};
      const names = Object.keys(labels);
      if (names.length === 0) throw new HttpError(400, 'error at least one label pair is required per stream');
      for (const n of names) if (!LABEL_RE.test(n) || typeof labels[n] !== 'string') throw new HttpError(400, `error parsing labels: invalid label name ${JSON.stringify(n)}`);
      const key = JSON.stringify(Object.entries(labels).sort());
      let st = store.get(key);
      if (!st) store.set(key, (st = { labels: { ...labels }, entries: [] }));
      for (const v of s.values ?? []) {
        if (!Array.isArray(v) || typeof v[0] !== 'string' || !/^\d+$/.test(v[0]) || typeof v[1] !== 'string') throw new HttpError(400, 'loghttp: values must be [["<unix ns>", "<line>"]]');
        const ns = BigInt(v[0]);
        if (ns < this.now() - OLD_NS) {
          errors.push(`entry for stream '${labelString(labels)}' has timestamp too old: ${new Date(Number(ns / 1_000_000n)).toISOString()}`);
          continue;
        }
        if (st.entries.some((e) => e.ns === ns && e.line === v[1])) continue;
        const meta = v[2] && typeof v[2] === 'object' ? (v[2] as Record<string, string>) : undefined;
        st.entries.push({ ns, line: v[1], meta });
      }
      st.entries.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
    }
    return errors;
  }

  queryRange(tenant: string, p: URLSearchParams, categorize: boolean): unknown {
    const query = p.get('query');
    if (!query) throw new HttpError(400, 'query parameter is required');
    const q = parseLogQL(query);
    const now = this.now();
    const end = parseTime(p.get('end'), now);
    const start = parseTime(p.get('start'), end - 3600n * 1_000_000_000n);
    if (end < start) throw new HttpError(400, 'the end timestamp must not be before the start time');
    const limit = p.get('limit') === null ? 100 : Number(p.get('limit'));
    if (!Number.isInteger(limit) || limit <= 0) throw new HttpError(400, 'limit must be a positive value');
    if (limit > MAX_ENTRIES) throw new HttpError(400, `max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${MAX_ENTRIES})`);
    const forward = (p.get('direction') ?? 'backward').toLowerCase() === 'forward';
    const hits: Array<{ st: Stream; e: Entry }> = [];
    for (const st of this.streams(tenant).values()) {
      if (!q.matchers.every((m) => labelMatch(st.labels, m))) continue;
      for (const e of st.entries) {
        if (e.ns < start || e.ns >= end) continue;
        if (q.filters.every((f) => lineMatch(e.line, f))) hits.push({ st, e });
      }
    }
    hits.sort((a, b) => (a.e.ns < b.e.ns ? -1 : a.e.ns > b.e.ns ? 1 : 0) * (forward ? 1 : -1));
    const out = new Map<string, { stream: Record<string, string>; values: unknown[] }>();
    for (const { st, e } of hits.slice(0, limit)) {
      const labels = categorize || !e.meta ? st.labels : { ...st.labels, ...e.meta };
      const key = JSON.stringify(Object.entries(labels).sort());
      let r = out.get(key);
      if (!r) out.set(key, (r = { stream: labels, values: [] }));
      r.values.push(categorize && e.meta ? [String(e.ns), e.line, { structuredMetadata: e.meta }] : [String(e.ns), e.line]);
    }
    return { status: 'success', data: { resultType: 'streams', result: [...out.values()], stats: { summary: { totalEntriesReturned: Math.min(hits.length, limit) } } } };
  }

  delete(tenant: string, p: URLSearchParams): void {
    const query = p.get('query');
    if (!query) throw new HttpError(400, 'query parameter is required');
    const q = parseLogQL(query);
    const start = parseTime(p.get('start'), 0n);
    const end = parseTime(p.get('end'), this.now());
    for (const st of this.streams(tenant).values()) {
      if (!q.matchers.every((m) => labelMatch(st.labels, m))) continue;
      st.entries = st.entries.filter((e) => !(e.ns >= start && e.ns <= end && q.filters.every((f) => lineMatch(e.line, f))));
    }
  }
}

function labelString(l: Record<string, string>): string {
  return `{${Object.entries(l).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const b = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(b) : b;
}

export interface RunningFakeLoki {
  url: string;
  loki: FakeLoki;
  close(): Promise<void>;
}

export async function startFakeLoki(port = 0): Promise<RunningFakeLoki> {
  const loki = new FakeLoki();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const tenant = (req.headers['x-scope-orgid'] as string | undefined) ?? 'fake';
    const body = await readBody(req);
    let params = url.searchParams;
    if (req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) params = new URLSearchParams(body.toString('utf8'));
    loki.calls.push({ path: url.pathname, query: params.get('query') ?? '' });
    if (url.pathname === '/ready') return send(res, 200, 'ready\n', 'text/plain');
    if (url.pathname === '/loki/api/v1/push' && req.method === 'POST') {
      if (!/application\/json/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'this fake accepts only JSON push bodies (Content-Type: application/json)');
      let doc: unknown;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch (e) {
        throw new HttpError(400, `loghttp: ${(e as Error).message}`);
      }
      const errors = loki.push(tenant, doc);
      if (errors.length) return send(res, 400, errors.join('\n') + '\n', 'text/plain');
      return send(res, 204, '', 'text/plain');
    }
    if (url.pathname === '/loki/api/v1/query_range' && (req.method === 'GET' || req.method === 'POST')) {
      const categorize = String(req.headers['x-loki-response-encoding-flags'] ?? '').split(',').includes('categorize-labels');
      return send(res, 200, JSON.stringify(loki.queryRange(tenant, params, categorize)), 'application/json');
    }
    if (url.pathname === '/loki/api/v1/delete' && req.method === 'POST') {
      loki.delete(tenant, url.searchParams);
      return send(res, 204, '', 'text/plain');
    }
    throw new HttpError(404, '404 page not found');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      send(res, status, `${(e as Error).message}\n`, 'text/plain');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    loki,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
