// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 against the real server with @aws-sdk/client-s3 v3 in its default configuration (flexible
 * checksums: aws-chunked uploads with trailers for streams, checksum headers for buffers),
 * path-style and virtual-hosted style, presigned URLs, tenancy and anonymous access.
 */
import { Agent } from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import t from 'tap';
import { startTestGateway } from '../harness.js';
import { errorOf } from '../../test/helpers/sdk-error.js';

function stream(parts: Buffer[]): Readable {
  return Readable.from(parts);
}

t.test('path-style: objects, streaming uploads with trailing checksums, multipart, versioning', async (t) => {
  const gw = await startTestGateway(t);
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'conf-bucket' }));
  t.ok((await s3.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === 'conf-bucket'));

  // a stream body: the SDK sends aws-chunked with an x-amz-checksum-crc32 trailer
  const data = Buffer.alloc(200_000, 7);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'conf-bucket', Key: 'stream/a.bin', Body: stream([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }));
  t.equal(put.ETag, `"${createHash('md5').update(data).digest('hex')}"`);
  t.ok(put.ChecksumCRC32, 'the trailer checksum is stored and echoed');
  const got = await s3.send(new GetObjectCommand({ Bucket: 'conf-bucket', Key: 'stream/a.bin', ChecksumMode: 'ENABLED' }));
  t.equal(got.ChecksumCRC32, put.ChecksumCRC32);
  t.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data), 'validated by the SDK on the way back');

  // buffer bodies carry a checksum header; metadata, ranges, conditionals
  await s3.send(new PutObjectCommand({ Bucket: 'conf-bucket', Key: 'k ü/x+y', Body: 'hello', ContentType: 'text/plain', Metadata: { a: 'b' } }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'conf-bucket', Key: 'k ü/x+y' }));
  t.same([head.ContentLength, head.ContentType, head.Metadata], [5, 'text/plain', { a: 'b' }]);
  const r = await s3.send(new GetObjectCommand({ Bucket: 'conf-bucket', Key: 'k ü/x+y', Range: 'bytes=1-3' }));
  t.equal(await r.Body!.transformToString(), 'ell');
  const pre = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'conf-bucket', Key: 'k ü/x+y', Body: 'again', IfNoneMatch: '*' })));
  t.equal(pre.$metadata?.httpStatusCode, 412);
  const list = await s3.send(new ListObjectsV2Command({ Bucket: 'conf-bucket', Delimiter: '/' }));
  t.same(list.CommonPrefixes?.map((p) => p.Prefix), ['k ü/', 'stream/']);
  await s3.send(new CopyObjectCommand({ Bucket: 'conf-bucket', Key: 'copy', CopySource: `conf-bucket/${encodeURIComponent('k ü/x+y')}` }));

  // multipart with streamed parts
  const part = Buffer.alloc(5 * 1024 * 1024, 1);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'conf-bucket', Key: 'mpu' }));
  const e1 = (await s3.send(new UploadPartCommand({ Bucket: 'conf-bucket', Key: 'mpu', UploadId, PartNumber: 1, Body: stream([part]), ContentLength: part.length }))).ETag;
  const e2 = (await s3.send(new UploadPartCommand({ Bucket: 'conf-bucket', Key: 'mpu', UploadId, PartNumber: 2, Body: 'end' }))).ETag;
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'conf-bucket', Key: 'mpu', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
  t.match(done.ETag, /-2"$/);
  const h2 = await s3.send(new HeadObjectCommand({ Bucket: 'conf-bucket', Key: 'mpu' }));
  t.equal(h2.ContentLength, part.length + 3);
  const { UploadId: u2 } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'conf-bucket', Key: 'gone' }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: 'conf-bucket', Key: 'gone', UploadId: u2 }));

  await s3.send(new PutBucketVersioningCommand({ Bucket: 'conf-bucket', VersioningConfiguration: { Status: 'Enabled' } }));
  const v = await s3.send(new PutObjectCommand({ Bucket: 'conf-bucket', Key: 'copy', Body: 'v2' }));
  t.ok(v.VersionId);
  const d = await s3.send(new DeleteObjectCommand({ Bucket: 'conf-bucket', Key: 'copy' }));
  t.equal(d.DeleteMarker, true);
  const old = await s3.send(new GetObjectCommand({ Bucket: 'conf-bucket', Key: 'copy', VersionId: v.VersionId }));
  t.equal(await old.Body!.transformToString(), 'v2');

  const del = await s3.send(new DeleteObjectsCommand({ Bucket: 'conf-bucket', Delete: { Objects: [{ Key: 'mpu' }, { Key: 'stream/a.bin' }] } }));
  t.equal(del.Deleted?.length, 2);
  const notEmpty = await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'conf-bucket' })));
  t.equal(notEmpty.name, 'BucketNotEmpty');
});

t.test('virtual-hosted style, presigned URLs, tenancy, anonymous', async (t) => {
  const gw = await startTestGateway(t);
  // bucket.localhost does not resolve here: the agent sends every name to the gateway
  const agent = new Agent({ keepAlive: false, lookup: ((_h: string, o: unknown, cb: (e: null, a: string | Array<{ address: string; family: number }>, f?: number) => void) => (o && (o as { all?: boolean }).all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as never });
  const vhost = new S3Client({ ...gw.clientConfig, endpoint: `http://localhost:${gw.port}`, forcePathStyle: false, maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
  t.teardown(() => vhost.destroy());
  await vhost.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
  await vhost.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt', Body: 'virtual' }));
  const g = await vhost.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }));
  t.equal(await g.Body!.transformToString(), 'virtual');

  // presigned, virtual-hosted: the URL names the bucket in the host
  const { Agent: UndiciAgent } = await import('undici');
  const dispatcher = new UndiciAgent({ connect: { lookup: ((_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) => (o?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as never } });
  t.teardown(() => dispatcher.close());
  const vurl = await getSignedUrl(vhost, new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }), { expiresIn: 60 });
  t.match(vurl, /^http:\/\/vhost-bucket\.localhost:\d+\/dir\/file\.txt\?/);
  const { fetch: ufetch } = await import('undici');
  const vres = await ufetch(vurl, { dispatcher });
  t.equal(vres.status, 200);
  t.equal(await vres.text(), 'virtual');

  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }), { expiresIn: 60 });
  const res = await fetch(url);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'virtual');
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'presigned' }), { expiresIn: 60 });
  const pr = await fetch(putUrl, { method: 'PUT', body: 'via presigned put' });
  t.equal(pr.status, 200, await pr.clone().text());
  const back = await s3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'presigned' }));
  t.equal(await back.Body!.transformToString(), 'via presigned put');

  const anon = await fetch(`${gw.url}/vhost-bucket/dir/file.txt`);
  t.equal(anon.status, 403);
  t.match(await anon.text(), /<Code>AccessDenied<\/Code>/);
  const missing = await fetch(`${gw.url}/no-such-bucket-here/x`);
  t.equal(missing.status, 404);
  t.match(await missing.text(), /<Code>NoSuchBucket<\/Code>/);

  const bob = await gw.newAccount('bob');
  const bs3 = new S3Client({ ...bob.clientConfig, maxAttempts: 1 });
  t.teardown(() => bs3.destroy());
  t.same((await bs3.send(new ListBucketsCommand({}))).Buckets ?? [], [], 'another account sees none of these buckets');
  const denied = await errorOf(bs3.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' })));
  t.equal(denied.name, 'AccessDenied');
  const taken = await errorOf(bs3.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' })));
  t.equal(taken.name, 'BucketAlreadyExists');

  await s3.send(new PutBucketPolicyCommand({
    Bucket: 'vhost-bucket',
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::vhost-bucket/dir/*' }] }),
  }));
  const pub = await fetch(`${gw.url}/vhost-bucket/dir/file.txt`);
  t.equal(pub.status, 200);
  t.equal(await pub.text(), 'virtual');

  const { GetBucketWebsiteCommand } = await import('@aws-sdk/client-s3');
  const ni = await errorOf(s3.send(new GetBucketWebsiteCommand({ Bucket: 'vhost-bucket' })));
  t.equal(ni.name, 'NotImplemented', 'an operation not served answers NotImplemented');
  t.equal(ni.$metadata?.httpStatusCode, 501);
  t.match(ni.message, /GetBucketWebsite/);

  const opt = await fetch(`${gw.url}/vhost-bucket/dir/file.txt`, { method: 'OPTIONS', headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'GET' } });
  t.equal(opt.status, 403, 'no CORS configuration: preflight refused');
  await opt.text();
});
