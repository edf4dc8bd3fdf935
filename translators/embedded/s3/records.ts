// SPDX-License-Identifier: AGPL-3.0-or-later
/** Records of the embedded object store's LMDB env and their mapping to the backend interface. */
import { randomBytes } from 'node:crypto';
import type { ChecksumAlgorithm, ObjectInfo, ObjectMeta, PartInfo, UploadInfo } from '../../../apis/s3/backend.js';
import type { Segment } from './files.js';

/** One object version (or delete marker). */
export interface ObjRec {
  k: string;
  /** Version id; 'null' for the null version. */
  v: string;
  seq: number;
  dm?: boolean;
  size: number;
  etag: string;
  lm: number;
  meta: ObjectMeta;
  cs: Partial<Record<ChecksumAlgorithm, string>>;
  ct?: 'COMPOSITE' | 'FULL_OBJECT';
  pc?: number;
  owner: string;
  segs: Segment[];
}

export interface UploadRec {
  id: string;
  k: string;
  initiated: number;
  owner: string;
  meta: ObjectMeta;
  alg?: ChecksumAlgorithm;
  ct?: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface PartRec {
  n: number;
  etag: string;
  size: number;
  lm: number;
  cs: Partial<Record<ChecksumAlgorithm, string>>;
  f: string;
  iv?: string;
}

export function toInfo(r: ObjRec, isLatest: boolean): ObjectInfo {
  // an explicit literal (no spread): listings build a thousand of these per page
  const m = r.meta;
  return {
    contentType: m.contentType,
    contentEncoding: m.contentEncoding,
    contentDisposition: m.contentDisposition,
    contentLanguage: m.contentLanguage,
    cacheControl: m.cacheControl,
    expires: m.expires,
    userMetadata: m.userMetadata,
    storageClass: m.storageClass,
    websiteRedirectLocation: m.websiteRedirectLocation,
    tags: m.tags,
    acl: m.acl,
    grants: m.grants,
    serverSideEncryption: m.serverSideEncryption,
    lock: m.lock,
    restoredUntil: m.restoredUntil,
    key: r.k,
    versionId: r.v,
    isLatest,
    deleteMarker: r.dm === true,
    size: r.size,
    etag: r.etag,
    lastModified: r.lm,
    checksums: r.cs,
    checksumType: r.ct,
    partsCount: r.pc,
    partSizes: r.pc ? r.segs.map((s) => s.n) : undefined,
    owner: r.owner,
  };
}

export function toUploadInfo(u: UploadRec): UploadInfo {
  return { uploadId: u.id, key: u.k, initiated: u.initiated, owner: u.owner, meta: u.meta, checksumAlgorithm: u.alg, checksumType: u.alg ? (u.ct ?? 'COMPOSITE') : undefined };
}

export function toPartInfo(p: Omit<PartRec, 'f' | 'iv'>): PartInfo {
  return { partNumber: p.n, etag: p.etag, size: p.size, lastModified: p.lm, checksums: p.cs };
}

/** Version ids look like S3's: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Upload ids: long opaque URL-safe strings, like S3's. */
export function newUploadId(): string {
  return randomBytes(48).toString('base64url');
}
