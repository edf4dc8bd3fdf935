// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Alarm actions as HTTP webhooks. The configuration maps action ARNs to URLs:
 *
 *   cloudwatch:
 *     actions:
 *       "arn:aws:sns:us-east-1:123456789012:ops": "http://alerts.internal/hook"
 *       "arn:aws:sns:us-east-1:123456789012:pager": { url: "https://pager/hook", headers: { Authorization: "Bearer …" } }
 *
 * On a state transition with ActionsEnabled, every ARN of the new state's action list gets a POST
 * with the SNS alarm-notification JSON (AlarmName, NewStateValue, NewStateReason, Trigger…). A
 * delivery is tried up to 3 times (after 1 s and 4 s) on a network error or a 5xx/429 answer; the
 * outcome lands in the alarm history as an `Action` item. An ARN without a configured URL is
 * recorded as a failed action.
 */
import type { Gateway } from '../../src/gateway.js';
import { addHistory, type AlarmRecord } from './alarm-model.js';

export interface WebhookTarget {
  url: string;
  headers?: Record<string, string>;
}

export type Fetcher = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number }>;

const DELAYS_MS = [1000, 4000];

export function webhookTargets(gw: Gateway): Map<string, WebhookTarget> {
  const out = new Map<string, WebhookTarget>();
  const raw = gw.config.cloudwatch.actions;
  if (!raw || typeof raw !== 'object') return out;
  for (const [arn, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(arn, { url: v });
    else if (v && typeof v === 'object' && typeof (v as WebhookTarget).url === 'string') out.set(arn, v as WebhookTarget);
  }
  return out;
}

export class ActionDispatcher {
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly gw: Gateway,
    private readonly targets: Map<string, WebhookTarget> = webhookTargets(gw),
    private readonly fetcher: Fetcher = (url, init) => fetch(url, init),
    private readonly delays: number[] = DELAYS_MS,
  ) {}

  /** Starts the deliveries for a transition; they run in the background. */
  fire(a: AlarmRecord, oldState: string): void {
    if (!a.ActionsEnabled || this.closed) return;
    const arns = a.StateValue === 'ALARM' ? a.AlarmActions : a.StateValue === 'OK' ? a.OKActions : a.InsufficientDataActions;
    for (const arn of arns) {
      const p = this.deliver(a, oldState, arn).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Waits for the deliveries under way (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stops retrying and waits at most `graceMs` for deliveries under way. */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private async deliver(a: AlarmRecord, oldState: string, arn: string): Promise<void> {
    const target = this.targets.get(arn);
    let outcome: string;
    let ok = false;
    if (!target) outcome = 'no webhook is configured for this action ARN';
    else {
      const body = JSON.stringify(notification(a, oldState));
      outcome = '';
      for (let attempt = 0; attempt <= this.delays.length; attempt++) {
        if (attempt > 0) {
          if (this.closed) {
            outcome += ' (not retried: the gateway is shutting down)';
            break;
          }
          await sleep(this.delays[attempt - 1]);
        }
        try {
          const res = await this.fetcher(target.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...target.headers },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status >= 200 && res.status < 300) {
            ok = true;
            break;
          }
          outcome = `the webhook answered HTTP ${res.status}`;
          if (res.status < 500 && res.status !== 429) break;
        } catch (e) {
          outcome = `the webhook could not be reached: ${(e as Error).message}`;
        }
      }
    }
    const summary = ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}`;
    await addHistory(this.gw.state, a, {
      AlarmName: a.AlarmName,
      AlarmType: a.type,
      Timestamp: this.gw.clock.now(),
      HistoryItemType: 'Action',
      HistorySummary: summary,
      HistoryData: JSON.stringify({ actionState: ok ? 'Succeeded' : 'Failed', notificationResource: arn, stateUpdateTimestamp: a.StateUpdatedTimestamp, ...(ok ? {} : { error: outcome }) }),
    }).catch((e) => this.gw.log.warn('cloudwatch: alarm history write failed', { err: e }));
    if (!ok) this.gw.log.warn('cloudwatch: alarm action failed', { alarm: a.AlarmArn, action: arn, reason: outcome });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The message SNS would deliver for an alarm state change. */
export function notification(a: AlarmRecord, oldState: string): Record<string, unknown> {
  return {
    AlarmName: a.AlarmName,
    AlarmDescription: a.AlarmDescription ?? null,
    AWSAccountId: a.accountId,
    AlarmConfigurationUpdatedTimestamp: new Date(a.AlarmConfigurationUpdatedTimestamp).toISOString(),
    NewStateValue: a.StateValue,
    NewStateReason: a.StateReason,
    StateChangeTime: new Date(a.StateUpdatedTimestamp).toISOString(),
    Region: a.region,
    AlarmArn: a.AlarmArn,
    OldStateValue: oldState,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    ...(a.type === 'CompositeAlarm'
      ? { AlarmRule: a.AlarmRule }
      : {
          Trigger: {
            MetricName: a.MetricName,
            Namespace: a.Namespace,
            StatisticType: a.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
            Statistic: a.Statistic?.toUpperCase(),
            ExtendedStatistic: a.ExtendedStatistic,
            Unit: a.Unit ?? null,
            Dimensions: (a.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
            Period: a.Period,
            EvaluationPeriods: a.EvaluationPeriods,
            DatapointsToAlarm: a.DatapointsToAlarm,
            ComparisonOperator: a.ComparisonOperator,
            Threshold: a.Threshold,
            TreatMissingData: a.TreatMissingData ?? 'missing',
            EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile ?? '',
            Metrics: a.Metrics,
          },
        }),
  };
}
