// SPDX-License-Identifier: AGPL-3.0-or-later
/** PutLogEvents, GetLogEvents and FilterLogEvents. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { LogsBackend, StoredLogEvent } from './backend.js';
import { constraint, intInRange, invalidParameter, required, streamNotFound } from './errors.js';
import { FilterPatternError, compileFilterPattern } from './filter-pattern.js';
import { applyMetricFilters } from './metric-filters.js';
import { GROUPS, STREAMS, checkStreamName, getGroup, groupFromInput, groupKey, streamKey, tenantOf, type GroupRecord, type StreamRecord } from './model.js';

const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const MAX_EVENTS = 10_000;
const DAY = 86_400_000;
const PAST_LIMIT = 14 * DAY;
const FUTURE_LIMIT = 2 * 3_600_000;

function checkTimes(start: number | undefined, end: number | undefined) {
  for (const [v, n] of [[start, 'startTime'], [end, 'endTime']] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw constraint(v, n, 'Member must have value greater than or equal to 0');
  }
}

function checkLimit(limit: number | undefined): number {
  return intInRange(limit, 'limit', 1, MAX_EVENTS, MAX_EVENTS);
}

const out = (e: StoredLogEvent) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime });

export function eventHandlers(backend: LogsBackend): Record<string, Handler> {
  return {
    async PutLogEvents(ctx: RequestContext, i: { logGroupName?: string; logStreamName?: string; logEvents?: Array<{ timestamp?: number; message?: string }>; sequenceToken?: string }) {
      const group = groupFromInput(ctx, { logGroupName: i.logGroupName });
      const stream = checkStreamName(i.logStreamName);
      const events = required(i.logEvents, 'logEvents');
      if (events.length < 1) throw constraint('[]', 'logEvents', 'Member must have length greater than or equal to 1');
      if (events.length > MAX_EVENTS) throw constraint(`[${events.length} events]`, 'logEvents', `Member must have length less than or equal to ${MAX_EVENTS}`);
      let bytes = 0;
      events.forEach((e, n) => {
        const ts = required(e?.timestamp, `logEvents.${n + 1}.member.timestamp`);
        const msg = required(e.message, `logEvents.${n + 1}.member.message`);
        if (!Number.isInteger(ts) || ts < 0) throw constraint(ts, `logEvents.${n + 1}.member.timestamp`, 'Member must have value greater than or equal to 0');
        if (msg.length < 1) throw constraint(msg, `logEvents.${n + 1}.member.message`, 'Member must have length greater than or equal to 1');
        bytes += Buffer.byteLength(msg, 'utf8') + EVENT_OVERHEAD;
        if (n > 0 && ts < events[n - 1].timestamp!) throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
      });
      if (bytes > MAX_BATCH_BYTES) throw invalidParameter(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
      if (events[events.length - 1].timestamp! - events[0].timestamp! > DAY) {
        throw invalidParameter('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
      }
      const g = await getGroup(ctx.gateway.state, ctx, group);
      const sk = streamKey(ctx, group, stream);
      const streams = ctx.gateway.state.table<StreamRecord>(STREAMS);
      if (!(await streams.get(sk))) throw streamNotFound();
      const now = ctx.gateway.clock.now();
      const retentionCut = g.retentionInDays !== undefined ? now - g.retentionInDays * DAY : -Infinity;
      const info: Record<string, number> = {};
      let first = 0;
      let last = events.length;
      events.forEach((e, n) => {
        const ts = e.timestamp!;
        if (ts < retentionCut) {
          info.expiredLogEventEndIndex = n;
          first = n + 1;
        } else if (ts < now - PAST_LIMIT) {
          info.tooOldLogEventEndIndex = n;
          first = n + 1;
        } else if (ts > now + FUTURE_LIMIT && last === events.length) {
          info.tooNewLogEventStartIndex = n;
          last = n;
        }
      });
      const accepted = events.slice(first, Math.max(first, last)).map((e) => ({ timestamp: e.timestamp!, message: e.message! }));
      let token = '';
      if (accepted.length) {
        const ids = await backend.append(tenantOf(ctx), group, stream, accepted, now);
        token = ids[ids.length - 1];
        const size = accepted.reduce((s, e) => s + Buffer.byteLength(e.message, 'utf8'), 0);
        await streams.update(sk, (s) =>
          s && {
            ...s,
            firstEventTimestamp: Math.min(s.firstEventTimestamp ?? Infinity, accepted[0].timestamp),
            lastEventTimestamp: Math.max(s.lastEventTimestamp ?? 0, accepted[accepted.length - 1].timestamp),
            lastIngestionTime: now,
            uploadSequenceToken: token,
          },
        );
        await ctx.gateway.state.table<GroupRecord>(GROUPS).update(groupKey(ctx, group), (cur) => cur && { ...cur, storedBytes: cur.storedBytes + size });
        await applyMetricFilters(ctx, group, accepted);
      } else token = (await streams.get(sk))?.uploadSequenceToken ?? '';
      return { nextSequenceToken: token, ...(Object.keys(info).length ? { rejectedLogEventsInfo: info } : {}) };
    },

    async GetLogEvents(ctx: RequestContext, i: {
      logGroupName?: string; logGroupIdentifier?: string; logStreamName?: string; startTime?: number; endTime?: number;
      nextToken?: string; limit?: number; startFromHead?: boolean;
    }) {
      const group = groupFromInput(ctx, i);
      const stream = checkStreamName(i.logStreamName);
      checkTimes(i.startTime, i.endTime);
      const limit = checkLimit(i.limit);
      await getGroup(ctx.gateway.state, ctx, group);
      if (!(await ctx.gateway.state.table(STREAMS).get(streamKey(ctx, group, stream)))) throw streamNotFound();
      let after: string | undefined;
      let before: string | undefined;
      if (i.nextToken !== undefined) {
        const m = /^([fb])\/(\d{56})\/s$/.exec(i.nextToken);
        if (!m) throw invalidParameter('The specified nextToken is invalid.');
        if (m[1] === 'f') after = m[2];
        else before = m[2];
      }
      const events = await backend.readStream(tenantOf(ctx), group, stream, {
        start: i.startTime, end: i.endTime, after, before, limit, fromHead: i.startFromHead === true,
      });
      const zero = '0'.repeat(56);
      const fwd = events.length ? events[events.length - 1].id : (after ?? before ?? zero);
      const back = events.length ? events[0].id : (before ?? after ?? zero);
      return { events: events.map(out), nextForwardToken: `f/${fwd}/s`, nextBackwardToken: `b/${back}/s` };
    },

    async FilterLogEvents(ctx: RequestContext, i: {
      logGroupName?: string; logGroupIdentifier?: string; logStreamNames?: string[]; logStreamNamePrefix?: string;
      startTime?: number; endTime?: number; filterPattern?: string; nextToken?: string; limit?: number;
    }) {
      const group = groupFromInput(ctx, i);
      if (i.logStreamNames !== undefined && i.logStreamNamePrefix !== undefined) {
        throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
      }
      if (i.logStreamNames !== undefined && (i.logStreamNames.length < 1 || i.logStreamNames.length > 100)) {
        throw constraint(`[${i.logStreamNames.length} names]`, 'logStreamNames', 'Member must have length between 1 and 100');
      }
      checkTimes(i.startTime, i.endTime);
      const limit = checkLimit(i.limit);
      let match;
      try {
        match = compileFilterPattern(i.filterPattern);
      } catch (e) {
        if (e instanceof FilterPatternError || e instanceof SyntaxError) throw invalidParameter(e.message);
        throw e;
      }
      await getGroup(ctx.gateway.state, ctx, group);
      let after: string | undefined;
      if (i.nextToken !== undefined) {
        const s = Buffer.from(i.nextToken, 'base64url').toString('utf8');
        const m = /^(\d{56})\/(.*)$/s.exec(s);
        if (!m || m[2] !== group) throw invalidParameter('The specified nextToken is invalid.');
        after = m[1];
      }
      const res = await backend.scanGroup(tenantOf(ctx), group, {
        streams: i.logStreamNames ? new Set(i.logStreamNames) : undefined,
        streamPrefix: i.logStreamNamePrefix,
        start: i.startTime,
        end: i.endTime,
        after,
        limit,
        match,
        pattern: i.filterPattern,
      });
      return {
        events: res.events.map((e) => ({ logStreamName: e.stream, ...out(e), eventId: e.id })),
        searchedLogStreams: [],
        ...(res.next !== undefined ? { nextToken: Buffer.from(`${res.next}/${group}`, 'utf8').toString('base64url') } : {}),
      };
    },
  };
}
