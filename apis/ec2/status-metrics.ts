// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * AWS/EC2 status-check metrics, as EC2 publishes them: every minute, for each running instance,
 * StatusCheckFailed, StatusCheckFailed_Instance and StatusCheckFailed_System (Count, 0 or 1) with
 * the InstanceId dimension — the same verdict DescribeInstanceStatus gives (a running instance
 * passes both checks). Utilisation metrics (CPUUtilization, NetworkIn…) come from a compute backend
 * that measures them (Proxmox's rrddata); the embedded simulator runs no guest, so it has none.
 */
import { publishAwsMetrics, type PublishedDatum } from '../cloudwatch/publish.js';
import type { Ec2Env } from './env.js';
import type { InstanceRec } from './records.js';

const MINUTE = 60_000;
const CHECKS = ['StatusCheckFailed', 'StatusCheckFailed_Instance', 'StatusCheckFailed_System'];

/** The region of an availability zone name ('eu-west-1b' → 'eu-west-1'). */
function regionOf(zone: string): string {
  return zone.replace(/[a-z]$/, '');
}

/** Publishes one minute of status checks; answers the number of datapoints. */
export async function publishStatusChecks(env: Ec2Env): Promise<number> {
  const minute = Math.floor(env.now() / MINUTE) * MINUTE;
  let n = 0;
  for (const account of await env.gw.identity.listAccounts()) {
    const byRegion = new Map<string, PublishedDatum[]>();
    for (const i of await env.store.list<InstanceRec>(account.accountId, 'instance')) {
      if (i.state !== 'running') continue;
      const region = regionOf(i.AvailabilityZone);
      let data = byRegion.get(region);
      if (!data) byRegion.set(region, (data = []));
      for (const name of CHECKS) data.push({ MetricName: name, Dimensions: [{ Name: 'InstanceId', Value: i.id }], Timestamp: minute, Value: 0, Unit: 'Count' });
    }
    for (const [region, data] of byRegion) {
      for (let k = 0; k < data.length; k += 999) {
        const chunk = data.slice(k, k + 999);
        if (await publishAwsMetrics(env.gw, { accountId: account.accountId, region }, 'AWS/EC2', chunk)) n += chunk.length;
      }
    }
  }
  return n;
}

/** Every minute until the gateway closes. */
export function startStatusChecks(env: Ec2Env, intervalMs = MINUTE): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    publishStatusChecks(env)
      .catch((e: Error) => env.gw.log.warn('ec2 status metrics failed', { error: e.message }))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  env.gw.onClose(() => clearInterval(timer));
}
