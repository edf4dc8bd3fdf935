// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Status metrics, as EC2 and EBS publish them, every minute:
 *  - AWS/EC2, for each running instance: StatusCheckFailed, StatusCheckFailed_Instance and
 *    StatusCheckFailed_System (Count, 0 or 1) with the InstanceId dimension — the same verdict
 *    DescribeInstanceStatus gives (a running instance passes both checks);
 *  - AWS/EBS, for each volume attached to a running instance: VolumeStalledIOCheck (Count, 0 or 1;
 *    the attachment's I/O path works, as DescribeVolumeStatus says) with the VolumeId dimension.
 * Utilisation metrics (CPUUtilization, NetworkIn, DiskReadBytes, VolumeReadBytes…) come from a
 * compute backend that measures a guest (Proxmox's rrddata); the embedded simulator runs no guest
 * and does no I/O, so it publishes none of them rather than invented numbers.
 */
import { publishAwsMetrics, type PublishedDatum } from '../cloudwatch/publish.js';
import type { Ec2Env } from './env.js';
import type { InstanceRec, VolumeRec } from './records.js';

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
    const byRegion = new Map<string, { ec2: PublishedDatum[]; ebs: PublishedDatum[] }>();
    const of = (zone: string) => {
      const region = regionOf(zone);
      let data = byRegion.get(region);
      if (!data) byRegion.set(region, (data = { ec2: [], ebs: [] }));
      return data;
    };
    const running = new Set<string>();
    for (const i of await env.store.list<InstanceRec>(account.accountId, 'instance')) {
      if (i.state !== 'running') continue;
      running.add(i.id);
      const data = of(i.AvailabilityZone).ec2;
      for (const name of CHECKS) data.push({ MetricName: name, Dimensions: [{ Name: 'InstanceId', Value: i.id }], Timestamp: minute, Value: 0, Unit: 'Count' });
    }
    for (const v of await env.store.list<VolumeRec>(account.accountId, 'volume')) {
      if (v.State !== 'in-use' || !v.attachment || !running.has(v.attachment.InstanceId)) continue;
      of(v.AvailabilityZone).ebs.push({ MetricName: 'VolumeStalledIOCheck', Dimensions: [{ Name: 'VolumeId', Value: v.id }], Timestamp: minute, Value: 0, Unit: 'Count' });
    }
    for (const [region, data] of byRegion) {
      for (const [namespace, list] of [['AWS/EC2', data.ec2], ['AWS/EBS', data.ebs]] as const) {
        for (let k = 0; k < list.length; k += 999) {
          const chunk = list.slice(k, k + 999);
          if (await publishAwsMetrics(env.gw, { accountId: account.accountId, region }, namespace, chunk)) n += chunk.length;
        }
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
