// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Object metadata in and out: request headers → ObjectMeta (PutObject, CopyObject REPLACE,
 * CreateMultipartUpload), ObjectInfo → response members (GetObject/HeadObject), checksums asked
 * for by the request, conditional headers and byte ranges.
 */
import { CHECKSUM_ALGORITHMS } from '../../src/checksums.js';
import type { RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { ByteRange, ChecksumAlgorithm, ObjectInfo, ObjectMeta } from './backend.js';
import { etagMatches, preconditionFailed } from './errors.js';
import { grantsFromHeaders } from './acl.js';
import { lockForNewObject, lockOutput } from './object-lock.js';
import { checkAclWrite } from './ownership.js';
import { header, headerNotImplemented, invalidArgument, type BucketRecord } from './common.js';

export const STORAGE_CLASSES = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE',
]);
export const CANNED_OBJECT_ACLS = new Set(['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control']);
export const ALGORITHMS: readonly ChecksumAlgorithm[] = CHECKSUM_ALGORITHMS;

export interface MetaInput {
  ACL?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  ContentType?: string;
  Metadata?: Record<string, string>;
  StorageClass?: string;
  WebsiteRedirectLocation?: string;
  Tagging?: string;
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
  SSEKMSKeyId?: string;
  ObjectLockMode?: string;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWriteACP?: string;
  GrantFullControl?: string;
}

/** Parses an `x-amz-tagging` / Tagging query-encoded tag set. */
export function parseTagging(s: string): Array<{ Key: string; Value: string }> {
  const tags: Array<{ Key: string; Value: string }> = [];
  const seen = new Set<string>();
  for (const [k, v] of new URLSearchParams(s)) {
    if (seen.has(k)) throw invalidArgument('Cannot provide multiple Tags with the same key', 'x-amz-tagging', s);
    seen.add(k);
    tags.push({ Key: k, Value: v });
  }
  validateTags(tags);
  return tags;
}

export function validateTags(tags: Array<{ Key: string; Value: string }>): void {
  if (tags.length > 10) throw new AwsError('BadRequest', 'Object tags cannot be greater than 10', { status: 400 });
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw new AwsError('InvalidTag', 'The TagKey you have provided is invalid', { status: 400, fields: { TagKey: t.Key } });
    if (t.Value.length > 256) throw new AwsError('InvalidTag', 'The TagValue you have provided is too long, max 256', { status: 400, fields: { TagKey: t.Key, TagValue: t.Value } });
  }
}

/** Refuses request features this gateway does not implement (never silently ignored). */
export function refuseUnsupported(input: MetaInput): void {
  if (input.ServerSideEncryption !== undefined && input.ServerSideEncryption !== 'AES256') {
    if (input.ServerSideEncryption.startsWith('aws:kms')) throw headerNotImplemented('x-amz-server-side-encryption');
    throw invalidArgument('The encryption method specified is not supported', 'x-amz-server-side-encryption', input.ServerSideEncryption);
  }
  if (input.SSECustomerAlgorithm !== undefined) throw headerNotImplemented('x-amz-server-side-encryption-customer-algorithm');
  if (input.SSEKMSKeyId !== undefined) throw headerNotImplemented('x-amz-server-side-encryption-aws-kms-key-id');
}

/** Content-Encoding as stored: S3 drops `aws-chunked`, which only describes the upload. */
export function storedEncoding(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const rest = v.split(',').map((s) => s.trim()).filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  return rest.length ? rest.join(', ') : undefined;
}

/** SSE-S3 for a new object: asked by the request or the bucket's default encryption. */
export function encryptionFor(input: MetaInput, bucket: BucketRecord): string | undefined {
  return input.ServerSideEncryption === 'AES256' || bucket.encryption ? 'AES256' : undefined;
}

export function metaFromInput(input: MetaInput, ctx: RequestContext, bucket: BucketRecord): ObjectMeta {
  refuseUnsupported(input);
  if (input.StorageClass !== undefined && !STORAGE_CLASSES.has(input.StorageClass)) {
    throw new AwsError('InvalidStorageClass', 'The storage class you specified is not valid', { status: 400, fields: { StorageClassRequested: input.StorageClass } });
  }
  if (input.ACL !== undefined && !CANNED_OBJECT_ACLS.has(input.ACL)) throw invalidArgument('Invalid canned ACL', 'x-amz-acl', input.ACL);
  const grants = grantsFromHeaders(ctx);
  if (grants && input.ACL !== undefined) throw invalidRequest('Specifying both Canned ACLs and Header Grants is not allowed');
  checkAclWrite(bucket, input.ACL, grants);
  const userMetadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.Metadata ?? {})) userMetadata[k.toLowerCase()] = v;
  const metaSize = Object.entries(userMetadata).reduce((a, [k, v]) => a + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (metaSize > 2048) {
    throw new AwsError('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size', { status: 400, fields: { Size: metaSize, MaxSizeAllowed: 2048 } });
  }
  return {
    contentType: input.ContentType ?? 'binary/octet-stream',
    contentEncoding: storedEncoding(input.ContentEncoding),
    contentDisposition: input.ContentDisposition,
    contentLanguage: input.ContentLanguage,
    cacheControl: input.CacheControl,
    expires: header(ctx, 'expires'),
    userMetadata,
    storageClass: input.StorageClass && input.StorageClass !== 'STANDARD' ? input.StorageClass : undefined,
    websiteRedirectLocation: input.WebsiteRedirectLocation,
    tags: input.Tagging !== undefined ? parseTagging(input.Tagging) : undefined,
    acl: input.ACL && input.ACL !== 'private' ? input.ACL : undefined,
    grants,
    serverSideEncryption: encryptionFor(input, bucket),
    lock: lockForNewObject(bucket, input, ctx.gateway.clock.now()),
  };
}

/** Checksum members of an output: ChecksumCRC32… from the model; CRC64NVME as a raw header. */
export function checksumOutput(cs: Partial<Record<ChecksumAlgorithm, string>>): { members: Record<string, string>; headers: Record<string, string> } {
  const members: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const a of ALGORITHMS) {
    const v = cs[a];
    if (v === undefined) continue;
    if (a === 'CRC64NVME') headers['x-amz-checksum-crc64nvme'] = v;
    else members[`Checksum${a}`] = v;
  }
  return { members, headers };
}

/** The response members describing an object version (GetObject / HeadObject). */
export function infoOutput(info: ObjectInfo, bucket: BucketRecord, withChecksums: boolean): Record<string, unknown> & { $headers: Record<string, string> } {
  const out: Record<string, unknown> & { $headers: Record<string, string> } = {
    $headers: {},
    AcceptRanges: 'bytes',
    LastModified: new Date(info.lastModified),
    ContentLength: info.size,
    ETag: info.etag,
    CacheControl: info.cacheControl,
    ContentDisposition: info.contentDisposition,
    ContentEncoding: info.contentEncoding,
    ContentLanguage: info.contentLanguage,
    ContentType: info.contentType,
    Expires: info.expires,
    WebsiteRedirectLocation: info.websiteRedirectLocation,
    Metadata: info.userMetadata,
    StorageClass: info.storageClass,
    VersionId: bucket.versioning ? info.versionId : undefined,
    TagCount: info.tags?.length ? info.tags.length : undefined,
    ServerSideEncryption: info.serverSideEncryption,
    ...lockOutput(info.lock),
  };
  if (withChecksums) {
    const c = checksumOutput(info.checksums);
    Object.assign(out, c.members);
    Object.assign(out.$headers, c.headers);
    if (info.checksumType) out.$headers['x-amz-checksum-type'] = info.checksumType;
  }
  return out;
}

/**
 * Checksums a write must compute: values from `x-amz-checksum-*` headers (verified), the
 * algorithm named by `x-amz-sdk-checksum-algorithm` / `x-amz-trailer` (computed, null), and the
 * trailer values auth verified (read once the body has ended).
 */
export function requestedChecksums(ctx: RequestContext, algorithmMember?: string): {
  checksums: Partial<Record<ChecksumAlgorithm, string | null>>;
  trailing: () => Partial<Record<ChecksumAlgorithm, string>>;
} {
  const checksums: Partial<Record<ChecksumAlgorithm, string | null>> = {};
  let given = 0;
  for (const a of ALGORITHMS) {
    const v = header(ctx, `x-amz-checksum-${a.toLowerCase()}`);
    if (v !== undefined) {
      checksums[a] = v;
      given++;
    }
  }
  if (given > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const trailer = header(ctx, 'x-amz-trailer');
  const trailerAlg = trailer?.toLowerCase().startsWith('x-amz-checksum-') ? (trailer.slice(15).toUpperCase() as ChecksumAlgorithm) : undefined;
  if (trailerAlg && given) throw invalidRequest('Expecting a single x-amz-checksum- header');
  const named = (algorithmMember ?? header(ctx, 'x-amz-sdk-checksum-algorithm'))?.toUpperCase() as ChecksumAlgorithm | undefined;
  for (const a of [named, trailerAlg]) {
    if (a === undefined) continue;
    if (!ALGORITHMS.includes(a)) throw invalidRequest('Invalid checksum algorithm');
    if (!(a in checksums)) checksums[a] = null;
  }
  const trailing = () => {
    const out: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [k, v] of Object.entries(ctx.http.trailers ?? {})) {
      if (k.toLowerCase().startsWith('x-amz-checksum-')) out[k.slice(15).toUpperCase() as ChecksumAlgorithm] = v;
    }
    return out;
  };
  return { checksums, trailing };
}

function invalidRequest(message: string): AwsError {
  return new AwsError('InvalidRequest', message, { status: 400 });
}

/** Validates Content-MD5's form (InvalidDigest); returns it for verification after the body. */
export function contentMd5Of(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const raw = Buffer.from(v, 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== v.trim()) {
    throw new AwsError('InvalidDigest', 'The Content-MD5 you specified was invalid.', { status: 400, fields: { 'Content-MD5': v } });
  }
  return v.trim();
}

/** Parses a single `bytes=` range against `size`; undefined means "whole object" (absent or ignored). */
export function parseRange(h: string | undefined, size: number): ByteRange | undefined {
  if (h === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // malformed or multiple ranges: S3 serves the whole object
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw invalidRange(h, size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(h, size);
  return { start, end };
}

export function invalidRange(requested: string, size: number): AwsError {
  return new AwsError('InvalidRange', 'The requested range is not satisfiable', {
    status: 416,
    fields: { RangeRequested: requested, ActualObjectSize: size },
    headers: { 'Content-Range': `bytes */${size}` },
  });
}

export interface Conditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

/** RFC 7232 evaluation order, at S3's one-second Last-Modified resolution. */
export function evaluateConditions(c: Conditions, info: ObjectInfo, prefix = ''): void {
  const lmSec = Math.floor(info.lastModified / 1000);
  const notModifiedHeaders = { ETag: info.etag, 'Last-Modified': new Date(info.lastModified).toUTCString() };
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, info.etag)) throw preconditionFailed(`${prefix}If-Match`);
  } else if (c.IfUnmodifiedSince !== undefined && lmSec > Math.floor(c.IfUnmodifiedSince.getTime() / 1000)) {
    throw preconditionFailed(`${prefix}If-Unmodified-Since`);
  }
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, info.etag)) {
      if (prefix) throw preconditionFailed(`${prefix}If-None-Match`);
      throw new AwsError('NotModified', 'Not Modified', { status: 304, headers: notModifiedHeaders });
    }
  } else if (c.IfModifiedSince !== undefined && lmSec <= Math.floor(c.IfModifiedSince.getTime() / 1000)) {
    if (prefix) throw preconditionFailed(`${prefix}If-Modified-Since`);
    throw new AwsError('NotModified', 'Not Modified', { status: 304, headers: notModifiedHeaders });
  }
}
