// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * In-process control of the fake PVE (never reachable over HTTP): task durations and failures,
 * config-lock timeouts, nodes going down (pveproxy then answers 595 like AnyEvent::HTTP does when
 * the connection to the node fails), guest load for rrddata, and counters of API calls per path
 * (the Proxmox bench counts calls with them).
 */
import type { TaskFaults } from './tasks.js';

export interface TaskFailureRule {
  /** Task type (qmclone, qmstart, …); any when omitted. */
  type?: string;
  /** Task id (usually the vmid); any when omitted. */
  id?: string;
  message: string;
  /** How many matching tasks fail (default 1). */
  times?: number;
  /** Not a failure: the task ends with exitstatus "WARNINGS: 1" and a "WARN: <message>" log line. */
  warning?: boolean;
}

export class CallCounters {
  private readonly byKey = new Map<string, number>();
  total = 0;

  record(method: string, template: string): void {
    this.total++;
    const key = `${method} ${template}`;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
  }

  /** Calls per `METHOD /path/{template}`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.byKey].sort(([a], [b]) => a.localeCompare(b)));
  }

  count(method: string, template: string): number {
    return this.byKey.get(`${method} ${template}`) ?? 0;
  }

  reset(): void {
    this.byKey.clear();
    this.total = 0;
  }
}

export class TaskControl implements TaskFaults {
  defaultMs: number;
  private readonly perType = new Map<string, number>();
  private readonly failures: (TaskFailureRule & { left: number })[] = [];
  private readonly holds: { type?: string; id?: string; released: Promise<void> }[] = [];

  constructor(defaultMs: number) {
    this.defaultMs = defaultMs;
  }

  setDuration(ms: number, type?: string): void {
    if (type) this.perType.set(type, ms);
    else this.defaultMs = ms;
  }

  failNext(rule: TaskFailureRule): void {
    this.failures.push({ ...rule, left: rule.times ?? 1 });
  }

  /**
   * Holds matching tasks at their work step until the returned function is called (for tests
   * that must observe or interrupt a task in the middle, whatever the machine's speed).
   */
  hold(type?: string, id?: string): () => void {
    let release!: () => void;
    const entry = { type, id, released: new Promise<void>((r) => (release = r)) };
    this.holds.push(entry);
    return () => {
      const i = this.holds.indexOf(entry);
      if (i >= 0) this.holds.splice(i, 1);
      release();
    };
  }

  gate(type: string, id: string): Promise<void> | undefined {
    const h = this.holds.find((x) => (x.type === undefined || x.type === type) && (x.id === undefined || x.id === id));
    return h?.released;
  }

  durationMs(type: string): number {
    return this.perType.get(type) ?? this.defaultMs;
  }

  takeFailure(type: string, id: string): { message: string; warning: boolean } | undefined {
    const i = this.failures.findIndex((f) => (f.type === undefined || f.type === type) && (f.id === undefined || f.id === id));
    if (i < 0) return undefined;
    const f = this.failures[i]!;
    if (--f.left <= 0) this.failures.splice(i, 1);
    return { message: f.message, warning: !!f.warning };
  }
}
