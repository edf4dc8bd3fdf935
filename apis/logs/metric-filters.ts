// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Metric filters: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter,
 * and applyMetricFilters, which PutLogEvents calls: every accepted event that matches a filter
 * publishes one datapoint (metricValue: a number, `$.json.field` or `$delimitedField`) to
 * CloudWatch at the event's timestamp, with the filter's dimensions. A batch without any match
 * publishes the defaultValue, when there is one.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { publishMetrics, type PublishedDatum } from '../cloudwatch/publish.js';
import { STANDARD_UNITS } from '../cloudwatch/validate.js';
import type { NewLogEvent } from './backend.js';
import { constraint, intInRange, invalidParameter, limitExceeded, required, resourceNotFound } from './errors.js';
import { FilterPatternError, compileExtractor } from './filter-pattern.js';
import { checkGroupName, getGroup, groupKey, tenantOf } from './model.js';
import type { MetricTransformation } from './shapes.gen.js';

const TABLE = 'logs_metric_filters';
const MAX_PER_GROUP = 100;

type Transformation = MetricTransformation;

interface FilterRecord {
  filterName: string;
  filterPattern: string;
  metricTransformations: Transformation[];
  creationTime: number;
  logGroupName: string;
}

function compile(pattern: string) {
  try {
    return compileExtractor(pattern);
  } catch (e) {
    if (e instanceof FilterPatternError || e instanceof SyntaxError) throw invalidParameter(`Invalid metric filter pattern: ${e.message}`);
    throw e;
  }
}

function checkTransformation(t: Partial<Transformation> | undefined): Transformation {
  const m = required(t, 'metricTransformations.1.member');
  const metricName = required(m.metricName, 'metricTransformations.1.member.metricName');
  const metricNamespace = required(m.metricNamespace, 'metricTransformations.1.member.metricNamespace');
  const metricValue = required(m.metricValue, 'metricTransformations.1.member.metricValue');
  if (metricName.length < 1 || metricName.length > 255 || /[:*$]/.test(metricName)) constraintFail(metricName, 'metricName', '[^:*$]*');
  if (metricNamespace.length < 1 || metricNamespace.length > 255 || /[:*$]/.test(metricNamespace)) constraintFail(metricNamespace, 'metricNamespace', '[^:*$]*');
  if (metricNamespace.startsWith('AWS/')) throw invalidParameter(`The namespace ${metricNamespace} is reserved for AWS metrics.`);
  if (!/^-?\d+(\.\d+)?$/.test(metricValue) && !/^\$(\.|\[|[A-Za-z_])/.test(metricValue)) {
    throw invalidParameter(`Invalid metric value ${metricValue}: use a number, $.jsonField or $delimitedField.`);
  }
  const dims = m.dimensions ?? {};
  if (Object.keys(dims).length > 3) throw limitExceeded('A metric filter can have at most 3 dimensions.');
  if (Object.keys(dims).length && m.defaultValue !== undefined) throw invalidParameter('A metric filter with dimensions cannot have a default value.');
  if (m.unit !== undefined && !STANDARD_UNITS.has(m.unit)) constraintFail(m.unit, 'unit', 'a CloudWatch standard unit');
  return { metricName, metricNamespace, metricValue, ...(m.defaultValue !== undefined ? { defaultValue: m.defaultValue } : {}), ...(Object.keys(dims).length ? { dimensions: dims } : {}), ...(m.unit ? { unit: m.unit } : {}) };
}

function constraintFail(v: string, member: string, rule: string): never {
  throw constraint(v, `metricTransformations.1.member.${member}`, `Member must satisfy regular expression pattern: ${rule}`);
}

function numeric(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Publishes the datapoints the group's metric filters derive from newly accepted events. */
export async function applyMetricFilters(ctx: RequestContext, group: string, events: NewLogEvent[]): Promise<void> {
  const filters = await ctx.gateway.state.table<FilterRecord>(TABLE).range({ prefix: `${groupKey(ctx, group)}:` });
  for (const [, f] of filters) {
    let extract: ReturnType<typeof compileExtractor>;
    try {
      extract = compileExtractor(f.filterPattern);
    } catch (e) {
      // stored before the gateway refused its pattern (a %regex% outside Logs' subset): matches nothing
      if (e instanceof FilterPatternError) continue;
      throw e;
    }
    const t = f.metricTransformations[0];
    const data: PublishedDatum[] = [];
    for (const e of events) {
      const fields = extract(e.message);
      if (!fields) continue;
      const value = t.metricValue.startsWith('$') ? numeric(fields(t.metricValue)) : Number(t.metricValue);
      if (value === undefined) continue;
      const dims = Object.entries(t.dimensions ?? {}).map(([Name, sel]) => ({ Name, Value: sel.startsWith('$') ? fields(sel) : sel }));
      if (dims.some((d) => d.Value === undefined || d.Value === null || d.Value === '')) continue;
      data.push({ MetricName: t.metricName, Dimensions: dims.map((d) => ({ Name: d.Name, Value: String(d.Value) })), Timestamp: e.timestamp, Value: value, Unit: t.unit });
    }
    if (data.length === 0 && t.defaultValue !== undefined) data.push({ MetricName: t.metricName, Value: t.defaultValue, Unit: t.unit });
    if (data.length) await publishMetrics(ctx.gateway, tenantOf(ctx), t.metricNamespace, data);
  }
}

export function metricFilterHandlers(): Record<string, Handler> {
  const table = (ctx: RequestContext) => ctx.gateway.state.table<FilterRecord>(TABLE);
  const describe = (f: FilterRecord) => ({ filterName: f.filterName, filterPattern: f.filterPattern, metricTransformations: f.metricTransformations, creationTime: f.creationTime, logGroupName: f.logGroupName });
  return {
    async PutMetricFilter(ctx: RequestContext, i: { logGroupName?: string; filterName?: string; filterPattern?: string; metricTransformations?: Array<Partial<Transformation>> }) {
      const group = checkGroupName(i.logGroupName);
      const name = required(i.filterName, 'filterName');
      if (name.length < 1 || name.length > 512 || /[:*]/.test(name)) throw constraint(name, 'filterName', 'Member must satisfy regular expression pattern: [^:*]*');
      const pattern = required(i.filterPattern, 'filterPattern');
      if (pattern.length > 1024) throw constraint(pattern, 'filterPattern', 'Member must have length less than or equal to 1024');
      compile(pattern);
      const ts = required(i.metricTransformations, 'metricTransformations');
      if (ts.length !== 1) throw constraint(`[${ts.length} transformations]`, 'metricTransformations', 'Member must have length less than or equal to 1');
      const transformation = checkTransformation(ts[0]);
      await getGroup(ctx.gateway.state, ctx, group);
      const key = `${groupKey(ctx, group)}:${name}`;
      const existing = await table(ctx).get(key);
      if (!existing && (await table(ctx).range({ prefix: `${groupKey(ctx, group)}:` })).length >= MAX_PER_GROUP) {
        throw limitExceeded(`A log group can have at most ${MAX_PER_GROUP} metric filters.`);
      }
      await table(ctx).put(key, { filterName: name, filterPattern: pattern, metricTransformations: [transformation], creationTime: existing?.creationTime ?? ctx.gateway.clock.now(), logGroupName: group });
      return {};
    },

    async DeleteMetricFilter(ctx: RequestContext, i: { logGroupName?: string; filterName?: string }) {
      const group = checkGroupName(i.logGroupName);
      const name = required(i.filterName, 'filterName');
      await getGroup(ctx.gateway.state, ctx, group);
      if (!(await table(ctx).delete(`${groupKey(ctx, group)}:${name}`))) throw resourceNotFound('The specified metric filter does not exist.');
      return {};
    },

    async DescribeMetricFilters(ctx: RequestContext, i: { logGroupName?: string; filterNamePrefix?: string; metricName?: string; metricNamespace?: string; nextToken?: string; limit?: number }) {
      if (i.filterNamePrefix !== undefined && i.logGroupName === undefined) throw invalidParameter('filterNamePrefix requires logGroupName.');
      if ((i.metricName === undefined) !== (i.metricNamespace === undefined)) throw invalidParameter('metricName and metricNamespace must be specified together.');
      const limit = intInRange(i.limit, 'limit', 1, 50, 50);
      const prefix = i.logGroupName !== undefined ? `${groupKey(ctx, checkGroupName(i.logGroupName))}:${i.filterNamePrefix ?? ''}` : `${ctx.accountId}/${ctx.region}/`;
      const rows = (await table(ctx).range({ prefix }))
        .map(([, f]) => f)
        .filter((f) => i.metricName === undefined || f.metricTransformations.some((t) => t.metricName === i.metricName && t.metricNamespace === i.metricNamespace));
      const from = i.nextToken !== undefined ? Number(Buffer.from(i.nextToken, 'base64url').toString()) : 0;
      if (!Number.isInteger(from) || from < 0) throw invalidParameter('The specified nextToken is invalid.');
      return {
        metricFilters: rows.slice(from, from + limit).map(describe),
        ...(rows.length > from + limit ? { nextToken: Buffer.from(String(from + limit)).toString('base64url') } : {}),
      };
    },

    async TestMetricFilter(_ctx: RequestContext, i: { filterPattern?: string; logEventMessages?: string[] }) {
      const pattern = required(i.filterPattern, 'filterPattern');
      const msgs = required(i.logEventMessages, 'logEventMessages');
      if (msgs.length < 1 || msgs.length > 50) throw constraint(`[${msgs.length} messages]`, 'logEventMessages', 'Member must have length between 1 and 50');
      const extract = compile(pattern);
      const selectors = pattern.trim().startsWith('[')
        ? [...pattern.matchAll(/(?:^\[|,)\s*([A-Za-z_]\w*)/g)].map((m) => `$${m[1]}`)
        : [...new Set(pattern.match(/\$(?:\.[\w]+|\[\d+\])+/g) ?? [])];
      const matches = [];
      for (let n = 0; n < msgs.length; n++) {
        const fields = extract(msgs[n]);
        if (!fields) continue;
        const extractedValues: Record<string, string> = {};
        for (const s of selectors) {
          const v = fields(s);
          if (v !== undefined) extractedValues[s] = typeof v === 'string' ? v : JSON.stringify(v);
        }
        matches.push({ eventNumber: n + 1, eventMessage: msgs[n], extractedValues });
      }
      return { matches };
    },
  };
}
