// SPDX-License-Identifier: AGPL-3.0-or-later
/** The embedded S3 backend: objects as files under `<dataDir>/s3/`, metadata in LMDB. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Database } from 'lmdb';
import type {
  ByteRange,
  ChecksumAlgorithm,
  CompletedPart,
  ListPage,
  ListQuery,
  ObjectInfo,
  ObjectMeta,
  PartInfo,
  PutOptions,
  S3Backend,
  UploadInfo,
  VersioningState,
  VersionsPage,
  VersionsQuery,
  WriteConditions,
} from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';
import { Multipart } from './multipart.js';
import { ObjectStore } from './store.js';

export interface EmbeddedS3Options {
  dataDir: string;
  now: () => number;
  /** S3's minimum size of every part but the last (5 MiB). */
  minPartSize?: number;
}

export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** A data file younger than this is never swept as an orphan (its commit may be under way). */
const ORPHAN_GRACE_MS = 60_000;

export class EmbeddedS3 implements S3Backend {
  readonly name = 'embedded';
  readonly store: ObjectStore;
  readonly mpu: Multipart;
  private readonly buckets: Database<{ created: number }, string>;

  constructor(opts: EmbeddedS3Options) {
    this.store = new ObjectStore(join(opts.dataDir, 's3'), opts.now);
    this.mpu = new Multipart(this.store, opts.now, opts.minPartSize ?? MIN_PART_SIZE);
    this.buckets = this.store.env.openDB<{ created: number }, string>({ name: 'buckets', encoding: 'msgpack' });
    // temp files of writes a killed process never finished; data files it never committed
    this.store.files.sweepTmp(0);
    const started = Date.now();
    this.sweeping = new Promise<void>((r) => setImmediate(r)).then(() => this.sweepOrphans(started - ORPHAN_GRACE_MS)).then(
      () => undefined,
      () => undefined,
    );
  }

  private readonly sweeping: Promise<void>;

  /** Deletes data files no version or part references (written before `before`). */
  async sweepOrphans(before: number): Promise<number> {
    const referenced = new Set<string>();
    // parts before versions: CompleteMultipartUpload moves files from parts to a version in one
    // transaction, so a file moved while we scan is seen in one of the two
    for (const { value } of this.mpu.parts.getRange({})) referenced.add(value.f);
    for (const { value } of this.store.versions.getRange({})) for (const s of value.segs) referenced.add(s.f);
    return this.store.files.sweepUnreferenced(referenced, before);
  }

  async createBucket(bucket: string, _opts?: { owner: string; region: string }): Promise<void> {
    await this.buckets.put(bucket, { created: Date.now() });
    await this.store.flushed();
  }

  async deleteBucket(bucket: string): Promise<void> {
    if (this.store.hasAnyVersion(bucket)) {
      throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', { status: 409, fields: { BucketName: bucket } });
    }
    await this.mpu.dropAll(bucket);
    await this.buckets.remove(bucket);
    await this.store.flushed();
  }

  putObject(bucket: string, key: string, body: Readable, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo> {
    return this.store.put(bucket, key, body, meta, opts);
  }

  headObject(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined> {
    return this.store.head(bucket, key, versionId);
  }

  openObject(info: ObjectInfo, bucket: string, range?: ByteRange): Promise<Readable> {
    return this.store.open(info, bucket, range);
  }

  deleteObject(bucket: string, key: string, versionId: string | undefined, versioning: VersioningState, owner: string) {
    return this.store.delete(bucket, key, versionId, versioning, owner);
  }

  updateObjectMeta(bucket: string, key: string, versionId: string | undefined, patch: Partial<Pick<ObjectMeta, 'tags' | 'acl' | 'grants' | 'lock' | 'restoredUntil'>>): Promise<ObjectInfo> {
    return this.store.updateMeta(bucket, key, versionId, patch);
  }

  listObjects(bucket: string, q: ListQuery): Promise<ListPage> {
    return this.store.list(bucket, q);
  }

  listObjectVersions(bucket: string, q: VersionsQuery): Promise<VersionsPage> {
    return this.store.listVersions(bucket, q);
  }

  createMultipartUpload(bucket: string, key: string, meta: ObjectMeta, owner: string, alg?: ChecksumAlgorithm, type?: 'COMPOSITE' | 'FULL_OBJECT'): Promise<UploadInfo> {
    return this.mpu.create(bucket, key, meta, owner, alg, type);
  }

  getMultipartUpload(bucket: string, uploadId: string): Promise<UploadInfo | undefined> {
    return this.mpu.get(bucket, uploadId);
  }

  uploadPart(bucket: string, uploadId: string, partNumber: number, body: Readable, opts: Omit<PutOptions, 'versioning' | 'conditions' | 'owner'>): Promise<PartInfo> {
    return this.mpu.uploadPart(bucket, uploadId, partNumber, body, opts);
  }

  listParts(bucket: string, uploadId: string, after: number, limit: number) {
    return this.mpu.listParts(bucket, uploadId, after, limit);
  }

  completeMultipartUpload(
    bucket: string,
    uploadId: string,
    parts: CompletedPart[],
    opts: { versioning: VersioningState; conditions?: WriteConditions; expectedChecksums?: Partial<Record<ChecksumAlgorithm, string>> },
  ) {
    return this.mpu.complete(bucket, uploadId, parts, opts);
  }

  abortMultipartUpload(bucket: string, uploadId: string): Promise<void> {
    return this.mpu.abort(bucket, uploadId);
  }

  listMultipartUploads(bucket: string, q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }) {
    return this.mpu.list(bucket, q);
  }

  async health(): Promise<{ state: 'ok' | 'down'; detail?: string }> {
    try {
      this.store.meta.get('seq');
      await access(this.store.files.dataDir, constants.W_OK);
      return { state: 'ok', detail: `data in ${this.store.files.dataDir}` };
    } catch (e) {
      return { state: 'down', detail: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.sweeping;
    await this.store.close();
  }
}
