// SPDX-License-Identifier: AGPL-3.0-or-later
/** DescribeAlarms, DescribeAlarmsForMetric and DescribeAlarmHistory. */
import type { Handler, RequestContext } from '../../src/context.js';
import { ALARMS, HISTORY, HISTORY_RETENTION_MS, describeAlarm, tenantPrefix, type AlarmRecord, type HistoryRecord } from './alarm-model.js';
import { dimensionKey, sortDimensions, type Dimension } from './backend.js';
import { parseRule, ruleAlarms } from './composite.js';
import { invalidCombination, invalidNextToken, invalidValue } from './errors.js';
import { checkDimensions, checkLength, required, toMs } from './validate.js';

const ALARM_TYPES = new Set(['CompositeAlarm', 'MetricAlarm']);

function pageToken(next: string | undefined): string | undefined {
  return next === undefined ? undefined : Buffer.from(next, 'utf8').toString('base64url');
}

function readToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const s = Buffer.from(token, 'base64url').toString('utf8');
  if (!s || Buffer.from(s, 'utf8').toString('base64url') !== token) throw invalidNextToken();
  return s;
}

function maxRecords(v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < 1 || v > 100) throw invalidValue(`The value ${v} for parameter MaxRecords is invalid: it must be between 1 and 100.`);
  return v;
}

export function describeHandlers(): Record<string, Handler> {
  const all = async (ctx: RequestContext) =>
    (await ctx.gateway.state.table<AlarmRecord>(ALARMS).range({ prefix: tenantPrefix(ctx.accountId, ctx.region) })).map(([, a]) => a);

  return {
    async DescribeAlarms(ctx: RequestContext, i: {
      AlarmNames?: string[]; AlarmNamePrefix?: string; AlarmTypes?: string[]; ChildrenOfAlarmName?: string; ParentsOfAlarmName?: string;
      StateValue?: string; ActionPrefix?: string; MaxRecords?: number; NextToken?: string;
    }) {
      const names = i.AlarmNames ?? [];
      if (names.length > 100) throw invalidValue('The collection AlarmNames must not have a size greater than 100.');
      if (names.length && i.AlarmNamePrefix !== undefined) {
        throw invalidCombination('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.');
      }
      if ((i.ChildrenOfAlarmName !== undefined || i.ParentsOfAlarmName !== undefined) && (names.length || i.AlarmNamePrefix !== undefined)) {
        throw invalidCombination('ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with AlarmNames or AlarmNamePrefix.');
      }
      if (i.StateValue !== undefined && !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(i.StateValue)) {
        throw invalidValue(`The value ${i.StateValue} for parameter StateValue is invalid.`);
      }
      const types = new Set(i.AlarmTypes?.length ? i.AlarmTypes : ['MetricAlarm']);
      for (const t of types) if (!ALARM_TYPES.has(t)) throw invalidValue(`The value ${t} for parameter AlarmTypes is invalid.`);
      const limit = maxRecords(i.MaxRecords, 50);
      const after = readToken(i.NextToken);
      let list = await all(ctx);
      const byName = new Map(list.map((a) => [a.AlarmName, a]));
      if (names.length) list = list.filter((a) => names.includes(a.AlarmName));
      if (i.AlarmNamePrefix !== undefined) list = list.filter((a) => a.AlarmName.startsWith(i.AlarmNamePrefix!));
      if (i.ChildrenOfAlarmName !== undefined) {
        const parent = byName.get(i.ChildrenOfAlarmName);
        const children = parent?.AlarmRule ? ruleAlarms(parseRule(parent.AlarmRule)) : new Set<string>();
        list = list.filter((a) => children.has(a.AlarmName));
      }
      if (i.ParentsOfAlarmName !== undefined) {
        list = list.filter((a) => a.AlarmRule !== undefined && ruleAlarms(parseRule(a.AlarmRule)).has(i.ParentsOfAlarmName!));
      }
      if (i.StateValue !== undefined) list = list.filter((a) => a.StateValue === i.StateValue);
      if (i.ActionPrefix !== undefined) {
        list = list.filter((a) => [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((x) => x.startsWith(i.ActionPrefix!)));
      }
      list = list.filter((a) => types.has(a.type));
      list.sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0));
      if (after !== undefined) list = list.filter((a) => a.AlarmName > after);
      const page = list.slice(0, limit);
      const out: Record<string, unknown> = {
        MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map(describeAlarm),
        CompositeAlarms: page.filter((a) => a.type === 'CompositeAlarm').map(describeAlarm),
      };
      if (list.length > limit) out.NextToken = pageToken(page[page.length - 1].AlarmName);
      return out;
    },

    async DescribeAlarmsForMetric(ctx: RequestContext, i: {
      MetricName?: string; Namespace?: string; Statistic?: string; ExtendedStatistic?: string; Dimensions?: Dimension[]; Period?: number; Unit?: string;
    }) {
      const metricName = required(i.MetricName, 'MetricName');
      checkLength(metricName, 'MetricName', 1, 255);
      const namespace = required(i.Namespace, 'Namespace');
      const dims = i.Dimensions ? dimensionKey(checkDimensions(i.Dimensions, 'Dimensions')) : undefined;
      const matches = (a: AlarmRecord) => {
        if (a.type !== 'MetricAlarm') return false;
        const stats = a.Metrics
          ? a.Metrics.filter((q) => q.MetricStat).map((q) => ({
              ns: q.MetricStat!.Metric?.Namespace, name: q.MetricStat!.Metric?.MetricName, dims: q.MetricStat!.Metric?.Dimensions ?? [],
              stat: q.MetricStat!.Stat, period: q.MetricStat!.Period, unit: q.MetricStat!.Unit,
            }))
          : [{ ns: a.Namespace, name: a.MetricName, dims: a.Dimensions ?? [], stat: a.Statistic ?? a.ExtendedStatistic, period: a.Period, unit: a.Unit }];
        return stats.some((s) =>
          s.ns === namespace && s.name === metricName &&
          (dims === undefined || dimensionKey(sortDimensions(s.dims)) === dims) &&
          (i.Statistic === undefined || s.stat === i.Statistic) &&
          (i.ExtendedStatistic === undefined || s.stat === i.ExtendedStatistic) &&
          (i.Period === undefined || s.period === i.Period) &&
          (i.Unit === undefined || s.unit === i.Unit));
      };
      const list = (await all(ctx)).filter(matches).sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1));
      return { MetricAlarms: list.map(describeAlarm) };
    },

    async DescribeAlarmHistory(ctx: RequestContext, i: {
      AlarmName?: string; AlarmTypes?: string[]; HistoryItemType?: string; StartDate?: Date; EndDate?: Date;
      MaxRecords?: number; NextToken?: string; ScanBy?: string;
    }) {
      const types = new Set(i.AlarmTypes?.length ? i.AlarmTypes : ['MetricAlarm']);
      for (const t of types) if (!ALARM_TYPES.has(t)) throw invalidValue(`The value ${t} for parameter AlarmTypes is invalid.`);
      const kinds = ['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction'];
      if (i.HistoryItemType !== undefined && !kinds.includes(i.HistoryItemType)) {
        throw invalidValue(`The value ${i.HistoryItemType} for parameter HistoryItemType is invalid.`);
      }
      const scan = i.ScanBy ?? 'TimestampDescending';
      if (scan !== 'TimestampDescending' && scan !== 'TimestampAscending') throw invalidValue(`The value ${scan} for parameter ScanBy is invalid.`);
      const limit = maxRecords(i.MaxRecords, 100);
      const now = ctx.gateway.clock.now();
      const from = Math.max(i.StartDate !== undefined ? toMs(i.StartDate, 'StartDate') : 0, now - HISTORY_RETENTION_MS);
      const to = i.EndDate !== undefined ? toMs(i.EndDate, 'EndDate') : Infinity;
      const after = readToken(i.NextToken);
      const prefix = tenantPrefix(ctx.accountId, ctx.region);
      const rows = await ctx.gateway.state.table<HistoryRecord>(HISTORY).range({
        prefix,
        reverse: scan === 'TimestampDescending',
        ...(after !== undefined ? { start: after, exclusiveStart: true } : {}),
      });
      if (after !== undefined && !after.startsWith(prefix)) throw invalidNextToken();
      const items: Array<Record<string, unknown>> = [];
      let last: string | undefined;
      let more = false;
      for (const [k, h] of rows) {
        if (i.AlarmName !== undefined && h.AlarmName !== i.AlarmName) continue;
        if (!types.has(h.AlarmType)) continue;
        if (i.HistoryItemType !== undefined && h.HistoryItemType !== i.HistoryItemType) continue;
        if (h.Timestamp < from || h.Timestamp > to) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push({ ...h, Timestamp: new Date(h.Timestamp) });
        last = k;
      }
      return { AlarmHistoryItems: items, ...(more ? { NextToken: pageToken(last) } : {}) };
    },
  };
}
