// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * How the gateway's other services publish the AWS/* metrics CloudWatch shows for them
 * (AWS/S3 BucketSizeBytes and NumberOfObjects daily, AWS/DynamoDB ConsumedRead/WriteCapacityUnits,
 * AWS/EC2 CPUUtilization from the compute backend, AWS/EBS volume metrics…):
 *
 *   import { publishAwsMetrics } from '../cloudwatch/publish.js';
 *   await publishAwsMetrics(ctx.gateway, { accountId, region }, 'AWS/S3', [
 *     { MetricName: 'NumberOfObjects', Dimensions: [{ Name: 'BucketName', Value: b }, { Name: 'StorageType', Value: 'AllStorageTypes' }], Value: n, Unit: 'Count' },
 *   ]);
 *
 * Customers cannot write AWS/ namespaces through PutMetricData; this path is the gateway's own.
 * publishMetrics (any namespace) serves gateway features that produce customers' metrics, such as
 * CloudWatch Logs metric filters.
 * It answers false (and stores nothing) when the CloudWatch service is not running in this gateway.
 */
import type { Gateway } from '../../src/gateway.js';
import { sortDimensions, type Dimension, type MetricBackend, type MetricPoint, type Tenant } from './backend.js';
import { STANDARD_UNITS } from './validate.js';

const attached = new WeakMap<Gateway, MetricBackend>();

export function attachPublisher(gw: Gateway, backend: MetricBackend): void {
  attached.set(gw, backend);
}

export interface PublishedDatum {
  MetricName: string;
  Dimensions?: Dimension[];
  /** Epoch ms; the gateway clock when absent. */
  Timestamp?: number;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Unit?: string;
}

export async function publishAwsMetrics(gw: Gateway, tenant: Tenant, namespace: string, data: PublishedDatum[]): Promise<boolean> {
  if (!namespace.startsWith('AWS/')) throw new Error(`publishAwsMetrics is for AWS/ namespaces, not ${namespace}`);
  return publishMetrics(gw, tenant, namespace, data);
}

/** Any namespace: for gateway features that write customers' metrics (Logs metric filters). */
export async function publishMetrics(gw: Gateway, tenant: Tenant, namespace: string, data: PublishedDatum[]): Promise<boolean> {
  const backend = attached.get(gw);
  if (!backend || data.length === 0) return false;
  const now = gw.clock.now();
  const points: MetricPoint[] = data.map((d) => {
    const unit = d.Unit ?? 'None';
    if (!STANDARD_UNITS.has(unit)) throw new Error(`unknown CloudWatch unit ${unit}`);
    const base = { metric: { namespace, metricName: d.MetricName, dimensions: sortDimensions(d.Dimensions ?? []) }, timestamp: d.Timestamp ?? now, unit, storageResolution: 60 as const };
    if (d.StatisticValues) {
      const s = d.StatisticValues;
      return { ...base, stats: { sampleCount: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum } };
    }
    if (d.Value === undefined || !Number.isFinite(d.Value)) throw new Error(`metric ${d.MetricName} needs a finite Value or StatisticValues`);
    return { ...base, values: [d.Value] };
  });
  await backend.put(tenant, points, now);
  return true;
}
