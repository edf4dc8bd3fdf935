// SPDX-License-Identifier: AGPL-3.0-or-later
/** Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads. */
import { Readable } from 'node:stream';
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import type { ChecksumAlgorithm, CompletedPart, UploadInfo } from './backend.js';
import { combinable } from './crc-combine.js';
import { bucketFor, header, checkEncodingType, checkKey, invalidArgument, maxOf, ownerOf, urlEncode, type BucketRecord, type S3Env } from './common.js';
import { resolveCopySource } from './copy.js';
import { noSuchUpload } from './errors.js';
import { objectOwner } from './ownership.js';
import { bodyLength, guardBody, tooLarge, withFreshVersion, writeConditions } from './objects.js';
import { ALGORITHMS, checksumOutput, contentMd5Of, metaFromInput, requestedChecksums } from './objmeta.js';
import type * as S from './shapes.gen.js';

const MAX_PART_SIZE = 5 * 1024 ** 3;

function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', n);
}

/** The upload, which must belong to this bucket and key. */
async function uploadFor(env: S3Env, bucket: BucketRecord, key: string, uploadId: string): Promise<UploadInfo> {
  const u = await env.backend.getMultipartUpload(bucket.name, uploadId);
  if (!u || u.key !== key) throw noSuchUpload(uploadId);
  return u;
}

function parseCopyRange(h: string | undefined, size: number): { start: number; end: number } | undefined {
  if (h === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(h.trim());
  if (!m) throw invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', h);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || end >= size) throw invalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', h);
  return { start, end };
}

export function multipartOps(env: S3Env): Record<string, Handler> {
  const CreateMultipartUpload: Handler<S.CreateMultipartUploadInput, S.CreateMultipartUploadOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkKey(input.Key);
    const meta = metaFromInput(input, ctx, bucket);
    const alg = input.ChecksumAlgorithm?.toUpperCase() as ChecksumAlgorithm | undefined;
    if (alg !== undefined && !ALGORITHMS.includes(alg)) throw invalidArgument('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]', 'x-amz-checksum-algorithm', alg);
    const type = checksumTypeOf(header(ctx, 'x-amz-checksum-type'), alg);
    const u = await env.backend.createMultipartUpload(bucket.name, input.Key, meta, objectOwner(bucket, ctx.accountId, input.ACL), alg, type);
    const $headers: Record<string, string> = {};
    if (type) $headers['x-amz-checksum-type'] = type;
    return { Bucket: bucket.name, Key: input.Key, UploadId: u.uploadId, ChecksumAlgorithm: alg, ServerSideEncryption: meta.serverSideEncryption, $headers };
  };

  const UploadPart: Handler<S.UploadPartInput, S.UploadPartOutput> = async (ctx, input) => {
    guardBody(input.Body);
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkPartNumber(input.PartNumber);
    await uploadFor(env, bucket, input.Key, input.UploadId);
    const size = bodyLength(ctx, input.ContentLength);
    if (size > MAX_PART_SIZE) throw tooLarge(size, MAX_PART_SIZE);
    const { checksums, trailing } = requestedChecksums(ctx, input.ChecksumAlgorithm);
    const part = await env.backend.uploadPart(bucket.name, input.UploadId, input.PartNumber, input.Body ?? Readable.from([]), {
      contentLength: size,
      contentMd5: contentMd5Of(input.ContentMD5),
      checksums,
      trailingChecksums: trailing,
      signal: ctx.signal,
    });
    const cs = checksumOutput(part.checksums);
    return { ETag: part.etag, ...cs.members, $headers: cs.headers };
  };

  const UploadPartCopy: Handler<S.UploadPartCopyInput, S.UploadPartCopyOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkPartNumber(input.PartNumber);
    await uploadFor(env, bucket, input.Key, input.UploadId);
    const { src, part } = await withFreshVersion(async () => {
      const src = await resolveCopySource(env, ctx, input.CopySource, input);
      const range = parseCopyRange(input.CopySourceRange, src.info.size);
      const length = range ? range.end - range.start + 1 : src.info.size;
      if (length > MAX_PART_SIZE) throw tooLarge(length, MAX_PART_SIZE);
      const body = src.info.size === 0 ? Readable.from([]) : await env.backend.openObject(src.info, src.bucket.name, range);
      return { src, part: await env.backend.uploadPart(bucket.name, input.UploadId, input.PartNumber, body, { contentLength: length, signal: ctx.signal }) };
    });
    const cs = checksumOutput(part.checksums);
    return {
      CopyPartResult: { ETag: part.etag, LastModified: new Date(part.lastModified), ...cs.members },
      CopySourceVersionId: src.bucket.versioning ? src.info.versionId : undefined,
    };
  };

  const CompleteMultipartUpload: Handler<S.CompleteMultipartUploadInput, S.CompleteMultipartUploadOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    await uploadFor(env, bucket, input.Key, input.UploadId);
    const parts = input.MultipartUpload?.Parts ?? [];
    if (parts.length === 0) {
      throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
    }
    const wanted = parts.map((p) => {
      if (p.PartNumber === undefined || p.ETag === undefined) throw malformedXml();
      const checksums: CompletedPart['checksums'] = {};
      for (const a of ALGORITHMS) {
        const v = (p as Record<string, unknown>)[`Checksum${a}`];
        if (typeof v === 'string') checksums[a] = v;
      }
      return { partNumber: p.PartNumber, etag: p.ETag, checksums: Object.keys(checksums).length ? checksums : undefined };
    });
    const expectedChecksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const a of ALGORITHMS) {
      const v = header(ctx, `x-amz-checksum-${a.toLowerCase()}`);
      if (v !== undefined) expectedChecksums[a] = v;
    }
    const info = await env.backend.completeMultipartUpload(bucket.name, input.UploadId, wanted, {
      versioning: bucket.versioning,
      conditions: writeConditions(input.IfNoneMatch, ctx),
      expectedChecksums,
    });
    const cs = checksumOutput(info.checksums);
    return {
      Location: `${locationBase(ctx)}/${bucket.name}/${encodeURIComponent(input.Key).replace(/%2F/g, '/')}`,
      Bucket: bucket.name,
      Key: input.Key,
      ETag: info.etag,
      VersionId: bucket.versioning ? info.versionId : undefined,
      ServerSideEncryption: info.serverSideEncryption,
      ...cs.members,
      $headers: cs.headers,
    };
  };

  const AbortMultipartUpload: Handler<S.AbortMultipartUploadInput, S.AbortMultipartUploadOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    await uploadFor(env, bucket, input.Key, input.UploadId);
    await env.backend.abortMultipartUpload(bucket.name, input.UploadId);
    return {};
  };

  const ListParts: Handler<S.ListPartsInput, S.ListPartsOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'read', { key: input.Key });
    const u = await uploadFor(env, bucket, input.Key, input.UploadId);
    const limit = maxOf(input.MaxParts, 'max-parts');
    const after = input.PartNumberMarker ?? 0;
    const { parts, truncated } = await env.backend.listParts(bucket.name, input.UploadId, after, limit);
    return {
      Bucket: bucket.name,
      Key: input.Key,
      UploadId: input.UploadId,
      PartNumberMarker: after,
      NextPartNumberMarker: parts.length ? parts[parts.length - 1].partNumber : after,
      MaxParts: limit,
      IsTruncated: truncated,
      Parts: parts.map((p) => ({ PartNumber: p.partNumber, LastModified: new Date(p.lastModified), ETag: p.etag, Size: p.size, ...checksumOutput(p.checksums).members })),
      Initiator: { ID: ownerOf(u.owner).ID, DisplayName: u.owner },
      Owner: ownerOf(u.owner),
      StorageClass: u.meta.storageClass ?? 'STANDARD',
      ChecksumAlgorithm: u.checksumAlgorithm,
    };
  };

  const ListMultipartUploads: Handler<S.ListMultipartUploadsInput, S.ListMultipartUploadsOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'read');
    const url = checkEncodingType(input.EncodingType);
    const limit = maxOf(input.MaxUploads, 'max-uploads');
    const delimiter = input.Delimiter || undefined;
    // uploads are few: fetch those after the markers, roll keys up by the delimiter, then page
    const all = await env.backend.listMultipartUploads(bucket.name, {
      prefix: input.Prefix,
      keyMarker: input.KeyMarker,
      uploadIdMarker: input.KeyMarker ? input.UploadIdMarker : undefined,
      limit: 100_000,
    });
    const uploads: UploadInfo[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let nextKey: string | undefined;
    let nextId: string | undefined;
    const plen = (input.Prefix ?? '').length;
    for (const u of all.uploads) {
      const i = delimiter ? u.key.indexOf(delimiter, plen) : -1;
      const cp = i >= 0 ? u.key.slice(0, i + delimiter!.length) : undefined;
      if (cp !== undefined && (prefixes[prefixes.length - 1] === cp || (input.KeyMarker !== undefined && cp <= input.KeyMarker))) continue;
      if (uploads.length + prefixes.length >= limit) {
        truncated = true;
        break;
      }
      if (cp !== undefined) prefixes.push(cp);
      else uploads.push(u);
      nextKey = cp ?? u.key;
      nextId = cp === undefined ? u.uploadId : undefined;
    }
    return {
      Bucket: bucket.name,
      KeyMarker: urlEncode(input.KeyMarker ?? '', url),
      UploadIdMarker: input.UploadIdMarker ?? '',
      NextKeyMarker: truncated ? urlEncode(nextKey, url) : undefined,
      NextUploadIdMarker: truncated ? nextId : undefined,
      Prefix: urlEncode(input.Prefix, url),
      MaxUploads: limit,
      IsTruncated: truncated,
      EncodingType: url ? 'url' : undefined,
      Delimiter: urlEncode(delimiter, url),
      CommonPrefixes: prefixes.length ? prefixes.map((p) => ({ Prefix: urlEncode(p, url) })) : undefined,
      Uploads: uploads.map((u) => ({
        UploadId: u.uploadId,
        Key: urlEncode(u.key, url),
        Initiated: new Date(u.initiated),
        StorageClass: u.meta.storageClass ?? 'STANDARD',
        Owner: ownerOf(u.owner),
        Initiator: { ID: ownerOf(u.owner).ID, DisplayName: u.owner },
        ChecksumAlgorithm: u.checksumAlgorithm,
      })),
    };
  };

  return { CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads };
}

/** x-amz-checksum-type of a new upload: FULL_OBJECT (CRCs only) or COMPOSITE; S3's default per algorithm. */
function checksumTypeOf(given: string | undefined, alg: ChecksumAlgorithm | undefined): 'COMPOSITE' | 'FULL_OBJECT' | undefined {
  if (given !== undefined && given !== 'COMPOSITE' && given !== 'FULL_OBJECT') throw invalidArgument('Value for x-amz-checksum-type header is invalid.', 'x-amz-checksum-type', given);
  if (!alg) {
    if (given !== undefined) throw new AwsError('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.', { status: 400 });
    return undefined;
  }
  const type = (given ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE')) as 'COMPOSITE' | 'FULL_OBJECT';
  if (type === 'FULL_OBJECT' && !combinable(alg)) throw new AwsError('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${alg.toLowerCase()} checksum algorithm.`, { status: 400 });
  if (type === 'COMPOSITE' && alg === 'CRC64NVME') throw new AwsError('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.', { status: 400 });
  return type;
}

function locationBase(ctx: RequestContext): string {
  const proto = ctx.http.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${ctx.http.host}`;
}
