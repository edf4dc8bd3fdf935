// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multipart uploads of the embedded store. Each part is streamed to its own durable file; the
 * completed object's segments are those part files, so CompleteMultipartUpload moves no bytes:
 * one LMDB transaction drops the upload and makes the object visible.
 */
import type { Readable } from 'node:stream';
import type { Database } from 'lmdb';
import type { ChecksumAlgorithm, CompletedPart, ObjectInfo, ObjectMeta, PartInfo, PutOptions, UploadInfo, VersioningState, WriteConditions } from '../../../apis/s3/backend.js';
import { noSuchUpload } from '../../../apis/s3/errors.js';
import { chooseParts, multipartChecksums, multipartEtag, pageUploads } from '../../../apis/s3/complete.js';
import { afterPrefix, partKey, partPrefix, uploadKey, bucketPrefix } from './keys.js';
import { newUploadId, toInfo, toPartInfo, toUploadInfo, type ObjRec, type PartRec, type UploadRec } from './records.js';
import { checkKeyFits, type ObjectStore } from './store.js';

export class Multipart {
  readonly uploads: Database<UploadRec, Buffer>;
  readonly parts: Database<PartRec, Buffer>;

  private readonly now: () => number;

  constructor(
    private readonly store: ObjectStore,
    now: () => number,
    private readonly minPartSize: number,
  ) {
    this.now = () => Math.floor(now() / 1000) * 1000;
    this.uploads = store.env.openDB<UploadRec, Buffer>({ name: 'uploads', keyEncoding: 'binary', encoding: 'msgpack' });
    this.parts = store.env.openDB<PartRec, Buffer>({ name: 'parts', keyEncoding: 'binary', encoding: 'msgpack' });
  }

  async create(bucket: string, key: string, meta: ObjectMeta, owner: string, alg?: ChecksumAlgorithm, ct?: 'COMPOSITE' | 'FULL_OBJECT'): Promise<UploadInfo> {
    checkKeyFits(key);
    const u: UploadRec = { id: newUploadId(), k: key, initiated: this.now(), owner, meta, alg, ct: alg ? ct : undefined };
    await this.uploads.put(uploadKey(bucket, u.id), u);
    await this.store.flushed();
    return toUploadInfo(u);
  }

  async get(bucket: string, uploadId: string): Promise<UploadInfo | undefined> {
    const u = this.uploads.get(uploadKey(bucket, uploadId));
    return u ? toUploadInfo(u) : undefined;
  }

  async uploadPart(bucket: string, uploadId: string, n: number, body: Readable, opts: Omit<PutOptions, 'versioning' | 'conditions' | 'owner'>): Promise<PartInfo> {
    const u = this.uploads.get(uploadKey(bucket, uploadId));
    if (!u) throw noSuchUpload(uploadId);
    const checksums = { ...(opts.checksums ?? {}) };
    if (u.alg && !(u.alg in checksums)) checksums[u.alg] = null;
    const w = await this.store.files.write(body, { ...opts, checksums, encrypt: u.meta.serverSideEncryption === 'AES256' });
    const rec: PartRec = { n, etag: `"${w.md5.toString('hex')}"`, size: w.size, lm: this.now(), cs: w.checksums, f: w.file, iv: w.iv };
    const garbage: string[] = [];
    try {
      await this.store.durably(() => {
        if (!this.uploads.get(uploadKey(bucket, uploadId))) throw noSuchUpload(uploadId);
        const pk = partKey(bucket, uploadId, n);
        const old = this.parts.get(pk);
        if (old) garbage.push(old.f);
        void this.parts.put(pk, rec);
      });
    } catch (e) {
      await this.store.files.remove([w.file]);
      throw e;
    }
    await this.store.files.remove(garbage);
    return toPartInfo(rec);
  }

  async listParts(bucket: string, uploadId: string, after: number, limit: number): Promise<{ parts: PartInfo[]; truncated: boolean }> {
    if (!this.uploads.get(uploadKey(bucket, uploadId))) throw noSuchUpload(uploadId);
    const p = partPrefix(bucket, uploadId);
    const start = partKey(bucket, uploadId, after + 1);
    const parts: PartInfo[] = [];
    let truncated = false;
    for (const { value } of this.parts.getRange({ start, end: afterPrefix(p) })) {
      if (parts.length >= limit) {
        truncated = true;
        break;
      }
      parts.push(toPartInfo(value));
    }
    return { parts, truncated };
  }

  async complete(
    bucket: string,
    uploadId: string,
    wanted: CompletedPart[],
    opts: { versioning: VersioningState; conditions?: WriteConditions; expectedChecksums?: Partial<Record<ChecksumAlgorithm, string>> },
  ): Promise<ObjectInfo> {
    const garbage: string[] = [];
    const rec = await this.store.durably(() => {
      const uk = uploadKey(bucket, uploadId);
      const u = this.uploads.get(uk);
      if (!u) throw noSuchUpload(uploadId);
      const have = new Map<number, { k: Buffer; p: PartRec }>();
      const pp = partPrefix(bucket, uploadId);
      for (const { key, value } of this.parts.getRange({ start: pp, end: afterPrefix(pp) })) have.set(value.n, { k: key as Buffer, p: value });
      const chosen = chooseParts(uploadId, u.alg, wanted, new Map([...have].map(([n, h]) => [n, h.p])), this.minPartSize);
      const { cs, ct } = multipartChecksums(u.alg, u.ct, chosen, opts.expectedChecksums);
      const used = new Set(chosen.map((p) => p.f));
      for (const { k, p } of have.values()) {
        void this.parts.remove(k);
        if (!used.has(p.f)) garbage.push(p.f);
      }
      void this.uploads.remove(uk);
      return this.store.commitInTxn(
        bucket,
        {
          k: u.k,
          size: chosen.reduce((a, p) => a + p.size, 0),
          etag: multipartEtag(chosen),
          lm: this.now(),
          meta: u.meta,
          cs,
          ct,
          pc: chosen.length,
          owner: u.owner,
          segs: chosen.map((p) => ({ f: p.f, n: p.size, iv: p.iv })),
        },
        opts.versioning,
        opts.conditions,
        garbage,
      );
    });
    await this.store.files.remove(garbage);
    return toInfo(rec, true);
  }

  async abort(bucket: string, uploadId: string): Promise<void> {
    const garbage: string[] = [];
    await this.store.durably(() => {
      const uk = uploadKey(bucket, uploadId);
      if (!this.uploads.get(uk)) throw noSuchUpload(uploadId);
      this.dropUploadInTxn(bucket, uploadId, garbage);
    });
    await this.store.files.remove(garbage);
  }

  private dropUploadInTxn(bucket: string, uploadId: string, garbage: string[]): void {
    const pp = partPrefix(bucket, uploadId);
    for (const { key, value } of this.parts.getRange({ start: pp, end: afterPrefix(pp) })) {
      void this.parts.remove(key as Buffer);
      garbage.push(value.f);
    }
    void this.uploads.remove(uploadKey(bucket, uploadId));
  }

  /** Every upload of a bucket, sorted by key then initiation (S3's listing order). */
  all(bucket: string): UploadInfo[] {
    const p = bucketPrefix(bucket);
    const out: UploadInfo[] = [];
    for (const { value } of this.uploads.getRange({ start: p, end: afterPrefix(p) })) out.push(toUploadInfo(value));
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1));
  }

  async list(bucket: string, q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }): Promise<{ uploads: UploadInfo[]; truncated: boolean }> {
    return pageUploads(this.all(bucket), q);
  }

  /** Aborts every upload of a bucket (DeleteBucket, lifecycle). */
  async dropAll(bucket: string, olderThan?: number): Promise<number> {
    const garbage: string[] = [];
    const n = await this.store.durably(() => {
      let count = 0;
      for (const u of this.all(bucket)) {
        if (olderThan !== undefined && u.initiated >= olderThan) continue;
        this.dropUploadInTxn(bucket, u.uploadId, garbage);
        count++;
      }
      return count;
    });
    await this.store.files.remove(garbage);
    return n;
  }
}
