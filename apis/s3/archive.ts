// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Archive storage classes (GLACIER, DEEP_ARCHIVE): such objects cannot be read until restored
 * (InvalidObjectState), as in S3. RestoreObject makes a temporary readable copy for `Days`; here
 * the bytes are always on disk, so a restore completes at once (202 the first time, 200 while a
 * restored copy exists), and HEAD/GET report it in `x-amz-restore`.
 */
import type { Handler } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import type { ObjectInfo } from './backend.js';
import { bucketFor, type S3Env } from './common.js';
import { findVersion } from './objects.js';
import type * as S from './shapes.gen.js';

const DAY = 86_400_000;
export const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** Throws InvalidObjectState when `info` is archived and has no restored copy at `now`. */
export function checkReadable(info: ObjectInfo, now: number): void {
  if (!info.storageClass || !ARCHIVE_CLASSES.has(info.storageClass)) return;
  if (info.restoredUntil !== undefined && info.restoredUntil > now) return;
  throw new AwsError('InvalidObjectState', "The operation is not valid for the object's storage class", {
    status: 403,
    fields: { StorageClass: info.storageClass },
  });
}

/** The x-amz-restore header of an archived object with a restored copy. */
export function restoreHeader(info: ObjectInfo, now: number): string | undefined {
  if (info.restoredUntil === undefined || info.restoredUntil <= now) return undefined;
  return `ongoing-request="false", expiry-date="${new Date(info.restoredUntil).toUTCString()}"`;
}

export function archiveOps(env: S3Env): Record<string, Handler> {
  const RestoreObject: S.Operations['RestoreObject'] = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    const info = await findVersion(env, bucket, input.Key, input.VersionId);
    const req = input.RestoreRequest;
    if (req?.Type === 'SELECT') throw new AwsError('NotImplemented', 'Restore with SELECT is not implemented by this gateway.', { status: 501, fault: 'Receiver' });
    if (!info.storageClass || !ARCHIVE_CLASSES.has(info.storageClass)) {
      throw new AwsError('InvalidObjectState', 'Restore is not allowed for the object\'s current storage class', { status: 403, fields: { StorageClass: info.storageClass ?? 'STANDARD' } });
    }
    const days = req?.Days;
    if (days === undefined || !Number.isInteger(days) || days < 1) throw malformedXml();
    const now = ctx.gateway.clock.now();
    const already = info.restoredUntil !== undefined && info.restoredUntil > now;
    // expiry: midnight UTC after `days` days, as S3 rounds it
    const until = Math.ceil((now + days * DAY) / DAY) * DAY;
    await env.backend.updateObjectMeta(bucket.name, info.key, info.versionId, { restoredUntil: until });
    return { $status: already ? 200 : 202 };
  };
  return { RestoreObject };
}
