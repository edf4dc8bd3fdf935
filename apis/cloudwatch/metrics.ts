// SPDX-License-Identifier: AGPL-3.0-or-later
/** PutMetricData, GetMetricStatistics and ListMetrics. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { Dimension, MetricBackend, MetricPoint } from './backend.js';
import { invalidCombination, invalidValue, missingParameter } from './errors.js';
import {
  alignStart,
  checkDimensions,
  checkLength,
  checkNamespace,
  checkPeriod,
  checkUnit,
  checkValue,
  parseStatistic,
  quickDimensions,
  STANDARD_UNITS,
  validValue,
  periodAvailable,
  required,
  toMs,
  type ParsedStatistic,
} from './validate.js';
import { bucketStatistic } from './statistics.js';

const MAX_METRIC_DATA = 1000;
const MAX_VALUES = 150;
const PAST_LIMIT_MS = 14 * 86_400_000;
const FUTURE_LIMIT_MS = 2 * 3_600_000;
const MAX_DATAPOINTS = 1440;
const LIST_PAGE = 500;
const LIST_WINDOW_MS = 14 * 86_400_000;

export interface MetricDatum {
  MetricName?: string;
  Dimensions?: Dimension[];
  Timestamp?: Date;
  Value?: number;
  StatisticValues?: { SampleCount?: number; Sum?: number; Minimum?: number; Maximum?: number };
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

/**
 * The common datum — a name, valid dimensions, a unit, a timestamp in range and one Value —
 * converted without building the parameter paths error messages need; undefined for anything
 * else, which toPoint then converts or refuses with the exact message. Whatever this accepts,
 * toPoint accepts the same way (test/cloudwatch/quick-point.test.ts checks it).
 */
function quickPoint(md: MetricDatum, namespace: string, now: number): MetricPoint | undefined {
  if (md === null || typeof md !== 'object') return undefined;
  const { MetricName: metricName, Unit: unit, StorageResolution: res, Timestamp: ts, Value: value } = md;
  if (typeof metricName !== 'string' || metricName.length < 1 || metricName.length > 255) return undefined;
  if (md.StatisticValues !== undefined || md.Values !== undefined || !validValue(value)) return undefined;
  if (unit !== undefined && !STANDARD_UNITS.has(unit)) return undefined;
  if (res !== undefined && res !== 1 && res !== 60) return undefined;
  let timestamp = now;
  if (ts !== undefined) {
    if (!(ts instanceof Date)) return undefined;
    timestamp = ts.getTime();
    if (!(timestamp >= now - PAST_LIMIT_MS && timestamp <= now + FUTURE_LIMIT_MS)) return undefined;
  }
  const dimensions = quickDimensions(md.Dimensions);
  if (!dimensions) return undefined;
  return { metric: { namespace, metricName, dimensions }, timestamp, unit: unit ?? 'None', storageResolution: res ?? 60, values: [value] };
}

export function toPoint(md: MetricDatum, i: number, namespace: string, now: number, prefix = 'MetricData'): MetricPoint {
  const quick = quickPoint(md, namespace, now);
  if (quick) return quick;
  return checkedPoint(md, i, namespace, now, prefix);
}

/** toPoint's reference path: every rule checked in CloudWatch's order, with its message. */
export function checkedPoint(md: MetricDatum, i: number, namespace: string, now: number, prefix = 'MetricData'): MetricPoint {
  const at = `${prefix}.member.${i + 1}`;
  const metricName = required(md?.MetricName, `${at}.MetricName`);
  checkLength(metricName, `${at}.MetricName`, 1, 255);
  const dimensions = checkDimensions(md.Dimensions, `${at}.Dimensions`);
  checkUnit(md.Unit, `${at}.Unit`);
  const res = md.StorageResolution ?? 60;
  if (res !== 1 && res !== 60) throw invalidValue(`The value ${res} for parameter ${at}.StorageResolution is invalid.`);
  const timestamp = md.Timestamp !== undefined ? toMs(md.Timestamp, `${at}.Timestamp`) : now;
  if (timestamp < now - PAST_LIMIT_MS) {
    throw invalidValue(`The parameter ${at}.Timestamp must specify a time no more than two weeks in the past.`);
  }
  if (timestamp > now + FUTURE_LIMIT_MS) {
    throw invalidValue(`The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
  }
  const given = (['Value', 'StatisticValues', 'Values'] as const).filter((k) => md[k] !== undefined && !(k === 'Values' && md.Values!.length === 0));
  if (given.length > 1) {
    throw invalidCombination(`The parameters ${at}.${given[0]} and ${at}.${given[1]} are mutually exclusive and you have specified both.`);
  }
  if (given.length === 0) {
    throw invalidCombination(`One of the parameters ${at}.Value, ${at}.StatisticValues or ${at}.Values must be specified.`);
  }
  const base = { metric: { namespace, metricName, dimensions }, timestamp, unit: md.Unit ?? 'None', storageResolution: res as 1 | 60 };
  if (md.Value !== undefined) {
    checkValue(md.Value, `${at}.Value`);
    return { ...base, values: [md.Value] };
  }
  if (md.StatisticValues !== undefined) {
    const sv = md.StatisticValues;
    for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) {
      required(sv[k], `${at}.StatisticValues.${k}`);
      checkValue(sv[k]!, `${at}.StatisticValues.${k}`);
    }
    if (sv.SampleCount! <= 0) throw invalidValue(`The value ${sv.SampleCount} for parameter ${at}.StatisticValues.SampleCount is invalid.`);
    if (sv.Minimum! > sv.Maximum!) {
      throw invalidCombination(`The parameter ${at}.StatisticValues.Minimum must not be greater than ${at}.StatisticValues.Maximum.`);
    }
    return { ...base, stats: { sampleCount: sv.SampleCount!, sum: sv.Sum!, min: sv.Minimum!, max: sv.Maximum! } };
  }
  const values = md.Values!;
  if (values.length > MAX_VALUES) throw invalidValue(`The collection ${at}.Values must not have a size greater than ${MAX_VALUES}.`);
  values.forEach((v, j) => checkValue(v, `${at}.Values.member.${j + 1}`));
  let counts: number[] | undefined;
  if (md.Counts !== undefined && md.Counts.length > 0) {
    if (md.Counts.length !== values.length) {
      throw invalidValue(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
    }
    md.Counts.forEach((c, j) => {
      if (!Number.isFinite(c) || c < 0) throw invalidValue(`The value ${c} for parameter ${at}.Counts.member.${j + 1} is invalid.`);
    });
    counts = md.Counts;
  }
  return { ...base, values, counts };
}

export function metricHandlers(backend: MetricBackend): Record<string, Handler> {
  return {
    async PutMetricData(ctx: RequestContext, input: {
      Namespace?: string; MetricData?: MetricDatum[]; EntityMetricData?: Array<{ Entity?: unknown; MetricData?: MetricDatum[] }>; StrictEntityValidation?: boolean;
    }) {
      const namespace = required(input.Namespace, 'Namespace');
      checkNamespace(namespace, 'Namespace', true);
      // MetricData and/or EntityMetricData (the CloudWatch agent attaches entities); entities are
      // accepted as metadata and not kept
      const data = input.MetricData ?? [];
      const entities = input.EntityMetricData ?? [];
      const total = data.length + entities.reduce((n, e) => n + (e?.MetricData?.length ?? 0), 0);
      if (input.MetricData === undefined && input.EntityMetricData === undefined) throw missingParameter('MetricData');
      if (total === 0) throw invalidValue('The parameter MetricData must contain at least one MetricDatum.');
      if (total > MAX_METRIC_DATA) {
        throw invalidValue(`The collection MetricData must not have a size greater than ${MAX_METRIC_DATA}.`);
      }
      const now = ctx.gateway.clock.now();
      const points = data.map((md, i) => toPoint(md, i, namespace, now));
      entities.forEach((e, k) => (e?.MetricData ?? []).forEach((md, i) => points.push(toPoint(md, i, namespace, now, `EntityMetricData.member.${k + 1}.MetricData`))));
      await backend.put({ accountId: ctx.accountId, region: ctx.region }, points, now);
      return {};
    },

    async GetMetricStatistics(ctx: RequestContext, input: {
      Namespace?: string; MetricName?: string; Dimensions?: Dimension[]; StartTime?: Date; EndTime?: Date;
      Period?: number; Statistics?: string[]; ExtendedStatistics?: string[]; Unit?: string;
    }) {
      const namespace = required(input.Namespace, 'Namespace');
      checkNamespace(namespace, 'Namespace', false);
      const metricName = required(input.MetricName, 'MetricName');
      checkLength(metricName, 'MetricName', 1, 255);
      const dimensions = checkDimensions(input.Dimensions, 'Dimensions');
      const start = toMs(required(input.StartTime, 'StartTime'), 'StartTime');
      const end = toMs(required(input.EndTime, 'EndTime'), 'EndTime');
      const period = checkPeriod(input.Period, 'Period');
      checkUnit(input.Unit, 'Unit');
      const basic = input.Statistics ?? [];
      const extended = input.ExtendedStatistics ?? [];
      if (basic.length === 0 && extended.length === 0) {
        throw invalidCombination('Must specify either Statistics or ExtendedStatistics.');
      }
      if (basic.length > 0 && extended.length > 0) {
        throw invalidCombination('Must specify either Statistics or ExtendedStatistics, but not both.');
      }
      if (basic.length > 5) throw invalidValue('The collection Statistics must not have a size greater than 5.');
      if (extended.length > 10) throw invalidValue('The collection ExtendedStatistics must not have a size greater than 10.');
      const stats: ParsedStatistic[] = basic.map((s, i) => {
        const p = parseStatistic(s, `Statistics.member.${i + 1}`);
        if (!p.basic) throw invalidValue(`The value ${s} for parameter Statistics.member.${i + 1} is not a valid statistic.`);
        return p;
      });
      const pcts: ParsedStatistic[] = extended.map((s, i) => {
        const p = parseStatistic(s, `ExtendedStatistics.member.${i + 1}`);
        if (p.basic) throw invalidValue(`The value ${s} for parameter ExtendedStatistics.member.${i + 1} is not a valid extended statistic.`);
        return p;
      });
      if (start >= end) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
      const now = ctx.gateway.clock.now();
      const aligned = alignStart(start, now, period);
      const requested = Math.ceil((end - aligned) / (period * 1000));
      if (requested > MAX_DATAPOINTS) {
        throw invalidCombination(
          `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
        );
      }
      const buckets = periodAvailable(aligned, now, period)
        ? await backend.aggregate({ accountId: ctx.accountId, region: ctx.region }, {
            metric: { namespace, metricName, dimensions },
            start: aligned,
            end,
            period,
            unit: input.Unit,
            percentiles: pcts.filter((p) => p.percentile !== undefined).map((p) => p.percentile!),
            trimmed: pcts.filter((p) => p.trimmed).map((p) => p.trimmed!),
          })
        : [];
      const Datapoints = buckets.map((b) => {
        const dp: Record<string, unknown> = { Timestamp: new Date(b.timestamp) };
        for (const s of stats) dp[s.name] = bucketStatistic(b, s);
        if (pcts.length > 0) {
          const ext: Record<string, number> = {};
          for (const p of pcts) {
            const v = bucketStatistic(b, p);
            if (v !== undefined) ext[p.name] = v;
          }
          dp.ExtendedStatistics = ext;
        }
        dp.Unit = b.unit;
        return dp;
      });
      return { Label: metricName, Datapoints };
    },

    async ListMetrics(ctx: RequestContext, input: {
      Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }>;
      NextToken?: string; RecentlyActive?: string; IncludeLinkedAccounts?: boolean; OwningAccount?: string;
    }) {
      if (input.Namespace !== undefined) checkNamespace(input.Namespace, 'Namespace', false);
      if (input.MetricName !== undefined) checkLength(input.MetricName, 'MetricName', 1, 255);
      const dims = input.Dimensions ?? [];
      if (dims.length > 10) throw invalidValue('The collection Dimensions must not have a size greater than 10.');
      const filters = dims.map((d, i) => {
        const name = required(d?.Name, `Dimensions.member.${i + 1}.Name`);
        checkLength(name, `Dimensions.member.${i + 1}.Name`, 1, 255);
        if (d.Value !== undefined) checkLength(d.Value, `Dimensions.member.${i + 1}.Value`, 1, 1024);
        return { Name: name, Value: d.Value };
      });
      if (input.RecentlyActive !== undefined && input.RecentlyActive !== 'PT3H') {
        throw invalidValue(`The value ${input.RecentlyActive} for parameter RecentlyActive is invalid.`);
      }
      if (input.OwningAccount !== undefined && input.OwningAccount !== ctx.accountId) {
        return { Metrics: [], ...(input.IncludeLinkedAccounts ? { OwningAccounts: [] } : {}) };
      }
      let cursor: string | undefined;
      if (input.NextToken !== undefined) {
        cursor = Buffer.from(input.NextToken, 'base64url').toString('utf8');
        if (!cursor.startsWith(`${ctx.accountId}\0${ctx.region}\0`)) throw invalidValue('The value of the parameter NextToken is invalid.');
      }
      const now = ctx.gateway.clock.now();
      const page = await backend.list(
        { accountId: ctx.accountId, region: ctx.region },
        {
          namespace: input.Namespace,
          metricName: input.MetricName,
          dimensions: filters,
          activeSince: now - (input.RecentlyActive === 'PT3H' ? 3 * 3_600_000 : LIST_WINDOW_MS),
        },
        cursor,
        LIST_PAGE,
      );
      const out: Record<string, unknown> = {
        Metrics: page.metrics.map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions })),
      };
      if (page.next !== undefined) out.NextToken = Buffer.from(page.next, 'utf8').toString('base64url');
      if (input.IncludeLinkedAccounts) out.OwningAccounts = page.metrics.map(() => ctx.accountId);
      return out;
    },
  };
}
