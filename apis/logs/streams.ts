// SPDX-License-Identifier: AGPL-3.0-or-later
/** Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { LogsBackend } from './backend.js';
import { alreadyExists, constraint, intInRange, invalidParameter, streamNotFound } from './errors.js';
import {
  STREAMS,
  checkGroupName,
  checkStreamName,
  decodeToken,
  encodeToken,
  getGroup,
  groupArn,
  groupFromInput,
  groupKey,
  streamKey,
  tenantOf,
  type StreamRecord,
} from './model.js';

export function streamHandlers(backend: LogsBackend): Record<string, Handler> {
  const streams = (ctx: RequestContext) => ctx.gateway.state.table<StreamRecord>(STREAMS);
  return {
    async CreateLogStream(ctx: RequestContext, i: { logGroupName?: string; logStreamName?: string }) {
      const group = checkGroupName(i.logGroupName);
      const stream = checkStreamName(i.logStreamName);
      await getGroup(ctx.gateway.state, ctx, group);
      const rec: StreamRecord = { logStreamName: stream, creationTime: ctx.gateway.clock.now(), uploadSequenceToken: '1'.padStart(56, '0') };
      if (!(await streams(ctx).putIfAbsent(streamKey(ctx, group, stream), rec))) throw alreadyExists('The specified log stream already exists');
      return {};
    },

    async DeleteLogStream(ctx: RequestContext, i: { logGroupName?: string; logStreamName?: string }) {
      const group = checkGroupName(i.logGroupName);
      const stream = checkStreamName(i.logStreamName);
      await getGroup(ctx.gateway.state, ctx, group);
      if (!(await streams(ctx).delete(streamKey(ctx, group, stream)))) throw streamNotFound();
      await backend.deleteStream(tenantOf(ctx), group, stream);
      return {};
    },

    async DescribeLogStreams(ctx: RequestContext, i: {
      logGroupName?: string; logGroupIdentifier?: string; logStreamNamePrefix?: string; orderBy?: string; descending?: boolean; nextToken?: string; limit?: number;
    }) {
      const group = groupFromInput(ctx, i);
      await getGroup(ctx.gateway.state, ctx, group);
      const orderBy = i.orderBy ?? 'LogStreamName';
      if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
        throw constraint(orderBy, 'orderBy', 'Member must satisfy enum value set: [LogStreamName, LastEventTime]');
      }
      if (orderBy === 'LastEventTime' && i.logStreamNamePrefix !== undefined) {
        throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      const limit = intInRange(i.limit, 'limit', 1, 50, 50);
      const base = `${groupKey(ctx, group)}:`;
      let rows = await streams(ctx).range({ prefix: base + (i.logStreamNamePrefix ?? '') });
      if (orderBy === 'LastEventTime') {
        rows.sort((a, b) => (a[1].lastEventTimestamp ?? 0) - (b[1].lastEventTimestamp ?? 0) || (a[0] < b[0] ? -1 : 1));
      }
      if (i.descending) rows.reverse();
      // tokens carry the index in this ordering, bound to the group
      const after = decodeToken(i.nextToken, base);
      let from = 0;
      if (after !== undefined) {
        from = Number(after.slice(base.length));
        if (!Number.isInteger(from) || from < 0) throw invalidParameter('The specified nextToken is invalid.');
      }
      rows = rows.slice(from);
      const page = rows.slice(0, limit);
      const arn = groupArn(ctx, group);
      const logStreams = page.map(([, s]) => ({
        logStreamName: s.logStreamName,
        creationTime: s.creationTime,
        ...(s.firstEventTimestamp !== undefined
          ? { firstEventTimestamp: s.firstEventTimestamp, lastEventTimestamp: s.lastEventTimestamp, lastIngestionTime: s.lastIngestionTime }
          : {}),
        uploadSequenceToken: s.uploadSequenceToken,
        arn: `${arn}:log-stream:${s.logStreamName}`,
        storedBytes: 0,
      }));
      return { logStreams, ...(rows.length > limit ? { nextToken: encodeToken(`${base}${from + limit}`) } : {}) };
    },
  };
}
