// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The rest-xml codec and the S3 handlers driven over HTTP by the real @aws-sdk/client-s3 (its own
 * serializers and parsers), through the test front in helpers.ts (no SigV4 check there: auth has
 * its own tests; conformance/s3 runs the same clients against the full server).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import t from 'tap';
import { checksumBase64 } from '../../src/checksums.js';
import { s3Fixture, startS3Http, type T } from './helpers.js';
import { errorOf } from '../helpers/sdk-error.js';

async function setup(t: T) {
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 5 } });
  const { url } = await startS3Http(t, fx);
  const key = (await fx.gw.identity.rootKeyOf(fx.alice.accountId))!;
  const s3 = new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  t.teardown(() => s3.destroy());
  return { fx, s3 };
}

t.test('buckets and objects through the SDK', async (t) => {
  const { s3 } = await setup(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'sdk-bucket' }));
  const dup = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })));
  t.equal(dup.name, 'InvalidBucketName');
  t.equal(dup.$metadata?.httpStatusCode, 400);
  t.same((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['sdk-bucket']);
  const hb = await s3.send(new HeadBucketCommand({ Bucket: 'sdk-bucket' }));
  t.equal(hb.BucketRegion, 'us-east-1');
  const nb = await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })));
  t.equal(nb.$metadata?.httpStatusCode, 404, 'HEAD errors: status only');
  t.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-bucket' }))).LocationConstraint, undefined);

  const put = await s3.send(new PutObjectCommand({
    Bucket: 'sdk-bucket',
    Key: 'dir/ü ñ+&.txt',
    Body: 'hello sdk',
    ContentType: 'text/plain',
    Metadata: { color: 'blue' },
    Tagging: 'a=1',
    Expires: new Date('2033-12-01T16:00:00Z'),
  }));
  t.match(put.ETag, /^"[0-9a-f]{32}"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'dir/ü ñ+&.txt' }));
  t.equal(await got.Body!.transformToString(), 'hello sdk');
  t.equal(got.ContentType, 'text/plain');
  t.equal(got.ContentLength, 9);
  t.same(got.Metadata, { color: 'blue' });
  t.equal(got.ETag, put.ETag);
  t.equal(got.TagCount, 1);
  t.equal(got.LastModified instanceof Date, true);
  t.equal(got.ExpiresString, 'Thu, 01 Dec 2033 16:00:00 GMT');
  const ranged = await s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'dir/ü ñ+&.txt', Range: 'bytes=6-' }));
  t.equal(await ranged.Body!.transformToString(), 'sdk');
  t.equal(ranged.ContentRange, 'bytes 6-8/9');
  t.equal(ranged.$metadata.httpStatusCode, 206);
  const bad = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'dir/ü ñ+&.txt', Range: 'bytes=100-' })));
  t.equal(bad.name, 'InvalidRange');
  t.equal(bad.$metadata?.httpStatusCode, 416);
  const nm = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'dir/ü ñ+&.txt', IfNoneMatch: put.ETag })));
  t.equal(nm.$metadata?.httpStatusCode, 304);
  const missing = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'nope' })));
  t.equal(missing.name, 'NoSuchKey');
  t.equal((missing as unknown as { Key?: string }).Key, 'nope', 'error fields reach the SDK');
  const hmiss = await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'sdk-bucket', Key: 'nope' })));
  t.equal(hmiss.name, 'NotFound');
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'sdk-bucket', Key: 'dir/ü ñ+&.txt' }));
  t.equal(head.ContentLength, 9);

  // flexible checksums as headers, returned with checksum mode
  const crc = checksumBase64('CRC32C', Buffer.from('checked'));
  await s3.send(new PutObjectCommand({ Bucket: 'sdk-bucket', Key: 'cs', Body: 'checked', ChecksumCRC32C: crc }));
  const withCs = await s3.send(new GetObjectCommand({ Bucket: 'sdk-bucket', Key: 'cs', ChecksumMode: 'ENABLED' }));
  t.equal(withCs.ChecksumCRC32C, crc);
  t.equal(await withCs.Body!.transformToString(), 'checked', 'the SDK validated the stored checksum');
  const wrong = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'sdk-bucket', Key: 'cs2', Body: 'other', ChecksumCRC32C: crc })));
  t.equal(wrong.name, 'BadDigest');

  await s3.send(new PutObjectTaggingCommand({ Bucket: 'sdk-bucket', Key: 'cs', Tagging: { TagSet: [{ Key: 'x', Value: 'y z' }] } }));
  t.same((await s3.send(new GetObjectTaggingCommand({ Bucket: 'sdk-bucket', Key: 'cs' }))).TagSet, [{ Key: 'x', Value: 'y z' }]);

  const copied = await s3.send(new CopyObjectCommand({ Bucket: 'sdk-bucket', Key: 'copy', CopySource: `sdk-bucket/${encodeURIComponent('dir/ü ñ+&.txt')}` }));
  t.equal(copied.CopyObjectResult?.ETag, put.ETag);
});

t.test('listings through the SDK', async (t) => {
  const { s3 } = await setup(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'lst-bucket' }));
  for (const k of ['a/1', 'a/2', 'b', 'c d', 'e&<>']) await s3.send(new PutObjectCommand({ Bucket: 'lst-bucket', Key: k, Body: k }));
  const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'lst-bucket', Delimiter: '/' }));
  t.same(v2.Contents?.map((c) => c.Key), ['b', 'c d', 'e&<>']);
  t.same(v2.CommonPrefixes?.map((c) => c.Prefix), ['a/']);
  t.equal(v2.KeyCount, 4);
  t.equal(v2.Contents?.[0].Size, 1);
  t.equal(v2.Contents?.[0].StorageClass, 'STANDARD');
  const p1 = await s3.send(new ListObjectsV2Command({ Bucket: 'lst-bucket', MaxKeys: 2 }));
  t.equal(p1.IsTruncated, true);
  const p2 = await s3.send(new ListObjectsV2Command({ Bucket: 'lst-bucket', ContinuationToken: p1.NextContinuationToken }));
  t.same(p2.Contents?.map((c) => c.Key), ['b', 'c d', 'e&<>']);
  const enc = await s3.send(new ListObjectsV2Command({ Bucket: 'lst-bucket', EncodingType: 'url', Prefix: 'c' }));
  t.same(enc.Contents?.map((c) => c.Key), ['c+d']);
  const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'lst-bucket', Marker: 'a/2' }));
  t.same(v1.Contents?.map((c) => c.Key), ['b', 'c d', 'e&<>']);
  t.ok(v1.Contents?.[0].Owner?.ID);

  await s3.send(new PutBucketVersioningCommand({ Bucket: 'lst-bucket', VersioningConfiguration: { Status: 'Enabled' } }));
  t.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'lst-bucket' }))).Status, 'Enabled');
  const pv = await s3.send(new PutObjectCommand({ Bucket: 'lst-bucket', Key: 'b', Body: 'v2' }));
  t.ok(pv.VersionId);
  const del = await s3.send(new DeleteObjectsCommand({ Bucket: 'lst-bucket', Delete: { Objects: [{ Key: 'b' }, { Key: 'a/1' }] } }));
  t.same(del.Deleted?.map((d) => [d.Key, d.DeleteMarker]).sort(), [['a/1', true], ['b', true]]);
  const vers = await s3.send(new ListObjectVersionsCommand({ Bucket: 'lst-bucket', Prefix: 'b' }));
  t.same(vers.Versions?.map((v) => v.VersionId), [pv.VersionId, 'null']);
  t.equal(vers.DeleteMarkers?.length, 1);
  t.equal(vers.DeleteMarkers?.[0].IsLatest, true);
});

t.test('multipart through the SDK', async (t) => {
  const { s3 } = await setup(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'mpu-bucket' }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-bucket', Key: 'm' }));
  const e1 = (await s3.send(new UploadPartCommand({ Bucket: 'mpu-bucket', Key: 'm', UploadId, PartNumber: 1, Body: 'hello ' }))).ETag;
  const e2 = (await s3.send(new UploadPartCommand({ Bucket: 'mpu-bucket', Key: 'm', UploadId, PartNumber: 2, Body: 'world' }))).ETag;
  const parts = await s3.send(new ListPartsCommand({ Bucket: 'mpu-bucket', Key: 'm', UploadId }));
  t.same(parts.Parts?.map((p) => p.PartNumber), [1, 2]);
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu-bucket', Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
  t.match(done.ETag, /-2"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'mpu-bucket', Key: 'm' }));
  t.equal(await got.Body!.transformToString(), 'hello world');
  const gone = await errorOf(s3.send(new ListPartsCommand({ Bucket: 'mpu-bucket', Key: 'm', UploadId })));
  t.equal(gone.name, 'NoSuchUpload');
});

t.test('GetObjectAttributes through the SDK', async (t) => {
  const { GetObjectAttributesCommand } = await import('@aws-sdk/client-s3');
  const { s3 } = await setup(t);
  await s3.send(new CreateBucketCommand({ Bucket: 'attr-bucket' }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'attr-bucket', Key: 'm' }));
  const e1 = (await s3.send(new UploadPartCommand({ Bucket: 'attr-bucket', Key: 'm', UploadId, PartNumber: 1, Body: 'abcdef' }))).ETag;
  const e2 = (await s3.send(new UploadPartCommand({ Bucket: 'attr-bucket', Key: 'm', UploadId, PartNumber: 2, Body: 'gh' }))).ETag;
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'attr-bucket', Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
  const a = await s3.send(new GetObjectAttributesCommand({ Bucket: 'attr-bucket', Key: 'm', ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass', 'ObjectParts'], MaxParts: 1 }));
  t.equal(a.ETag, done.ETag!.replace(/"/g, ''));
  t.equal(a.ObjectSize, 8);
  t.equal(a.StorageClass, 'STANDARD');
  t.equal(a.ObjectParts?.TotalPartsCount, 2);
  t.same(a.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, 6]]);
  t.equal(a.ObjectParts?.IsTruncated, true);
  t.ok(a.LastModified instanceof Date);
});
