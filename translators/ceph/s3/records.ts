// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What the gateway keeps beside RGW (state table `s3rgw`): bucket owners, multipart uploads and
 * their parts, and per object version a "sidecar" with what RGW 16 cannot hold or return as S3
 * does (flexible checksums, tags, ACLs, lock, storage class, SSE flag, owner, part sizes,
 * metadata values that are not plain ASCII). A sidecar is written only when a version needs one
 * and is trusted only while its ETag matches RGW's (so a lost race with an overwrite shows RGW's
 * own metadata, never another version's).
 *
 * Keys: `b/<bucket>`, `o/<bucket>/<key>\0<versionId>`, `m/<bucket>/<uploadId>`,
 * `p/<bucket>/<uploadId>/<partNumber, 5 digits>`; `u/<accountId>` belongs to users.ts.
 */
import type { ChecksumAlgorithm, ObjectInfo, ObjectMeta } from '../../../apis/s3/backend.js';
import { toPartInfo, toUploadInfo, type PartRec as EmbeddedPartRec, type UploadRec } from '../../embedded/s3/records.js';
import { header, type RgwResponse } from './client.js';

export const TABLE = 's3rgw';

export interface BucketRec {
  owner: string;
}

export interface SideRec {
  /** RGW's ETag of the version this describes. */
  e: string;
  m: ObjectMeta;
  cs: Partial<Record<ChecksumAlgorithm, string>>;
  ct?: 'COMPOSITE' | 'FULL_OBJECT';
  pc?: number;
  ps?: number[];
  ow: string;
}

/** Uploads are kept as the embedded store keeps them; parts without its file fields. */
export type { UploadRec };
export type PartRec = Omit<EmbeddedPartRec, 'f' | 'iv'>;
export { toPartInfo, toUploadInfo };

export const bucketKey = (bucket: string) => `b/${bucket}`;
export const sidePrefix = (bucket: string, key: string) => `o/${bucket}/${key}\0`;
export const sideKey = (bucket: string, key: string, versionId: string) => sidePrefix(bucket, key) + versionId;
export const uploadKey = (bucket: string, id: string) => `m/${bucket}/${id}`;
export const partPrefix = (bucket: string, id: string) => `p/${bucket}/${id}/`;
export const partKey = (bucket: string, id: string, n: number) => partPrefix(bucket, id) + String(n).padStart(5, '0');

/** Header values RGW stores and returns unchanged. */
export function plainHeaderValue(v: string): boolean {
  return /^[\x20-\x7e]*$/.test(v) && v.trim() === v;
}

/** True when a version carries something only a sidecar can keep. */
export function needsSidecar(meta: ObjectMeta, cs: SideRec['cs'], owner: string, bucketOwner: string, multipart: boolean): boolean {
  return (
    multipart ||
    owner !== bucketOwner ||
    Object.keys(cs).length > 0 ||
    (meta.tags !== undefined && meta.tags.length > 0) ||
    meta.acl !== undefined ||
    meta.grants !== undefined ||
    meta.lock !== undefined ||
    (meta.storageClass !== undefined && meta.storageClass !== 'STANDARD') ||
    meta.serverSideEncryption !== undefined ||
    meta.websiteRedirectLocation !== undefined ||
    meta.restoredUntil !== undefined ||
    [meta.contentType, meta.contentEncoding, meta.contentDisposition, meta.contentLanguage, meta.cacheControl, meta.expires].some((v) => v !== undefined && !plainHeaderValue(v)) ||
    Object.entries(meta.userMetadata).some(([k, v]) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || !plainHeaderValue(v))
  );
}

/** The headers that give RGW an object's standard and user metadata (the plain ones). */
export function metaHeaders(meta: ObjectMeta): Record<string, string> {
  const h: Record<string, string> = {};
  const put = (name: string, v: string | undefined) => {
    if (v !== undefined && plainHeaderValue(v)) h[name] = v;
  };
  put('content-type', meta.contentType);
  put('content-encoding', meta.contentEncoding);
  put('content-disposition', meta.contentDisposition);
  put('content-language', meta.contentLanguage);
  put('cache-control', meta.cacheControl);
  put('expires', meta.expires);
  for (const [k, v] of Object.entries(meta.userMetadata)) if (/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) put(`x-amz-meta-${k}`, v);
  return h;
}

/** The metadata RGW returned on HEAD/GET (used when a version has no sidecar). */
export function metaOfResponse(res: RgwResponse): ObjectMeta {
  const userMetadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (k.startsWith('x-amz-meta-') && v !== undefined) userMetadata[k.slice(11)] = Array.isArray(v) ? v.join(',') : v;
  }
  return {
    contentType: header(res, 'content-type'),
    contentEncoding: header(res, 'content-encoding'),
    contentDisposition: header(res, 'content-disposition'),
    contentLanguage: header(res, 'content-language'),
    cacheControl: header(res, 'cache-control'),
    expires: header(res, 'expires'),
    userMetadata,
  };
}

/** Joins what RGW says about a version (size, ETag, time, id) with its sidecar, when that matches. */
export function toInfo(
  base: { key: string; versionId: string; isLatest: boolean; size: number; etag: string; lastModified: number; deleteMarker?: boolean },
  side: SideRec | undefined,
  fallback: { meta: ObjectMeta; owner: string },
): ObjectInfo {
  const s = side && side.e === base.etag ? side : undefined;
  return {
    ...(s ? s.m : fallback.meta),
    key: base.key,
    versionId: base.versionId,
    isLatest: base.isLatest,
    deleteMarker: base.deleteMarker === true,
    size: base.size,
    etag: base.etag,
    lastModified: base.lastModified,
    checksums: s?.cs ?? {},
    checksumType: s?.ct,
    partsCount: s?.pc,
    partSizes: s?.ps,
    owner: s?.ow ?? fallback.owner,
  };
}
