// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * AWS/DynamoDB ConsumedReadCapacityUnits and ConsumedWriteCapacityUnits, as DynamoDB publishes
 * them: one datapoint per table (and per global secondary index read through a Query/Scan) per
 * minute, whose SampleCount is the number of requests, Sum the units they consumed, Minimum and
 * Maximum the smallest and largest request. Every item operation records its units here (the
 * same units ConsumedCapacity reports); whole minutes are published through CloudWatch's
 * publishAwsMetrics once they are over, and what is left when the gateway closes.
 */
import type { RequestContext } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import { publishAwsMetrics, type PublishedDatum } from '../cloudwatch/publish.js';

const MINUTE = 60_000;

interface Cell {
  id: string;
  account: string;
  region: string;
  metric: 'ConsumedReadCapacityUnits' | 'ConsumedWriteCapacityUnits';
  table: string;
  gsi?: string;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class CapacityMeter {
  private cells = new Map<string, Cell>();
  private last: Cell | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly gw: Gateway) {}

  record(ctx: RequestContext, table: string, units: number, kind: 'read' | 'write', gsi?: string): void {
    const minute = Math.floor(this.gw.clock.now() / MINUTE) * MINUTE;
    const metric = kind === 'read' ? 'ConsumedReadCapacityUnits' : 'ConsumedWriteCapacityUnits';
    // a busy table hits the cell it hit last time: no key string to build
    const last = this.last;
    let c: Cell | undefined;
    if (last && last.minute === minute && last.table === table && last.metric === metric && last.account === ctx.accountId && last.region === ctx.region && last.gsi === gsi && this.cells.get(last.id) === last) c = last;
    const id = c ? c.id : `${ctx.accountId}\x1f${ctx.region}\x1f${metric}\x1f${table}\x1f${gsi ?? ''}\x1f${minute}`;
    c ??= this.cells.get(id);
    if (c) {
      c.count++;
      c.sum += units;
      if (units < c.min) c.min = units;
      if (units > c.max) c.max = units;
    } else {
      this.cells.set(id, (c = { id, account: ctx.accountId, region: ctx.region, metric, table, gsi, minute, count: 1, sum: units, min: units, max: units }));
    }
    this.last = c;
  }

  /** Publishes the minutes that are over (all of them with `all`); answers how many datapoints. */
  async flush(all = false): Promise<number> {
    const current = Math.floor(this.gw.clock.now() / MINUTE) * MINUTE;
    const byTenant = new Map<string, { account: string; region: string; data: PublishedDatum[] }>();
    for (const [id, c] of this.cells) {
      if (!all && c.minute >= current) continue;
      this.cells.delete(id);
      const key = `${c.account}\x1f${c.region}`;
      let t = byTenant.get(key);
      if (!t) byTenant.set(key, (t = { account: c.account, region: c.region, data: [] }));
      const dims = [{ Name: 'TableName', Value: c.table }];
      if (c.gsi) dims.push({ Name: 'GlobalSecondaryIndexName', Value: c.gsi });
      t.data.push({ MetricName: c.metric, Dimensions: dims, Timestamp: c.minute, Unit: 'Count', StatisticValues: { SampleCount: c.count, Sum: c.sum, Minimum: c.min, Maximum: c.max } });
    }
    let n = 0;
    for (const t of byTenant.values()) {
      for (let i = 0; i < t.data.length; i += 1000) {
        const chunk = t.data.slice(i, i + 1000);
        if (await publishAwsMetrics(this.gw, { accountId: t.account, region: t.region }, 'AWS/DynamoDB', chunk)) n += chunk.length;
      }
    }
    return n;
  }

  /** Publishes every `intervalMs` (a minute by default) until the gateway closes. */
  start(intervalMs = MINUTE): void {
    this.timer = setInterval(() => void this.flush().catch((e: Error) => this.gw.log.warn('dynamodb capacity metrics failed', { error: e.message })), intervalMs);
    this.timer.unref();
    this.gw.onClose(async () => {
      clearInterval(this.timer);
      await this.flush(true).catch(() => undefined);
    });
  }
}

const meters = new WeakMap<Gateway, CapacityMeter>();

/** The gateway's meter (created, not started, on first use). */
export function capacityMeter(gw: Gateway): CapacityMeter {
  let m = meters.get(gw);
  if (!m) meters.set(gw, (m = new CapacityMeter(gw)));
  return m;
}
