// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 on Ceph RGW (`s3.backend: ceph`, settings in `backends.ceph.rgw`, see config.ts): object bytes
 * live in RGW buckets owned by the account's RGW user (users.ts), every request re-signed with that
 * user's keys; the gateway keeps its own auth, bucket records and policies (apis/s3) and, beside
 * RGW, what RGW 16 cannot keep (records.ts). Bodies stream both ways, never buffered.
 */
import { Readable } from 'node:stream';
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
import { ObjectChangedError } from '../../../apis/s3/backend.js';
import { methodNotAllowed, noSuchKey, noSuchVersion, preconditionFailed } from '../../../apis/s3/errors.js';
import { AwsError } from '../../../src/errors.js';
import type { StateStore } from '../../../src/state/store.js';
import { header, objectPath, rgwError, rgwErrorInfo, xml, type RgwResponse } from './client.js';
import type { RgwConfig } from './config.js';
import { RgwCore, type BucketCtx } from './core.js';
import { listObjects, listObjectVersions } from './list.js';
import { RgwMultipart } from './multipart.js';
import { bucketKey, metaHeaders, metaOfResponse, needsSidecar, sideKey, sidePrefix, toInfo, type BucketRec, type SideRec } from './records.js';

export interface RgwS3Options {
  config: RgwConfig;
  state: StateStore;
  now: () => number;
  /** S3's minimum size of every part but the last (5 MiB); RGW's own minimum must not be larger. */
  minPartSize?: number;
}

export class RgwS3 implements S3Backend {
  readonly name = 'ceph';
  readonly core: RgwCore;
  private readonly mpu: RgwMultipart;

  constructor(opts: RgwS3Options) {
    this.core = new RgwCore(opts.config, opts.state, () => Math.floor(opts.now() / 1000) * 1000);
    this.mpu = new RgwMultipart(this.core, opts.minPartSize ?? 5 * 1024 * 1024, (b, k) => this.headObject(b, k));
  }

  async createBucket(bucket: string, opts: { owner: string; region: string }): Promise<void> {
    const u = await this.core.users.userFor(opts.owner);
    const creds = { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
    // RGW answers 200 to its owner re-creating a bucket (us-east-1 semantics): a leftover of an
    // earlier gateway on the same tenant is taken over as it is
    await (await this.core.client.expect(creds, { method: 'PUT', path: objectPath(bucket) }, [200])).body.dump();
    this.core.forget(bucket);
    await this.core.table.put(bucketKey(bucket), { owner: opts.owner } satisfies BucketRec);
  }

  async deleteBucket(bucket: string): Promise<void> {
    const b = await this.core.bucket(bucket);
    const any = await listObjectVersions(this.core, bucket, { limit: 1 });
    if (any.versions.length > 0 || any.commonPrefixes.length > 0) throw bucketNotEmpty(bucket);
    for (const u of await this.mpu.all(bucket)) await this.mpu.abort(bucket, u.uploadId);
    const res = await this.core.send(b, { method: 'DELETE', path: objectPath(bucket) });
    if (res.statusCode === 409) {
      await res.body.dump();
      throw bucketNotEmpty(bucket);
    }
    if (res.statusCode !== 204 && res.statusCode !== 404) throw await rgwError(res, { method: 'DELETE', path: objectPath(bucket) });
    await res.body.dump();
    for (const [k] of await this.core.table.range({ prefix: `o/${bucket}/` })) await this.core.table.delete(k);
    await this.core.table.delete(bucketKey(bucket));
    this.core.forget(bucket);
  }

  async putObject(bucket: string, key: string, body: Readable, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo> {
    const b = await this.core.bucket(bucket);
    await this.core.syncVersioning(b, opts.versioning);
    const headers = metaHeaders(meta);
    if (opts.conditions?.ifNoneMatchStar) headers['if-none-match'] = '*';
    if (opts.conditions?.ifMatch !== undefined) headers['if-match'] = opts.conditions.ifMatch;
    let written;
    try {
      written = await this.core.writeBody(b, { method: 'PUT', path: objectPath(bucket, key), headers }, body, opts);
    } catch (e) {
      if (e instanceof AwsError && e.status === 412) throw preconditionFailed(opts.conditions?.ifNoneMatchStar ? 'If-None-Match' : 'If-Match');
      if (e instanceof AwsError && e.status === 404 && opts.conditions?.ifMatch !== undefined) throw noSuchKey(key);
      throw e;
    }
    const { res, verified, etag } = written;
    await res.body.dump();
    return this.written(b, key, res, etag, verified.size, this.core.now(), meta, verified.checksums, opts.owner);
  }

  /** A new single-part version RGW just stored: its sidecar when it needs one, and its info. */
  private async written(b: BucketCtx, key: string, res: RgwResponse, etag: string, size: number, lastModified: number, meta: ObjectMeta, cs: SideRec['cs'], owner: string): Promise<ObjectInfo> {
    const versionId = header(res, 'x-amz-version-id') ?? 'null';
    const side: SideRec = { e: etag, m: meta, cs, ct: Object.keys(cs).length ? 'FULL_OBJECT' : undefined, ow: owner };
    if (needsSidecar(meta, cs, owner, b.owner, false)) await this.core.table.put(sideKey(b.name, key, versionId), side);
    else if (versionId === 'null') await this.core.dropSide(b.name, key, versionId);
    return toInfo({ key, versionId, isLatest: true, size, etag, lastModified }, side, { meta, owner });
  }

  /**
   * A server-side copy when RGW can make it exactly as the gateway would: one owner (one RGW user)
   * on both sides, no write conditions, a single-part source (RGW would keep a multipart ETag), and
   * every checksum the copy must carry already known from the source.
   */
  async copyObject(src: { bucket: string; info: ObjectInfo }, bucket: string, key: string, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo | undefined> {
    const [from, to] = await Promise.all([this.core.bucket(src.bucket), this.core.bucket(bucket)]);
    const checksums: SideRec['cs'] = {};
    for (const [alg, want] of Object.entries(opts.checksums ?? {}) as Array<[ChecksumAlgorithm, string | null]>) {
      const have = src.info.checksums[alg];
      if (have === undefined || have.includes('-') || (want !== null && want !== have)) return undefined;
      checksums[alg] = have;
    }
    if (from.owner !== to.owner || opts.conditions || src.info.partsCount !== undefined || src.info.deleteMarker) return undefined;
    await this.core.syncVersioning(to, opts.versioning);
    const vid = await this.versionParam(from, src.info.versionId);
    const headers = {
      ...metaHeaders(meta),
      'x-amz-copy-source': objectPath(src.bucket, src.info.key) + (vid ? `?versionId=${encodeURIComponent(vid)}` : ''),
      'x-amz-copy-source-if-match': src.info.etag,
      'x-amz-metadata-directive': 'REPLACE',
    };
    const req = { method: 'PUT', path: objectPath(bucket, key), headers } as const;
    const res = await this.core.send(to, req);
    if (res.statusCode === 412) {
      await res.body.dump();
      throw new ObjectChangedError(src.info.key);
    }
    if (res.statusCode !== 200) throw await rgwError(res, req);
    const text = await res.body.text();
    const r = (xml.parse(text) as { CopyObjectResult?: { ETag?: string; LastModified?: string } }).CopyObjectResult;
    if (!r?.ETag) throw new AwsError('InternalError', `Ceph RGW failed to copy ${src.info.key}: ${text.slice(0, 300)}`, { status: 500 });
    // RGW 16 writes this ETag without its quotes
    const etag = `"${r.ETag.replace(/"/g, '')}"`;
    const lm = Date.parse(r.LastModified ?? '');
    return this.written(to, key, res, etag, src.info.size, Number.isFinite(lm) ? Math.floor(lm / 1000) * 1000 : this.core.now(), meta, checksums, opts.owner);
  }

  async headObject(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined> {
    const b = await this.core.bucket(bucket);
    const res = await this.core.send(b, { method: 'HEAD', path: objectPath(bucket, key), query: { versionId } });
    await res.body.dump();
    if (res.statusCode === 200) return this.infoFromHead(b, key, versionId, res);
    if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 400) return this.deleteMarkerOrNothing(b, key, versionId, res);
    throw await rgwError(res, { method: 'HEAD', path: objectPath(bucket, key) });
  }

  /** One GET: its headers describe the version (as HEAD's would), its body is the object. */
  async getObject(bucket: string, key: string, versionId?: string): Promise<{ info: ObjectInfo | undefined; body?: Readable; discard(): void }> {
    const b = await this.core.bucket(bucket);
    const res = await this.core.send(b, { method: 'GET', path: objectPath(bucket, key), query: { versionId } });
    if (res.statusCode === 200) {
      const body = res.body;
      // a body not taken is read out when small (the connection stays), else the connection is dropped
      return { info: await this.infoFromHead(b, key, versionId, res), body, discard: () => void body.dump({ limit: 256 * 1024 }).catch(() => undefined) };
    }
    await res.body.dump();
    const none = { discard: () => undefined };
    if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 400) return { info: await this.deleteMarkerOrNothing(b, key, versionId, res), ...none };
    throw await rgwError(res, { method: 'GET', path: objectPath(bucket, key) });
  }

  private async infoFromHead(b: BucketCtx, key: string, versionId: string | undefined, res: RgwResponse): Promise<ObjectInfo> {
    const vid = header(res, 'x-amz-version-id') ?? versionId ?? 'null';
    const side = await this.core.get<SideRec>(sideKey(b.name, key, vid));
    const lm = Date.parse(header(res, 'last-modified') ?? '');
    return toInfo(
      {
        key,
        versionId: vid,
        isLatest: versionId === undefined,
        size: Number(header(res, 'content-length') ?? 0),
        etag: header(res, 'etag') ?? '',
        lastModified: Number.isFinite(lm) ? lm : this.core.now(),
      },
      side,
      { meta: metaOfResponse(res), owner: b.owner },
    );
  }

  /**
   * A HEAD that found no object: a delete marker (RGW says so in x-amz-delete-marker on some
   * answers; otherwise the version listing tells), or nothing.
   */
  private async deleteMarkerOrNothing(b: BucketCtx, key: string, versionId: string | undefined, res: RgwResponse): Promise<ObjectInfo | undefined> {
    if (header(res, 'x-amz-delete-marker') !== 'true' && (await this.core.versioningOf(b)) === undefined) return undefined;
    // the key's own entries come first under prefix=key, newest first
    const page = await listObjectVersions(this.core, b.name, { prefix: key, limit: versionId === undefined ? 1 : 1000 });
    const hit = page.versions.find((v) => v.key === key && (versionId === undefined ? v.isLatest : v.versionId === versionId));
    return hit?.deleteMarker ? hit : undefined;
  }

  async openObject(info: ObjectInfo, bucket: string, range?: ByteRange): Promise<Readable> {
    const b = await this.core.bucket(bucket);
    const headers: Record<string, string> = {};
    if (info.etag) headers['if-match'] = info.etag;
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const res = await this.core.send(b, { method: 'GET', path: objectPath(bucket, info.key), query: { versionId: await this.versionParam(b, info.versionId) }, headers });
    if (res.statusCode === 200 || res.statusCode === 206) return res.body;
    if (res.statusCode === 412 || res.statusCode === 404) {
      await res.body.dump();
      throw new ObjectChangedError(info.key);
    }
    throw await rgwError(res, { method: 'GET', path: objectPath(bucket, info.key) });
  }

  /** The null version is addressed by id only where RGW has versioning (an unversioned bucket has only it). */
  private async versionParam(b: BucketCtx, versionId: string): Promise<string | undefined> {
    return versionId === 'null' && (await this.core.versioningOf(b)) === undefined ? undefined : versionId;
  }

  async deleteObject(bucket: string, key: string, versionId: string | undefined, versioning: VersioningState, _owner: string): Promise<{ versionId?: string; deleteMarker: boolean }> {
    const b = await this.core.bucket(bucket);
    await this.core.syncVersioning(b, versioning);
    const req = { method: 'DELETE', path: objectPath(bucket, key), query: { versionId } } as const;
    const res = await this.core.send(b, req);
    if (res.statusCode === 400 && versionId !== undefined) {
      // RGW refuses version ids it cannot parse; S3 answers 204 for versions that do not exist
      const { code } = await rgwErrorInfo(res);
      if (code === 'InvalidArgument') return { versionId, deleteMarker: false };
      throw new AwsError(code || 'InvalidRequest', `Ceph RGW refused the version id ${versionId}`, { status: 400 });
    }
    if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) throw await rgwError(res, req);
    await res.body.dump();
    const deleteMarker = header(res, 'x-amz-delete-marker') === 'true';
    if (versionId !== undefined) await this.core.dropSide(bucket, key, versionId);
    else if (versioning !== 'Enabled') {
      if (versioning === undefined) for (const [k] of await this.core.table.range({ prefix: sidePrefix(bucket, key) })) await this.core.table.delete(k);
      else await this.core.dropSide(bucket, key, 'null');
    }
    if (versionId !== undefined) return { versionId, deleteMarker };
    if (versioning === undefined) return { deleteMarker: false };
    return { versionId: header(res, 'x-amz-version-id') ?? 'null', deleteMarker: true };
  }

  async updateObjectMeta(bucket: string, key: string, versionId: string | undefined, patch: Partial<Pick<ObjectMeta, 'tags' | 'acl' | 'grants' | 'lock' | 'restoredUntil'>>): Promise<ObjectInfo> {
    const info = await this.headObject(bucket, key, versionId);
    if (!info || (versionId === undefined && info.deleteMarker)) throw versionId === undefined ? noSuchKey(key) : noSuchVersion(key, versionId);
    if (info.deleteMarker) throw methodNotAllowed();
    const { key: _k, versionId: _v, isLatest: _l, deleteMarker: _d, size: _s, etag, lastModified: _m, checksums, checksumType, partsCount, partSizes, owner, ...meta } = info;
    const side: SideRec = { e: etag, m: { ...meta, ...patch }, cs: checksums, ct: checksumType, pc: partsCount, ps: partSizes, ow: owner };
    await this.core.table.put(sideKey(bucket, key, info.versionId), side);
    return { ...info, ...patch };
  }

  listObjects(bucket: string, q: ListQuery): Promise<ListPage> {
    return listObjects(this.core, bucket, q);
  }

  listObjectVersions(bucket: string, q: VersionsQuery): Promise<VersionsPage> {
    return listObjectVersions(this.core, bucket, q);
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
  ): Promise<ObjectInfo> {
    return this.mpu.complete(bucket, uploadId, parts, opts);
  }

  abortMultipartUpload(bucket: string, uploadId: string): Promise<void> {
    return this.mpu.abort(bucket, uploadId);
  }

  listMultipartUploads(bucket: string, q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }) {
    return this.mpu.list(bucket, q);
  }

  async health(): Promise<{ state: 'ok' | 'degraded' | 'down'; detail?: string }> {
    const admin = { accessKeyId: this.core.cfg.adminAccessKey, secretAccessKey: this.core.cfg.adminSecretKey };
    try {
      const res = await this.core.client.send(admin, { method: 'GET', path: '/' });
      await res.body.dump();
      if (res.statusCode === 200) return { state: 'ok', detail: `Ceph RGW at ${this.core.cfg.endpoint.origin}` };
      return { state: 'degraded', detail: `Ceph RGW at ${this.core.cfg.endpoint.origin} answered ${res.statusCode}` };
    } catch (e) {
      return { state: 'down', detail: (e as Error).message };
    }
  }

  close(): Promise<void> {
    return this.core.close();
  }
}

function bucketNotEmpty(bucket: string): AwsError {
  return new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', { status: 409, fields: { BucketName: bucket } });
}

export { parseRgwConfig } from './config.js';
