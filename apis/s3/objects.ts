// SPDX-License-Identifier: AGPL-3.0-or-later
/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects. */
import { Readable } from 'node:stream';
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError, isAwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import { ObjectChangedError, type ObjectInfo, type WriteConditions } from './backend.js';
import { aclAllows } from './acl.js';
import { authorize, bucketFor, bucketRecord, checkKey, invalidArgument, header, headerNotImplemented, invalidRequest, type BucketRecord, type S3Env } from './common.js';
import { methodNotAllowed, noSuchKey, noSuchVersion } from './errors.js';
import { checkReadable, restoreHeader } from './archive.js';
import { checkDeletable } from './object-lock.js';
import { objectOwner } from './ownership.js';
import { checksumOutput, contentMd5Of, evaluateConditions, infoOutput, metaFromInput, parseRange, requestedChecksums } from './objmeta.js';
import type * as S from './shapes.gen.js';

export const MAX_PUT_SIZE = 5 * 1024 ** 3;

/**
 * Keeps a request body that errors (client gone) before anything reads it from becoming an
 * uncaught 'error' event; the reader still sees the error.
 */
export function guardBody<B extends Readable | undefined>(body: B): B {
  body?.on('error', () => undefined);
  return body;
}

/** The declared body length: aws-chunked's decoded length, else Content-Length. */
export function bodyLength(ctx: RequestContext, contentLength: number | undefined): number {
  const n = ctx.http.decodedContentLength ?? contentLength;
  if (n === undefined) throw new AwsError('MissingContentLength', 'You must provide the Content-Length HTTP header.', { status: 411 });
  return n;
}

export function tooLarge(size: number, max: number): AwsError {
  return new AwsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { status: 400, fields: { ProposedSize: size, MaxSizeAllowed: max } });
}

/** Write preconditions of PutObject / CompleteMultipartUpload. */
export function writeConditions(ifNoneMatch: string | undefined, ctx: RequestContext): WriteConditions | undefined {
  const ifMatch = header(ctx, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw headerNotImplemented('If-None-Match');
  return { ifNoneMatchStar: ifNoneMatch !== undefined, ifMatch };
}

/** Finds the version a GET/HEAD addresses, with S3's answers for missing keys and delete markers. */
export async function findVersion(env: S3Env, bucket: BucketRecord, key: string, versionId: string | undefined): Promise<ObjectInfo> {
  return foundVersion(key, versionId, await env.backend.headObject(bucket.name, key, versionId));
}

/** The version a lookup found, or S3's answer for a missing key, version or a delete marker. */
function foundVersion(key: string, versionId: string | undefined, info: ObjectInfo | undefined): ObjectInfo {
  if (!info) throw versionId === undefined ? noSuchKey(key) : noSuchVersion(key, versionId);
  if (info.deleteMarker) {
    const headers: Record<string, string> = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': info.versionId };
    if (versionId === undefined) throw new AwsError('NoSuchKey', 'The specified key does not exist.', { status: 404, fields: { Key: key }, headers });
    const e = methodNotAllowed();
    throw new AwsError(e.code, e.message, { status: 405, fields: { Method: 'GET', ResourceType: 'DeleteMarker' }, headers: { ...headers, 'Last-Modified': new Date(info.lastModified).toUTCString() } });
  }
  return info;
}

/**
 * Runs a lookup-then-open sequence again when an overwrite or delete landed in between
 * (ObjectChangedError from the backend), a few times at most.
 */
export async function withFreshVersion<R>(fn: () => Promise<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ObjectChangedError) || attempt >= 3) throw e;
    }
  }
}

/** True when the object's own canned ACL lets this caller read it. */
export async function objectReadable(env: S3Env, ctx: RequestContext, bucket: string, key: string, versionId?: string): Promise<boolean> {
  const info = await env.backend.headObject(bucket, key, versionId);
  return info !== undefined && !info.deleteMarker && aclAllows(info.owner, info.acl, info.grants, ctx.principal, 'READ');
}

/** The byte range of part `n` (a simple object is its own part 1). */
function partRange(info: ObjectInfo, n: number): { start: number; end: number } | undefined {
  const sizes = info.partSizes ?? [info.size];
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', n);
  if (n > sizes.length) throw invalidPartNumber();
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += sizes[i];
  if (sizes[n - 1] === 0) return undefined;
  return { start, end: start + sizes[n - 1] - 1 };
}

function invalidPartNumber(): AwsError {
  return new AwsError('InvalidPartNumber', 'The requested partnumber is not satisfiable', { status: 416 });
}

const RESPONSE_OVERRIDES: Array<[keyof S.GetObjectInput, string]> = [
  ['ResponseCacheControl', 'CacheControl'],
  ['ResponseContentDisposition', 'ContentDisposition'],
  ['ResponseContentEncoding', 'ContentEncoding'],
  ['ResponseContentLanguage', 'ContentLanguage'],
  ['ResponseContentType', 'ContentType'],
];

export function objectOps(env: S3Env): Record<string, Handler> {
  const PutObject: Handler<S.PutObjectInput, S.PutObjectOutput> = async (ctx, input) => {
    guardBody(input.Body);
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkKey(input.Key);
    const meta = metaFromInput(input, ctx, bucket);
    const size = bodyLength(ctx, input.ContentLength);
    if (size > MAX_PUT_SIZE) throw tooLarge(size, MAX_PUT_SIZE);
    const { checksums, trailing } = requestedChecksums(ctx, input.ChecksumAlgorithm);
    const info = await env.backend.putObject(bucket.name, input.Key, input.Body ?? Readable.from([]), meta, {
      versioning: bucket.versioning,
      contentLength: size,
      contentMd5: contentMd5Of(input.ContentMD5),
      checksums,
      trailingChecksums: trailing,
      conditions: writeConditions(input.IfNoneMatch, ctx),
      owner: objectOwner(bucket, ctx.accountId, input.ACL),
      signal: ctx.signal,
    });
    const cs = checksumOutput(info.checksums);
    return { ETag: info.etag, VersionId: bucket.versioning ? info.versionId : undefined, ServerSideEncryption: info.serverSideEncryption, ...cs.members, $headers: cs.headers };
  };

  const readObject = async (ctx: RequestContext, input: S.GetObjectInput | S.HeadObjectInput, withBody: boolean) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'read', { key: input.Key, objectGrant: () => objectReadable(env, ctx, input.Bucket, input.Key, input.VersionId) });
    if (input.SSECustomerAlgorithm !== undefined) throw headerNotImplemented('x-amz-server-side-encryption-customer-algorithm');
    return withFreshVersion(() => readVersion(ctx, bucket, input, withBody));
  };

  const readVersion = async (ctx: RequestContext, bucket: BucketRecord, input: S.GetObjectInput | S.HeadObjectInput, withBody: boolean) => {
    // a backend that looks up and reads in one request does both for a whole-object GET
    const pre = withBody && input.Range === undefined && input.PartNumber === undefined && env.backend.getObject ? await env.backend.getObject(bucket.name, input.Key, input.VersionId) : undefined;
    try {
      const out = await readFound(ctx, bucket, input, withBody, pre ? foundVersion(input.Key, input.VersionId, pre.info) : await findVersion(env, bucket, input.Key, input.VersionId), pre?.body);
      if (pre && out.Body !== pre.body) pre.discard();
      return out;
    } catch (e) {
      pre?.discard();
      throw e;
    }
  };

  const readFound = async (ctx: RequestContext, bucket: BucketRecord, input: S.GetObjectInput | S.HeadObjectInput, withBody: boolean, info: ObjectInfo, opened: Readable | undefined) => {
    const now = ctx.gateway.clock.now();
    if (withBody) checkReadable(info, now);
    evaluateConditions(input, info);
    let range = parseRange(input.Range, info.size);
    if (input.PartNumber !== undefined) {
      if (input.Range !== undefined) throw invalidRequest('Cannot specify both Range header and partNumber query parameter');
      range = partRange(info, input.PartNumber);
    }
    const checksumMode = input.ChecksumMode === 'ENABLED' && range === undefined;
    const out = infoOutput(info, bucket, checksumMode);
    for (const [inName, outName] of RESPONSE_OVERRIDES) {
      const v = (input as S.GetObjectInput)[inName];
      if (v === undefined) continue;
      if (ctx.principal.kind === 'anonymous') throw invalidRequest('Request specific response headers cannot be used for anonymous GET requests.');
      out[outName] = v;
    }
    const expires = (input as S.GetObjectInput).ResponseExpires;
    if (expires !== undefined) out.Expires = expires;
    if (range) {
      out.ContentLength = range.end - range.start + 1;
      out.ContentRange = `bytes ${range.start}-${range.end}/${info.size}`;
      out.$status = 206;
    }
    if (input.PartNumber !== undefined) out.PartsCount = info.partsCount ?? 1;
    out.Restore = restoreHeader(info, now);
    if (withBody) out.Body = opened && range === undefined ? opened : await env.backend.openObject(info, bucket.name, range);
    return out;
  };

  const GetObject: Handler<S.GetObjectInput, S.GetObjectOutput> = (ctx, input) => readObject(ctx, input, true) as Promise<S.GetObjectOutput>;
  const HeadObject: Handler<S.HeadObjectInput, S.HeadObjectOutput> = (ctx, input) => readObject(ctx, input, false) as Promise<S.HeadObjectOutput>;

  const DeleteObject: Handler<S.DeleteObjectInput, S.DeleteObjectOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkKey(input.Key);
    if (input.VersionId !== undefined && bucket.objectLock) checkDeletable(ctx, bucket, await env.backend.headObject(bucket.name, input.Key, input.VersionId));
    const r = await env.backend.deleteObject(bucket.name, input.Key, input.VersionId, bucket.versioning, ctx.accountId);
    return { DeleteMarker: r.deleteMarker ? true : undefined, VersionId: r.versionId };
  };

  const DeleteObjects: Handler<S.DeleteObjectsInput, S.DeleteObjectsOutput> = async (ctx, input) => {
    const bucket = await bucketRecord(ctx, input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    if (objects.length === 0 || objects.length > 1000) throw malformedXml();
    const hasDigest = header(ctx, 'content-md5') !== undefined || Object.keys(ctx.http.headers).some((h) => h.startsWith('x-amz-checksum-'));
    if (!hasDigest) throw invalidRequest('Missing required header for this request: Content-MD5');
    const Deleted: NonNullable<S.DeleteObjectsOutput['Deleted']> = [];
    const Errors: NonNullable<S.DeleteObjectsOutput['Errors']> = [];
    for (const o of objects) {
      if (o.Key === undefined) throw malformedXml();
      try {
        checkKey(o.Key);
        await authorize(ctx, bucket, 'write', { key: o.Key });
        if (o.VersionId !== undefined && bucket.objectLock) checkDeletable(ctx, bucket, await env.backend.headObject(bucket.name, o.Key, o.VersionId));
        const r = await env.backend.deleteObject(bucket.name, o.Key, o.VersionId, bucket.versioning, ctx.accountId);
        if (input.Delete?.Quiet) continue;
        Deleted.push({
          Key: o.Key,
          VersionId: o.VersionId,
          DeleteMarker: r.deleteMarker ? true : undefined,
          DeleteMarkerVersionId: r.deleteMarker ? r.versionId : undefined,
        });
      } catch (e) {
        if (!isAwsError(e) || e.status >= 500) throw e;
        Errors.push({ Key: o.Key, VersionId: o.VersionId, Code: e.code, Message: e.message });
      }
    }
    return { Deleted: Deleted.length ? Deleted : undefined, Errors: Errors.length ? Errors : undefined };
  };

  return { PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects };
}
