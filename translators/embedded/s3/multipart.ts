// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multipart uploads of the embedded store. Each part is streamed to its own durable file; the
 * completed object's segments are those part files, so CompleteMultipartUpload moves no bytes:
 * one LMDB transaction drops the upload and makes the object visible.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Database } from 'lmdb';
import type { ChecksumAlgorithm, CompletedPart, ObjectInfo, ObjectMeta, PartInfo, PutOptions, UploadInfo, VersioningState, WriteConditions } from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';
import { noSuchUpload } from '../../../apis/s3/errors.js';
import { combineCrcs } from '../../../apis/s3/crc-combine.js';
import { checksumDigest } from './hashing.js';
import { afterPrefix, partKey, partPrefix, uploadKey, bucketPrefix } from './keys.js';
import { newUploadId, toInfo, toPartInfo, toUploadInfo, type ObjRec, type PartRec, type UploadRec } from './records.js';
import { checkKeyFits, type ObjectStore } from './store.js';

function invalidPart(uploadId: string, partNumber: number, etag: string): AwsError {
  return new AwsError(
    'InvalidPart',
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { status: 400, fields: { UploadId: uploadId, PartNumber: partNumber, ETag: etag } },
  );
}

function normEtag(e: string): string {
  return e.trim().replace(/^"|"$/g, '');
}

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
      await this.store.env.transaction(() => {
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
    const rec = await this.store.env.transaction(() => {
      const uk = uploadKey(bucket, uploadId);
      const u = this.uploads.get(uk);
      if (!u) throw noSuchUpload(uploadId);
      const have = new Map<number, { k: Buffer; p: PartRec }>();
      const pp = partPrefix(bucket, uploadId);
      for (const { key, value } of this.parts.getRange({ start: pp, end: afterPrefix(pp) })) have.set(value.n, { k: key as Buffer, p: value });
      let prev = 0;
      const chosen: PartRec[] = [];
      for (const w of wanted) {
        if (w.partNumber <= prev) {
          throw new AwsError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { status: 400, fields: { UploadId: uploadId } });
        }
        prev = w.partNumber;
        const h = have.get(w.partNumber);
        if (!h || normEtag(h.p.etag) !== normEtag(w.etag)) throw invalidPart(uploadId, w.partNumber, w.etag);
        for (const [alg, v] of Object.entries(w.checksums ?? {}) as Array<[ChecksumAlgorithm, string]>) {
          if (h.p.cs[alg] !== undefined && h.p.cs[alg] !== v) throw invalidPart(uploadId, w.partNumber, w.etag);
        }
        if (u.alg && w.checksums && w.checksums[u.alg] === undefined) {
          throw new AwsError(
            'InvalidRequest',
            `The upload was created using a ${u.alg.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${w.partNumber} in the request.`,
            { status: 400 },
          );
        }
        chosen.push(h.p);
      }
      chosen.forEach((p, i) => {
        if (i < chosen.length - 1 && p.size < this.minPartSize) {
          throw new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
            status: 400,
            fields: { ProposedSize: p.size, MinSizeAllowed: this.minPartSize, PartNumber: p.n, ETag: normEtag(p.etag) },
          });
        }
      });
      const md5 = createHash('md5');
      for (const p of chosen) md5.update(Buffer.from(normEtag(p.etag), 'hex'));
      const cs: ObjRec['cs'] = {};
      const fullObject = u.ct === 'FULL_OBJECT';
      if (u.alg && fullObject) {
        cs[u.alg] = combineCrcs(u.alg, chosen.map((p) => ({ crc: p.cs[u.alg!] ?? '', size: p.size })));
      } else if (u.alg) {
        const d = checksumDigest(u.alg);
        for (const p of chosen) d.update(Buffer.from(p.cs[u.alg] ?? '', 'base64'));
        cs[u.alg] = `${d.digest()}-${chosen.length}`;
      }
      for (const [alg, want] of Object.entries(opts.expectedChecksums ?? {}) as Array<[ChecksumAlgorithm, string]>) {
        const have = cs[alg];
        if (have !== undefined && have.replace(/-\d+$/, '') !== want.replace(/-\d+$/, '')) {
          throw new AwsError('BadDigest', `The ${alg} you specified did not match the calculated checksum.`, { status: 400 });
        }
      }
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
          etag: `"${md5.digest('hex')}-${chosen.length}"`,
          lm: this.now(),
          meta: u.meta,
          cs,
          ct: u.alg ? (fullObject ? 'FULL_OBJECT' : 'COMPOSITE') : undefined,
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
    await this.store.env.transaction(() => {
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
    let rows = this.all(bucket).filter((u) => q.prefix === undefined || u.key.startsWith(q.prefix));
    if (q.keyMarker) {
      const km = Buffer.from(q.keyMarker);
      const idx = q.uploadIdMarker ? rows.findIndex((u) => u.key === q.keyMarker && u.uploadId === q.uploadIdMarker) : -1;
      rows = idx >= 0 ? rows.slice(idx + 1) : rows.filter((u) => Buffer.compare(Buffer.from(u.key), km) > 0);
    }
    return { uploads: rows.slice(0, q.limit), truncated: rows.length > q.limit };
  }

  /** Aborts every upload of a bucket (DeleteBucket, lifecycle). */
  async dropAll(bucket: string, olderThan?: number): Promise<number> {
    const garbage: string[] = [];
    const n = await this.store.env.transaction(() => {
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
