// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What is particular to S3 on Ceph RGW (translators/ceph/s3), against the cluster of
 * conformance/backends/ceph: the bytes really live in RGW under the account's own RGW tenant and
 * user; checksums RGW 16 does not know are verified before the last byte reaches RGW (a bad one
 * leaves nothing behind) and are returned as S3 does; RGW's empty CompleteMultipartUpload ETag is
 * filled; metadata RGW cannot keep survives; an unreachable RGW is a 503, not a crash.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import aws4 from 'aws4';
import t from 'tap';
import { RgwClient } from '../../translators/ceph/s3/client.js';
import { parseRgwConfig } from '../../translators/ceph/s3/config.js';
import type { RgwUserRec } from '../../translators/ceph/s3/users.js';
import { cephUp } from '../backends/ceph/cluster.js';
import { startTestGateway, type TestGatewayHandle } from '../harness.js';
import { errorOf } from '../../test/helpers/sdk-error.js';

/** A request straight to RGW, signed as the account's RGW user (whose keys only the gateway holds). */
async function direct(gw: TestGatewayHandle, accountId: string, method: string, path: string): Promise<{ status: number; body: Buffer }> {
  const env = await cephUp();
  const user = (await gw.gateway.state.table<RgwUserRec>('s3rgw').get(`u/${accountId}`))!;
  const url = new URL(path, env.rgwEndpoint);
  const signed = aws4.sign({ host: url.host, path: url.pathname + url.search, method, service: 's3', region: 'us-east-1', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey });
  const res = await fetch(url, { method, headers: signed.headers as Record<string, string> });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

t.test('config section: clear messages', async (t) => {
  t.throws(() => parseRgwConfig(undefined), /backends\.ceph\.rgw' section is missing/);
  t.throws(() => parseRgwConfig({ rgw: { endpoint: 'http://x:1' } }), /adminAccessKey' must be a non-empty string \(required\)/);
  t.throws(() => parseRgwConfig({ rgw: { endpoint: 'nope', adminAccessKey: 'a', adminSecretKey: 'b' } }), /endpoint' must be a URL/);
  t.throws(() => parseRgwConfig({ rgw: { endpoint: 'http://x:1/path', adminAccessKey: 'a', adminSecretKey: 'b' } }), /no path/);
  t.throws(() => parseRgwConfig({ rgw: { endpoint: 'http://x:1', adminAccessKey: 'a', adminSecretKey: 'b', tenantPrefix: 'a$b' } }), /tenantPrefix/);
  t.throws(() => parseRgwConfig({ rgw: { endpoint: 'http://x:1', adminAccessKey: 'a', adminSecretKey: 'b', typo: 1 } }), /'backends\.ceph\.rgw\.typo' is not a known key/);
  const c = parseRgwConfig({ rgw: { endpoint: 'http://127.0.0.1:7480', adminAccessKey: 'a', adminSecretKey: 'b' } });
  t.same([c.region, c.tenantPrefix, c.timeoutMs], ['us-east-1', 'mcgw', 60_000]);
});

t.test('bytes in RGW under the account tenant; isolation underneath', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  t.equal((gw.running.config.s3 as { backend: string }).backend, 'ceph');
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `rgw-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a b+c/ü.txt', Body: 'stored in rados' }));
  const got = await direct(gw, gw.accountId, 'GET', `/${bucket}/a%20b%2Bc/%C3%BC.txt`);
  t.equal(got.status, 200, 'the object is in RGW, in the bucket of the account tenant');
  t.equal(got.body.toString(), 'stored in rados');

  // another account of the same gateway: its own RGW tenant, which cannot see the first one's bucket
  const bob = await gw.newAccount('bob');
  const bs3 = new S3Client({ ...bob.clientConfig, maxAttempts: 1 });
  t.teardown(() => bs3.destroy());
  await bs3.send(new CreateBucketCommand({ Bucket: `rgw-${bob.accountId}` }));
  const cross = await direct(gw, bob.accountId, 'GET', `/${bucket}/a%20b%2Bc/%C3%BC.txt`);
  t.equal(cross.status, 404, "bob's RGW user does not reach alice's bucket (another tenant)");

  // listing keys that need escaping in XML and URLs
  const keys = ['x<y>&z', 'sp ace', 'plus+sign', 'unicode-é-中', '/lead', 'a//b', 'dd/../y', 'q?x=1', 'pct%20', 'tab\tk'];
  for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `odd/${k}`, Body: k }));
  const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'odd/' }));
  t.same(list.Contents?.map((c) => c.Key).sort(), keys.map((k) => `odd/${k}`).sort());
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'odd/', MaxKeys: 2 }));
  const rest = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'odd/', ContinuationToken: page.NextContinuationToken }));
  t.equal((page.Contents?.length ?? 0) + (rest.Contents?.length ?? 0), keys.length, 'pages join up');
});

t.test('checksums: verified before RGW commits, stored and returned', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `cks-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = Buffer.alloc(300_000, 'q');
  const sha = createHash('sha256').update(body).digest('base64');
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body, ChecksumSHA256: sha }));
  t.equal(put.ChecksumSHA256, sha);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
  t.equal(head.ChecksumSHA256, sha, 'a checksum RGW 16 does not know comes back');

  const bad = createHash('sha256').update('something else').digest('base64');
  const e = await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: Buffer.alloc(300_000, 'z'), ChecksumSHA256: bad })));
  t.equal(e.name, 'BadDigest');
  const still = await direct(gw, gw.accountId, 'GET', `/${bucket}/k`);
  t.ok(still.body.equals(body), 'the failed overwrite never reached RGW: the old bytes are there');
  const e2 = await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'new', Body: Buffer.alloc(1000, 'z'), ChecksumSHA256: bad })));
  t.equal(e2.name, 'BadDigest');
  t.equal((await direct(gw, gw.accountId, 'HEAD', `/${bucket}/new`)).status, 404, 'a failed new object leaves nothing in RGW');
  const e3 = await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty', Body: '', ChecksumSHA256: bad })));
  t.equal(e3.name, 'BadDigest');
  t.equal((await direct(gw, gw.accountId, 'HEAD', `/${bucket}/empty`)).status, 404, 'nor does an empty one');
});

t.test('a client that goes away mid-body leaves nothing in RGW', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `cut-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const path = `/${bucket}/cut`;
  const signed = aws4.sign(
    { host: `127.0.0.1:${gw.port}`, path, method: 'PUT', service: 's3', region: 'us-east-1', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '200000' } },
    gw.credentials,
  );
  const sock = connect(gw.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const head = Object.entries(signed.headers as Record<string, string>).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  sock.write(`PUT ${path} HTTP/1.1\r\n${head}\r\n`);
  sock.write(Buffer.alloc(150_000, 'c'));
  await new Promise((r) => setTimeout(r, 300));
  sock.destroy();
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await direct(gw, gw.accountId, 'HEAD', path)).status, 404, 'RGW never got the last bytes');
  const e = await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cut' })));
  t.equal(e.$metadata?.httpStatusCode, 404);
});

t.test('multipart: the ETag RGW leaves empty, part numbers, tags and metadata RGW cannot keep', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `mpu-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const p1 = Buffer.alloc(5 * 1024 * 1024, 1);
  const p2 = Buffer.from('tail');
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big', ChecksumAlgorithm: 'CRC32C', Metadata: { note: 'naïve café' }, Tagging: 'a=1' }));
  const e1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big', UploadId, PartNumber: 1, Body: p1, ChecksumAlgorithm: 'CRC32C' }));
  const e2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big', UploadId, PartNumber: 2, Body: p2, ChecksumAlgorithm: 'CRC32C' }));
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'big',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag, ChecksumCRC32C: e1.ChecksumCRC32C }, { PartNumber: 2, ETag: e2.ETag, ChecksumCRC32C: e2.ChecksumCRC32C }] },
    }),
  );
  const md5s = Buffer.concat([p1, p2].map((p) => createHash('md5').update(p).digest()));
  t.equal(done.ETag, `"${createHash('md5').update(md5s).digest('hex')}-2"`, 'the ETag S3 computes, not RGW 16.2’s empty one');
  t.match(done.ChecksumCRC32C, /-2$/);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big', PartNumber: 2, ChecksumMode: 'ENABLED' }));
  t.equal(head.ContentLength, 4);
  t.equal(head.PartsCount, 2);
  t.same(head.Metadata, { note: 'naïve café' }, 'a metadata value RGW cannot carry in a header');
  const part2 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', PartNumber: 2 }));
  t.equal(await part2.Body!.transformToString(), 'tail');
  t.same((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'big' }))).TagSet, [{ Key: 'a', Value: '1' }]);
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'big', Tagging: { TagSet: [{ Key: 'b', Value: '2' }] } }));
  t.same((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'big' }))).TagSet, [{ Key: 'b', Value: '2' }]);
  const direct1 = await direct(gw, gw.accountId, 'HEAD', `/${bucket}/big`);
  t.equal(direct1.status, 200, 'the assembled object is in RGW');
});

t.test('CopyObject within one account is a server-side copy in RGW; across accounts the bytes stream', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `cp-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = Buffer.alloc(2 * 1024 * 1024, 'k');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: body, ChecksumAlgorithm: 'CRC32C', Tagging: 'x=y' }));
  const sent: string[] = [];
  const send = RgwClient.prototype.send;
  RgwClient.prototype.send = function (this: RgwClient, creds, r) {
    sent.push(`${r.method} ${r.path}${r.headers?.['x-amz-copy-source'] ? ' copy' : ''}`);
    return send.call(this, creds, r);
  };
  t.teardown(() => (RgwClient.prototype.send = send));
  const c = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: `${bucket}/src` }));
  t.same(sent.filter((x) => x.startsWith('GET ') || x.endsWith(' copy')), [`PUT /${bucket}/dst copy`], 'one server-side copy, no GET of the bytes');
  t.match(c.CopyObjectResult?.ETag, /^"[0-9a-f]{32}"$/);
  t.ok(c.CopyObjectResult?.ChecksumCRC32C, 'the checksum is carried over');
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dst', ChecksumMode: 'ENABLED' }));
  t.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
  t.same((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'dst' }))).TagSet, [{ Key: 'x', Value: 'y' }]);

  // a new checksum algorithm needs the bytes: streamed through the gateway
  sent.length = 0;
  const c2 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst2', CopySource: `${bucket}/src`, ChecksumAlgorithm: 'SHA256' }));
  t.ok(c2.CopyObjectResult?.ChecksumSHA256);
  t.ok(sent.some((x) => x === `GET /${bucket}/src`), 'streamed when RGW cannot make the copy as asked');
});

t.test('versioning follows the gateway; delete markers', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const bucket = `ver-${gw.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'before' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'one' }));
  const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two' }));
  t.not(v1.VersionId, v2.VersionId);
  const dm = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
  t.equal(dm.DeleteMarker, true);
  const gone = await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })));
  t.equal(gone.$metadata?.httpStatusCode, 404);
  const onMarker = await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: dm.VersionId })));
  t.equal(onMarker.$metadata?.httpStatusCode, 405, 'GET of a delete marker by version id');
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  t.same(versions.Versions?.map((v) => v.VersionId), [v2.VersionId, v1.VersionId, 'null'], 'newest first, the null version last');
  t.same(versions.DeleteMarkers?.map((d) => [d.VersionId, d.IsLatest]), [[dm.VersionId, true]]);
  const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'null' }));
  t.equal(await old.Body!.transformToString(), 'before');
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: dm.VersionId }));
  const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
  t.equal(await back.Body!.transformToString(), 'two', 'removing the marker brings the latest version back');
});

t.test('an unreachable RGW answers 503 and the gateway stays up', async (t) => {
  const gw = await startTestGateway(t, {
    config: { s3: { backend: 'ceph', baseDomains: ['localhost'] }, backends: { ceph: { rgw: { endpoint: 'http://127.0.0.1:9', adminAccessKey: 'a', adminSecretKey: 'b', timeoutMs: 2000 } } } },
  });
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => s3.destroy());
  const e = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'nowhere' })));
  t.equal(e.$metadata?.httpStatusCode, 503);
  t.equal(e.name, 'ServiceUnavailable');
  const health = await fetch(`${gw.url}/_mcgw/health`);
  t.match(await health.text(), /down|degraded/);
});
