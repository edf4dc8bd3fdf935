// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The same sequence of S3 calls (AWS SDK v3) against a gateway on the embedded store and one on
 * Ceph RGW: every answer — members, errors and status codes — must be the same once names, ids and
 * times are masked. Covers what the shared suites touch lightly: listings at their edges,
 * conditional and ranged reads, GetObjectAttributes, copies, tags, DeleteObjects, multipart
 * errors, ACLs and storage classes RGW does not keep, versioning with suspended/null versions,
 * delete markers.
 */
import * as S from '@aws-sdk/client-s3';
import t from 'tap';
import { startTestGateway } from '../harness.js';

type Step = [string, unknown];

async function scenario(backend: 'embedded' | 'ceph'): Promise<Step[]> {
  const gw = await startTestGateway(null, { s3Backend: backend });
  const s3 = new S.S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  const B = `diff-${gw.accountId}`;
  const out: Step[] = [];
  const op = async (name: string, cmd: unknown): Promise<Record<string, unknown> | undefined> => {
    try {
      const r = (await s3.send(cmd as never)) as unknown as Record<string, unknown> & { Body?: { transformToString(): Promise<string> } };
      if (r.Body) (r as Record<string, unknown>).Body = await r.Body.transformToString();
      delete r.$metadata;
      out.push([name, r]);
      return r;
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      out.push([name, `${err.name} ${err.$metadata?.httpStatusCode}`]);
      return undefined;
    }
  };
  try {
    await op('create bucket', new S.CreateBucketCommand({ Bucket: B }));
    for (const k of ['a', 'b/1', 'b/2', 'c/d/e', 'z']) {
      await op(`put ${k}`, new S.PutObjectCommand({ Bucket: B, Key: k, Body: `x${k}`, ContentType: 'text/x', CacheControl: 'no-cache', ContentDisposition: 'inline', Expires: new Date('2030-01-01T00:00:00Z'), Metadata: { m: 'v' } }));
    }
    await op('list MaxKeys=0', new S.ListObjectsV2Command({ Bucket: B, MaxKeys: 0 }));
    await op('list delimiter, 2 keys', new S.ListObjectsV2Command({ Bucket: B, Delimiter: '/', MaxKeys: 2 }));
    await op('list StartAfter', new S.ListObjectsV2Command({ Bucket: B, StartAfter: 'b/1' }));
    await op('list v1 Marker', new S.ListObjectsCommand({ Bucket: B, Delimiter: '/', Marker: 'a' }));
    await op('list prefix', new S.ListObjectsV2Command({ Bucket: B, Prefix: 'c/', Delimiter: '/' }));
    const head = await op('head', new S.HeadObjectCommand({ Bucket: B, Key: 'a' }));
    await op('get If-None-Match other', new S.GetObjectCommand({ Bucket: B, Key: 'a', IfNoneMatch: '"x"' }));
    await op('get If-None-Match same', new S.GetObjectCommand({ Bucket: B, Key: 'a', IfNoneMatch: head?.ETag as string }));
    await op('get If-Match other', new S.GetObjectCommand({ Bucket: B, Key: 'a', IfMatch: '"nope"' }));
    await op('get suffix range', new S.GetObjectCommand({ Bucket: B, Key: 'c/d/e', Range: 'bytes=-2' }));
    await op('get range past the end', new S.GetObjectCommand({ Bucket: B, Key: 'a', Range: 'bytes=100-200' }));
    await op('get partNumber=1', new S.GetObjectCommand({ Bucket: B, Key: 'a', PartNumber: 1 }));
    await op('get missing', new S.GetObjectCommand({ Bucket: B, Key: 'nope' }));
    await op('get unknown version', new S.GetObjectCommand({ Bucket: B, Key: 'a', VersionId: 'nosuchversion' }));
    await op('attributes', new S.GetObjectAttributesCommand({ Bucket: B, Key: 'a', ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass', 'Checksum'] }));
    await op('copy REPLACE', new S.CopyObjectCommand({ Bucket: B, Key: 'copy', CopySource: `${B}/a`, MetadataDirective: 'REPLACE', ContentType: 'text/y' }));
    await op('head copy', new S.HeadObjectCommand({ Bucket: B, Key: 'copy' }));
    await op('copy onto itself', new S.CopyObjectCommand({ Bucket: B, Key: 'a', CopySource: `${B}/a` }));
    await op('tag', new S.PutObjectTaggingCommand({ Bucket: B, Key: 'a', Tagging: { TagSet: [{ Key: 't', Value: '1' }] } }));
    await op('head tagged', new S.HeadObjectCommand({ Bucket: B, Key: 'a' }));
    await op('delete', new S.DeleteObjectCommand({ Bucket: B, Key: 'z' }));
    await op('delete missing', new S.DeleteObjectCommand({ Bucket: B, Key: 'nope' }));
    await op('DeleteObjects', new S.DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'a' }, { Key: 'nope' }, { Key: 'copy' }] } }));
    await op('uploads, none', new S.ListMultipartUploadsCommand({ Bucket: B }));
    const c = await op('create upload', new S.CreateMultipartUploadCommand({ Bucket: B, Key: 'm', ChecksumAlgorithm: 'SHA256' }));
    const UploadId = c?.UploadId as string;
    await op('uploads', new S.ListMultipartUploadsCommand({ Bucket: B }));
    await op('parts, none', new S.ListPartsCommand({ Bucket: B, Key: 'm', UploadId }));
    await op('complete unknown part', new S.CompleteMultipartUploadCommand({ Bucket: B, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"abc"' }] } }));
    const p = await op('part', new S.UploadPartCommand({ Bucket: B, Key: 'm', UploadId, PartNumber: 1, Body: 'tiny', ChecksumAlgorithm: 'SHA256' }));
    await op('parts', new S.ListPartsCommand({ Bucket: B, Key: 'm', UploadId }));
    await op('complete', new S.CompleteMultipartUploadCommand({ Bucket: B, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p?.ETag as string, ChecksumSHA256: p?.ChecksumSHA256 as string }] } }));
    await op('head multipart, checksum', new S.HeadObjectCommand({ Bucket: B, Key: 'm', ChecksumMode: 'ENABLED' }));
    await op('abort completed', new S.AbortMultipartUploadCommand({ Bucket: B, Key: 'm', UploadId }));
    await op('delete non-empty bucket', new S.DeleteBucketCommand({ Bucket: B }));
    await op('put public-read, STANDARD_IA', new S.PutObjectCommand({ Bucket: B, Key: 'pub', Body: 'open', ACL: 'public-read', StorageClass: 'STANDARD_IA', Tagging: 'k=v' }));
    const anon = await fetch(`${gw.url}/${B}/pub`);
    out.push(['anonymous GET of public-read', `${anon.status} ${await anon.text()}`]);
    await op('list storage class', new S.ListObjectsV2Command({ Bucket: B, Prefix: 'pub' }));
    await op('acl', new S.GetObjectAclCommand({ Bucket: B, Key: 'pub' }));
    await op('copy tags COPY', new S.CopyObjectCommand({ Bucket: B, Key: 'pub2', CopySource: `${B}/pub` }));
    await op('tags of copy', new S.GetObjectTaggingCommand({ Bucket: B, Key: 'pub2' }));
    const anon2 = await fetch(`${gw.url}/${B}/pub2`);
    out.push(['anonymous GET of a private copy', `${anon2.status}`]);
    await op('versioning on', new S.PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Enabled' } }));
    await op('put v1', new S.PutObjectCommand({ Bucket: B, Key: 'v', Body: 'one' }));
    await op('put v2', new S.PutObjectCommand({ Bucket: B, Key: 'v', Body: 'two' }));
    await op('delete → marker', new S.DeleteObjectCommand({ Bucket: B, Key: 'v' }));
    await op('head behind marker', new S.HeadObjectCommand({ Bucket: B, Key: 'v' }));
    await op('versioning suspended', new S.PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Suspended' } }));
    await op('put null version', new S.PutObjectCommand({ Bucket: B, Key: 'v', Body: 'null one' }));
    await op('get null version', new S.GetObjectCommand({ Bucket: B, Key: 'v', VersionId: 'null' }));
    await op('versions', new S.ListObjectVersionsCommand({ Bucket: B, Prefix: 'v' }));
    await op('versions, 1 per page', new S.ListObjectVersionsCommand({ Bucket: B, Prefix: 'v', MaxKeys: 1 }));
  } finally {
    s3.destroy();
    await gw.close();
  }
  return out;
}

/** Masks what differs by nature between two gateways: names, ids, times, owners. */
function masked(v: unknown): string {
  const ids = new Set(['LastModified', 'Initiated', 'UploadId', 'ID', 'DisplayName', 'Name', 'Bucket', 'Owner', 'Initiator', 'VersionId', 'NextVersionIdMarker', 'VersionIdMarker', 'Location', 'Expiration']);
  return JSON.stringify(v, (k, x) => (ids.has(k) ? '*' : x));
}

t.test('the same answers on the embedded store and on RGW', async (t) => {
  const [embedded, ceph] = await Promise.all([scenario('embedded'), scenario('ceph')]);
  t.equal(ceph.length, embedded.length);
  for (let i = 0; i < embedded.length; i++) t.equal(masked(ceph[i]![1]), masked(embedded[i]![1]), embedded[i]![0]);
});
