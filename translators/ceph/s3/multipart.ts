// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multipart uploads on RGW. RGW holds the parts' bytes and assembles the object; the gateway keeps
 * the upload's metadata and each part's ETag, size and checksums (state table), validates the
 * part list as S3 does (order, ETags, checksums, EntityTooSmall) before asking RGW to complete,
 * computes the object's ETag and composite/full-object checksum itself (RGW 16.2 answers an empty
 * <ETag></ETag>), and keeps the part sizes for GetObject ?partNumber=.
 */
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm, CompletedPart, ObjectInfo, ObjectMeta, PartInfo, PutOptions, UploadInfo, VersioningState, WriteConditions } from '../../../apis/s3/backend.js';
import { chooseParts, multipartChecksums, multipartEtag, pageUploads } from '../../../apis/s3/complete.js';
import { etagMatches, noSuchUpload, preconditionFailed } from '../../../apis/s3/errors.js';
import { AwsError } from '../../../src/errors.js';
import { header, objectPath, rgwError } from './client.js';
import type { RgwCore } from './core.js';
import { metaHeaders, partKey, partPrefix, sideKey, toPartInfo, toUploadInfo, uploadKey, type PartRec, type SideRec, type UploadRec } from './records.js';

export class RgwMultipart {
  constructor(
    private readonly core: RgwCore,
    private readonly minPartSize: number,
    /** HEAD of the current version, for the write conditions of Complete. */
    private readonly head: (bucket: string, key: string) => Promise<ObjectInfo | undefined>,
  ) {}

  async create(bucket: string, key: string, meta: ObjectMeta, owner: string, alg?: ChecksumAlgorithm, ct?: 'COMPOSITE' | 'FULL_OBJECT'): Promise<UploadInfo> {
    const b = await this.core.bucket(bucket);
    const x = await this.core.client.xml<{ InitiateMultipartUploadResult?: { UploadId?: string } }>(b.creds, {
      method: 'POST',
      path: objectPath(bucket, key),
      query: { uploads: '' },
      headers: metaHeaders(meta),
    });
    const id = x.InitiateMultipartUploadResult?.UploadId;
    if (!id) throw new AwsError('InternalError', 'Ceph RGW answered CreateMultipartUpload without an UploadId', { status: 500 });
    const u: UploadRec = { id, k: key, initiated: this.core.now(), owner, meta, alg, ct: alg ? ct : undefined };
    await this.core.table.put(uploadKey(bucket, id), u);
    return toUploadInfo(u);
  }

  async get(bucket: string, uploadId: string): Promise<UploadInfo | undefined> {
    const u = await this.core.get<UploadRec>(uploadKey(bucket, uploadId));
    return u ? toUploadInfo(u) : undefined;
  }

  async uploadPart(bucket: string, uploadId: string, n: number, body: Readable, opts: Omit<PutOptions, 'versioning' | 'conditions' | 'owner'>): Promise<PartInfo> {
    const u = await this.core.get<UploadRec>(uploadKey(bucket, uploadId));
    if (!u) throw noSuchUpload(uploadId);
    const b = await this.core.bucket(bucket);
    const checksums = { ...(opts.checksums ?? {}) };
    if (u.alg && !(u.alg in checksums)) checksums[u.alg] = null;
    const { res, verified, etag } = await this.core.writeBody(b, { method: 'PUT', path: objectPath(bucket, u.k), query: { partNumber: String(n), uploadId } }, body, { ...opts, checksums });
    await res.body.dump();
    const rec: PartRec = { n, etag, size: verified.size, lm: this.core.now(), cs: verified.checksums };
    await this.core.table.put(partKey(bucket, uploadId, n), rec);
    return toPartInfo(rec);
  }

  private async parts(bucket: string, uploadId: string): Promise<PartRec[]> {
    return (await this.core.table.range({ prefix: partPrefix(bucket, uploadId) })).map(([, v]) => v as PartRec);
  }

  async listParts(bucket: string, uploadId: string, after: number, limit: number): Promise<{ parts: PartInfo[]; truncated: boolean }> {
    if (!(await this.core.get(uploadKey(bucket, uploadId)))) throw noSuchUpload(uploadId);
    const rows = (await this.parts(bucket, uploadId)).filter((p) => p.n > after);
    return { parts: rows.slice(0, limit).map(toPartInfo), truncated: rows.length > limit };
  }

  async complete(
    bucket: string,
    uploadId: string,
    wanted: CompletedPart[],
    opts: { versioning: VersioningState; conditions?: WriteConditions; expectedChecksums?: Partial<Record<ChecksumAlgorithm, string>> },
  ): Promise<ObjectInfo> {
    const u = await this.core.get<UploadRec>(uploadKey(bucket, uploadId));
    if (!u) throw noSuchUpload(uploadId);
    const have = new Map((await this.parts(bucket, uploadId)).map((p) => [p.n, p]));
    const chosen = chooseParts(uploadId, u.alg, wanted, have, this.minPartSize);
    const { cs, ct } = multipartChecksums(u.alg, u.ct, chosen, opts.expectedChecksums);
    // RGW 16 ignores conditions on Complete: checked here (a race with another writer remains)
    if (opts.conditions) {
      const cur = await this.head(bucket, u.k);
      const exists = cur !== undefined && !cur.deleteMarker;
      if (opts.conditions.ifNoneMatchStar && exists) throw preconditionFailed('If-None-Match');
      if (opts.conditions.ifMatch !== undefined && (!exists || !etagMatches(opts.conditions.ifMatch, cur.etag))) {
        if (!exists) throw new AwsError('NoSuchKey', 'The specified key does not exist.', { status: 404, fields: { Key: u.k } });
        throw preconditionFailed('If-Match');
      }
    }
    const b = await this.core.bucket(bucket);
    await this.core.syncVersioning(b, opts.versioning);
    const body =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      chosen.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('') +
      '</CompleteMultipartUpload>';
    const req = { method: 'POST', path: objectPath(bucket, u.k), query: { uploadId }, headers: { 'content-type': 'application/xml' }, body } as const;
    const res = await this.core.send(b, req);
    const text = res.statusCode === 200 ? await res.body.text() : '';
    if (res.statusCode !== 200) throw await rgwError(res, req);
    if (text.includes('<Error>')) throw new AwsError('InternalError', `Ceph RGW failed to complete the upload: ${text.slice(0, 300)}`, { status: 500 });
    const etag = multipartEtag(chosen);
    const versionId = header(res, 'x-amz-version-id') ?? 'null';
    const side: SideRec = { e: etag, m: u.meta, cs, ct, pc: chosen.length, ps: chosen.map((p) => p.size), ow: u.owner };
    await this.core.table.put(sideKey(bucket, u.k, versionId), side);
    await this.drop(bucket, uploadId);
    return {
      ...u.meta,
      key: u.k,
      versionId,
      isLatest: true,
      deleteMarker: false,
      size: chosen.reduce((a, p) => a + p.size, 0),
      etag,
      lastModified: this.core.now(),
      checksums: cs,
      checksumType: side.ct,
      partsCount: side.pc,
      partSizes: side.ps,
      owner: u.owner,
    };
  }

  private async drop(bucket: string, uploadId: string): Promise<void> {
    for (const [k] of await this.core.table.range({ prefix: partPrefix(bucket, uploadId) })) await this.core.table.delete(k);
    await this.core.table.delete(uploadKey(bucket, uploadId));
  }

  async abort(bucket: string, uploadId: string): Promise<void> {
    const u = await this.core.get<UploadRec>(uploadKey(bucket, uploadId));
    if (!u) throw noSuchUpload(uploadId);
    const b = await this.core.bucket(bucket);
    // NoSuchUpload from RGW: already gone there (an earlier abort that died half-way)
    await (await this.core.expect(b, { method: 'DELETE', path: objectPath(bucket, u.k), query: { uploadId } }, [204, 200, 404])).body.dump();
    await this.drop(bucket, uploadId);
  }

  async list(bucket: string, q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }): Promise<{ uploads: UploadInfo[]; truncated: boolean }> {
    return pageUploads(await this.all(bucket), q);
  }

  /** Every upload of a bucket. */
  async all(bucket: string): Promise<UploadInfo[]> {
    return (await this.core.table.range({ prefix: uploadKey(bucket, '') })).map(([, v]) => toUploadInfo(v as UploadRec));
  }
}
