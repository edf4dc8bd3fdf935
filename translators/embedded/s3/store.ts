// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded S3 object store: bytes in files (files.ts), metadata in an LMDB env of its own
 * under `<dataDir>/s3/meta` (keys.ts), every metadata change one LMDB transaction, answered once
 * flushed to disk (durably). A write is durable file first, then the record that makes it
 * visible; a delete drops the record first, then the file. A killed process leaves at worst an
 * unreferenced file, never a partial object.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { open, type Database, type RootDatabase } from 'lmdb';
import type {
  ByteRange,
  ListPage,
  ListQuery,
  ObjectInfo,
  ObjectMeta,
  PutOptions,
  VersioningState,
  VersionsPage,
  VersionsQuery,
} from '../../../apis/s3/backend.js';
import { ObjectChangedError } from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';
import { durably } from '../../../src/state/lmdb.js';
import { etagMatches, methodNotAllowed, noSuchKey, noSuchVersion, preconditionFailed } from '../../../apis/s3/errors.js';
import { FileStore, type Segment } from './files.js';
import { afterPrefix, bucketPrefix, keyFits, keyOfObjectKey, objectKey, startsWith, successor, versionKey, versionKeyPrefix, versionScanPrefix } from './keys.js';
import { newVersionId, toInfo, type ObjRec } from './records.js';

export function checkKeyFits(key: string): void {
  if (!keyFits(key)) throw new AwsError('KeyTooLongError', 'Your key is too long', { status: 400 });
}

const NINE_FF = Buffer.alloc(9, 0xff);

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class ObjectStore {
  readonly env: RootDatabase;
  readonly objects: Database<ObjRec, Buffer>;
  readonly versions: Database<ObjRec, Buffer>;
  readonly meta: Database<unknown, string>;
  readonly files: FileStore;
  private readonly now: () => number;

  constructor(root: string, now: () => number) {
    this.files = new FileStore(root);
    this.env = open({ path: join(root, 'meta'), maxDbs: 16, mapSize: 2 ** 36, compression: false });
    this.objects = this.env.openDB<ObjRec, Buffer>({ name: 'objects', keyEncoding: 'binary', encoding: 'msgpack' });
    this.versions = this.env.openDB<ObjRec, Buffer>({ name: 'versions', keyEncoding: 'binary', encoding: 'msgpack' });
    this.meta = this.env.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    // S3 times have one-second resolution (listings show .000Z; HTTP dates have no fraction)
    this.now = () => Math.floor(now() / 1000) * 1000;
  }

  /**
   * Runs `fn` in a write transaction and resolves once the commit is on disk (src/state/lmdb.ts
   * durably): an acknowledged write must survive a power loss, and a replaced file may be
   * unlinked only once no durable record names it.
   */
  durably<T>(fn: () => T): Promise<T> {
    return durably(this.env, fn);
  }

  /** Resolves once every commit so far is on disk. */
  async flushed(): Promise<void> {
    await this.env.flushed;
  }

  /** Next sequence number; call inside a write transaction. */
  nextSeq(): number {
    const seq = ((this.meta.get('seq') as number | undefined) ?? 0) + 1;
    void this.meta.put('seq', seq);
    return seq;
  }

  /** Every version of a key, newest first (inside or outside a transaction). */
  versionsOf(bucket: string, key: string): Array<{ k: Buffer; r: ObjRec }> {
    const p = versionKeyPrefix(bucket, key);
    const out: Array<{ k: Buffer; r: ObjRec }> = [];
    for (const { key: k, value } of this.versions.getRange({ start: p, end: Buffer.concat([p, NINE_FF]) })) out.push({ k: k as Buffer, r: value });
    return out;
  }

  async put(bucket: string, key: string, body: Readable, meta: ObjectMeta, opts: PutOptions): Promise<ObjectInfo> {
    checkKeyFits(key);
    const w = await this.files.write(body, { ...opts, encrypt: meta.serverSideEncryption === 'AES256' });
    const rec: Omit<ObjRec, 'seq' | 'v'> = {
      k: key,
      size: w.size,
      etag: `"${w.md5.toString('hex')}"`,
      lm: this.now(),
      meta,
      cs: w.checksums,
      ct: Object.keys(w.checksums).length ? 'FULL_OBJECT' : undefined,
      owner: opts.owner,
      segs: w.file ? [{ f: w.file, n: w.size, iv: w.iv }] : [],
    };
    try {
      return await this.commit(bucket, rec, opts.versioning, opts.conditions);
    } catch (e) {
      await this.files.remove([w.file]);
      throw e;
    }
  }

  /** Makes a new version visible in one transaction; returns its info. Unlinks replaced files. */
  async commit(bucket: string, rec: Omit<ObjRec, 'seq' | 'v'>, versioning: VersioningState, cond?: PutOptions['conditions']): Promise<ObjectInfo> {
    const garbage: string[] = [];
    const full = await this.durably(() => this.commitInTxn(bucket, rec, versioning, cond, garbage));
    await this.files.remove(garbage);
    return toInfo(full, true);
  }

  /** The body of commit(), for callers already inside a write transaction. */
  commitInTxn(bucket: string, rec: Omit<ObjRec, 'seq' | 'v'>, versioning: VersioningState, cond: PutOptions['conditions'] | undefined, garbage: string[]): ObjRec {
    const ok = objectKey(bucket, rec.k);
    const cur = this.objects.get(ok);
    if (cond?.ifNoneMatchStar && cur) throw preconditionFailed('If-None-Match');
    if (cond?.ifMatch !== undefined) {
      if (!cur) throw noSuchKey(rec.k);
      if (!etagMatches(cond.ifMatch, cur.etag)) throw preconditionFailed('If-Match');
    }
    const seq = this.nextSeq();
    const v = versioning === 'Enabled' ? newVersionId() : 'null';
    const r: ObjRec = { ...rec, seq, v };
    if (v === 'null') this.dropNullVersion(bucket, rec.k, garbage);
    void this.versions.put(versionKey(bucket, rec.k, seq), r);
    void this.objects.put(ok, r);
    return r;
  }

  /** Removes the null version of a key (inside a transaction), collecting its files. */
  private dropNullVersion(bucket: string, key: string, garbage: string[]): void {
    for (const { k, r } of this.versionsOf(bucket, key)) {
      if (r.v === 'null') {
        void this.versions.remove(k);
        for (const s of r.segs) garbage.push(s.f);
      }
    }
  }

  /** The segments behind each ObjectInfo handed out, so open() reads exactly that version. */
  private readonly segmentsOfInfo = new WeakMap<ObjectInfo, Segment[]>();

  private described(r: ObjRec, isLatest: boolean): ObjectInfo {
    const info = toInfo(r, isLatest);
    this.segmentsOfInfo.set(info, r.segs);
    return info;
  }

  async head(bucket: string, key: string, versionId?: string): Promise<ObjectInfo | undefined> {
    if (versionId === undefined) {
      const cur = this.objects.get(objectKey(bucket, key));
      if (cur) return this.described(cur, true);
      const newest = this.versionsOf(bucket, key)[0];
      return newest?.r.dm ? this.described(newest.r, true) : undefined;
    }
    const all = this.versionsOf(bucket, key);
    const i = all.findIndex((x) => x.r.v === versionId);
    return i < 0 ? undefined : this.described(all[i].r, i === 0);
  }

  /** Segments of the version `info` describes (same version id and ETag), for reading. */
  segmentsOf(bucket: string, info: ObjectInfo): Segment[] {
    const known = this.segmentsOfInfo.get(info);
    if (known) return known;
    const found = this.versionsOf(bucket, info.key).find((x) => x.r.v === info.versionId)?.r;
    if (!found || found.etag !== info.etag || found.lm !== info.lastModified) throw new ObjectChangedError(info.key);
    return found.segs;
  }

  async open(info: ObjectInfo, bucket: string, range?: ByteRange): Promise<Readable> {
    try {
      return await this.files.read(this.segmentsOf(bucket, info), range);
    } catch (e) {
      // a file unlinked by a concurrent overwrite or delete: the caller looks again
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectChangedError(info.key);
      throw e;
    }
  }

  async delete(bucket: string, key: string, versionId: string | undefined, versioning: VersioningState, owner: string): Promise<{ versionId?: string; deleteMarker: boolean }> {
    const garbage: string[] = [];
    const result = await this.durably(() => {
      const ok = objectKey(bucket, key);
      const all = this.versionsOf(bucket, key);
      if (versionId !== undefined) {
        const i = all.findIndex((x) => x.r.v === versionId);
        // S3 answers 204 for a version that does not exist
        if (i < 0) return { versionId, deleteMarker: false };
        const gone = all[i].r;
        void this.versions.remove(all[i].k);
        for (const s of gone.segs) garbage.push(s.f);
        if (i === 0) {
          const next = all[1]?.r;
          if (next && !next.dm) void this.objects.put(ok, next);
          else void this.objects.remove(ok);
        }
        return { versionId, deleteMarker: gone.dm === true };
      }
      if (versioning === undefined) {
        void this.objects.remove(ok);
        for (const { k, r } of all) {
          void this.versions.remove(k);
          for (const s of r.segs) garbage.push(s.f);
        }
        return { deleteMarker: false };
      }
      const seq = this.nextSeq();
      const v = versioning === 'Enabled' ? newVersionId() : 'null';
      if (v === 'null') this.dropNullVersion(bucket, key, garbage);
      const marker: ObjRec = { k: key, v, seq, dm: true, size: 0, etag: '', lm: this.now(), meta: { userMetadata: {} }, cs: {}, owner, segs: [] };
      void this.versions.put(versionKey(bucket, key, seq), marker);
      void this.objects.remove(ok);
      return { versionId: v, deleteMarker: true };
    });
    await this.files.remove(garbage);
    return result;
  }

  async updateMeta(bucket: string, key: string, versionId: string | undefined, patch: Partial<ObjectMeta>): Promise<ObjectInfo> {
    return this.durably(() => {
      const all = this.versionsOf(bucket, key);
      const i = versionId === undefined ? 0 : all.findIndex((x) => x.r.v === versionId);
      const hit = i >= 0 ? all[i] : undefined;
      if (!hit || (versionId === undefined && hit.r.dm)) throw versionId === undefined ? noSuchKey(key) : noSuchVersion(key, versionId);
      if (hit.r.dm) throw methodNotAllowed();
      const r: ObjRec = { ...hit.r, meta: { ...hit.r.meta, ...patch } };
      void this.versions.put(hit.k, r);
      if (i === 0) void this.objects.put(objectKey(bucket, key), r);
      return toInfo(r, i === 0);
    });
  }

  async list(bucket: string, q: ListQuery): Promise<ListPage> {
    const prefix = q.prefix ?? '';
    const scan = objectKey(bucket, prefix);
    const end = afterPrefix(scan);
    let start: Buffer = scan;
    if (q.after !== undefined) {
      const a = successor(objectKey(bucket, q.after));
      if (Buffer.compare(a, start) > 0) start = a;
    }
    const page: ListPage = { objects: [], commonPrefixes: [], truncated: false };
    if (q.limit <= 0) return page;
    for (;;) {
      let restart: Buffer | undefined;
      for (const { key, value } of this.objects.getRange({ start, end })) {
        if (page.objects.length + page.commonPrefixes.length >= q.limit) {
          page.truncated = true;
          return page;
        }
        const k = keyOfObjectKey(bucket, key as Buffer);
        if (q.delimiter) {
          const i = k.indexOf(q.delimiter, prefix.length);
          if (i >= 0) {
            const cp = k.slice(0, i + q.delimiter.length);
            if (q.after === undefined || byteCompare(cp, q.after) > 0) {
              page.commonPrefixes.push(cp);
              page.last = cp;
            }
            restart = afterPrefix(objectKey(bucket, cp));
            break;
          }
        }
        page.objects.push(toInfo(value, true));
        page.last = k;
      }
      if (!restart) return page;
      start = restart;
    }
  }

  async listVersions(bucket: string, q: VersionsQuery): Promise<VersionsPage> {
    const prefix = q.prefix ?? '';
    const scan = versionScanPrefix(bucket, prefix);
    const end = afterPrefix(scan);
    let start: Buffer = scan;
    if (q.keyMarker !== undefined && q.keyMarker !== '') {
      let from: Buffer = Buffer.concat([versionKeyPrefix(bucket, q.keyMarker), NINE_FF]);
      if (q.versionIdMarker) {
        const hit = this.versionsOf(bucket, q.keyMarker).find((x) => x.r.v === q.versionIdMarker);
        if (!hit) throw invalidVersionMarker(q.versionIdMarker);
        from = successor(hit.k);
      }
      if (Buffer.compare(from, start) > 0) start = from;
    }
    const page: VersionsPage = { versions: [], commonPrefixes: [], truncated: false };
    if (q.limit <= 0) return page;
    let prevKey: string | undefined = q.versionIdMarker ? q.keyMarker : undefined;
    for (;;) {
      let restart: Buffer | undefined;
      for (const { value: r } of this.versions.getRange({ start, end })) {
        if (page.versions.length + page.commonPrefixes.length >= q.limit) {
          page.truncated = true;
          return page;
        }
        if (q.delimiter) {
          const i = r.k.indexOf(q.delimiter, prefix.length);
          if (i >= 0) {
            const cp = r.k.slice(0, i + q.delimiter.length);
            if (!q.keyMarker || byteCompare(cp, q.keyMarker) > 0) {
              page.commonPrefixes.push(cp);
              page.nextKeyMarker = cp;
              page.nextVersionIdMarker = undefined;
            }
            restart = afterPrefix(versionScanPrefix(bucket, cp));
            break;
          }
        }
        page.versions.push(toInfo(r, r.k !== prevKey));
        prevKey = r.k;
        page.nextKeyMarker = r.k;
        page.nextVersionIdMarker = r.v;
      }
      if (!restart) return page;
      start = restart;
    }
  }

  /** True when any version of any key remains in the bucket. */
  hasAnyVersion(bucket: string): boolean {
    const p = bucketPrefix(bucket);
    for (const { key } of this.versions.getRange({ start: p, end: afterPrefix(p), limit: 1 })) if (startsWith(key as Buffer, p)) return true;
    return false;
  }

  async close(): Promise<void> {
    this.files.close();
    await this.env.close();
  }
}

function invalidVersionMarker(v: string): AwsError {
  return new AwsError('InvalidArgument', 'Invalid version id specified', { status: 400, fields: { ArgumentName: 'version-id-marker', ArgumentValue: v } });
}
