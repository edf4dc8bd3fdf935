// SPDX-License-Identifier: AGPL-3.0-or-later
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import type { S3ServiceDefinition } from '../../apis/s3/index.js';
import { ANONYMOUS } from '../../src/state/identity.js';
import { TestClock } from '../helpers/context.js';
import { rejectsCode, s3Fixture } from './helpers.js';

const DAY = 86_400_000;

t.test('bucket policy: anonymous and cross-account access, wildcards, Deny beats Allow', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'pol' });
  await fx.put('pol', 'public/a', 'A');
  await fx.put('pol', 'private/b', 'B');
  await rejectsCode(t, fx.call('GetBucketPolicy', { Bucket: 'pol' }), 'NoSuchBucketPolicy', 404);
  await rejectsCode(t, fx.call('PutBucketPolicy', { Bucket: 'pol', Policy: 'nope' }), 'MalformedPolicy', 400);
  await rejectsCode(t, fx.call('PutBucketPolicy', { Bucket: 'pol', Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' }] }) }), 'MalformedPolicy', 400, 'resource of another bucket');
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol/public/*' },
      { Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${fx.bob.accountId}:root`] }, Action: ['s3:PutObject', 's3:ListBucket', 's3:Get*'], Resource: ['arn:aws:s3:::pol', 'arn:aws:s3:::pol/*'] },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::pol/private/*' },
    ],
  };
  await fx.call('PutBucketPolicy', { Bucket: 'pol', Policy: JSON.stringify(policy) });
  t.same(JSON.parse((await fx.call<{ Policy: string }>('GetBucketPolicy', { Bucket: 'pol' })).Policy), policy);
  t.equal((await fx.call<{ PolicyStatus: { IsPublic: boolean } }>('GetBucketPolicyStatus', { Bucket: 'pol' })).PolicyStatus.IsPublic, true);

  const anonGet = await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'pol', Key: 'public/a' }, { as: ANONYMOUS });
  t.ok(anonGet.Body);
  anonGet.Body.destroy();
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'pol', Key: 'other' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('ListObjectsV2', { Bucket: 'pol' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('PutObject', { Bucket: 'pol', Key: 'public/x', ContentLength: 0 }, { as: ANONYMOUS }), 'AccessDenied', 403);

  const bobPut = Buffer.from('from bob');
  await fx.call('PutObject', { Bucket: 'pol', Key: 'bob.txt', Body: Readable.from([bobPut]), ContentLength: bobPut.length }, { as: fx.bob });
  t.ok((await fx.call('ListObjectsV2', { Bucket: 'pol' }, { as: fx.bob })).Contents);
  await rejectsCode(t, fx.call('DeleteObject', { Bucket: 'pol', Key: 'bob.txt' }, { as: fx.bob }), 'AccessDenied', 403, 'not granted');
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'pol', Key: 'private/b' }, { as: fx.bob }), 'AccessDenied', 403, 'Deny beats Allow');
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'pol', Key: 'private/b' }), 'AccessDenied', 403, 'Deny applies to the owner too');
  await rejectsCode(t, fx.call('PutBucketPolicy', { Bucket: 'pol', Policy: JSON.stringify(policy) }, { as: fx.bob }), 'AccessDenied', 403, 'policy is owner-only');
  await fx.call('DeleteBucketPolicy', { Bucket: 'pol' });
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'pol', Key: 'public/a' }, { as: ANONYMOUS }), 'AccessDenied', 403);
});

t.test('object canned ACL public-read lets anonymous read that object only', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'acl' });
  await fx.put('acl', 'open', 'o', { ACL: 'public-read' });
  await fx.put('acl', 'closed', 'c');
  const got = await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'acl', Key: 'open' }, { as: ANONYMOUS });
  got.Body.destroy();
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'acl', Key: 'closed' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  await fx.call('PutObjectAcl', { Bucket: 'acl', Key: 'closed', ACL: 'public-read' });
  const acl = await fx.call<{ Grants: Array<{ Permission: string }> }>('GetObjectAcl', { Bucket: 'acl', Key: 'closed' });
  t.same(acl.Grants.map((g) => g.Permission), ['FULL_CONTROL', 'READ']);
  (await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'acl', Key: 'closed' }, { as: ANONYMOUS })).Body.destroy();
});

t.test('CORS: configuration, preflight from the rules, headers on actual requests', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'web' });
  await rejectsCode(t, fx.call('GetBucketCors', { Bucket: 'web' }), 'NoSuchCORSConfiguration', 404);
  await rejectsCode(t, fx.call('PutBucketCors', { Bucket: 'web', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PATCH'], AllowedOrigins: ['*'] }] } }), 'InvalidRequest', 400);
  const rules = [
    { AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['x-amz-*', 'content-type'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
    { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
  ];
  await fx.call('PutBucketCors', { Bucket: 'web', CORSConfiguration: { CORSRules: rules } });
  t.same((await fx.call<{ CORSRules: unknown }>('GetBucketCors', { Bucket: 'web' })).CORSRules, rules);
  const pre = (headers: Record<string, string>) => fx.call<{ $headers: Record<string, string> }>('PreflightRequest', { Bucket: 'web', Key: 'k' }, { as: ANONYMOUS, headers, http: { method: 'OPTIONS' } });
  const ok = await pre({ origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, x-amz-meta-a' });
  t.equal(ok.$headers['Access-Control-Allow-Origin'], 'https://app.example.com');
  t.equal(ok.$headers['Access-Control-Allow-Methods'], 'GET, PUT');
  t.equal(ok.$headers['Access-Control-Allow-Headers'], 'content-type, x-amz-meta-a');
  t.equal(ok.$headers['Access-Control-Max-Age'], '600');
  t.equal(ok.$headers['Access-Control-Expose-Headers'], 'ETag');
  const any = await pre({ origin: 'https://elsewhere.org', 'access-control-request-method': 'GET' });
  t.equal(any.$headers['Access-Control-Allow-Origin'], '*');
  await rejectsCode(t, pre({ origin: 'https://elsewhere.org', 'access-control-request-method': 'PUT' }), 'AccessForbidden', 403);
  await rejectsCode(t, pre({ origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' }), 'AccessForbidden', 403);
  await rejectsCode(t, pre({ 'access-control-request-method': 'GET' }), 'BadRequest', 400);
  await fx.put('web', 'k', 'v');
  const got = await fx.call<{ $headers: Record<string, string>; Body: Readable }>('GetObject', { Bucket: 'web', Key: 'k' }, { headers: { origin: 'https://app.example.com' }, http: { method: 'GET' } });
  got.Body.destroy();
  t.equal(got.$headers['Access-Control-Allow-Origin'], 'https://app.example.com');
  const miss = await rejectsCode(t, fx.call('GetObject', { Bucket: 'web', Key: 'missing' }, { headers: { origin: 'https://app.example.com' }, http: { method: 'GET' } }), 'NoSuchKey', 404);
  t.equal(miss?.headers?.['Access-Control-Allow-Origin'], 'https://app.example.com', 'errors carry the CORS headers too');
  await fx.call('DeleteBucketCors', { Bucket: 'web' });
  await rejectsCode(t, pre({ origin: 'https://app.example.com', 'access-control-request-method': 'GET' }), 'AccessForbidden', 403);
});

t.test('lifecycle: stored, and expiration of current/noncurrent versions and uploads runs', async (t) => {
  const clock = new TestClock(Date.UTC(2026, 0, 1, 12));
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], lifecycleIntervalMs: 0 } });
  (fx.gw as unknown as { clock: TestClock }).clock = clock;
  const def = fx.def as S3ServiceDefinition;
  await fx.call('CreateBucket', { Bucket: 'life' });
  await rejectsCode(t, fx.call('GetBucketLifecycleConfiguration', { Bucket: 'life' }), 'NoSuchLifecycleConfiguration', 404);
  await rejectsCode(t, fx.call('PutBucketLifecycleConfiguration', { Bucket: 'life', LifecycleConfiguration: { Rules: [{ Status: 'Enabled', Filter: { Prefix: '' } }] } }), 'InvalidRequest', 400);
  await rejectsCode(t, fx.call('PutBucketLifecycleConfiguration', { Bucket: 'life', LifecycleConfiguration: { Rules: [{ Status: 'On', Expiration: { Days: 1 } }] } }), 'MalformedXML', 400);
  const rules = [
    { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
    { ID: 'old', Status: 'Enabled', Filter: { Prefix: 'v/' }, NoncurrentVersionExpiration: { NoncurrentDays: 2 } },
    { ID: 'mpu', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } },
    { ID: 'off', Status: 'Disabled', Filter: { Prefix: 'keep/' }, Expiration: { Days: 1 } },
  ];
  await fx.call('PutBucketLifecycleConfiguration', { Bucket: 'life', LifecycleConfiguration: { Rules: rules } });
  t.same((await fx.call<{ Rules: unknown }>('GetBucketLifecycleConfiguration', { Bucket: 'life' })).Rules, rules);
  await fx.call('PutBucketVersioning', { Bucket: 'life', VersioningConfiguration: { Status: 'Enabled' } });
  await fx.put('life', 'tmp/a', 'a');
  await fx.put('life', 'keep/b', 'b');
  await fx.put('life', 'v/c', 'c1');
  await fx.put('life', 'v/c', 'c2');
  await fx.call('CreateMultipartUpload', { Bucket: 'life', Key: 'up' });

  t.same(await def.runLifecycle(), { expired: 0, noncurrentExpired: 0, markersRemoved: 0, uploadsAborted: 0 }, 'nothing due yet');
  clock.advance(1 * DAY); // Jan 2 12:00: tmp/a due at Jan 3 00:00 (rounded up to midnight)
  t.equal((await def.runLifecycle()).expired, 0);
  clock.advance(DAY / 2); // Jan 3 00:00
  t.equal((await def.runLifecycle()).expired, 1);
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'life', Key: 'tmp/a' }), 'NoSuchKey', 404);
  t.ok(await fx.call('HeadObject', { Bucket: 'life', Key: 'keep/b' }), 'disabled rule does nothing');
  clock.advance(DAY); // Jan 4 00:00: the noncurrent c1 (noncurrent since Jan 1 12:00) is due
  const r = await def.runLifecycle();
  t.equal(r.noncurrentExpired, 1);
  t.equal(r.uploadsAborted, 0);
  const vers = await fx.call<{ Versions: Array<{ Key: string }> }>('ListObjectVersions', { Bucket: 'life', Prefix: 'v/' });
  t.equal(vers.Versions.length, 1);
  t.equal((await fx.get('life', 'v/c')).body.toString(), 'c2');
  clock.advance(DAY); // Jan 5 00:00: upload initiated Jan 1 12:00 + 3 days → due Jan 5 00:00
  t.equal((await def.runLifecycle()).uploadsAborted, 1);
  t.same((await fx.call<{ Uploads: unknown[] }>('ListMultipartUploads', { Bucket: 'life' })).Uploads, []);
  await fx.call('DeleteBucketLifecycle', { Bucket: 'life' });
  await rejectsCode(t, fx.call('GetBucketLifecycleConfiguration', { Bucket: 'life' }), 'NoSuchLifecycleConfiguration', 404);
});

t.test('SSE-S3: default bucket encryption and per-request AES256 encrypt at rest', async (t) => {
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], minPartSize: 5 } });
  await fx.call('CreateBucket', { Bucket: 'enc' });
  await rejectsCode(t, fx.call('GetBucketEncryption', { Bucket: 'enc' }), 'ServerSideEncryptionConfigurationNotFoundError', 404);
  const secret = 'top secret plaintext '.repeat(20);
  const put = await fx.put('enc', 'one', secret, { ServerSideEncryption: 'AES256' });
  t.equal(put.ServerSideEncryption, 'AES256');
  t.equal(put.ETag, `"${createHash('md5').update(secret).digest('hex')}"`, 'the ETag is the MD5 of the plaintext, not of what is stored');
  await rejectsCode(t, fx.put('enc', 'two', 'x', { ServerSideEncryption: 'aws:kms' }), 'NotImplemented', 501);
  await rejectsCode(t, fx.put('enc', 'two', 'x', { ServerSideEncryption: 'rot13' }), 'InvalidArgument', 400);
  await fx.call('PutBucketEncryption', { Bucket: 'enc', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  const conf = await fx.call<{ ServerSideEncryptionConfiguration: { Rules: Array<{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: string } }> } }>('GetBucketEncryption', { Bucket: 'enc' });
  t.equal(conf.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
  await fx.put('enc', 'two', secret);
  const { UploadId } = await fx.call<{ UploadId: string; ServerSideEncryption: string }>('CreateMultipartUpload', { Bucket: 'enc', Key: 'three' });
  const parts = [secret.slice(0, 100), secret.slice(100)];
  const etags: string[] = [];
  for (const [i, p] of parts.entries()) {
    etags.push((await fx.call<{ ETag: string }>('UploadPart', { Bucket: 'enc', Key: 'three', UploadId, PartNumber: i + 1, Body: Readable.from([Buffer.from(p)]), ContentLength: p.length })).ETag);
  }
  await fx.call('CompleteMultipartUpload', { Bucket: 'enc', Key: 'three', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) } });
  for (const k of ['one', 'two', 'three']) {
    const g = await fx.get('enc', k);
    t.equal(g.body.toString(), secret, `${k} reads back`);
    t.equal(g.out.ServerSideEncryption, 'AES256');
    t.equal((await fx.get('enc', k, { Range: 'bytes=95-130' })).body.toString(), secret.slice(95, 131), `${k} range across blocks and parts`);
  }
  const dataDir = join(fx.gw.dataDir, 's3', 'data');
  const onDisk = readdirSync(dataDir).flatMap((d) => readdirSync(join(dataDir, d)).map((f) => readFileSync(join(dataDir, d, f)).toString('latin1')));
  t.equal(onDisk.length, 4);
  t.notOk(onDisk.some((c) => c.includes('top secret')), 'no plaintext at rest');
});

t.test('ownership controls and public access block change what ACLs and policies do', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'own' });
  t.same(await fx.call('GetBucketOwnershipControls', { Bucket: 'own' }), { OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } }, 'created ObjectWriter');
  await rejectsCode(t, fx.call('GetPublicAccessBlock', { Bucket: 'own' }), 'NoSuchPublicAccessBlockConfiguration', 404);
  await fx.put('own', 'open', 'o', { ACL: 'public-read' });
  (await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'own', Key: 'open' }, { as: ANONYMOUS })).Body.destroy();

  // IgnorePublicAcls: the object's public-read no longer counts; BlockPublicAcls refuses new ones
  await fx.call('PutPublicAccessBlock', { Bucket: 'own', PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true } });
  t.same(await fx.call('GetPublicAccessBlock', { Bucket: 'own' }), { PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } });
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'own', Key: 'open' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  await rejectsCode(t, fx.put('own', 'again', 'x', { ACL: 'public-read' }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('PutBucketAcl', { Bucket: 'own', ACL: 'public-read' }), 'AccessDenied', 403);

  // BlockPublicPolicy / RestrictPublicBuckets
  const pub = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::own/*' }] });
  await fx.call('PutPublicAccessBlock', { Bucket: 'own', PublicAccessBlockConfiguration: { BlockPublicPolicy: true } });
  await rejectsCode(t, fx.call('PutBucketPolicy', { Bucket: 'own', Policy: pub }), 'AccessDenied', 403);
  await fx.call('DeletePublicAccessBlock', { Bucket: 'own' });
  await fx.call('PutBucketPolicy', { Bucket: 'own', Policy: pub });
  await fx.put('own', 'plain', 'p');
  (await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'own', Key: 'plain' }, { as: ANONYMOUS })).Body.destroy();
  await fx.call('PutPublicAccessBlock', { Bucket: 'own', PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } });
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'own', Key: 'plain' }, { as: ANONYMOUS }), 'AccessDenied', 403, 'public policy restricted');
  await fx.call('DeletePublicAccessBlock', { Bucket: 'own' });
  await fx.call('DeleteBucketPolicy', { Bucket: 'own' });

  // BucketOwnerEnforced: ACLs disabled, the bucket owner owns what others write
  await rejectsCode(t, fx.call('PutBucketOwnershipControls', { Bucket: 'own', OwnershipControls: { Rules: [{ ObjectOwnership: 'Everyone' }] } }), 'MalformedXML', 400);
  await fx.call('PutBucketOwnershipControls', { Bucket: 'own', OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
  await rejectsCode(t, fx.put('own', 'x', 'x', { ACL: 'public-read' }), 'AccessControlListNotSupported', 400);
  await fx.put('own', 'x', 'x', { ACL: 'bucket-owner-full-control' });
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'own', Key: 'open' }, { as: ANONYMOUS }), 'AccessDenied', 403, 'old public ACL ignored');
  await fx.call('PutBucketPolicy', { Bucket: 'own', Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: fx.bob.accountId }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::own/*' }] }) });
  const body = Buffer.from('from bob');
  await fx.call('PutObject', { Bucket: 'own', Key: 'bobs', Body: Readable.from([body]), ContentLength: body.length }, { as: fx.bob });
  const acl = await fx.call<{ Owner: { DisplayName: string } }>('GetObjectAcl', { Bucket: 'own', Key: 'bobs' });
  t.equal(acl.Owner.DisplayName, fx.alice.accountId, 'the bucket owner owns it');
});

t.test('explicit ACL grants: x-amz-grant-* headers and AccessControlPolicy bodies', async (t) => {
  const { canonicalId } = await import('../../apis/s3/common.js');
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'grants' });
  const bobId = canonicalId(fx.bob.accountId);
  await fx.put('grants', 'k', 'v', {}, { 'x-amz-grant-read': `id="${bobId}"` });
  (await fx.call<{ Body: Readable }>('GetObject', { Bucket: 'grants', Key: 'k' }, { as: fx.bob })).Body.destroy();
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'grants', Key: 'k' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  const acl = await fx.call<{ Grants: Array<{ Grantee: { ID?: string }; Permission: string }> }>('GetObjectAcl', { Bucket: 'grants', Key: 'k' });
  t.same(acl.Grants.map((g) => [g.Grantee.ID, g.Permission]), [[bobId, 'READ']], 'explicit grants replace the canned ones');
  await rejectsCode(t, fx.put('grants', 'k2', 'v', { ACL: 'public-read' }, { 'x-amz-grant-read': `id="${bobId}"` }), 'InvalidRequest', 400);
  await rejectsCode(t, fx.put('grants', 'k2', 'v', {}, { 'x-amz-grant-read': 'emailAddress="a@b.c"' }), 'UnresolvableGrantByEmailAddress', 400);

  // bucket: WRITE for bob through a policy document
  await fx.call('PutBucketAcl', {
    Bucket: 'grants',
    AccessControlPolicy: {
      Owner: { ID: canonicalId(fx.alice.accountId) },
      Grants: [
        { Grantee: { Type: 'CanonicalUser', ID: canonicalId(fx.alice.accountId) }, Permission: 'FULL_CONTROL' },
        { Grantee: { Type: 'CanonicalUser', ID: bobId }, Permission: 'WRITE' },
        { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, Permission: 'READ' },
      ],
    },
  });
  const b = Buffer.from('bob writes');
  await fx.call('PutObject', { Bucket: 'grants', Key: 'from-bob', Body: Readable.from([b]), ContentLength: b.length }, { as: fx.bob });
  t.ok(await fx.call('ListObjectsV2', { Bucket: 'grants' }, { as: fx.bob }), 'AuthenticatedUsers READ lists');
  await rejectsCode(t, fx.call('ListObjectsV2', { Bucket: 'grants' }, { as: ANONYMOUS }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('PutBucketAcl', { Bucket: 'grants', AccessControlPolicy: { Grants: [{ Grantee: { Type: 'Martian' }, Permission: 'READ' }] } }), 'MalformedACLError', 400);
  const bacl = await fx.call<{ Grants: Array<{ Permission: string }> }>('GetBucketAcl', { Bucket: 'grants' });
  t.same(bacl.Grants.map((g) => g.Permission), ['FULL_CONTROL', 'WRITE', 'READ']);
});

t.test('lifecycle: Expiration.Date, tag filters, expired object delete markers', async (t) => {
  const clock = new TestClock(Date.UTC(2026, 0, 1, 12));
  const fx = await s3Fixture(t, { s3: { backend: 'embedded', baseDomains: ['localhost'], lifecycleIntervalMs: 0 } });
  (fx.gw as unknown as { clock: TestClock }).clock = clock;
  const def = fx.def as S3ServiceDefinition;
  await fx.call('CreateBucket', { Bucket: 'life' });
  await fx.call('PutBucketVersioning', { Bucket: 'life', VersioningConfiguration: { Status: 'Enabled' } });
  await rejectsCode(t, fx.call('PutBucketLifecycleConfiguration', { Bucket: 'life', LifecycleConfiguration: { Rules: [{ Status: 'Enabled', Expiration: { Date: new Date(Date.UTC(2026, 0, 3, 5)) } }] } }), 'InvalidArgument', 400, 'dates at midnight only');
  await fx.call('PutBucketLifecycleConfiguration', {
    Bucket: 'life',
    LifecycleConfiguration: {
      Rules: [
        { ID: 'date', Status: 'Enabled', Filter: { Tag: { Key: 'temp', Value: 'yes' } }, Expiration: { Date: new Date(Date.UTC(2026, 0, 3)) } },
        { ID: 'markers', Status: 'Enabled', Filter: { Prefix: 'm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
      ],
    },
  });
  await fx.put('life', 'tagged', 'x', { Tagging: 'temp=yes' });
  await fx.put('life', 'untagged', 'x');
  const v = (await fx.put('life', 'm/k', 'x')) as { VersionId: string };
  await fx.call('DeleteObject', { Bucket: 'life', Key: 'm/k' }); // a delete marker over one version
  await fx.call('DeleteObject', { Bucket: 'life', Key: 'm/k', VersionId: v.VersionId }); // now the marker is alone
  t.same(await def.runLifecycle(), { expired: 0, noncurrentExpired: 0, markersRemoved: 1, uploadsAborted: 0 }, 'the lone marker goes at once');
  const left = await fx.call<{ DeleteMarkers?: unknown[] }>('ListObjectVersions', { Bucket: 'life', Prefix: 'm/' });
  t.equal(left.DeleteMarkers, undefined);
  clock.ms = Date.UTC(2026, 0, 3);
  t.equal((await def.runLifecycle()).expired, 1, 'only the tagged object expires on the date');
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'life', Key: 'tagged' }), 'NoSuchKey', 404);
  t.ok(await fx.call('HeadObject', { Bucket: 'life', Key: 'untagged' }));
});
