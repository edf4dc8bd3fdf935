// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 under SIGKILL: PutObject (unique keys), PutObject of new versions of a few keys in a
 * versioned bucket, multipart uploads, and DeleteObjects. After each restart: every acknowledged
 * object reads back with its sha256, every acknowledged version is listed and intact, every
 * acknowledged delete stays deleted, and what was in flight is either absent or whole — never a
 * truncated or foreign body, never a listed key nobody wrote.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import {
  S3Client, PutObjectCommand, GetObjectCommand, CreateBucketCommand, PutBucketVersioningCommand, ListObjectVersionsCommand,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, DeleteObjectsCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { TrialContext, Workload } from './crash-runner.js';
import type { ClientCfg } from './proc.js';

const PLAIN = 'crash-plain';
const VERSIONED = 'crash-versioned';
const PART = 64 * 1024;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Ledger {
  /** key → sha of what must be there (acked) */
  acked: Map<string, string>;
  /** key → sha of what may be there (in flight at the kill) */
  maybe: Map<string, string>;
  /** keys an acked DeleteObjects removed */
  deleted: Set<string>;
  /** keys an in-flight DeleteObjects may have removed (they are in acked too) */
  maybeDeleted: Set<string>;
  /** versioned key → acked versions (id → sha); in-flight shas */
  versions: Map<string, Map<string, string>>;
  maybeVersions: Map<string, Set<string>>;
}

async function body(s3: S3Client, Bucket: string, Key: string, VersionId?: string): Promise<string | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
    return sha(await r.Body!.transformToByteArray());
  } catch (e) {
    if ((e as { name: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

export function s3Workload(): Workload {
  const L: Ledger = { acked: new Map(), maybe: new Map(), deleted: new Set(), maybeDeleted: new Set(), versions: new Map(), maybeVersions: new Map() };
  const byTrial = new Map<number, string[]>();
  const note = (trial: number, key: string) => {
    const l = byTrial.get(trial) ?? [];
    l.push(key);
    byTrial.set(trial, l);
  };

  async function putter(ctx: TrialContext, s3: S3Client, w: number) {
    for (let i = 0; !ctx.dead; i++) {
      const key = `t${ctx.trial}/w${w}/p${i}`;
      const data = randomBytes(512 + ctx.rnd(200 * 1024));
      const h = sha(data);
      note(ctx.trial, key);
      L.maybe.set(key, h);
      const r = await ctx.attempt(`PutObject ${key}`, () => s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: data })));
      if (r.fate === 'acked') {
        L.maybe.delete(key);
        L.acked.set(key, h);
      } else return;
    }
  }

  async function versioner(ctx: TrialContext, s3: S3Client) {
    for (let i = 0; !ctx.dead; i++) {
      const key = `v${i % 3}`;
      const data = randomBytes(256 + ctx.rnd(64 * 1024));
      const h = sha(data);
      const maybe = L.maybeVersions.get(key) ?? new Set();
      L.maybeVersions.set(key, maybe.add(h));
      const r = await ctx.attempt(`PutObject ${VERSIONED}/${key}`, () => s3.send(new PutObjectCommand({ Bucket: VERSIONED, Key: key, Body: data })));
      if (r.fate !== 'acked') return;
      maybe.delete(h);
      const v = L.versions.get(key) ?? new Map();
      L.versions.set(key, v.set(r.value!.VersionId!, h));
    }
  }

  async function multipart(ctx: TrialContext, s3: S3Client) {
    for (let i = 0; !ctx.dead; i++) {
      const key = `t${ctx.trial}/mpu${i}`;
      const parts = [randomBytes(PART), randomBytes(PART), randomBytes(1 + ctx.rnd(PART))];
      const h = sha(Buffer.concat(parts));
      note(ctx.trial, key);
      L.maybe.set(key, h);
      const c = await ctx.attempt('CreateMultipartUpload', () => s3.send(new CreateMultipartUploadCommand({ Bucket: PLAIN, Key: key })));
      if (c.fate !== 'acked') return;
      const done: { ETag: string; PartNumber: number }[] = [];
      for (let p = 0; p < parts.length; p++) {
        const u = await ctx.attempt('UploadPart', () => s3.send(new UploadPartCommand({ Bucket: PLAIN, Key: key, UploadId: c.value!.UploadId, PartNumber: p + 1, Body: parts[p] })));
        if (u.fate !== 'acked') return;
        done.push({ ETag: u.value!.ETag!, PartNumber: p + 1 });
      }
      const f = await ctx.attempt('CompleteMultipartUpload', () =>
        s3.send(new CompleteMultipartUploadCommand({ Bucket: PLAIN, Key: key, UploadId: c.value!.UploadId, MultipartUpload: { Parts: done } })),
      );
      if (f.fate !== 'acked') return;
      L.maybe.delete(key);
      L.acked.set(key, h);
    }
  }

  async function deleter(ctx: TrialContext, s3: S3Client) {
    for (let i = 0; !ctx.dead; i++) {
      const keys = [0, 1, 2].map((j) => `t${ctx.trial}/d${i}-${j}`);
      for (const key of keys) {
        const data = randomBytes(100 + ctx.rnd(2000));
        note(ctx.trial, key);
        L.maybe.set(key, sha(data));
        const r = await ctx.attempt(`PutObject ${key}`, () => s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: data })));
        if (r.fate !== 'acked') return;
        L.acked.set(key, L.maybe.get(key)!);
        L.maybe.delete(key);
      }
      for (const k of keys) L.maybeDeleted.add(k);
      const d = await ctx.attempt('DeleteObjects', () => s3.send(new DeleteObjectsCommand({ Bucket: PLAIN, Delete: { Objects: keys.map((Key) => ({ Key })) } })));
      if (d.fate !== 'acked') return;
      if (d.value!.Errors?.length) throw new Error(`DeleteObjects errors: ${JSON.stringify(d.value!.Errors)}`);
      for (const k of keys) {
        L.maybeDeleted.delete(k);
        L.acked.delete(k);
        L.deleted.add(k);
      }
    }
  }

  async function checkKey(t: Test, s3: S3Client, key: string) {
    const got = await body(s3, PLAIN, key);
    if (L.deleted.has(key)) {
      if (got !== undefined) t.fail(`${key}: deleted (acked) but readable`);
    } else if (L.acked.has(key)) {
      if (got === undefined && L.maybeDeleted.has(key)) return;
      if (got !== L.acked.get(key)) t.fail(`${key}: acked with sha ${L.acked.get(key)}, reads ${got ?? 'NoSuchKey'}`);
    } else if (L.maybe.has(key)) {
      if (got !== undefined && got !== L.maybe.get(key)) t.fail(`${key}: in flight at the kill, reads a body nobody wrote (${got})`);
    }
  }

  async function checkVersions(t: Test, s3: S3Client) {
    for (const [key, acked] of L.versions) {
      const listed = new Map<string, true>();
      let KeyMarker: string | undefined;
      let VersionIdMarker: string | undefined;
      do {
        const r = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, Prefix: key, KeyMarker, VersionIdMarker }));
        for (const v of r.Versions ?? []) if (v.Key === key) listed.set(v.VersionId!, true);
        KeyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
        VersionIdMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
      } while (KeyMarker);
      let missing = 0;
      for (const [id, h] of acked) {
        if (!listed.has(id)) missing++;
        else if ((await body(s3, VERSIONED, key, id)) !== h) t.fail(`${key}@${id}: acked version reads another body`);
      }
      t.equal(missing, 0, `${VERSIONED}/${key}: all ${acked.size} acked versions listed`);
      const maybe = L.maybeVersions.get(key) ?? new Set();
      for (const id of listed.keys()) {
        if (acked.has(id)) continue;
        const h = await body(s3, VERSIONED, key, id);
        if (!h || !maybe.has(h)) t.fail(`${key}@${id}: a version nobody acked or sent`);
        else {
          // an in-flight write that made it: it is now a version like any other
          acked.set(id, h);
          maybe.delete(h);
        }
      }
    }
  }

  return {
    name: 's3',
    config: { s3: { backend: 'embedded', minPartSize: PART }, ec2: { backend: 'embedded' } },
    async setup(cfg) {
      const s3 = new S3Client(cfg);
      await s3.send(new CreateBucketCommand({ Bucket: PLAIN }));
      await s3.send(new CreateBucketCommand({ Bucket: VERSIONED }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } }));
      s3.destroy();
    },
    async run(ctx) {
      const s3 = new S3Client(ctx.cfg);
      await Promise.all([putter(ctx, s3, 0), putter(ctx, s3, 1), versioner(ctx, s3), multipart(ctx, s3), deleter(ctx, s3)].map((p) => p.catch(() => undefined)));
      s3.destroy();
    },
    async verify(t, cfg, trial) {
      const s3 = new S3Client(cfg);
      const keys = byTrial.get(trial) ?? [];
      for (const key of keys) await checkKey(t, s3, key);
      // the listing holds exactly the keys that read back, nothing else
      const listed: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const r = await s3.send(new ListObjectsV2Command({ Bucket: PLAIN, Prefix: `t${trial}/`, ContinuationToken }));
        for (const o of r.Contents ?? []) listed.push(o.Key!);
        ContinuationToken = r.NextContinuationToken;
      } while (ContinuationToken);
      const known = new Set(keys);
      t.same(listed.filter((k) => !known.has(k)), [], `trial ${trial}: no listed key that no client wrote`);
      for (const k of listed) {
        if (L.deleted.has(k)) t.fail(`${k}: deleted (acked) but listed`);
      }
      const acked = keys.filter((k) => L.acked.has(k) && !L.maybeDeleted.has(k));
      const listedSet = new Set(listed);
      t.same(acked.filter((k) => !listedSet.has(k)), [], `trial ${trial}: ${acked.length} acked objects all listed and intact`);
      // what was in flight is settled now: it either made it (and counts as written) or not
      for (const [k, h] of L.maybe) if (listedSet.has(k)) (L.acked.set(k, h), L.maybe.delete(k));
      for (const k of L.maybeDeleted) if (!listedSet.has(k) && k.startsWith(`t${trial}/`)) (L.acked.delete(k), L.deleted.add(k), L.maybeDeleted.delete(k));
      await checkVersions(t, s3);
      s3.destroy();
    },
    async verifyAll(t, cfg) {
      const s3 = new S3Client(cfg);
      for (const key of [...byTrial.values()].flat()) await checkKey(t, s3, key);
      await checkVersions(t, s3);
      t.pass(`${L.acked.size} objects, ${[...L.versions.values()].reduce((n, v) => n + v.size, 0)} versions, ${L.deleted.size} deletes re-checked`);
      s3.destroy();
    },
  };
}

export type { ClientCfg };
