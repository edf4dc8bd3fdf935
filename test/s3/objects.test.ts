// SPDX-License-Identifier: AGPL-3.0-or-later
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { readAll, rejectsCode, s3Fixture } from './helpers.js';

/** Every object data file under <dataDir>/s3/data. */
function dataFiles(dataDir: string): string[] {
  const root = join(dataDir, 's3', 'data');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)));
}

const md5hex = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const md5b64 = (s: string | Buffer) => createHash('md5').update(s).digest('base64');

t.test('put / get / head / delete with metadata', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const put = await fx.put('objs', 'dir/hello.txt', 'hello world', {
    ContentType: 'text/plain',
    CacheControl: 'max-age=60',
    ContentDisposition: 'attachment',
    ContentEncoding: 'identity',
    ContentLanguage: 'en',
    Metadata: { Color: 'blue' },
    StorageClass: 'STANDARD_IA',
    WebsiteRedirectLocation: '/other',
    Tagging: 'a=1&b=two',
  }, { expires: 'Thu, 01 Dec 2033 16:00:00 GMT' });
  t.equal(put.ETag, `"${md5hex('hello world')}"`);
  t.equal(put.VersionId, undefined, 'no version id on an unversioned bucket');
  const { out, body } = await fx.get('objs', 'dir/hello.txt');
  t.equal(body.toString(), 'hello world');
  t.equal(out.ContentLength, 11);
  t.equal(out.ContentType, 'text/plain');
  t.equal(out.CacheControl, 'max-age=60');
  t.equal(out.ContentDisposition, 'attachment');
  t.equal(out.ContentLanguage, 'en');
  t.equal(out.Expires, 'Thu, 01 Dec 2033 16:00:00 GMT');
  t.same(out.Metadata, { color: 'blue' });
  t.equal(out.StorageClass, 'STANDARD_IA');
  t.equal(out.WebsiteRedirectLocation, '/other');
  t.equal(out.TagCount, 2);
  t.equal(out.AcceptRanges, 'bytes');
  const head = await fx.call('HeadObject', { Bucket: 'objs', Key: 'dir/hello.txt' });
  t.equal(head.Body, undefined);
  t.equal(head.ETag, put.ETag);
  const tags = await fx.call<{ TagSet: unknown }>('GetObjectTagging', { Bucket: 'objs', Key: 'dir/hello.txt' });
  t.same(tags.TagSet, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: 'two' }]);

  await fx.put('objs', 'plain', 'x');
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'plain' })).ContentType, 'binary/octet-stream', 'default content type');
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'plain' })).StorageClass, undefined, 'STANDARD is not reported');

  await rejectsCode(t, fx.call('GetObject', { Bucket: 'objs', Key: 'missing' }), 'NoSuchKey', 404);
  await rejectsCode(t, fx.put('objs', 'k', 'x', { StorageClass: 'FAST' }), 'InvalidStorageClass', 400);
  await rejectsCode(t, fx.put('objs', 'k'.repeat(1025), 'x'), 'KeyTooLongError', 400);
  await rejectsCode(t, fx.put('objs', 'k', 'x', { ServerSideEncryption: 'aws:kms' }), 'NotImplemented', 501);
  await rejectsCode(t, fx.get('objs', 'plain', {}, {}).then(() => fx.call('GetObject', { Bucket: 'objs', Key: 'plain' }, { as: fx.bob })), 'AccessDenied', 403);

  t.same(await fx.call('DeleteObject', { Bucket: 'objs', Key: 'dir/hello.txt' }), { DeleteMarker: undefined, VersionId: undefined });
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'objs', Key: 'dir/hello.txt' }), 'NoSuchKey', 404);
  await fx.call('DeleteObject', { Bucket: 'objs', Key: 'dir/hello.txt' }); // deleting a missing key succeeds
});

t.test('Content-MD5, declared length, overwrite and If-None-Match: *', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  await fx.put('objs', 'a', 'data', { ContentMD5: md5b64('data') });
  await rejectsCode(t, fx.put('objs', 'a', 'data', { ContentMD5: md5b64('other') }), 'BadDigest', 400);
  await rejectsCode(t, fx.put('objs', 'a', 'data', { ContentMD5: 'nope' }), 'InvalidDigest', 400);
  await rejectsCode(t, fx.call('PutObject', { Bucket: 'objs', Key: 'a', Body: Readable.from([Buffer.from('abc')]), ContentLength: 10 }), 'IncompleteBody', 400);
  t.equal((await fx.get('objs', 'a')).body.toString(), 'data', 'failed writes left the object alone');
  await rejectsCode(t, fx.put('objs', 'a', 'new', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
  await fx.put('objs', 'fresh', 'new', { IfNoneMatch: '*' });
  await fx.put('objs', 'a', 'replaced');
  t.equal((await fx.get('objs', 'a')).body.toString(), 'replaced');
  // checksum header verified
  const crc = Buffer.alloc(4);
  const { crc32 } = await import('node:zlib');
  crc.writeUInt32BE(crc32('replaced'));
  const ok = await fx.put('objs', 'c', 'replaced', {}, { 'x-amz-checksum-crc32': crc.toString('base64') });
  t.equal(ok.ChecksumCRC32, crc.toString('base64'));
  await rejectsCode(t, fx.put('objs', 'c', 'other', {}, { 'x-amz-checksum-crc32': crc.toString('base64') }), 'BadDigest', 400);
  const withMode = await fx.call('HeadObject', { Bucket: 'objs', Key: 'c', ChecksumMode: 'ENABLED' });
  t.equal(withMode.ChecksumCRC32, crc.toString('base64'));
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'c' })).ChecksumCRC32, undefined, 'only with checksum mode');
  // no file remains of the failed writes: one data file per stored object (a, fresh, c)
  t.same(readdirSync(join(fx.gw.dataDir, 's3', 'tmp')), []);
  t.equal(dataFiles(fx.gw.dataDir).length, 3, 'failed writes left no data file');
});

t.test('a client that goes away mid-upload leaves nothing behind', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const body = new PassThrough();
  const p = fx.call('PutObject', { Bucket: 'objs', Key: 'big', Body: body, ContentLength: 1000 });
  body.write(Buffer.alloc(100));
  setImmediate(() => body.destroy(new Error('socket hang up')));
  await t.rejects(p);
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'objs', Key: 'big' }), 'NoSuchKey', 404);
  t.same(readdirSync(join(fx.gw.dataDir, 's3', 'tmp')), []);
  t.same(dataFiles(fx.gw.dataDir), [], 'the partial data file was removed');
});

t.test('an empty object needs no data file; a written one is in place, nothing in tmp', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  await fx.put('objs', 'dir/', '');
  t.equal((await fx.get('objs', 'dir/')).body.length, 0);
  t.same(dataFiles(fx.gw.dataDir), []);
  await fx.put('objs', 'one', 'x'.repeat(3000));
  t.equal(dataFiles(fx.gw.dataDir).length, 1);
  t.same(readdirSync(join(fx.gw.dataDir, 's3', 'tmp')), []);
  t.equal((await fx.get('objs', 'one')).body.toString(), 'x'.repeat(3000));
});

t.test('ranges', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  await fx.put('objs', 'r', '0123456789');
  const r1 = await fx.get('objs', 'r', { Range: 'bytes=2-4' });
  t.equal(r1.body.toString(), '234');
  t.equal(r1.out.$status, 206);
  t.equal(r1.out.ContentRange, 'bytes 2-4/10');
  t.equal(r1.out.ContentLength, 3);
  t.equal((await fx.get('objs', 'r', { Range: 'bytes=7-' })).body.toString(), '789');
  t.equal((await fx.get('objs', 'r', { Range: 'bytes=-3' })).body.toString(), '789');
  t.equal((await fx.get('objs', 'r', { Range: 'bytes=8-100' })).body.toString(), '89', 'end clamps to the size');
  const whole = await fx.get('objs', 'r', { Range: 'bytes=1-2,4-5' });
  t.equal(whole.body.toString(), '0123456789', 'multiple ranges: whole object');
  t.equal(whole.out.$status, undefined);
  const e = await rejectsCode(t, fx.get('objs', 'r', { Range: 'bytes=10-' }), 'InvalidRange', 416);
  t.same(e?.headers, { 'Content-Range': 'bytes */10' });
  t.equal(e?.fields?.ActualObjectSize, 10);
});

t.test('conditional requests', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const { ETag } = (await fx.put('objs', 'c', 'v1')) as { ETag: string };
  const lm = new Date(fx.gw.clock.now());
  const before = new Date(lm.getTime() - 10_000);
  const after = new Date(lm.getTime() + 10_000);
  t.equal((await fx.get('objs', 'c', { IfMatch: ETag })).body.toString(), 'v1');
  await rejectsCode(t, fx.get('objs', 'c', { IfMatch: '"nope"' }), 'PreconditionFailed', 412);
  const nm = await rejectsCode(t, fx.get('objs', 'c', { IfNoneMatch: ETag }), 'NotModified', 304);
  t.equal(nm?.headers?.ETag, ETag);
  await rejectsCode(t, fx.get('objs', 'c', { IfModifiedSince: after }), 'NotModified', 304);
  t.equal((await fx.get('objs', 'c', { IfModifiedSince: before })).body.toString(), 'v1');
  await rejectsCode(t, fx.get('objs', 'c', { IfUnmodifiedSince: before }), 'PreconditionFailed', 412);
  t.equal((await fx.get('objs', 'c', { IfMatch: ETag, IfUnmodifiedSince: before })).body.toString(), 'v1', 'If-Match true wins over If-Unmodified-Since');
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'objs', Key: 'c', IfNoneMatch: '*' }), 'NotModified', 304);
});

t.test('keys that look like paths never escape the data dir', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const keys = ['../escape', '../../../../etc/passwd', '//double', 'trailing/', 'ctl\u0001\u0000x', 'ünï/cødé ✓', '.', '..'];
  for (const k of keys) await fx.put('objs', k, `v:${k}`);
  for (const k of keys) t.equal((await fx.get('objs', k)).body.toString(), `v:${k}`, JSON.stringify(k));
  const list = await fx.call<{ Contents: Array<{ Key: string }> }>('ListObjectsV2', { Bucket: 'objs' });
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.same(list.Contents.map((c) => c.Key), sorted, 'listed in UTF-8 byte order');
  t.same(readdirSync(fx.gw.dataDir).sort(), ['s3'], 'nothing written outside <dataDir>/s3');
});

t.test('copy object', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'src-bkt' });
  await fx.call('CreateBucket', { Bucket: 'dst-bkt' });
  const src = (await fx.put('src-bkt', 'a b/ü', 'payload', { ContentType: 'text/x', Metadata: { m: '1' }, Tagging: 't=1' })) as { ETag: string };
  const copy = await fx.call<{ CopyObjectResult: { ETag: string; LastModified: Date } }>('CopyObject', {
    Bucket: 'dst-bkt',
    Key: 'copy',
    CopySource: `/src-bkt/${encodeURIComponent('a b/ü')}`,
  });
  t.equal(copy.CopyObjectResult.ETag, src.ETag);
  const got = await fx.get('dst-bkt', 'copy');
  t.equal(got.body.toString(), 'payload');
  t.equal(got.out.ContentType, 'text/x');
  t.same(got.out.Metadata, { m: '1' });
  t.equal(got.out.TagCount, 1);
  await fx.call('CopyObject', { Bucket: 'dst-bkt', Key: 'replaced', CopySource: 'src-bkt/a%20b/%C3%BC', MetadataDirective: 'REPLACE', ContentType: 'text/y', TaggingDirective: 'REPLACE' });
  const rep = await fx.call('HeadObject', { Bucket: 'dst-bkt', Key: 'replaced' });
  t.equal(rep.ContentType, 'text/y');
  t.same(rep.Metadata, {});
  t.equal(rep.TagCount, undefined);
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'src-bkt', Key: 'a b/ü', CopySource: 'src-bkt/a%20b/%C3%BC' }), 'InvalidRequest', 400);
  await fx.call('CopyObject', { Bucket: 'src-bkt', Key: 'a b/ü', CopySource: 'src-bkt/a%20b/%C3%BC', MetadataDirective: 'REPLACE', Metadata: { n: '2' } });
  t.same((await fx.call('HeadObject', { Bucket: 'src-bkt', Key: 'a b/ü' })).Metadata, { n: '2' }, 'copy onto itself with REPLACE updates metadata');
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'dst-bkt', Key: 'x', CopySource: 'src-bkt/missing' }), 'NoSuchKey', 404);
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'dst-bkt', Key: 'x', CopySource: 'src-bkt/a%20b/%C3%BC', CopySourceIfMatch: '"zzz"' }), 'PreconditionFailed', 412);
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'dst-bkt', Key: 'x', CopySource: 'nobucket/k' }), 'NoSuchBucket', 404);
  await fx.call('CreateBucket', { Bucket: 'bobs' }, { as: fx.bob });
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'dst-bkt', Key: 'x', CopySource: 'bobs/k' }), 'AccessDenied', 403, 'no reading from another account');
});

t.test('DeleteObjects, quiet and verbose', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  for (const k of ['a', 'b', 'c']) await fx.put('objs', k, k);
  const md5 = { 'content-md5': 'x' };
  await rejectsCode(t, fx.call('DeleteObjects', { Bucket: 'objs', Delete: { Objects: [{ Key: 'a' }] } }), 'InvalidRequest', 400, 'a digest header is required');
  const out = await fx.call<{ Deleted: Array<{ Key: string }>; Errors?: Array<{ Key: string; Code: string }> }>(
    'DeleteObjects',
    { Bucket: 'objs', Delete: { Objects: [{ Key: 'a' }, { Key: 'missing' }, { Key: 'k'.repeat(1100) }] } },
    { headers: md5 },
  );
  t.same(out.Deleted.map((d) => d.Key), ['a', 'missing']);
  t.same(out.Errors?.map((e) => e.Code), ['KeyTooLongError']);
  const quiet = await fx.call('DeleteObjects', { Bucket: 'objs', Delete: { Objects: [{ Key: 'b' }], Quiet: true } }, { headers: md5 });
  t.same(quiet, { Deleted: undefined, Errors: undefined });
  const left = await fx.call<{ Contents: Array<{ Key: string }> }>('ListObjectsV2', { Bucket: 'objs' });
  t.same(left.Contents.map((c) => c.Key), ['c']);
  await rejectsCode(t, fx.call('DeleteObjects', { Bucket: 'objs', Delete: { Objects: [] } }, { headers: md5 }), 'MalformedXML', 400);
});

t.test('streams stay streams: a large body is never buffered whole', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const size = 8 * 1024 * 1024;
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(64 * 1024, size - sent);
      sent += n;
      this.push(Buffer.alloc(n, sent & 0xff));
    },
  });
  await fx.call('PutObject', { Bucket: 'objs', Key: 'big', Body: body, ContentLength: size });
  const out = await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'objs', Key: 'big' });
  t.ok(out.Body instanceof Readable);
  const got = await readAll(out.Body);
  t.equal(got.length, size);
});

t.test('GET/HEAD ?partNumber= of multipart and simple objects; aws-chunked is not stored as Content-Encoding', async (t) => {
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 3 } });
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const { UploadId } = await fx.call<{ UploadId: string }>('CreateMultipartUpload', { Bucket: 'objs', Key: 'm' });
  const etags: string[] = [];
  for (const [i, p] of ['aaa', 'bbbb', 'cc'].entries()) {
    etags.push((await fx.call<{ ETag: string }>('UploadPart', { Bucket: 'objs', Key: 'm', UploadId, PartNumber: i + 1, Body: Readable.from([Buffer.from(p)]), ContentLength: p.length })).ETag);
  }
  await fx.call('CompleteMultipartUpload', { Bucket: 'objs', Key: 'm', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) } });
  const p2 = await fx.get('objs', 'm', { PartNumber: 2 });
  t.equal(p2.body.toString(), 'bbbb');
  t.equal(p2.out.PartsCount, 3);
  t.equal(p2.out.ContentRange, 'bytes 3-6/9');
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'm', PartNumber: 3 })).ContentLength, 2);
  await rejectsCode(t, fx.get('objs', 'm', { PartNumber: 4 }), 'InvalidPartNumber', 416);
  await fx.put('objs', 's', 'simple', { ContentEncoding: 'aws-chunked' });
  t.equal((await fx.get('objs', 's', { PartNumber: 1 })).body.toString(), 'simple');
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 's' })).ContentEncoding, undefined);
  await fx.put('objs', 'g', 'x', { ContentEncoding: 'gzip, aws-chunked' });
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'g' })).ContentEncoding, 'gzip');
});

t.test('restart: unreferenced data files and temp files of a killed process are swept', async (t) => {
  const { EmbeddedS3 } = await import('../../translators/embedded/s3/index.js');
  const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-s3-sweep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = new EmbeddedS3({ dataDir: dir, now: () => Date.now() });
  await a.createBucket('bkt');
  await a.putObject('bkt', 'kept', Readable.from([Buffer.from('kept')]), { userMetadata: {} }, { versioning: undefined, owner: '1' });
  await a.close();
  // what a crash leaves: a renamed data file never committed, and a temp file
  mkdirSync(join(dir, 's3', 'data', 'ff'), { recursive: true });
  writeFileSync(join(dir, 's3', 'data', 'ff', 'ff00orphan'), 'x');
  writeFileSync(join(dir, 's3', 'tmp', 'partial'), 'x');
  const b = new EmbeddedS3({ dataDir: dir, now: () => Date.now() });
  t.same(readdirSync(join(dir, 's3', 'tmp')), [], 'temp files swept at start');
  t.equal(await b.sweepOrphans(Date.now() + 1000), 1, 'one orphan');
  const info = await b.headObject('bkt', 'kept');
  t.equal((await readAll(await b.openObject(info!, 'bkt'))).toString(), 'kept', 'committed objects untouched');
  await b.close();
});

t.test('an overwrite between lookup and open: the reader gets one consistent version', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  await fx.put('objs', 'k', 'old-old');
  // race many reads with many overwrites of different lengths: every read must be a whole version
  const versions = ['old-old', 'new', 'newest-of-all'];
  const reads: Array<Promise<void>> = [];
  for (let i = 0; i < 30; i++) {
    reads.push(
      fx.get('objs', 'k').then(({ out, body }) => {
        if (!versions.includes(body.toString()) || out.ContentLength !== body.length) t.fail(`inconsistent read: ${body.toString()} / ${String(out.ContentLength)}`);
      }),
    );
    reads.push(fx.put('objs', 'k', versions[i % 3]).then(() => undefined));
  }
  await Promise.all(reads);
  t.pass('30 reads raced 30 overwrites');
});

t.test('1,024-byte keys of any UTF-8, including control bytes', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  const multi = 'ü'.repeat(512); // 1,024 bytes
  await fx.put('objs', multi, 'm');
  t.equal((await fx.get('objs', multi)).body.toString(), 'm');
  const ctl = '\u0001\u0000'.repeat(256) + 'x'.repeat(512); // 1,024 bytes, half of them control bytes
  await fx.put('objs', ctl, 'c');
  t.equal((await fx.get('objs', ctl)).body.toString(), 'c');
  await fx.call('DeleteObject', { Bucket: 'objs', Key: ctl });
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'objs', Key: ctl }), 'NoSuchKey', 404);
  // the embedded version index escapes 0x00/0x01: keys made almost only of them do not fit LMDB
  await rejectsCode(t, fx.put('objs', '\u0001'.repeat(1000), 'x'), 'KeyTooLongError', 400);
});

t.test('archive storage classes need a restore before reads', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'objs' });
  await fx.put('objs', 'cold', 'frozen', { StorageClass: 'GLACIER' });
  await fx.put('objs', 'warm', 'ok', { StorageClass: 'GLACIER_IR' });
  t.equal((await fx.get('objs', 'warm')).body.toString(), 'ok', 'instant retrieval reads at once');
  const e = await rejectsCode(t, fx.get('objs', 'cold'), 'InvalidObjectState', 403);
  t.equal(e?.fields?.StorageClass, 'GLACIER');
  t.equal((await fx.call('HeadObject', { Bucket: 'objs', Key: 'cold' })).StorageClass, 'GLACIER', 'HEAD works');
  await rejectsCode(t, fx.call('CopyObject', { Bucket: 'objs', Key: 'copy', CopySource: 'objs/cold' }), 'InvalidObjectState', 403);
  await rejectsCode(t, fx.call('RestoreObject', { Bucket: 'objs', Key: 'warm', RestoreRequest: { Days: 1 } }), 'InvalidObjectState', 403);
  t.equal((await fx.call('RestoreObject', { Bucket: 'objs', Key: 'cold', RestoreRequest: { Days: 2 } })).$status, 202);
  t.equal((await fx.call('RestoreObject', { Bucket: 'objs', Key: 'cold', RestoreRequest: { Days: 2 } })).$status, 200, 'already restored');
  const got = await fx.get('objs', 'cold');
  t.equal(got.body.toString(), 'frozen');
  t.match(got.out.Restore, /^ongoing-request="false", expiry-date="[A-Z][a-z]{2}, /);
});

t.test('writes are answered only once LMDB has flushed them; a replaced file is unlinked only after that', async (t) => {
  const { EmbeddedS3 } = await import('../../translators/embedded/s3/index.js');
  const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-s3-flush-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s3 = new EmbeddedS3({ dataDir: dir, now: () => Date.now() });
  t.teardown(() => s3.close());
  await s3.createBucket('bkt');
  const opts = { versioning: undefined, owner: '1' };
  await s3.putObject('bkt', 'k', Readable.from([Buffer.from('first')]), { userMetadata: {} }, opts);
  const first = dataFiles(dir);
  t.equal(first.length, 1);
  // hold LMDB's flush back: the overwrite is committed (visible) but must not be answered yet
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const env = (s3.store as unknown as { env: { flushed: PromiseLike<unknown> } }).env;
  const realFlushed = env.flushed;
  env.flushed = { then: (ok, err) => gate.then(() => realFlushed).then(ok, err) };
  let answered = false;
  const put = s3.putObject('bkt', 'k', Readable.from([Buffer.from('second')]), { userMetadata: {} }, opts).then(() => (answered = true));
  for (let i = 0; i < 50 && dataFiles(dir).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(answered, 'not answered before the flush');
  t.ok(existsSync(join(dir, 's3', 'data', first[0].slice(0, 2), first[0])), 'the replaced file is still there');
  let deleted = false;
  const del = s3.deleteObject('bkt', 'other', undefined, undefined, '1').then(() => (deleted = true));
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(deleted, 'a delete is not answered before the flush either');
  release();
  await Promise.all([put, del]);
  t.ok(answered && deleted);
  t.same(dataFiles(dir).filter((f) => f === first[0]), [], 'the replaced file went once the flush was done');
});
