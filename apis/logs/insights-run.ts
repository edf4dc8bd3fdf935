// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Runs a parsed Logs Insights query over log events. Each event is a record with @timestamp,
 * @message, @logStream, @log, @ingestionTime, @ptr and the fields discovered in JSON messages
 * (nested keys joined with '.'). Values come back as strings, timestamps as
 * "YYYY-MM-DD HH:MM:SS.mmm" like Logs Insights prints them.
 */
import type { StoredLogEvent } from './backend.js';
import { QuerySyntaxError, type Aggregate, type Command, type Expr } from './insights-parse.js';
import { LinearRegex, escapeRegex } from '../../src/util/regex.js';

export type LogRecord = Record<string, unknown>;

export interface QueryOutput {
  rows: Array<Array<{ field: string; value: string }>>;
  matched: number;
}

const DURATION: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function flatten(v: unknown, prefix: string, out: LogRecord): void {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = v;
}

export function recordOf(e: StoredLogEvent, log: string): LogRecord {
  const r: LogRecord = {
    '@timestamp': e.timestamp,
    '@message': e.message,
    '@logStream': e.stream,
    '@log': log,
    '@ingestionTime': e.ingestionTime,
    '@ptr': Buffer.from(`${log}/${e.id}`).toString('base64url'),
  };
  const m = e.message.trimStart();
  if (m.startsWith('{')) {
    try {
      flatten(JSON.parse(m), '', r);
    } catch {
      /* not JSON: only the @ fields */
    }
  }
  return r;
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
};

function duration(e: Expr): number {
  const s = e.k === 'field' ? e.name : e.k === 'lit' ? String(e.v) : '';
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(s);
  if (!m) throw new QuerySyntaxError(`bin() needs a duration like 5m, got ${s}`);
  return Number(m[1]) * DURATION[m[2]];
}

export function evalExpr(e: Expr, r: LogRecord): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'field':
      return r[e.name];
    case 'regex':
      return e.re;
    case 'list':
      return e.items.map((i) => evalExpr(i, r));
    case 'un': {
      const a = evalExpr(e.a, r);
      return e.op === 'not' ? !truthy(a) : -(num(a) ?? NaN);
    }
    case 'bin': {
      if (e.op === 'and') return truthy(evalExpr(e.a, r)) && truthy(evalExpr(e.b, r));
      if (e.op === 'or') return truthy(evalExpr(e.a, r)) || truthy(evalExpr(e.b, r));
      const a = evalExpr(e.a, r);
      const b = evalExpr(e.b, r);
      switch (e.op) {
        case 'like':
          if (a === undefined || a === null) return false;
          return b instanceof LinearRegex ? b.test(String(a)) : String(a).includes(String(b));
        case 'in':
          return Array.isArray(b) && b.some((x) => equal(a, x));
        case '=':
          return equal(a, b);
        case '!=':
          return a !== undefined && !equal(a, b);
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const x = num(a);
          const y = num(b);
          if (x === undefined || y === undefined) return false;
          return e.op === '<' ? x < y : e.op === '<=' ? x <= y : e.op === '>' ? x > y : x >= y;
        }
        default: {
          const x = num(a);
          const y = num(b);
          if (x === undefined || y === undefined) return undefined;
          return e.op === '+' ? x + y : e.op === '-' ? x - y : e.op === '*' ? x * y : x / y;
        }
      }
    }
    case 'call':
      return callFn(e, r);
  }
}

function callFn(e: Extract<Expr, { k: 'call' }>, r: LogRecord): unknown {
  const args = () => e.args.map((a) => evalExpr(a, r));
  switch (e.fn) {
    case 'ispresent':
      return evalExpr(e.args[0], r) !== undefined;
    case 'isempty': {
      const v = evalExpr(e.args[0], r);
      return v === undefined || v === null || v === '';
    }
    case 'bin': {
      const d = duration(e.args[0]);
      return Math.floor(Number(r['@timestamp']) / d) * d;
    }
    case 'strlen':
      return String(args()[0] ?? '').length;
    case 'tolower':
      return String(args()[0] ?? '').toLowerCase();
    case 'toupper':
      return String(args()[0] ?? '').toUpperCase();
    case 'concat':
      return args().map((x) => String(x ?? '')).join('');
    case 'abs':
    case 'floor':
    case 'ceil': {
      const x = num(args()[0]);
      return x === undefined ? undefined : Math[e.fn](x);
    }
    default:
      throw new QuerySyntaxError(`unknown function ${e.fn}`);
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return false;
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return x === y;
  return String(a) === String(b);
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

function aggregate(a: Aggregate, rows: LogRecord[]): unknown {
  const star = a.args[0]?.k === 'lit' && a.args[0].v === '*';
  const vals = star ? rows.map(() => 1) : rows.map((r) => (a.args[0] ? evalExpr(a.args[0], r) : undefined)).filter((v) => v !== undefined && v !== null);
  const nums = () => vals.map(num).filter((v): v is number => v !== undefined);
  switch (a.fn) {
    case 'count':
      return vals.length;
    case 'count_distinct':
      return new Set(vals.map(String)).size;
    case 'sum':
      return nums().reduce((s, x) => s + x, 0);
    case 'avg': {
      const n = nums();
      return n.length ? n.reduce((s, x) => s + x, 0) / n.length : undefined;
    }
    case 'min':
    case 'max': {
      const n = nums();
      return n.length ? Math[a.fn](...n) : undefined;
    }
    case 'stddev': {
      const n = nums();
      if (!n.length) return undefined;
      const m = n.reduce((s, x) => s + x, 0) / n.length;
      return Math.sqrt(n.reduce((s, x) => s + (x - m) ** 2, 0) / n.length);
    }
    case 'pct': {
      const n = nums().sort((x, y) => x - y);
      const p = num(a.args[1] ? evalExpr(a.args[1], {}) : undefined);
      if (!n.length || p === undefined) return undefined;
      return n[Math.min(n.length - 1, Math.max(0, Math.ceil((p / 100) * n.length) - 1))];
    }
    case 'earliest':
    case 'latest': {
      const sorted = rows.filter((r) => a.args[0] && evalExpr(a.args[0], r) !== undefined).sort((x, y) => Number(x['@timestamp']) - Number(y['@timestamp']));
      const pick = a.fn === 'earliest' ? sorted[0] : sorted[sorted.length - 1];
      return pick && a.args[0] ? evalExpr(a.args[0], pick) : undefined;
    }
    default:
      throw new QuerySyntaxError(`unknown aggregation function ${a.fn}`);
  }
}

function show(v: unknown, field: string): string {
  if ((field === '@timestamp' || field === '@ingestionTime' || field.startsWith('bin(')) && typeof v === 'number') return formatTime(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Applies the commands in order; `defaultLimit` caps the rows when the query has no limit. */
export function runQuery(commands: Command[], records: LogRecord[], defaultLimit: number): QueryOutput {
  let rows = records;
  let visible: string[] | undefined;
  let aggregated = false;
  let limit = defaultLimit;
  let matched = records.length;
  for (const c of commands) {
    switch (c.k) {
      case 'fields':
        for (const r of rows) for (const it of c.items) if (it.expr.k !== 'field' || it.name !== it.expr.name) r[it.name] = evalExpr(it.expr, r);
        visible = c.display || !visible ? c.items.map((i) => i.name) : [...visible, ...c.items.map((i) => i.name)];
        break;
      case 'filter':
        rows = rows.filter((r) => truthy(evalExpr(c.expr, r)));
        if (!aggregated) matched = rows.length;
        break;
      case 'parse':
        const re = c.regex ?? new LinearRegex(c.glob!.split('*').map(escapeRegex).join('([^]*?)') + (c.glob!.endsWith('*') ? '$' : ''));
        for (const r of rows) {
          const src = r[c.field];
          if (typeof src !== 'string') continue;
          const m = re.exec(src);
          if (!m) continue;
          c.names.forEach((n, i) => (r[n] = c.regex ? m.groups[n] : m.captures[i + 1]));
        }
        break;
      case 'stats': {
        const groups = new Map<string, { key: unknown[]; rows: LogRecord[] }>();
        for (const r of rows) {
          const key = c.by.map((b) => evalExpr(b.expr, r));
          const k = JSON.stringify(key);
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { key, rows: [] }));
          g.rows.push(r);
        }
        if (c.by.length === 0 && groups.size === 0) groups.set('[]', { key: [], rows: [] });
        rows = [...groups.values()].map((g) => {
          const out: LogRecord = {};
          c.by.forEach((b, i) => (out[b.name] = g.key[i]));
          for (const a of c.aggs) out[a.name] = aggregate(a, g.rows);
          return out;
        });
        rows.sort((x, y) => compare(c.by.map((b) => x[b.name]), c.by.map((b) => y[b.name])));
        visible = [...c.by.map((b) => b.name), ...c.aggs.map((a) => a.name)];
        aggregated = true;
        break;
      }
      case 'sort':
        rows = [...rows].sort((x, y) => {
          for (const k of c.keys) {
            const d = compare([x[k.name]], [y[k.name]]);
            if (d) return k.desc ? -d : d;
          }
          return 0;
        });
        break;
      case 'limit':
        limit = Math.min(c.n, defaultLimit);
        rows = rows.slice(0, c.n);
        break;
    }
  }
  const cols = visible ?? ['@timestamp', '@message'];
  return {
    matched,
    rows: rows.slice(0, limit).map((r) => {
      const out = cols.filter((f) => r[f] !== undefined && r[f] !== null).map((f) => ({ field: f, value: show(r[f], f) }));
      if (!aggregated && r['@ptr'] !== undefined) out.push({ field: '@ptr', value: String(r['@ptr']) });
      return out;
    }),
  };
}

function compare(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const nx = num(x);
    const ny = num(y);
    if (nx !== undefined && ny !== undefined) return nx - ny;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
