// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Logs Insights: StartQuery runs the query over the groups' events in [startTime, endTime]
 * (seconds) and keeps the result 7 days in the state store; GetQueryResults, StopQuery,
 * DescribeQueries read it. GetLogGroupFields samples recent events for the fields they carry.
 */
import { randomUUID } from 'node:crypto';
import type { Handler, RequestContext } from '../../src/context.js';
import type { LogsBackend } from './backend.js';
import { intInRange, invalidParameter, malformedQuery, required, resourceNotFound } from './errors.js';
import { QuerySyntaxError, parseQuery, type Command } from './insights-parse.js';
import { recordOf, runQuery, type LogRecord } from './insights-run.js';
import { getGroup, groupFromInput, tenantOf } from './model.js';

const TABLE = 'logs_queries';
const KEEP_MS = 7 * 86_400_000;
/** Most events one query reads. */
const SCAN_LIMIT = 1_000_000;

interface QueryRecord {
  queryId: string;
  queryString: string;
  logGroupName: string;
  createTime: number;
  status: 'Complete' | 'Failed' | 'Cancelled';
  results: Array<Array<{ field: string; value: string }>>;
  statistics: { recordsMatched: number; recordsScanned: number; bytesScanned: number };
}

export function queryHandlers(backend: LogsBackend): Record<string, Handler> {
  const table = (ctx: RequestContext) => ctx.gateway.state.table<QueryRecord>(TABLE);
  const key = (ctx: RequestContext, id: string) => `${ctx.accountId}/${ctx.region}/${id}`;

  async function read(ctx: RequestContext, group: string, start: number, end: number, onRecord: (r: LogRecord, bytes: number) => void) {
    let after: string | undefined;
    let scanned = 0;
    do {
      const res = await backend.scanGroup(tenantOf(ctx), group, { start, end, after, limit: 10_000 });
      for (const e of res.events) onRecord(recordOf(e, `${ctx.accountId}:${group}`), Buffer.byteLength(e.message));
      scanned += res.events.length;
      after = res.next;
    } while (after !== undefined && scanned < SCAN_LIMIT);
  }

  return {
    async StartQuery(ctx: RequestContext, i: {
      logGroupName?: string; logGroupNames?: string[]; logGroupIdentifiers?: string[]; startTime?: number; endTime?: number; queryString?: string; limit?: number; queryLanguage?: string;
    }) {
      const given = [i.logGroupName, i.logGroupNames, i.logGroupIdentifiers].filter((x) => x !== undefined).length;
      if (given > 1) throw invalidParameter('logGroupName, logGroupNames and logGroupIdentifiers are mutually exclusive parameters.');
      const groups = i.logGroupIdentifiers
        ? i.logGroupIdentifiers.map((id) => groupFromInput(ctx, { logGroupIdentifier: id }))
        : i.logGroupNames
          ? i.logGroupNames.map((n) => groupFromInput(ctx, { logGroupName: n }))
          : i.logGroupName !== undefined
            ? [groupFromInput(ctx, { logGroupName: i.logGroupName })]
            : [];
      if (groups.length === 0) throw invalidParameter('Either logGroupName, logGroupNames or logGroupIdentifiers must be specified.');
      if (groups.length > 50) throw invalidParameter('A query can search at most 50 log groups.');
      if (i.queryLanguage !== undefined && i.queryLanguage !== 'CWLI') throw invalidParameter(`The query language ${i.queryLanguage} is not supported by this gateway.`);
      const start = required(i.startTime, 'startTime');
      const end = required(i.endTime, 'endTime');
      if (end < start) throw invalidParameter('End time should not be before the start time.');
      const limit = intInRange(i.limit, 'limit', 1, 10_000, 10_000);
      const queryString = required(i.queryString, 'queryString');
      let commands: Command[];
      try {
        commands = parseQuery(queryString);
      } catch (e) {
        if (e instanceof QuerySyntaxError || e instanceof SyntaxError) throw malformedQuery(`Query is malformed: ${e.message}`);
        throw e;
      }
      for (const g of groups) await getGroup(ctx.gateway.state, ctx, g);
      const records: LogRecord[] = [];
      let bytes = 0;
      for (const g of groups) {
        await read(ctx, g, start * 1000, end * 1000 + 1000, (r, b) => {
          records.push(r);
          bytes += b;
        });
      }
      const queryId = randomUUID();
      const rec: QueryRecord = { queryId, queryString, logGroupName: groups[0], createTime: ctx.gateway.clock.now(), status: 'Complete', results: [], statistics: { recordsMatched: 0, recordsScanned: records.length, bytesScanned: bytes } };
      try {
        const out = runQuery(commands, records, limit);
        rec.results = out.rows;
        rec.statistics.recordsMatched = out.matched;
      } catch (e) {
        if (!(e instanceof QuerySyntaxError)) throw e;
        throw malformedQuery(`Query is malformed: ${e.message}`);
      }
      await table(ctx).put(key(ctx, queryId), rec);
      return { queryId };
    },

    async GetQueryResults(ctx: RequestContext, i: { queryId?: string }) {
      const id = required(i.queryId, 'queryId');
      const q = await table(ctx).get(key(ctx, id));
      if (!q || ctx.gateway.clock.now() - q.createTime > KEEP_MS) throw resourceNotFound(`Query ${id} does not exist.`);
      return { queryLanguage: 'CWLI', results: q.results, statistics: q.statistics, status: q.status };
    },

    async StopQuery(ctx: RequestContext, i: { queryId?: string }) {
      const id = required(i.queryId, 'queryId');
      const q = await table(ctx).get(key(ctx, id));
      if (!q) throw resourceNotFound(`Query ${id} does not exist.`);
      // queries complete within StartQuery: there is never a running one to stop
      return { success: false };
    },

    async DescribeQueries(ctx: RequestContext, i: { logGroupName?: string; status?: string; maxResults?: number; nextToken?: string }) {
      const max = intInRange(i.maxResults, 'maxResults', 1, 1000, 1000);
      const now = ctx.gateway.clock.now();
      const rows = (await table(ctx).range({ prefix: `${ctx.accountId}/${ctx.region}/` }))
        .map(([, q]) => q)
        .filter((q) => now - q.createTime <= KEEP_MS && (i.logGroupName === undefined || q.logGroupName === i.logGroupName) && (i.status === undefined || q.status === i.status))
        .sort((a, b) => b.createTime - a.createTime);
      const from = i.nextToken !== undefined ? Number(Buffer.from(i.nextToken, 'base64url').toString()) : 0;
      if (!Number.isInteger(from) || from < 0) throw invalidParameter('The specified nextToken is invalid.');
      const page = rows.slice(from, from + max);
      return {
        queries: page.map((q) => ({ queryLanguage: 'CWLI', queryId: q.queryId, queryString: q.queryString, status: q.status, createTime: q.createTime, logGroupName: q.logGroupName })),
        ...(rows.length > from + max ? { nextToken: Buffer.from(String(from + max)).toString('base64url') } : {}),
      };
    },

    async GetLogGroupFields(ctx: RequestContext, i: { logGroupName?: string; logGroupIdentifier?: string; time?: number }) {
      const group = groupFromInput(ctx, i);
      await getGroup(ctx.gateway.state, ctx, group);
      const at = (i.time ?? Math.floor(ctx.gateway.clock.now() / 1000)) * 1000;
      const counts = new Map<string, number>();
      const res = await backend.scanGroup(tenantOf(ctx), group, { start: at - 15 * 60_000, end: at + 1000, limit: 1000 });
      for (const e of res.events) {
        for (const f of Object.keys(recordOf(e, group))) if (f !== '@ptr' && f !== '@ingestionTime') counts.set(f, (counts.get(f) ?? 0) + 1);
      }
      const n = res.events.length;
      return { logGroupFields: [...counts].map(([name, c]) => ({ name, percent: Math.round((c / n) * 100) })) };
    },
  };
}
