// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CopyObject and the copy source of UploadPartCopy: `x-amz-copy-source` parsing, source access,
 * `x-amz-copy-source-if-*` conditions, metadata/tagging directives. Bytes are streamed from the
 * source version into a new write through the backend interface.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { ObjectInfo, ObjectMeta, PutOptions } from './backend.js';
import { bucketFor, checkKey, invalidArgument, invalidRequest, type BucketRecord, type S3Env } from './common.js';
import { checkReadable } from './archive.js';
import { noSuchKey } from './errors.js';
import { objectOwner } from './ownership.js';
import { findVersion, MAX_PUT_SIZE, objectReadable, withFreshVersion, writeConditions } from './objects.js';
import { checksumOutput, evaluateConditions, metaFromInput, parseTagging, requestedChecksums } from './objmeta.js';
import type * as S from './shapes.gen.js';

export interface CopySource {
  bucket: BucketRecord;
  info: ObjectInfo;
}

interface CopyConditions {
  CopySourceIfMatch?: string;
  CopySourceIfNoneMatch?: string;
  CopySourceIfModifiedSince?: Date;
  CopySourceIfUnmodifiedSince?: Date;
}

/** Parses `bucket/key[?versionId=…]` (URL-encoded, optional leading '/'), checks read access and conditions. */
export async function resolveCopySource(env: S3Env, ctx: RequestContext, raw: string, cond: CopyConditions): Promise<CopySource> {
  let s = raw.startsWith('/') ? raw.slice(1) : raw;
  let versionId: string | undefined;
  const q = s.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(s.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
    s = s.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(s);
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', raw);
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', raw);
  const bucketName = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  const bucket = await bucketFor(ctx, bucketName, 'read', { key, action: 's3:GetObject', objectGrant: () => objectReadable(env, ctx, bucketName, key, versionId) });
  let info: ObjectInfo;
  try {
    info = await findVersion(env, bucket, key, versionId);
  } catch (e) {
    if (e instanceof AwsError && e.status === 405) throw invalidRequest('The source of a copy request may not specifically refer to a delete marker by version id.');
    if (e instanceof AwsError && e.status === 404 && e.code === 'NoSuchKey') throw noSuchKey(key);
    throw e;
  }
  checkReadable(info, ctx.gateway.clock.now());
  evaluateConditions(
    { IfMatch: cond.CopySourceIfMatch, IfNoneMatch: cond.CopySourceIfNoneMatch, IfModifiedSince: cond.CopySourceIfModifiedSince, IfUnmodifiedSince: cond.CopySourceIfUnmodifiedSince },
    info,
    'x-amz-copy-source-',
  );
  return { bucket, info };
}

export function copyOps(env: S3Env): Record<string, Handler> {
  const CopyObject: Handler<S.CopyObjectInput, S.CopyObjectOutput> = async (ctx, input) => {
    const dest = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkKey(input.Key);
    return withFreshVersion(() => copyOnce(ctx, input, dest));
  };

  const copyOnce = async (ctx: RequestContext, input: S.CopyObjectInput, dest: BucketRecord) => {
    const src = await resolveCopySource(env, ctx, input.CopySource, input);
    const directive = input.MetadataDirective ?? 'COPY';
    const tagDirective = input.TaggingDirective ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    if (tagDirective !== 'COPY' && tagDirective !== 'REPLACE') throw invalidArgument('Unknown tagging directive.', 'x-amz-tagging-directive', tagDirective);
    const replaced = metaFromInput(input, ctx, dest);
    const meta = directive === 'REPLACE' ? replaced : { ...src.info, storageClass: input.StorageClass !== undefined ? replaced.storageClass : src.info.storageClass, acl: replaced.acl, websiteRedirectLocation: input.WebsiteRedirectLocation ?? src.info.websiteRedirectLocation };
    meta.tags = tagDirective === 'REPLACE' ? (input.Tagging !== undefined ? parseTagging(input.Tagging) : undefined) : src.info.tags;
    const sameObject = src.bucket.name === dest.name && src.info.key === input.Key && src.info.isLatest;
    if (sameObject && directive === 'COPY' && input.StorageClass === undefined && input.WebsiteRedirectLocation === undefined && !dest.versioning) {
      throw invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    if (src.info.size > MAX_PUT_SIZE) throw invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_SIZE}`);
    const { checksums } = requestedChecksums(ctx, input.ChecksumAlgorithm);
    for (const a of Object.keys(src.info.checksums)) if (!(a in checksums) && !src.info.checksums[a as keyof typeof src.info.checksums]?.includes('-')) checksums[a as keyof typeof checksums] = null;
    const copied: ObjectMeta = {
      contentType: meta.contentType,
      contentEncoding: meta.contentEncoding,
      contentDisposition: meta.contentDisposition,
      contentLanguage: meta.contentLanguage,
      cacheControl: meta.cacheControl,
      expires: meta.expires,
      userMetadata: meta.userMetadata,
      storageClass: meta.storageClass,
      websiteRedirectLocation: meta.websiteRedirectLocation,
      tags: meta.tags,
      acl: replaced.acl,
      grants: replaced.grants,
      lock: replaced.lock,
      serverSideEncryption: replaced.serverSideEncryption,
    };
    const opts: PutOptions = { versioning: dest.versioning, contentLength: src.info.size, checksums, conditions: writeConditions(undefined, ctx), owner: objectOwner(dest, ctx.accountId, input.ACL), signal: ctx.signal };
    // inside the store when the backend can (RGW: a server-side copy), else the bytes stream through
    const info =
      (await env.backend.copyObject?.({ bucket: src.bucket.name, info: src.info }, dest.name, input.Key, copied, opts)) ??
      (await env.backend.putObject(dest.name, input.Key, await env.backend.openObject(src.info, src.bucket.name), copied, opts));
    const cs = checksumOutput(info.checksums);
    return {
      CopyObjectResult: { ETag: info.etag, LastModified: new Date(info.lastModified), ...cs.members },
      VersionId: dest.versioning ? info.versionId : undefined,
      CopySourceVersionId: src.bucket.versioning ? src.info.versionId : undefined,
      ServerSideEncryption: info.serverSideEncryption,
      $headers: cs.headers,
    };
  };
  return { CopyObject };
}
