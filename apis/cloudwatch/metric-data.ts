// SPDX-License-Identifier: AGPL-3.0-or-later
/** GetMetricData: MetricStat queries and metric math, ScanBy, MaxDatapoints and NextToken paging. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { MetricBackend } from './backend.js';
import { invalidNextToken, invalidValue } from './errors.js';
import type { Val } from './math-eval.js';
import { checkQueries, resultSeries, runQueries, type MetricDataQuery } from './queries.js';
import { required, toMs } from './validate.js';

const DEFAULT_MAX_DATAPOINTS = 100_800;

interface Token {
  /** Datapoints already returned. */
  o: number;
  /** Request fingerprint: a token only continues the same request. */
  f: string;
  /** The gateway time of the first page: later pages align their buckets the same way. */
  n: number;
}

/** Results of recent paged requests, so later pages do not recompute them (per gateway). */
const pages = new Map<string, { values: Map<string, Val>; expires: number }>();
const PAGE_CACHE_MS = 60_000;
const PAGE_CACHE_MAX = 16;

function cached(key: string, now: number): Map<string, Val> | undefined {
  const hit = pages.get(key);
  if (hit && hit.expires > now) return hit.values;
  pages.delete(key);
  return undefined;
}

function remember(key: string, values: Map<string, Val>, now: number): void {
  if (pages.size >= PAGE_CACHE_MAX) pages.delete(pages.keys().next().value!);
  pages.set(key, { values, expires: now + PAGE_CACHE_MS });
}

function fingerprint(input: unknown): string {
  const { NextToken: _n, ...rest } = input as Record<string, unknown>;
  return String(hash(JSON.stringify(rest)));
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function metricDataHandlers(backend: MetricBackend): Record<string, Handler> {
  return {
    async GetMetricData(ctx: RequestContext, input: {
      MetricDataQueries?: MetricDataQuery[]; StartTime?: Date; EndTime?: Date; NextToken?: string;
      ScanBy?: string; MaxDatapoints?: number; LabelOptions?: { Timezone?: string };
    }) {
      const queries = checkQueries(input.MetricDataQueries, 'MetricDataQueries', ctx.accountId);
      const start = toMs(required(input.StartTime, 'StartTime'), 'StartTime');
      const end = toMs(required(input.EndTime, 'EndTime'), 'EndTime');
      if (start >= end) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
      const scanBy = input.ScanBy ?? 'TimestampDescending';
      if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
        throw invalidValue(`The value ${scanBy} for parameter ScanBy is invalid.`);
      }
      const max = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
      if (!Number.isInteger(max) || max < 1) throw invalidValue(`The value ${max} for parameter MaxDatapoints is invalid.`);
      if (input.LabelOptions?.Timezone !== undefined && !/^[+-]\d{4}$/.test(input.LabelOptions.Timezone)) {
        throw invalidValue(`The value ${input.LabelOptions.Timezone} for parameter LabelOptions.Timezone is invalid.`);
      }
      const fp = fingerprint(input);
      let offset = 0;
      let firstNow = ctx.gateway.clock.now();
      if (input.NextToken !== undefined) {
        let tok: Token;
        try {
          tok = JSON.parse(Buffer.from(input.NextToken, 'base64url').toString('utf8')) as Token;
        } catch {
          throw invalidNextToken();
        }
        if (typeof tok?.o !== 'number' || typeof tok.n !== 'number' || tok.f !== fp) throw invalidNextToken();
        offset = tok.o;
        firstNow = tok.n;
      }
      const range = { start, end, now: firstNow };
      const cacheKey = `${ctx.accountId}/${ctx.region}/${fp}/${firstNow}`;
      const values = cached(cacheKey, ctx.gateway.clock.now()) ?? (await runQueries(backend, { accountId: ctx.accountId, region: ctx.region }, queries, range));
      const MetricDataResults: Array<Record<string, unknown>> = [];
      let skip = offset;
      let room = max;
      let more = false;
      for (const q of queries) {
        if (!q.returnData) continue;
        for (const s of resultSeries(q, values.get(q.id)!, range, ctx.accountId)) {
          let idx = s.ts.map((_, i) => i);
          if (scanBy === 'TimestampDescending') idx.reverse();
          const dropped = Math.min(skip, idx.length);
          skip -= dropped;
          idx = idx.slice(dropped);
          const take = idx.slice(0, room);
          room -= take.length;
          const partial = take.length < idx.length;
          if (partial) more = true;
          MetricDataResults.push({
            Id: q.id,
            Label: s.label,
            Timestamps: take.map((i) => new Date(s.ts[i])),
            Values: take.map((i) => s.v[i]),
            StatusCode: partial ? 'PartialData' : 'Complete',
            Messages: [],
          });
        }
      }
      const out: Record<string, unknown> = { MetricDataResults, Messages: [] };
      if (more) {
        out.NextToken = Buffer.from(JSON.stringify({ o: offset + max, f: fp, n: firstNow } satisfies Token)).toString('base64url');
        remember(cacheKey, values, ctx.gateway.clock.now());
      } else pages.delete(cacheKey);
      return out;
    },
  };
}
