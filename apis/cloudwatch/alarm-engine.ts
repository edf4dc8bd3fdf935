// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The alarm scheduler. Like CloudWatch it evaluates every metric alarm once a minute (every 10 s
 * for high-resolution alarms with a period under a minute), then re-evaluates the composite alarms
 * from their children's states. Time comes from gw.clock only: tests advance the clock and call
 * tick(); in a running gateway a 5-second timer calls tick(), which evaluates what is due.
 */
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.js';
import type { ActionDispatcher } from './actions.js';
import { fetchDatapoints, judge, alarmPeriod } from './alarm-eval.js';
import { ALARMS, HISTORY, HISTORY_RETENTION_MS, addHistory, alarmArn, alarmKey, tenantPrefix, type AlarmRecord, type AlarmState } from './alarm-model.js';
import type { MetricBackend } from './backend.js';
import { evalRule, parseRule, ruleAlarms } from './composite.js';

const TIMER_MS = 5000;
const LEASE_MS = 90_000;
const LEASES = 'cw_leases';

export class AlarmEngine {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastExpiry = 0;
  private readonly id = randomUUID();

  constructor(
    private readonly gw: Gateway,
    private readonly backend: MetricBackend,
    private readonly actions: ActionDispatcher,
  ) {}

  static nextEvaluation(a: AlarmRecord, now: number): number {
    const step = a.type === 'MetricAlarm' && alarmPeriod(a) < 60 ? 10_000 : 60_000;
    return Math.floor(now / step) * step + step;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.tick().catch((e) => this.gw.log.error('cloudwatch: alarm evaluation failed', { err: e }));
    }, TIMER_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.actions.close();
  }

  /** Evaluates every alarm that is due; returns how many were evaluated. One tick at a time. */
  tick(): Promise<number> {
    if (!this.running) this.running = this.evaluateDue().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Gateways sharing one state store evaluate alarms one at a time: the holder of a short lease
   * in the store does the work (and fires the actions) until it stops renewing it.
   */
  private async holdLease(now: number): Promise<boolean> {
    const lease = await this.gw.state.table<{ holder: string; expires: number }>(LEASES).update('alarm-scheduler', (cur) =>
      !cur || cur.expires <= now || cur.holder === this.id ? { holder: this.id, expires: now + LEASE_MS } : cur,
    );
    return lease?.holder === this.id;
  }

  private async evaluateDue(): Promise<number> {
    const now = this.gw.clock.now();
    if (!(await this.holdLease(now))) return 0;
    const table = this.gw.state.table<AlarmRecord>(ALARMS);
    let count = 0;
    for (const [key, a] of await table.range()) {
      if (a.type !== 'MetricAlarm' || a.nextEvaluation > now) continue;
      count++;
      try {
        const { points, start } = await fetchDatapoints(this.backend, a, now);
        const v = judge(a, points, now, start);
        if (v) await this.setState(key, v.state, v.reason, v.reasonData, now);
      } catch (e) {
        this.gw.log.warn('cloudwatch: alarm evaluation error', { alarm: a.AlarmArn, err: e });
      }
      await table.update(key, (cur) => (cur ? { ...cur, nextEvaluation: AlarmEngine.nextEvaluation(cur, now) } : cur));
    }
    count += await this.evaluateComposites(now);
    await this.expireHistory(now);
    return count;
  }

  private async evaluateComposites(now: number): Promise<number> {
    const table = this.gw.state.table<AlarmRecord>(ALARMS);
    const all = await table.range();
    const states = new Map(all.map(([k, a]) => [k, a.StateValue]));
    let count = 0;
    for (const [key, a] of all) {
      if (a.type !== 'CompositeAlarm' || a.nextEvaluation > now) continue;
      count++;
      const stateOf = (name: string) => states.get(alarmKey(a.accountId, a.region, name));
      const fired = evalRule(parseRule(a.AlarmRule!), stateOf);
      const state: AlarmState = fired ? 'ALARM' : 'OK';
      const prefix = tenantPrefix(a.accountId, a.region);
      const children = [...ruleAlarms(parseRule(a.AlarmRule!))];
      const triggering = children.filter((c) => states.get(prefix + c) === 'ALARM').map((c) => alarmArn(a.accountId, a.region, c));
      const data = JSON.stringify({ triggeringAlarms: triggering.map((arn) => ({ arn, state: { value: 'ALARM' } })) });
      const reason = fired ? `${triggering.length ? triggering.join(', ') + ' in ALARM: ' : ''}the alarm rule evaluated to TRUE` : 'The alarm rule evaluated to FALSE';
      await this.setState(key, state, reason, data, now);
      await table.update(key, (cur) => (cur ? { ...cur, nextEvaluation: AlarmEngine.nextEvaluation(cur, now) } : cur));
    }
    return count;
  }

  /**
   * Moves an alarm to a state: on a change it updates the record, writes a StateUpdate history
   * item and fires the actions. Returns the new record (undefined if the alarm is gone).
   */
  async setState(key: string, state: AlarmState, reason: string, reasonData: string | undefined, now: number): Promise<AlarmRecord | undefined> {
    let old: AlarmRecord | undefined;
    const next = await this.gw.state.table<AlarmRecord>(ALARMS).update(key, (cur) => {
      old = cur;
      if (!cur || cur.StateValue === state) return cur;
      return { ...cur, StateValue: state, StateReason: reason, StateReasonData: reasonData, StateUpdatedTimestamp: now, StateTransitionedTimestamp: now };
    });
    if (!next || !old || old.StateValue === state) return next;
    await addHistory(this.gw.state, next, {
      AlarmName: next.AlarmName,
      AlarmType: next.type,
      Timestamp: now,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${old.StateValue} to ${state}`,
      HistoryData: JSON.stringify({
        version: '1.0',
        oldState: { stateValue: old.StateValue, stateReason: old.StateReason, ...(old.StateReasonData ? { stateReasonData: safeJson(old.StateReasonData) } : {}) },
        newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: safeJson(reasonData) } : {}) },
      }),
    });
    this.actions.fire(next, old.StateValue);
    return next;
  }

  private async expireHistory(now: number): Promise<void> {
    if (now - this.lastExpiry < 3_600_000) return;
    this.lastExpiry = now;
    const hist = this.gw.state.table(HISTORY);
    const cutoff = String(now - HISTORY_RETENTION_MS).padStart(15, '0');
    for (const [k] of await hist.range()) {
      const ts = k.split('/')[2];
      if (ts !== undefined && ts < cutoff) await hist.delete(k);
    }
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
