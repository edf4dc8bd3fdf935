// SPDX-License-Identifier: AGPL-3.0-or-later
/** PutMetricAlarm, PutCompositeAlarm, DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AlarmEngine } from './alarm-engine.js';
import { ALARMS, TAGS, addHistory, alarmArn, alarmKey, describeAlarm, type AlarmRecord, type AlarmState } from './alarm-model.js';
import type { PutCompositeAlarmInput, PutMetricAlarmInput as PutMetricAlarmShape } from './shapes.gen.js';
import { RuleSyntaxError, parseRule } from './composite.js';
import { invalidCombination, invalidFormat, invalidValue, limitExceeded, resourceNotFound } from './errors.js';
import { checkQueries, validationError } from './queries.js';
import { checkDimensions, checkLength, checkNamespace, checkPeriod, checkUnit, parseStatistic, required } from './validate.js';
import { checkTags, type Tag } from './tags.js';

const OPERATORS = new Set(['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold']);
const BAND_OPERATORS = new Set(['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold']);
const TREAT_MISSING = new Set(['breaching', 'notBreaching', 'ignore', 'missing']);
const STATES = new Set(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const ARN_RE = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:.+$/;

type CommonInput = Partial<Omit<PutCompositeAlarmInput, 'AlarmRule'>>;
type PutMetricAlarmInput = Partial<PutMetricAlarmShape>;

function checkActions(list: string[] | undefined, name: string): string[] {
  const out = list ?? [];
  if (out.length > 5) throw invalidValue(`The collection ${name} must not have a size greater than 5.`);
  for (const arn of out) {
    if (!ARN_RE.test(arn)) throw validationError(`Invalid arn syntax: ${arn}`);
  }
  return out;
}

function checkCommon(i: CommonInput) {
  const name = required(i.AlarmName, 'AlarmName');
  checkLength(name, 'AlarmName', 1, 255);
  if (i.AlarmDescription !== undefined && i.AlarmDescription.length > 1024) {
    throw invalidValue('The parameter AlarmDescription must not be longer than 1024 characters.');
  }
  return {
    name,
    OKActions: checkActions(i.OKActions, 'OKActions'),
    AlarmActions: checkActions(i.AlarmActions, 'AlarmActions'),
    InsufficientDataActions: checkActions(i.InsufficientDataActions, 'InsufficientDataActions'),
  };
}

function metricPart(i: PutMetricAlarmInput, accountId: string): Partial<AlarmRecord> {
  const n = required(i.EvaluationPeriods, 'EvaluationPeriods');
  if (!Number.isInteger(n) || n < 1) throw invalidValue('The parameter EvaluationPeriods must be greater than or equal to 1.');
  if (i.DatapointsToAlarm !== undefined && (!Number.isInteger(i.DatapointsToAlarm) || i.DatapointsToAlarm < 1 || i.DatapointsToAlarm > n)) {
    throw validationError('DatapointsToAlarm must be between 1 and EvaluationPeriods.');
  }
  const op = required(i.ComparisonOperator, 'ComparisonOperator');
  if (BAND_OPERATORS.has(op) || i.ThresholdMetricId !== undefined) {
    throw validationError(`Anomaly-detection band alarms (ComparisonOperator ${op}, ThresholdMetricId) are not supported by this gateway.`);
  }
  if (!OPERATORS.has(op)) throw invalidValue(`The value ${op} for parameter ComparisonOperator is invalid.`);
  const threshold = required(i.Threshold, 'Threshold');
  if (!Number.isFinite(threshold)) throw invalidValue(`The value ${threshold} for parameter Threshold is invalid.`);
  if (i.TreatMissingData !== undefined && !TREAT_MISSING.has(i.TreatMissingData)) {
    throw validationError(`Option ${i.TreatMissingData} is not supported. Supported options for parameter TreatMissingData are missing, ignore, breaching and notBreaching.`);
  }
  const low = i.EvaluateLowSampleCountPercentile;
  if (low !== undefined && low !== '') {
    if (low !== 'evaluate' && low !== 'ignore') {
      throw validationError(`Option ${low} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore.`);
    }
    if (!i.ExtendedStatistic) throw validationError('EvaluateLowSampleCountPercentile can only be used with an ExtendedStatistic (percentile) alarm.');
  }
  const base: Partial<AlarmRecord> = {
    EvaluationPeriods: n,
    DatapointsToAlarm: i.DatapointsToAlarm,
    Threshold: threshold,
    ComparisonOperator: op,
    TreatMissingData: i.TreatMissingData,
    EvaluateLowSampleCountPercentile: low || undefined,
  };
  const single = i.MetricName !== undefined || i.Namespace !== undefined || i.Statistic !== undefined || i.ExtendedStatistic !== undefined || i.Period !== undefined || (i.Dimensions?.length ?? 0) > 0;
  if (i.Metrics !== undefined && i.Metrics.length > 0) {
    if (single) throw invalidCombination('The parameters Metrics and MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions or Period are mutually exclusive.');
    const qs = checkQueries(i.Metrics, 'Metrics', accountId);
    const ret = qs.filter((q) => q.returnData);
    if (ret.length !== 1) throw validationError('Exactly one element of the metrics list should return data.');
    const period = ret[0].stat?.period ?? ret[0].period ?? qs.find((q) => q.stat)?.stat?.period;
    if (period === undefined) throw validationError('The expression that returns data needs a Period.');
    if (period * n > (period >= 3600 ? 7 * 86_400 : 86_400)) {
      throw validationError(`The evaluation period of ${period * n} seconds (Period multiplied by EvaluationPeriods) exceeds the maximum of ${period >= 3600 ? '604,800' : '86,400'} seconds.`);
    }
    return { ...base, Metrics: i.Metrics };
  }
  const namespace = required(i.Namespace, 'Namespace');
  checkNamespace(namespace, 'Namespace', false);
  const metricName = required(i.MetricName, 'MetricName');
  checkLength(metricName, 'MetricName', 1, 255);
  if ((i.Statistic === undefined) === (i.ExtendedStatistic === undefined)) {
    throw invalidCombination('Exactly one of the parameters Statistic and ExtendedStatistic must be specified.');
  }
  if (i.Statistic !== undefined && !parseStatistic(i.Statistic, 'Statistic').basic) {
    throw invalidValue(`The value ${i.Statistic} for parameter Statistic is invalid.`);
  }
  if (i.ExtendedStatistic !== undefined && parseStatistic(i.ExtendedStatistic, 'ExtendedStatistic').basic) {
    throw invalidValue(`The value ${i.ExtendedStatistic} for parameter ExtendedStatistic is not supported.`);
  }
  const period = checkPeriod(i.Period, 'Period');
  if (period < 60 && period !== 10 && period !== 30) throw invalidValue('The parameter Period for an alarm must be 10, 30 or a multiple of 60.');
  if (period * n > (period >= 3600 ? 7 * 86_400 : 86_400)) {
    throw validationError(`The evaluation period of ${period * n} seconds (Period multiplied by EvaluationPeriods) exceeds the maximum of ${period >= 3600 ? '604,800' : '86,400'} seconds.`);
  }
  checkUnit(i.Unit, 'Unit');
  return {
    ...base,
    Namespace: namespace,
    MetricName: metricName,
    Statistic: i.Statistic,
    ExtendedStatistic: i.ExtendedStatistic,
    Dimensions: checkDimensions(i.Dimensions, 'Dimensions'),
    Period: period,
    Unit: i.Unit,
  };
}

export function alarmHandlers(engine: AlarmEngine): Record<string, Handler> {
  const alarms = (ctx: RequestContext) => ctx.gateway.state.table<AlarmRecord>(ALARMS);

  async function save(ctx: RequestContext, common: ReturnType<typeof checkCommon>, i: CommonInput, part: Partial<AlarmRecord>, type: AlarmRecord['type']) {
    const now = ctx.gateway.clock.now();
    const key = alarmKey(ctx.accountId, ctx.region, common.name);
    const arn = alarmArn(ctx.accountId, ctx.region, common.name);
    const tags = checkTags(i.Tags, 'Tags');
    let created = false;
    let wrongType = false;
    const rec = await alarms(ctx).update(key, (cur) => {
      if (cur && cur.type !== type) {
        wrongType = true;
        return cur;
      }
      created = !cur;
      const base: AlarmRecord = cur ?? {
        type, accountId: ctx.accountId, region: ctx.region, AlarmName: common.name, AlarmArn: arn,
        AlarmConfigurationUpdatedTimestamp: now, ActionsEnabled: true, OKActions: [], AlarmActions: [], InsufficientDataActions: [],
        StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation', StateUpdatedTimestamp: now, StateTransitionedTimestamp: now,
        nextEvaluation: now,
      };
      // an update replaces the whole configuration but keeps the state
      return {
        type, accountId: base.accountId, region: base.region, AlarmName: base.AlarmName, AlarmArn: base.AlarmArn,
        StateValue: base.StateValue, StateReason: base.StateReason, StateReasonData: base.StateReasonData,
        StateUpdatedTimestamp: base.StateUpdatedTimestamp, StateTransitionedTimestamp: base.StateTransitionedTimestamp,
        AlarmDescription: i.AlarmDescription, AlarmConfigurationUpdatedTimestamp: now, ActionsEnabled: i.ActionsEnabled ?? true,
        OKActions: common.OKActions, AlarmActions: common.AlarmActions, InsufficientDataActions: common.InsufficientDataActions,
        ...part, nextEvaluation: now,
      };
    });
    if (wrongType) {
      throw invalidValue(`An alarm named ${common.name} already exists as a ${type === 'MetricAlarm' ? 'composite' : 'metric'} alarm.`);
    }
    // tags are applied on creation only, as CloudWatch does
    if (created && tags.length) await ctx.gateway.state.table<Tag[]>(TAGS).put(arn, tags);
    await addHistory(ctx.gateway.state, rec!, {
      AlarmName: common.name, AlarmType: type, Timestamp: now, HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${common.name}" ${created ? 'created' : 'updated'}`,
      HistoryData: JSON.stringify({ version: '1.0', type: created ? 'Create' : 'Update', [created ? 'createdAlarm' : 'updatedAlarm']: describeAlarm(rec!) }),
    });
    return {};
  }

  async function forEachNamed(ctx: RequestContext, names: string[] | undefined, fn: (key: string) => Promise<void>) {
    const list = required(names, 'AlarmNames');
    if (list.length > 100) throw limitExceeded('The collection AlarmNames must not have a size greater than 100.');
    for (const n of list) await fn(alarmKey(ctx.accountId, ctx.region, n));
  }

  return {
    async PutMetricAlarm(ctx: RequestContext, i: PutMetricAlarmInput) {
      const common = checkCommon(i);
      return save(ctx, common, i, metricPart(i, ctx.accountId), 'MetricAlarm');
    },

    async PutCompositeAlarm(ctx: RequestContext, i: Partial<PutCompositeAlarmInput>) {
      const common = checkCommon(i);
      const rule = required(i.AlarmRule, 'AlarmRule');
      if (rule.length > 10240) throw invalidValue('The parameter AlarmRule must not be longer than 10240 characters.');
      if (i.ActionsSuppressor !== undefined) throw validationError('ActionsSuppressor is not supported by this gateway.');
      try {
        parseRule(rule);
      } catch (e) {
        if (e instanceof RuleSyntaxError) throw validationError(`Error in AlarmRule: ${e.message}`);
        throw e;
      }
      return save(ctx, common, i, { AlarmRule: rule }, 'CompositeAlarm');
    },

    async DeleteAlarms(ctx: RequestContext, i: { AlarmNames?: string[] }) {
      // names that do not exist are skipped silently
      await forEachNamed(ctx, i.AlarmNames, async (key) => {
        const a = await alarms(ctx).get(key);
        if (!a) return;
        await alarms(ctx).delete(key);
        await ctx.gateway.state.table(TAGS).delete(a.AlarmArn);
      });
      return {};
    },

    async SetAlarmState(ctx: RequestContext, i: { AlarmName?: string; StateValue?: string; StateReason?: string; StateReasonData?: string }) {
      const name = required(i.AlarmName, 'AlarmName');
      const state = required(i.StateValue, 'StateValue');
      if (!STATES.has(state)) throw invalidValue(`The value ${state} for parameter StateValue is invalid.`);
      const reason = required(i.StateReason, 'StateReason');
      if (reason.length > 1023) throw invalidValue('The parameter StateReason must not be longer than 1023 characters.');
      if (i.StateReasonData !== undefined) {
        try {
          JSON.parse(i.StateReasonData);
        } catch {
          throw invalidFormat('The parameter StateReasonData is not valid JSON.');
        }
      }
      const key = alarmKey(ctx.accountId, ctx.region, name);
      if (!(await alarms(ctx).get(key))) throw resourceNotFound(`Alarm ${name} not found`);
      await engine.setState(key, state as AlarmState, reason, i.StateReasonData, ctx.gateway.clock.now());
      return {};
    },

    async EnableAlarmActions(ctx: RequestContext, i: { AlarmNames?: string[] }) {
      await forEachNamed(ctx, i.AlarmNames, async (key) => void (await alarms(ctx).update(key, (a) => (a ? { ...a, ActionsEnabled: true } : a))));
      return {};
    },

    async DisableAlarmActions(ctx: RequestContext, i: { AlarmNames?: string[] }) {
      await forEachNamed(ctx, i.AlarmNames, async (key) => void (await alarms(ctx).update(key, (a) => (a ? { ...a, ActionsEnabled: false } : a))));
      return {};
    },
  };
}
