// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What the S3 API layer needs from an object store. The embedded store (files + LMDB) implements
 * it today; a Ceph RGW translator implements the same interface later. Buckets are addressed by
 * their (globally unique) name; the API layer owns bucket records (owner, versioning, policies)
 * and passes the versioning state into each write. Errors are AwsErrors with S3's codes
 * (NoSuchKey, NoSuchVersion, NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall,
 * BadDigest, IncompleteBody, PreconditionFailed, BucketNotEmpty, KeyTooLongError).
 *
 * Semantics a backend must keep (the embedded one is the reference, test/s3 the yardstick):
 *  - writes are atomic and durable before they resolve; a failed or aborted write leaves nothing;
 *  - headObject/openObject: openObject reads exactly the version headObject described, or throws
 *    ObjectChangedError so the caller looks again;
 *  - listings in UTF-8 byte order, delimiter roll-up into common prefixes, `after` exclusive;
 *  - version ids: 'null' while unversioned/suspended (replacing the previous null version);
 *  - multipart: part ETags are MD5s, the object's ETag is md5(part md5s)-N, parts under
 *    `minPartSize` (but the last) fail EntityTooSmall, checksums COMPOSITE or FULL_OBJECT.
 */
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm } from '../../src/checksums.js';

export type { ChecksumAlgorithm };

export type VersioningState = 'Enabled' | 'Suspended' | undefined;

export type Permission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';

/** One explicit ACL grant (apis/s3/acl.ts). */
export interface AclGrant {
  /** CanonicalUser: the canonical id; Group: the group URI. */
  type: 'CanonicalUser' | 'Group';
  id?: string;
  uri?: string;
  permission: Permission;
}

/** Object Lock state of one version. */
export interface ObjectLock {
  mode?: 'GOVERNANCE' | 'COMPLIANCE';
  /** Retain-until, epoch ms. */
  until?: number;
  legalHold?: boolean;
}

/** Metadata that travels with an object version. */
export interface ObjectMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** Raw Expires header value as the client sent it. */
  expires?: string;
  /** x-amz-meta-* without the prefix, names lower-cased. */
  userMetadata: Record<string, string>;
  storageClass?: string;
  websiteRedirectLocation?: string;
  tags?: Array<{ Key: string; Value: string }>;
  /** Canned ACL of the object (undefined: private). */
  acl?: string;
  /** Explicit grants, replacing the canned ACL when present. */
  grants?: AclGrant[];
  /** 'AES256' when encrypted at rest. */
  serverSideEncryption?: string;
  lock?: ObjectLock;
  /** Archived objects (GLACIER, DEEP_ARCHIVE): readable until this time (epoch ms) after a restore. */
  restoredUntil?: number;
}

export interface ObjectInfo extends ObjectMeta {
  key: string;
  /** 'null' for the null version. */
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  /** Quoted ETag, as S3 sends it. */
  etag: string;
  lastModified: number;
  /** Base64 checksums by algorithm, verified on write. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  /** COMPOSITE / FULL_OBJECT when a checksum is stored. */
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
  /** Number of parts for multipart objects. */
  partsCount?: number;
  /** Sizes of the parts of a multipart object, in order (GetObject/HeadObject ?partNumber=). */
  partSizes?: number[];
  /** Account id of the writer. */
  owner: string;
}

export interface WriteConditions {
  /** `If-None-Match: *`: fail with PreconditionFailed when a current object exists. */
  ifNoneMatchStar?: boolean;
  /** `If-Match: <etag>` on write: fail unless the current object has this ETag. */
  ifMatch?: string;
}

export interface PutOptions {
  versioning: VersioningState;
  /** Declared length; IncompleteBody/short bodies are rejected. */
  contentLength?: number;
  /** Base64 Content-MD5 to verify (BadDigest). */
  contentMd5?: string;
  /** Checksums to compute and store; values given are verified (BadDigest). */
  checksums?: Partial<Record<ChecksumAlgorithm, string | null>>;
  /** Trailers delivered after the body ends (verified by auth): fetched once the stream is done. */
  trailingChecksums?: () => Partial<Record<ChecksumAlgorithm, string>>;
  conditions?: WriteConditions;
  owner: string;
  signal?: AbortSignal;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface ListQuery {
  prefix?: string;
  delimiter?: string;
  /** Keys strictly greater than this. */
  after?: string;
  limit: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, for markers/continuation tokens. */
  last?: string;
}

export interface VersionsQuery {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  limit: number;
}

export interface VersionsPage {
  versions: ObjectInfo[];
  commonPrefixes: string[];
  truncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface UploadInfo {
  uploadId: string;
  key: string;
  initiated: number;
  owner: string;
  meta: ObjectMeta;
  checksumAlgorithm?: ChecksumAlgorithm;
  /** How the object's checksum is made from the parts' (S3: FULL_OBJECT for CRC64NVME). */
  checksumType?: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/**
 * Thrown by openObject when the version described by an ObjectInfo is no longer there (replaced
 * or deleted between headObject and openObject); the caller looks the object up again.
 */
export class ObjectChangedError extends Error {
  constructor(key: string) {
    super(`object ${key} changed while being opened`);
    this.name = 'ObjectChangedError';
  }
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

export interface S3Backend {
  readonly name: string;
  /** `owner` (account id) and `region` let a multi-tenant backend (RGW) place the bucket. */
  createBucket(bucket: string, opts: { owner: string; region: string }): Promise<void>;
  /** Throws BucketNotEmpty while objects, versions or uploads remain. */
  deleteBucket(bucket: string): Promise<void>;

  putObject(bucket: string, key: string, body: Readable, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo>;
  /** The current version (or the given one). Delete markers are returned with deleteMarker true. */
  headObject(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined>;
  /**
   * Optional, for backends where looking a version up and reading it is one request (RGW: a GET
   * whose headers describe the version): answers the version as headObject would, with its whole
   * body when there is one. GetObject without Range/partNumber uses it; the caller either takes
   * `body` or calls `discard()` (a failed condition, an archived object…).
   */
  getObject?(bucket: string, key: string, versionId?: string): Promise<{ info: ObjectInfo | undefined; body?: Readable; discard(): void }>;
  /**
   * Optional: CopyObject inside the store, the bytes never crossing the gateway (RGW: a
   * server-side copy). `opts.checksums` names the algorithms the copy must carry; answers
   * undefined when this copy cannot be done that way, and the caller streams it (openObject +
   * putObject).
   */
  copyObject?(src: { bucket: string; info: ObjectInfo }, bucket: string, key: string, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo | undefined>;
  /** Opens a version for reading; `range` already validated against its size. */
  openObject(info: ObjectInfo, bucket: string, range?: ByteRange): Promise<Readable>;
  deleteObject(bucket: string, key: string, versionId: string | undefined, versioning: VersioningState, owner: string): Promise<{ versionId?: string; deleteMarker: boolean }>;
  /** Replaces tags / ACL of one version in place. */
  updateObjectMeta(bucket: string, key: string, versionId: string | undefined, patch: Partial<Pick<ObjectMeta, 'tags' | 'acl' | 'grants' | 'lock' | 'restoredUntil'>>): Promise<ObjectInfo>;
  listObjects(bucket: string, q: ListQuery): Promise<ListPage>;
  listObjectVersions(bucket: string, q: VersionsQuery): Promise<VersionsPage>;

  createMultipartUpload(
    bucket: string,
    key: string,
    meta: ObjectMeta,
    owner: string,
    checksumAlgorithm?: ChecksumAlgorithm,
    checksumType?: 'COMPOSITE' | 'FULL_OBJECT',
  ): Promise<UploadInfo>;
  getMultipartUpload(bucket: string, uploadId: string): Promise<UploadInfo | undefined>;
  uploadPart(bucket: string, uploadId: string, partNumber: number, body: Readable, opts: Omit<PutOptions, 'versioning' | 'conditions' | 'owner'>): Promise<PartInfo>;
  listParts(bucket: string, uploadId: string, after: number, limit: number): Promise<{ parts: PartInfo[]; truncated: boolean }>;
  /** `parts` may carry the part checksums the client sent; they must match the stored ones. */
  completeMultipartUpload(
    bucket: string,
    uploadId: string,
    parts: CompletedPart[],
    opts: { versioning: VersioningState; conditions?: WriteConditions; expectedChecksums?: Partial<Record<ChecksumAlgorithm, string>> },
  ): Promise<ObjectInfo>;
  abortMultipartUpload(bucket: string, uploadId: string): Promise<void>;
  listMultipartUploads(bucket: string, q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }): Promise<{ uploads: UploadInfo[]; truncated: boolean }>;

  /** Whether the store can serve: 'ok', or 'down' with a reason. */
  health(): Promise<{ state: 'ok' | 'degraded' | 'down'; detail?: string }>;

  close(): Promise<void>;
}
