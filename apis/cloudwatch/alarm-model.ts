// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Alarm records and their history in the gateway state store.
 *   cw_alarms         <account>/<region>/<alarm name>              → AlarmRecord
 *   cw_alarm_history  <account>/<region>/<ms, 15 digits>/<seq>     → HistoryRecord
 *   cw_tags           <resource ARN>                               → Tag[]
 */
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../../src/state/store.js';
import type { Dimension } from './backend.js';
import type { MetricDataQuery } from './queries.js';

export const ALARMS = 'cw_alarms';
export const HISTORY = 'cw_alarm_history';
export const TAGS = 'cw_tags';
/** CloudWatch keeps alarm history for 30 days. */
export const HISTORY_RETENTION_MS = 30 * 86_400_000;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmRecord {
  type: 'MetricAlarm' | 'CompositeAlarm';
  accountId: string;
  region: string;
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  AlarmConfigurationUpdatedTimestamp: number;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  // metric alarms
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: MetricDataQuery[];
  // composite alarms
  AlarmRule?: string;
  /** Gateway time of the next scheduled evaluation. */
  nextEvaluation: number;
}

export interface HistoryRecord {
  AlarmName: string;
  AlarmType: 'MetricAlarm' | 'CompositeAlarm';
  Timestamp: number;
  HistoryItemType: 'ConfigurationUpdate' | 'StateUpdate' | 'Action' | 'AlarmContributorStateUpdate' | 'AlarmContributorAction';
  HistorySummary: string;
  HistoryData: string;
}

export const alarmKey = (accountId: string, region: string, name: string) => `${accountId}/${region}/${name}`;
export const tenantPrefix = (accountId: string, region: string) => `${accountId}/${region}/`;
export const alarmArn = (accountId: string, region: string, name: string) => `arn:aws:cloudwatch:${region}:${accountId}:alarm:${name}`;

export async function addHistory(state: StateStore, a: { accountId: string; region: string }, item: HistoryRecord): Promise<void> {
  const key = `${tenantPrefix(a.accountId, a.region)}${String(item.Timestamp).padStart(15, '0')}/${randomBytes(6).toString('hex')}`;
  await state.table<HistoryRecord>(HISTORY).put(key, item);
}

/** The public MetricAlarm / CompositeAlarm shape of a record. */
export function describeAlarm(r: AlarmRecord): Record<string, unknown> {
  const common = {
    AlarmName: r.AlarmName,
    AlarmArn: r.AlarmArn,
    AlarmDescription: r.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(r.AlarmConfigurationUpdatedTimestamp),
    ActionsEnabled: r.ActionsEnabled,
    OKActions: r.OKActions,
    AlarmActions: r.AlarmActions,
    InsufficientDataActions: r.InsufficientDataActions,
    StateValue: r.StateValue,
    StateReason: r.StateReason,
    StateReasonData: r.StateReasonData,
    StateUpdatedTimestamp: new Date(r.StateUpdatedTimestamp),
    StateTransitionedTimestamp: new Date(r.StateTransitionedTimestamp),
  };
  if (r.type === 'CompositeAlarm') return { ...common, AlarmRule: r.AlarmRule };
  return {
    ...common,
    MetricName: r.MetricName,
    Namespace: r.Namespace,
    Statistic: r.Statistic,
    ExtendedStatistic: r.ExtendedStatistic,
    Dimensions: r.Metrics ? undefined : (r.Dimensions ?? []),
    Period: r.Period,
    Unit: r.Unit,
    EvaluationPeriods: r.EvaluationPeriods,
    DatapointsToAlarm: r.DatapointsToAlarm,
    Threshold: r.Threshold,
    ComparisonOperator: r.ComparisonOperator,
    TreatMissingData: r.TreatMissingData,
    EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile,
    Metrics: r.Metrics,
  };
}
