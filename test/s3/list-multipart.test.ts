// SPDX-License-Identifier: AGPL-3.0-or-later
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { rejectsCode, s3Fixture, type S3Fixture } from './helpers.js';

type Listing = {
  Contents?: Array<{ Key: string; Owner?: unknown }>;
  CommonPrefixes?: Array<{ Prefix: string }>;
  IsTruncated: boolean;
  NextContinuationToken?: string;
  NextMarker?: string;
  KeyCount?: number;
};
const keysOf = (l: Listing) => (l.Contents ?? []).map((c) => c.Key);
const prefixesOf = (l: Listing) => (l.CommonPrefixes ?? []).map((c) => c.Prefix);

async function seed(fx: S3Fixture, keys: string[]) {
  await fx.call('CreateBucket', { Bucket: 'lst' });
  for (const k of keys) await fx.put('lst', k, k);
}

t.test('ListObjectsV2: prefix, delimiter, pagination, start-after, fetch-owner, url encoding', async (t) => {
  const fx = await s3Fixture(t);
  await seed(fx, ['a/1', 'a/2', 'a/b/3', 'b', 'c/x', 'c/y', 'd e+f']);
  const all = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst' });
  t.same(keysOf(all), ['a/1', 'a/2', 'a/b/3', 'b', 'c/x', 'c/y', 'd e+f']);
  t.equal(all.KeyCount, 7);
  t.equal(all.Contents![0].Owner, undefined, 'no owner without fetch-owner');
  const owned = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', FetchOwner: true, MaxKeys: 1 });
  t.ok(owned.Contents![0].Owner);
  const delim = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', Delimiter: '/' });
  t.same(keysOf(delim), ['b', 'd e+f']);
  t.same(prefixesOf(delim), ['a/', 'c/']);
  const sub = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', Delimiter: '/', Prefix: 'a/' });
  t.same(keysOf(sub), ['a/1', 'a/2']);
  t.same(prefixesOf(sub), ['a/b/']);
  // pages of 2 with a delimiter: prefixes count toward max-keys and are never repeated
  const seen: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 10; i++) {
    const page: Listing = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', Delimiter: '/', MaxKeys: 2, ContinuationToken: token });
    seen.push(...keysOf(page), ...prefixesOf(page));
    t.ok((page.KeyCount ?? 0) <= 2);
    if (!page.IsTruncated) break;
    token = page.NextContinuationToken;
  }
  t.same(seen.sort(), ['a/', 'b', 'c/', 'd e+f']);
  t.same(keysOf(await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', StartAfter: 'c/x' })), ['c/y', 'd e+f']);
  const enc = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', Prefix: 'd', EncodingType: 'url' });
  t.same(keysOf(enc), ['d+e%2Bf']);
  await rejectsCode(t, fx.call('ListObjectsV2', { Bucket: 'lst', EncodingType: 'base64' }), 'InvalidArgument', 400);
  await rejectsCode(t, fx.call('ListObjectsV2', { Bucket: 'lst', ContinuationToken: '!!' }), 'InvalidArgument', 400);
  await rejectsCode(t, fx.call('ListObjectsV2', { Bucket: 'lst', MaxKeys: -1 }), 'InvalidArgument', 400);
  const zero = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', MaxKeys: 0 });
  t.same(keysOf(zero), []);
});

t.test('ListObjects v1: marker and NextMarker', async (t) => {
  const fx = await s3Fixture(t);
  await seed(fx, ['a/1', 'a/2', 'b', 'c']);
  const p1 = await fx.call<Listing>('ListObjects', { Bucket: 'lst', MaxKeys: 2 });
  t.same(keysOf(p1), ['a/1', 'a/2']);
  t.equal(p1.IsTruncated, true);
  t.equal(p1.NextMarker, undefined, 'NextMarker only with a delimiter');
  t.same(keysOf(await fx.call<Listing>('ListObjects', { Bucket: 'lst', Marker: 'a/2' })), ['b', 'c']);
  const d1 = await fx.call<Listing>('ListObjects', { Bucket: 'lst', MaxKeys: 1, Delimiter: '/' });
  t.same(prefixesOf(d1), ['a/']);
  t.equal(d1.NextMarker, 'a/');
  const d2 = await fx.call<Listing>('ListObjects', { Bucket: 'lst', Delimiter: '/', Marker: d1.NextMarker });
  t.same(keysOf(d2), ['b', 'c'], 'keys under a returned prefix are skipped');
  t.same(prefixesOf(d2), []);
});

t.test('1,000 page limit', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'lst' });
  for (let i = 0; i < 1005; i++) await fx.put('lst', `k${String(i).padStart(5, '0')}`, '');
  const page = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', MaxKeys: 5000 });
  t.equal(page.Contents!.length, 1000);
  t.equal(page.IsTruncated, true);
  const rest = await fx.call<Listing>('ListObjectsV2', { Bucket: 'lst', ContinuationToken: page.NextContinuationToken });
  t.equal(rest.Contents!.length, 5);
  t.equal(rest.IsTruncated, false);
});

const MiB = 1024 * 1024;

t.test('multipart upload: parts streamed, composite ETag, order and size checks, abort', async (t) => {
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 1 * MiB } });
  await fx.call('CreateBucket', { Bucket: 'mpu' });
  const { UploadId } = await fx.call<{ UploadId: string }>('CreateMultipartUpload', { Bucket: 'mpu', Key: 'big', ContentType: 'application/x-big', Metadata: { m: 'v' } });
  const p1 = Buffer.alloc(MiB, 1);
  const p2 = Buffer.alloc(MiB, 2);
  const p3 = Buffer.from('tail');
  const up = (n: number, b: Buffer) => fx.call<{ ETag: string }>('UploadPart', { Bucket: 'mpu', Key: 'big', UploadId, PartNumber: n, Body: Readable.from([b]), ContentLength: b.length });
  const e1 = (await up(1, p1)).ETag;
  await up(2, Buffer.from('to be replaced'));
  const e2 = (await up(2, p2)).ETag;
  const e3 = (await up(3, p3)).ETag;
  await rejectsCode(t, up(10001, p3), 'InvalidArgument', 400);
  await rejectsCode(t, fx.call('UploadPart', { Bucket: 'mpu', Key: 'other', UploadId, PartNumber: 1, Body: Readable.from([p3]), ContentLength: 4 }), 'NoSuchUpload', 404);
  const parts = await fx.call<{ Parts: Array<{ PartNumber: number; Size: number }>; IsTruncated: boolean }>('ListParts', { Bucket: 'mpu', Key: 'big', UploadId });
  t.same(parts.Parts.map((p) => [p.PartNumber, p.Size]), [[1, MiB], [2, MiB], [3, 4]]);
  const paged = await fx.call<{ Parts: Array<{ PartNumber: number }>; IsTruncated: boolean; NextPartNumberMarker: number }>('ListParts', { Bucket: 'mpu', Key: 'big', UploadId, MaxParts: 2 });
  t.equal(paged.IsTruncated, true);
  t.equal(paged.NextPartNumberMarker, 2);
  const ups = await fx.call<{ Uploads: Array<{ Key: string; UploadId: string }> }>('ListMultipartUploads', { Bucket: 'mpu' });
  t.same(ups.Uploads.map((u) => u.UploadId), [UploadId]);

  const complete = (Parts: Array<{ PartNumber: number; ETag: string }>) => fx.call<{ ETag: string; Key: string }>('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'big', UploadId, MultipartUpload: { Parts } });
  await rejectsCode(t, complete([{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }]), 'InvalidPartOrder', 400);
  await rejectsCode(t, complete([{ PartNumber: 1, ETag: '"0000"' }]), 'InvalidPart', 400);
  await rejectsCode(t, complete([{ PartNumber: 3, ETag: e3 }, { PartNumber: 4, ETag: e3 }]), 'InvalidPart', 400);
  const done = await fx.call<{ ETag: string; Key: string; Location: string }>('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }, { PartNumber: 3, ETag: e3 }] } });
  const md5s = [p1, p2, p3].map((b) => createHash('md5').update(b).digest());
  t.equal(done.ETag, `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-3"`);
  t.equal(done.Key, 'big');
  const got = await fx.get('mpu', 'big');
  t.ok(got.body.equals(Buffer.concat([p1, p2, p3])), 'object is the parts in order');
  t.equal(got.out.ContentType, 'application/x-big');
  t.same(got.out.Metadata, { m: 'v' });
  const mid = await fx.get('mpu', 'big', { Range: `bytes=${MiB - 2}-${MiB + 1}` });
  t.same([...mid.body], [1, 1, 2, 2], 'ranges across part boundaries');
  await rejectsCode(t, fx.call('ListParts', { Bucket: 'mpu', Key: 'big', UploadId }), 'NoSuchUpload', 404, 'the upload is gone');

  // small parts and abort
  const u2 = (await fx.call<{ UploadId: string }>('CreateMultipartUpload', { Bucket: 'mpu', Key: 'small' })).UploadId;
  const s1 = (await fx.call<{ ETag: string }>('UploadPart', { Bucket: 'mpu', Key: 'small', UploadId: u2, PartNumber: 1, Body: Readable.from([p3]), ContentLength: 4 })).ETag;
  const s2 = (await fx.call<{ ETag: string }>('UploadPart', { Bucket: 'mpu', Key: 'small', UploadId: u2, PartNumber: 2, Body: Readable.from([p3]), ContentLength: 4 })).ETag;
  const tooSmall = await rejectsCode(
    t,
    fx.call('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'small', UploadId: u2, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1 }, { PartNumber: 2, ETag: s2 }] } }),
    'EntityTooSmall',
    400,
  );
  t.equal(tooSmall?.fields?.MinSizeAllowed, MiB);
  await fx.call('AbortMultipartUpload', { Bucket: 'mpu', Key: 'small', UploadId: u2 });
  await rejectsCode(t, fx.call('AbortMultipartUpload', { Bucket: 'mpu', Key: 'small', UploadId: u2 }), 'NoSuchUpload', 404);
  // only the three part files of 'big' remain on disk
  const dataDir = join(fx.gw.dataDir, 's3', 'data');
  const files = readdirSync(dataDir).flatMap((d) => readdirSync(join(dataDir, d)));
  t.equal(files.length, 3, 'replaced, unused and aborted parts were removed');
});

t.test('UploadPartCopy with ranges', async (t) => {
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 4 } });
  await fx.call('CreateBucket', { Bucket: 'mpu' });
  await fx.put('mpu', 'src', 'abcdefghij');
  const { UploadId } = await fx.call<{ UploadId: string }>('CreateMultipartUpload', { Bucket: 'mpu', Key: 'dst' });
  const c1 = await fx.call<{ CopyPartResult: { ETag: string } }>('UploadPartCopy', { Bucket: 'mpu', Key: 'dst', UploadId, PartNumber: 1, CopySource: 'mpu/src', CopySourceRange: 'bytes=5-9' });
  const c2 = await fx.call<{ CopyPartResult: { ETag: string } }>('UploadPartCopy', { Bucket: 'mpu', Key: 'dst', UploadId, PartNumber: 2, CopySource: 'mpu/src', CopySourceRange: 'bytes=0-4' });
  await rejectsCode(t, fx.call('UploadPartCopy', { Bucket: 'mpu', Key: 'dst', UploadId, PartNumber: 3, CopySource: 'mpu/src', CopySourceRange: 'bytes=5-10' }), 'InvalidArgument', 400);
  await fx.call('CompleteMultipartUpload', {
    Bucket: 'mpu',
    Key: 'dst',
    UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult.ETag }, { PartNumber: 2, ETag: c2.CopyPartResult.ETag }] },
  });
  t.equal((await fx.get('mpu', 'dst')).body.toString(), 'fghijabcde');
});

t.test('ListMultipartUploads with prefix, delimiter and markers; ListObjectVersions with a delimiter', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'mpu' });
  const ids: Record<string, string> = {};
  for (const k of ['a/1', 'a/2', 'b', 'c/3']) ids[k] = (await fx.call<{ UploadId: string }>('CreateMultipartUpload', { Bucket: 'mpu', Key: k })).UploadId;
  type L = { Uploads: Array<{ Key: string }>; CommonPrefixes?: Array<{ Prefix: string }>; IsTruncated: boolean; NextKeyMarker?: string; NextUploadIdMarker?: string };
  const d = await fx.call<L>('ListMultipartUploads', { Bucket: 'mpu', Delimiter: '/' });
  t.same(d.Uploads.map((u) => u.Key), ['b']);
  t.same(d.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'c/']);
  const p1 = await fx.call<L>('ListMultipartUploads', { Bucket: 'mpu', MaxUploads: 2 });
  t.same(p1.Uploads.map((u) => u.Key), ['a/1', 'a/2']);
  t.equal(p1.IsTruncated, true);
  t.equal(p1.NextUploadIdMarker, ids['a/2']);
  const p2 = await fx.call<L>('ListMultipartUploads', { Bucket: 'mpu', KeyMarker: p1.NextKeyMarker, UploadIdMarker: p1.NextUploadIdMarker });
  t.same(p2.Uploads.map((u) => u.Key), ['b', 'c/3']);
  t.same((await fx.call<L>('ListMultipartUploads', { Bucket: 'mpu', Prefix: 'a/' })).Uploads.map((u) => u.Key), ['a/1', 'a/2']);

  for (const k of ['x/1', 'x/2', 'y']) await fx.put('mpu', k, k);
  const v = await fx.call<{ Versions?: Array<{ Key: string }>; CommonPrefixes?: Array<{ Prefix: string }> }>('ListObjectVersions', { Bucket: 'mpu', Delimiter: '/' });
  t.same(v.Versions?.map((x) => x.Key), ['y']);
  t.same(v.CommonPrefixes?.map((p) => p.Prefix), ['x/']);
});

t.test('multipart with a checksum algorithm: part checksums checked, composite checksum', async (t) => {
  const { checksumBase64, createChecksum } = await import('../../src/checksums.js');
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 3 } });
  await fx.call('CreateBucket', { Bucket: 'mpu' });
  const { UploadId, ChecksumAlgorithm } = await fx.call<{ UploadId: string; ChecksumAlgorithm: string }>('CreateMultipartUpload', { Bucket: 'mpu', Key: 'c', ChecksumAlgorithm: 'CRC32' });
  t.equal(ChecksumAlgorithm, 'CRC32');
  const parts = ['first part', 'second'];
  const done: Array<{ PartNumber: number; ETag: string; ChecksumCRC32: string }> = [];
  for (const [i, p] of parts.entries()) {
    const r = await fx.call<{ ETag: string; ChecksumCRC32: string }>('UploadPart', { Bucket: 'mpu', Key: 'c', UploadId, PartNumber: i + 1, Body: Readable.from([Buffer.from(p)]), ContentLength: p.length });
    t.equal(r.ChecksumCRC32, checksumBase64('CRC32', Buffer.from(p)), 'part checksum computed');
    done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
  }
  await rejectsCode(t, fx.call('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'c', UploadId, MultipartUpload: { Parts: [done[0], { ...done[1], ChecksumCRC32: 'AAAAAA==' }] } }), 'InvalidPart', 400);
  const out = await fx.call<{ ChecksumCRC32: string }>('CompleteMultipartUpload', { Bucket: 'mpu', Key: 'c', UploadId, MultipartUpload: { Parts: done } });
  const h = createChecksum('CRC32');
  for (const d of done) h.update(Buffer.from(d.ChecksumCRC32, 'base64'));
  t.equal(out.ChecksumCRC32, `${h.digest().toString('base64')}-2`, 'checksum of the part checksums, -N');
  const head = await fx.call<{ ChecksumCRC32: string; $headers: Record<string, string> }>('HeadObject', { Bucket: 'mpu', Key: 'c', ChecksumMode: 'ENABLED' });
  t.equal(head.ChecksumCRC32, out.ChecksumCRC32);
  t.equal(head.$headers['x-amz-checksum-type'], 'COMPOSITE');
});

t.test('FULL_OBJECT multipart checksums (CRC64NVME default, CRC32 on request) are the CRC of the whole object', async (t) => {
  const { checksumBase64 } = await import('../../src/checksums.js');
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 3 } });
  await fx.call('CreateBucket', { Bucket: 'mpu' });
  const parts = ['first part ', 'second part ', 'end'];
  const whole = Buffer.from(parts.join(''));
  for (const [alg, headers] of [['CRC64NVME', {}], ['CRC32', { 'x-amz-checksum-type': 'FULL_OBJECT' }]] as const) {
    const created = await fx.call<{ UploadId: string; $headers: Record<string, string> }>('CreateMultipartUpload', { Bucket: 'mpu', Key: alg, ChecksumAlgorithm: alg }, { headers });
    t.equal(created.$headers['x-amz-checksum-type'], 'FULL_OBJECT');
    const UploadId = created.UploadId;
    const done: Array<{ PartNumber: number; ETag: string }> = [];
    for (const [i, p] of parts.entries()) {
      const r = await fx.call<{ ETag: string }>('UploadPart', { Bucket: 'mpu', Key: alg, UploadId, PartNumber: i + 1, Body: Readable.from([Buffer.from(p)]), ContentLength: p.length });
      done.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    const full = checksumBase64(alg, whole);
    const hdr = `x-amz-checksum-${alg.toLowerCase()}`;
    await rejectsCode(t, fx.call('CompleteMultipartUpload', { Bucket: 'mpu', Key: alg, UploadId, MultipartUpload: { Parts: done } }, { headers: { [hdr]: checksumBase64(alg, Buffer.from('x')) } }), 'BadDigest', 400);
    await fx.call('CompleteMultipartUpload', { Bucket: 'mpu', Key: alg, UploadId, MultipartUpload: { Parts: done } }, { headers: { [hdr]: full } });
    const head = await fx.call<Record<string, unknown> & { $headers: Record<string, string> }>('HeadObject', { Bucket: 'mpu', Key: alg, ChecksumMode: 'ENABLED' });
    const got = alg === 'CRC64NVME' ? head.$headers['x-amz-checksum-crc64nvme'] : head.ChecksumCRC32;
    t.equal(got, full, `${alg} of the whole object`);
    t.equal(head.$headers['x-amz-checksum-type'], 'FULL_OBJECT');
  }
  await rejectsCode(t, fx.call('CreateMultipartUpload', { Bucket: 'mpu', Key: 'x', ChecksumAlgorithm: 'SHA256' }, { headers: { 'x-amz-checksum-type': 'FULL_OBJECT' } }), 'InvalidRequest', 400);
});
