// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * AWS/S3's daily storage metrics, as S3 publishes them: once a day, timestamped at 00:00 UTC,
 * per bucket in the owner's account and the bucket's region,
 *  - BucketSizeBytes (Bytes) per StorageType (StandardStorage, StandardIAStorage, GlacierStorage…):
 *    every version, current and noncurrent, plus the parts of incomplete multipart uploads
 *    (counted as StandardStorage);
 *  - NumberOfObjects (Count, StorageType AllStorageTypes): every version and delete marker, plus
 *    the parts of incomplete multipart uploads.
 * Like S3, a bucket with nothing in it reports nothing. The day last reported is kept in the
 * state store, so a restarted gateway does not report a day twice.
 */
import type { Gateway } from '../../src/gateway.js';
import { publishAwsMetrics, type PublishedDatum } from '../cloudwatch/publish.js';
import { S3_TABLE, type BucketRecord, type S3Env } from './common.js';

const DAY = 86_400_000;

/** S3 storage class → the StorageType dimension value of BucketSizeBytes. */
const STORAGE_TYPE: Record<string, string> = {
  STANDARD: 'StandardStorage',
  REDUCED_REDUNDANCY: 'ReducedRedundancyStorage',
  STANDARD_IA: 'StandardIAStorage',
  ONEZONE_IA: 'OneZoneIAStorage',
  INTELLIGENT_TIERING: 'IntelligentTieringFAStorage',
  GLACIER_IR: 'GlacierInstantRetrievalStorage',
  GLACIER: 'GlacierStorage',
  DEEP_ARCHIVE: 'DeepArchiveStorage',
  EXPRESS_ONEZONE: 'ExpressOneZone',
};

export interface BucketUsage {
  bytesByType: Map<string, number>;
  objects: number;
}

/** Sums a bucket's versions and incomplete uploads, a page at a time. */
export async function bucketUsage(env: S3Env, bucket: string): Promise<BucketUsage> {
  const usage: BucketUsage = { bytesByType: new Map(), objects: 0 };
  const add = (type: string, bytes: number) => usage.bytesByType.set(type, (usage.bytesByType.get(type) ?? 0) + bytes);
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await env.backend.listObjectVersions(bucket, { keyMarker, versionIdMarker, limit: 1000 });
    for (const v of page.versions) {
      usage.objects++;
      if (!v.deleteMarker) add(STORAGE_TYPE[v.storageClass ?? 'STANDARD'] ?? 'StandardStorage', v.size);
    }
    if (!page.truncated) break;
    keyMarker = page.nextKeyMarker;
    versionIdMarker = page.nextVersionIdMarker;
  }
  let uploadKey: string | undefined;
  let uploadId: string | undefined;
  for (;;) {
    const up = await env.backend.listMultipartUploads(bucket, { keyMarker: uploadKey, uploadIdMarker: uploadId, limit: 1000 });
    for (const u of up.uploads) {
      let after = 0;
      for (;;) {
        const parts = await env.backend.listParts(bucket, u.uploadId, after, 1000);
        for (const p of parts.parts) {
          usage.objects++;
          add('StandardStorage', p.size);
          after = p.partNumber;
        }
        if (!parts.truncated) break;
      }
    }
    if (!up.truncated || up.uploads.length === 0) break;
    const last = up.uploads[up.uploads.length - 1]!;
    uploadKey = last.key;
    uploadId = last.uploadId;
  }
  return usage;
}

function datapoints(bucket: string, u: BucketUsage, day: number): PublishedDatum[] {
  const out: PublishedDatum[] = [];
  for (const [type, bytes] of u.bytesByType) {
    out.push({ MetricName: 'BucketSizeBytes', Dimensions: [{ Name: 'BucketName', Value: bucket }, { Name: 'StorageType', Value: type }], Timestamp: day, Value: bytes, Unit: 'Bytes' });
  }
  if (u.objects > 0) {
    out.push({ MetricName: 'NumberOfObjects', Dimensions: [{ Name: 'BucketName', Value: bucket }, { Name: 'StorageType', Value: 'AllStorageTypes' }], Timestamp: day, Value: u.objects, Unit: 'Count' });
  }
  return out;
}

/**
 * Reports today's storage metrics of every bucket, unless today was reported already (`force`
 * reports again). Answers the number of datapoints published.
 */
export async function publishStorageMetrics(gw: Gateway, env: S3Env, force = false): Promise<number> {
  const day = Math.floor(gw.clock.now() / DAY) * DAY;
  const marks = gw.state.table<{ day: number }>(S3_TABLE);
  const last = await marks.get('metrics/storage-day');
  if (!force && last && last.day >= day) return 0;
  let n = 0;
  for (const [, b] of await gw.state.table<BucketRecord>(S3_TABLE).range({ prefix: 'bucket/' })) {
    try {
      const data = datapoints(b.name, await bucketUsage(env, b.name), day);
      if (data.length && (await publishAwsMetrics(gw, { accountId: b.owner, region: b.region }, 'AWS/S3', data))) n += data.length;
    } catch (e) {
      gw.log.warn('s3 storage metrics failed', { bucket: b.name, error: (e as Error).message });
    }
  }
  await marks.put('metrics/storage-day', { day });
  return n;
}
