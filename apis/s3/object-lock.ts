// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Object Lock: buckets created with it (versioning always on), a default retention, per-version
 * retention (GOVERNANCE / COMPLIANCE until a date) and legal holds. A protected version cannot
 * be deleted (GOVERNANCE yields to `x-amz-bypass-governance-retention: true` from the bucket
 * owner); new versions and delete markers may still be written, as in S3.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import type { ObjectInfo, ObjectLock, ObjectMeta } from './backend.js';
import { bucketFor, bucketKey, header, invalidArgument, invalidRequest, S3_TABLE, type BucketRecord, type S3Env } from './common.js';
import { findVersion } from './objects.js';
import type * as S from './shapes.gen.js';

const DAY = 86_400_000;
const MODES = new Set(['GOVERNANCE', 'COMPLIANCE']);

export interface BucketObjectLock {
  enabled: true;
  rule?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days?: number; years?: number };
}

function noLockConfiguration(): AwsError {
  return invalidRequest('Bucket is missing Object Lock Configuration');
}

/** The lock a new object gets: explicit headers, else the bucket's default retention. */
export function lockForNewObject(
  b: BucketRecord,
  input: { ObjectLockMode?: string; ObjectLockRetainUntilDate?: Date; ObjectLockLegalHoldStatus?: string },
  now: number,
): ObjectLock | undefined {
  const explicit = input.ObjectLockMode !== undefined || input.ObjectLockRetainUntilDate !== undefined || input.ObjectLockLegalHoldStatus !== undefined;
  if (!b.objectLock) {
    if (explicit) throw noLockConfiguration();
    return undefined;
  }
  if ((input.ObjectLockMode === undefined) !== (input.ObjectLockRetainUntilDate === undefined)) {
    throw invalidArgument('x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied', 'x-amz-object-lock-mode', input.ObjectLockMode ?? '');
  }
  const lock: ObjectLock = {};
  if (input.ObjectLockMode !== undefined) {
    if (!MODES.has(input.ObjectLockMode)) throw invalidArgument('Unknown wormMode directive.', 'x-amz-object-lock-mode', input.ObjectLockMode);
    const until = input.ObjectLockRetainUntilDate!.getTime();
    if (until <= now) throw invalidArgument('The retain until date must be in the future!', 'x-amz-object-lock-retain-until-date', input.ObjectLockRetainUntilDate!.toISOString());
    lock.mode = input.ObjectLockMode as ObjectLock['mode'];
    lock.until = until;
  } else if (b.objectLock.rule) {
    const r = b.objectLock.rule;
    lock.mode = r.mode;
    lock.until = now + (r.days ?? (r.years ?? 0) * 365) * DAY;
  }
  if (input.ObjectLockLegalHoldStatus !== undefined) {
    if (input.ObjectLockLegalHoldStatus !== 'ON' && input.ObjectLockLegalHoldStatus !== 'OFF') throw invalidArgument('Unknown legal hold status', 'x-amz-object-lock-legal-hold', input.ObjectLockLegalHoldStatus);
    lock.legalHold = input.ObjectLockLegalHoldStatus === 'ON';
  }
  return lock.mode || lock.legalHold ? lock : undefined;
}

/** The response members describing a version's lock. */
export function lockOutput(lock: ObjectLock | undefined): Record<string, unknown> {
  if (!lock) return {};
  return {
    ObjectLockMode: lock.mode && lock.until !== undefined ? lock.mode : undefined,
    ObjectLockRetainUntilDate: lock.until !== undefined ? new Date(lock.until) : undefined,
    ObjectLockLegalHoldStatus: lock.legalHold !== undefined ? (lock.legalHold ? 'ON' : 'OFF') : undefined,
  };
}

function bypass(ctx: RequestContext, b: BucketRecord): boolean {
  return header(ctx, 'x-amz-bypass-governance-retention')?.toLowerCase() === 'true' && ctx.principal.kind !== 'anonymous' && ctx.accountId === b.owner;
}

/** Refuses to delete (or shorten the lock of) a protected version. */
export function checkDeletable(ctx: RequestContext, b: BucketRecord, info: ObjectInfo | undefined): void {
  const lock = info?.lock;
  if (!lock) return;
  const now = ctx.gateway.clock.now();
  if (lock.legalHold) throw new AwsError('AccessDenied', 'Access Denied because object protected by object lock.', { status: 403 });
  if (lock.until !== undefined && lock.until > now) {
    if (lock.mode === 'COMPLIANCE' || !bypass(ctx, b)) throw new AwsError('AccessDenied', 'Access Denied because object protected by object lock.', { status: 403 });
  }
}

export function objectLockOps(env: S3Env): Record<string, Handler> {
  const table = (ctx: RequestContext) => ctx.gateway.state.table<BucketRecord>(S3_TABLE);

  const PutObjectLockConfiguration: Handler<S.PutObjectLockConfigurationInput, S.PutObjectLockConfigurationOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.objectLock) throw new AwsError('InvalidBucketState', 'Object Lock configuration cannot be enabled on existing buckets', { status: 409 });
    const c = input.ObjectLockConfiguration;
    if (!c || c.ObjectLockEnabled !== 'Enabled') throw malformedXml();
    let rule: BucketObjectLock['rule'];
    const d = c.Rule?.DefaultRetention;
    if (c.Rule) {
      if (!d || !d.Mode || !MODES.has(d.Mode) || (d.Days === undefined) === (d.Years === undefined)) throw malformedXml();
      if ((d.Days ?? d.Years ?? 0) <= 0) throw new AwsError('InvalidArgument', 'Default retention period must be a positive integer value', { status: 400 });
      rule = { mode: d.Mode as 'GOVERNANCE' | 'COMPLIANCE', days: d.Days, years: d.Years };
    }
    await table(ctx).update(bucketKey(b.name), (cur) => (cur ? { ...cur, objectLock: { enabled: true, rule } } : cur));
    return {};
  };

  const GetObjectLockConfiguration: Handler<S.GetObjectLockConfigurationInput, S.GetObjectLockConfigurationOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.objectLock) throw new AwsError('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', { status: 404, fields: { BucketName: b.name } });
    const r = b.objectLock.rule;
    return { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: r ? { DefaultRetention: { Mode: r.mode, Days: r.days, Years: r.years } } : undefined } };
  };

  const versionOf = async (ctx: RequestContext, input: { Bucket: string; Key: string; VersionId?: string }, access: 'read' | 'write') => {
    const b = await bucketFor(ctx, input.Bucket, access, { key: input.Key });
    if (!b.objectLock) throw noLockConfiguration();
    return { b, info: await findVersion(env, b, input.Key, input.VersionId) };
  };

  const update = (b: BucketRecord, info: ObjectInfo, lock: ObjectLock | undefined) =>
    env.backend.updateObjectMeta(b.name, info.key, info.versionId, { lock } as Partial<Pick<ObjectMeta, 'lock'>>);

  const GetObjectRetention: Handler<S.GetObjectRetentionInput, S.GetObjectRetentionOutput> = async (ctx, input) => {
    const { info } = await versionOf(ctx, input, 'read');
    if (!info.lock?.mode) throw new AwsError('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', { status: 404 });
    return { Retention: { Mode: info.lock.mode, RetainUntilDate: new Date(info.lock.until!) } };
  };

  const PutObjectRetention: Handler<S.PutObjectRetentionInput, S.PutObjectRetentionOutput> = async (ctx, input) => {
    const { b, info } = await versionOf(ctx, input, 'write');
    const r = input.Retention;
    if (!r || (r.Mode !== undefined && !MODES.has(r.Mode))) throw malformedXml();
    const cur = info.lock;
    const now = ctx.gateway.clock.now();
    const until = r.RetainUntilDate?.getTime();
    const weakens = cur?.until !== undefined && cur.until > now && (until === undefined || until < cur.until || (cur.mode === 'COMPLIANCE' && r.Mode === 'GOVERNANCE'));
    if (weakens && (cur!.mode === 'COMPLIANCE' || !bypass(ctx, b))) throw new AwsError('AccessDenied', 'Access Denied because object protected by object lock.', { status: 403 });
    if (until !== undefined && until <= now) throw invalidArgument('The retain until date must be in the future!', 'RetainUntilDate', r.RetainUntilDate!.toISOString());
    await update(b, info, { ...cur, mode: r.Mode as ObjectLock['mode'], until });
    return {};
  };

  const GetObjectLegalHold: Handler<S.GetObjectLegalHoldInput, S.GetObjectLegalHoldOutput> = async (ctx, input) => {
    const { info } = await versionOf(ctx, input, 'read');
    if (info.lock?.legalHold === undefined) throw new AwsError('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', { status: 404 });
    return { LegalHold: { Status: info.lock.legalHold ? 'ON' : 'OFF' } };
  };

  const PutObjectLegalHold: Handler<S.PutObjectLegalHoldInput, S.PutObjectLegalHoldOutput> = async (ctx, input) => {
    const { b, info } = await versionOf(ctx, input, 'write');
    const st = input.LegalHold?.Status;
    if (st !== 'ON' && st !== 'OFF') throw malformedXml();
    await update(b, info, { ...info.lock, legalHold: st === 'ON' });
    return {};
  };

  return { PutObjectLockConfiguration, GetObjectLockConfiguration, GetObjectRetention, PutObjectRetention, GetObjectLegalHold, PutObjectLegalHold };
}
