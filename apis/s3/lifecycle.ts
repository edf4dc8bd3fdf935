// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bucket lifecycle: configuration validation and the sweep that applies it — expiration of
 * current versions (Days / Date), of noncurrent versions (NoncurrentDays, NewerNoncurrentVersions),
 * of expired object delete markers, and abort of incomplete multipart uploads. Times follow S3:
 * "days after" rounds up to the next midnight UTC. Runs through the backend interface only.
 */
import type { Gateway } from '../../src/gateway.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import type { ObjectInfo } from './backend.js';
import { S3_TABLE, type BucketRecord, type S3Env } from './common.js';
import type { Rule2 } from './shapes.gen.js';

const DAY = 86_400_000;

function invalidRequest(message: string): AwsError {
  return new AwsError('InvalidRequest', message, { status: 400 });
}

export function validateLifecycle(rules: Rule2[] | undefined): Rule2[] {
  if (!rules || rules.length === 0) throw malformedXml();
  if (rules.length > 1000) throw invalidRequest('The number of lifecycle rules should not exceed allowed limit of 1000 rules');
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.Status !== 'Enabled' && r.Status !== 'Disabled') throw malformedXml();
    if (r.ID !== undefined) {
      if (r.ID.length > 255) throw new AwsError('InvalidArgument', 'ID length should not exceed allowed limit of 255', { status: 400 });
      if (ids.has(r.ID)) throw new AwsError('InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule', { status: 400 });
      ids.add(r.ID);
    }
    if (r.Prefix !== undefined && r.Filter !== undefined) throw malformedXml();
    if (r.Transitions?.length || r.NoncurrentVersionTransitions?.length) {
      throw new AwsError('NotImplemented', 'Lifecycle transitions are not implemented by this gateway (one storage class).', { status: 501, fault: 'Receiver' });
    }
    const e = r.Expiration;
    if (!e && !r.NoncurrentVersionExpiration && !r.AbortIncompleteMultipartUpload) throw invalidRequest('At least one action needs to be specified in a rule');
    if (e) {
      const set = [e.Days !== undefined, e.Date !== undefined, e.ExpiredObjectDeleteMarker !== undefined].filter(Boolean).length;
      if (set !== 1) throw malformedXml();
      if (e.Days !== undefined && e.Days <= 0) throw new AwsError('InvalidArgument', "'Days' for Expiration action must be a positive integer", { status: 400 });
      if (e.Date !== undefined && new Date(e.Date).getTime() % DAY !== 0) throw new AwsError('InvalidArgument', "'Date' must be at midnight GMT", { status: 400 });
    }
    const nc = r.NoncurrentVersionExpiration;
    if (nc && (nc.NoncurrentDays === undefined || nc.NoncurrentDays <= 0)) throw new AwsError('InvalidArgument', "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer", { status: 400 });
    const ab = r.AbortIncompleteMultipartUpload;
    if (ab && (ab.DaysAfterInitiation === undefined || ab.DaysAfterInitiation <= 0)) throw new AwsError('InvalidArgument', "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", { status: 400 });
    if (ab && (r.Filter?.Tag || r.Filter?.And?.Tags?.length)) throw invalidRequest('AbortIncompleteMultipartUpload cannot be specified with Tags.');
  }
  return rules;
}

/** The moment `days` after `t`, rounded up to the next midnight UTC (S3's rule). */
export function daysAfter(t: number, days: number): number {
  return Math.ceil((t + days * DAY) / DAY) * DAY;
}

function prefixOf(r: Rule2): string {
  return r.Filter?.And?.Prefix ?? r.Filter?.Prefix ?? r.Prefix ?? '';
}

function matches(r: Rule2, o: ObjectInfo): boolean {
  if (!o.key.startsWith(prefixOf(r))) return false;
  const f = r.Filter;
  const tags = [...(f?.Tag ? [f.Tag] : []), ...(f?.And?.Tags ?? [])];
  for (const t of tags) if (!o.tags?.some((x) => x.Key === t.Key && x.Value === t.Value)) return false;
  const gt = f?.And?.ObjectSizeGreaterThan ?? f?.ObjectSizeGreaterThan;
  const lt = f?.And?.ObjectSizeLessThan ?? f?.ObjectSizeLessThan;
  if (gt !== undefined && !(o.size > gt)) return false;
  if (lt !== undefined && !(o.size < lt)) return false;
  return true;
}

/** Versions under Object Lock are never expired. */
function locked(v: ObjectInfo, now: number): boolean {
  return v.lock?.legalHold === true || (v.lock?.until !== undefined && v.lock.until > now);
}

export interface LifecycleReport {
  expired: number;
  noncurrentExpired: number;
  markersRemoved: number;
  uploadsAborted: number;
}

/** One sweep over every bucket with a lifecycle configuration. */
export async function runLifecycle(gw: Gateway, env: S3Env): Promise<LifecycleReport> {
  const report: LifecycleReport = { expired: 0, noncurrentExpired: 0, markersRemoved: 0, uploadsAborted: 0 };
  const now = gw.clock.now();
  const buckets = await gw.state.table<BucketRecord>(S3_TABLE).range({ prefix: 'bucket/' });
  for (const [, b] of buckets) {
    for (const rule of b.lifecycle ?? []) {
      if (rule.Status !== 'Enabled') continue;
      try {
        await applyRule(env, b, rule, now, report);
      } catch (e) {
        gw.log.warn('lifecycle rule failed', { bucket: b.name, rule: rule.ID, err: e });
      }
    }
  }
  return report;
}

async function applyRule(env: S3Env, b: BucketRecord, rule: Rule2, now: number, report: LifecycleReport): Promise<void> {
  const prefix = prefixOf(rule);
  const e = rule.Expiration;
  if (e?.Days !== undefined || e?.Date !== undefined) {
    const due = (o: ObjectInfo) => (e.Date !== undefined ? new Date(e.Date).getTime() <= now : daysAfter(o.lastModified, e.Days!) <= now);
    let after: string | undefined;
    for (;;) {
      const page = await env.backend.listObjects(b.name, { prefix, after, limit: 1000 });
      for (const o of page.objects) {
        if (matches(rule, o) && due(o)) {
          await env.backend.deleteObject(b.name, o.key, undefined, b.versioning, b.owner);
          report.expired++;
        }
      }
      if (!page.truncated) break;
      after = page.last;
    }
  }
  const nc = rule.NoncurrentVersionExpiration;
  if (nc || e?.ExpiredObjectDeleteMarker) {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    let current: ObjectInfo[] = [];
    const flush = async (versions: ObjectInfo[]) => {
      if (!versions.length) return;
      // versions of one key, newest first; the i-th became noncurrent when the (i-1)-th was written
      let noncurrentSeen = 0;
      for (let i = 1; i < versions.length; i++) {
        const v = versions[i];
        if (!nc || v.deleteMarker || !matches(rule, v) || locked(v, now)) continue;
        noncurrentSeen++;
        if (nc.NewerNoncurrentVersions !== undefined && noncurrentSeen <= nc.NewerNoncurrentVersions) continue;
        if (daysAfter(versions[i - 1].lastModified, nc.NoncurrentDays!) <= now) {
          await env.backend.deleteObject(b.name, v.key, v.versionId, b.versioning, b.owner);
          report.noncurrentExpired++;
        }
      }
      const latest = versions[0];
      if (e?.ExpiredObjectDeleteMarker && latest.deleteMarker && latest.isLatest && latest.key.startsWith(prefix)) {
        const rest = await env.backend.listObjectVersions(b.name, { prefix: latest.key, limit: 2 });
        if (rest.versions.filter((v) => v.key === latest.key).length === 1) {
          await env.backend.deleteObject(b.name, latest.key, latest.versionId, b.versioning, b.owner);
          report.markersRemoved++;
        }
      }
    };
    for (;;) {
      const page = await env.backend.listObjectVersions(b.name, { prefix, keyMarker, versionIdMarker, limit: 1000 });
      for (const v of page.versions) {
        if (current.length && current[0].key !== v.key) {
          await flush(current);
          current = [];
        }
        current.push(v);
      }
      if (!page.truncated) break;
      keyMarker = page.nextKeyMarker;
      versionIdMarker = page.nextVersionIdMarker;
    }
    await flush(current);
  }
  const ab = rule.AbortIncompleteMultipartUpload;
  if (ab?.DaysAfterInitiation !== undefined) {
    const { uploads } = await env.backend.listMultipartUploads(b.name, { prefix, limit: 100_000 });
    for (const u of uploads) {
      if (daysAfter(u.initiated, ab.DaysAfterInitiation) <= now) {
        await env.backend.abortMultipartUpload(b.name, u.uploadId);
        report.uploadsAborted++;
      }
    }
  }
}
