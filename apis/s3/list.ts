// SPDX-License-Identifier: AGPL-3.0-or-later
/** Listings: ListObjects (v1), ListObjectsV2, ListObjectVersions. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { ObjectInfo } from './backend.js';
import { bucketFor, checkEncodingType, invalidArgument, maxOf, ownerOf, urlEncode, type S3Env } from './common.js';
import type * as S from './shapes.gen.js';

function contentOf(o: ObjectInfo, url: boolean, withOwner: boolean) {
  return {
    Key: urlEncode(o.key, url),
    LastModified: new Date(o.lastModified),
    ETag: o.etag,
    ChecksumAlgorithm: Object.keys(o.checksums).length ? Object.keys(o.checksums) : undefined,
    Size: o.size,
    StorageClass: o.storageClass ?? 'STANDARD',
    Owner: withOwner ? ownerOf(o.owner) : undefined,
  };
}

function prefixesOf(cps: string[], url: boolean) {
  return cps.length ? cps.map((p) => ({ Prefix: urlEncode(p, url) })) : undefined;
}

export function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  const k = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || encodeToken(k) !== token) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return k;
}

/** What every listing starts with: the readable bucket and the common query parameters. */
async function listStart(ctx: RequestContext, input: { Bucket: string; EncodingType?: string; MaxKeys?: number; Delimiter?: string }) {
  const bucket = await bucketFor(ctx, input.Bucket, 'read');
  return { bucket, url: checkEncodingType(input.EncodingType), limit: maxOf(input.MaxKeys, 'max-keys'), delimiter: input.Delimiter || undefined };
}

export function listOps(env: S3Env): Record<string, Handler> {
  const ListObjects: Handler<S.ListObjectsInput, S.ListObjectsOutput> = async (ctx, input) => {
    const { bucket, url, limit, delimiter } = await listStart(ctx, input);
    const page = await env.backend.listObjects(bucket.name, { prefix: input.Prefix, delimiter, after: input.Marker || undefined, limit });
    return {
      Name: bucket.name,
      Prefix: urlEncode(input.Prefix ?? '', url),
      Marker: urlEncode(input.Marker ?? '', url),
      MaxKeys: limit,
      Delimiter: urlEncode(delimiter, url),
      IsTruncated: page.truncated,
      NextMarker: page.truncated && delimiter ? urlEncode(page.last, url) : undefined,
      EncodingType: url ? 'url' : undefined,
      Contents: page.objects.length ? page.objects.map((o) => contentOf(o, url, true)) : undefined,
      CommonPrefixes: prefixesOf(page.commonPrefixes, url),
    };
  };

  const ListObjectsV2: Handler<S.ListObjectsV2Input, S.ListObjectsV2Output> = async (ctx, input) => {
    const { bucket, url, limit, delimiter } = await listStart(ctx, input);
    let after = input.StartAfter || undefined;
    if (input.ContinuationToken !== undefined) after = decodeToken(input.ContinuationToken);
    const page = await env.backend.listObjects(bucket.name, { prefix: input.Prefix, delimiter, after, limit });
    return {
      Name: bucket.name,
      Prefix: urlEncode(input.Prefix ?? '', url),
      Delimiter: urlEncode(delimiter, url),
      MaxKeys: limit,
      KeyCount: page.objects.length + page.commonPrefixes.length,
      IsTruncated: page.truncated,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: page.truncated && page.last !== undefined ? encodeToken(page.last) : undefined,
      StartAfter: urlEncode(input.StartAfter, url),
      EncodingType: url ? 'url' : undefined,
      Contents: page.objects.length ? page.objects.map((o) => contentOf(o, url, input.FetchOwner === true)) : undefined,
      CommonPrefixes: prefixesOf(page.commonPrefixes, url),
    };
  };

  const ListObjectVersions: Handler<S.ListObjectVersionsInput, S.ListObjectVersionsOutput> = async (ctx, input) => {
    const { bucket, url, limit, delimiter } = await listStart(ctx, input);
    if (input.VersionIdMarker && !input.KeyMarker) {
      throw invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', input.VersionIdMarker);
    }
    const page = await env.backend.listObjectVersions(bucket.name, {
      prefix: input.Prefix,
      delimiter,
      keyMarker: input.KeyMarker || undefined,
      versionIdMarker: input.VersionIdMarker || undefined,
      limit,
    });
    const versions = page.versions.filter((v) => !v.deleteMarker);
    const markers = page.versions.filter((v) => v.deleteMarker);
    return {
      Name: bucket.name,
      Prefix: urlEncode(input.Prefix ?? '', url),
      KeyMarker: urlEncode(input.KeyMarker ?? '', url),
      VersionIdMarker: input.VersionIdMarker ?? '',
      NextKeyMarker: page.truncated ? urlEncode(page.nextKeyMarker, url) : undefined,
      NextVersionIdMarker: page.truncated ? page.nextVersionIdMarker : undefined,
      MaxKeys: limit,
      Delimiter: urlEncode(delimiter, url),
      IsTruncated: page.truncated,
      EncodingType: url ? 'url' : undefined,
      Versions: versions.length
        ? versions.map((v) => ({ ...contentOf(v, url, true), VersionId: v.versionId, IsLatest: v.isLatest }))
        : undefined,
      DeleteMarkers: markers.length
        ? markers.map((m) => ({ Owner: ownerOf(m.owner), Key: urlEncode(m.key, url), VersionId: m.versionId, IsLatest: m.isLatest, LastModified: new Date(m.lastModified) }))
        : undefined,
      CommonPrefixes: prefixesOf(page.commonPrefixes, url),
    };
  };

  return { ListObjects, ListObjectsV2, ListObjectVersions };
}
