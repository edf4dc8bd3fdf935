// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { validBucketName } from '../../apis/s3/buckets.js';
import { rejectsCode, s3Fixture } from './helpers.js';

t.test('bucket names as AWS validates them', async (t) => {
  for (const ok of ['abc', 'my-bucket.v2', 'a'.repeat(63), '1bucket']) t.ok(validBucketName(ok), ok);
  for (const bad of ['ab', 'a'.repeat(64), 'Upper', 'under_score', '-start', 'end-', 'a..b', '192.168.1.1', 'xn--abc', 'sthree-x', 'x-s3alias', 'x--ol-s3']) {
    t.notOk(validBucketName(bad), bad);
  }
});

t.test('create / head / list / location / delete, across accounts', async (t) => {
  const fx = await s3Fixture(t);
  const out = await fx.call('CreateBucket', { Bucket: 'photos' });
  t.equal(out.Location, '/photos');
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'Bad_Name' }), 'InvalidBucketName', 400);
  // us-east-1: the owner re-creating gets 200 (legacy), another account BucketAlreadyExists
  t.same(await fx.call('CreateBucket', { Bucket: 'photos' }), { Location: '/photos' });
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'photos' }, { as: fx.bob }), 'BucketAlreadyExists', 409);
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'other', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' } }), 'InvalidLocationConstraint', 400);
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'other', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }), 'IllegalLocationConstraintException', 400);

  const head = await fx.call('HeadBucket', { Bucket: 'photos' });
  t.equal(head.BucketRegion, 'us-east-1');
  await rejectsCode(t, fx.call('HeadBucket', { Bucket: 'photos' }, { as: fx.bob }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('HeadBucket', { Bucket: 'nope' }), 'NoSuchBucket', 404);

  await fx.call('CreateBucket', { Bucket: 'bob-bucket' }, { as: fx.bob });
  const list = await fx.call<{ Buckets: Array<{ Name: string }>; Owner: { ID: string } }>('ListBuckets', {});
  t.same(list.Buckets.map((b) => b.Name), ['photos'], 'only own buckets');
  t.match(list.Owner.ID, /^[0-9a-f]{64}$/);
  const paged = await fx.call<{ Buckets: unknown[]; ContinuationToken?: string }>('ListBuckets', { MaxBuckets: 1 }, { as: fx.bob });
  t.equal(paged.Buckets.length, 1);
  t.equal(paged.ContinuationToken, undefined);

  t.same(await fx.call('GetBucketLocation', { Bucket: 'photos' }), { LocationConstraint: undefined });

  await fx.put('photos', 'a.jpg', 'x');
  await rejectsCode(t, fx.call('DeleteBucket', { Bucket: 'photos' }), 'BucketNotEmpty', 409);
  await rejectsCode(t, fx.call('DeleteBucket', { Bucket: 'photos' }, { as: fx.bob }), 'AccessDenied', 403);
  await fx.call('DeleteObject', { Bucket: 'photos', Key: 'a.jpg' });
  await fx.call('DeleteBucket', { Bucket: 'photos' });
  await rejectsCode(t, fx.call('HeadBucket', { Bucket: 'photos' }), 'NoSuchBucket', 404);
  // the name is free again, for anyone
  await fx.call('CreateBucket', { Bucket: 'photos' }, { as: fx.bob });
});

t.test('non-us-east-1 region: constraint must match; owner re-create is BucketAlreadyOwnedByYou', async (t) => {
  const fx = await s3Fixture(t, { region: 'eu-west-1' });
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'bkt1' }), 'IllegalLocationConstraintException', 400);
  await fx.call('CreateBucket', { Bucket: 'bkt1', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'bkt1', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }), 'BucketAlreadyOwnedByYou', 409);
  t.same(await fx.call('GetBucketLocation', { Bucket: 'bkt1' }), { LocationConstraint: 'eu-west-1' });
});

t.test('anonymous callers and canned bucket ACLs', async (t) => {
  const fx = await s3Fixture(t);
  const anon = { kind: 'anonymous' as const, accountId: '', arn: '*', userId: 'anonymous' };
  await fx.call('CreateBucket', { Bucket: 'pub' });
  await fx.put('pub', 'k', 'hello');
  await rejectsCode(t, fx.call('GetObject', { Bucket: 'pub', Key: 'k' }, { as: anon }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('ListBuckets', {}, { as: anon }), 'AccessDenied', 403);
  await fx.call('PutBucketAcl', { Bucket: 'pub', ACL: 'public-read' });
  const acl = await fx.call<{ Grants: Array<{ Permission: string; Grantee: { URI?: string } }> }>('GetBucketAcl', { Bucket: 'pub' });
  t.same(acl.Grants.map((g) => g.Permission), ['FULL_CONTROL', 'READ']);
  const got = await fx.call('GetObject', { Bucket: 'pub', Key: 'k' }, { as: anon });
  t.equal(got.ContentLength, 5, 'public-read lets anonymous read');
  await rejectsCode(t, fx.call('PutObject', { Bucket: 'pub', Key: 'k3', ContentLength: 0 }, { as: anon }), 'AccessDenied', 403, 'public-read does not let anonymous write');
});

t.test('versioning configuration', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'vbkt' });
  t.same(await fx.call('GetBucketVersioning', { Bucket: 'vbkt' }), { Status: undefined });
  await rejectsCode(t, fx.call('PutBucketVersioning', { Bucket: 'vbkt', VersioningConfiguration: { Status: 'On' } }), 'MalformedXML', 400);
  await fx.call('PutBucketVersioning', { Bucket: 'vbkt', VersioningConfiguration: { Status: 'Enabled' } });
  t.same(await fx.call('GetBucketVersioning', { Bucket: 'vbkt' }), { Status: 'Enabled' });
});

t.test('HeadBucket tells the region even when it refuses; unsupported create options are refused', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'regional' });
  const anon = { kind: 'anonymous' as const, accountId: '', arn: '*', userId: 'anonymous' };
  const e = await rejectsCode(t, fx.call('HeadBucket', { Bucket: 'regional' }, { as: anon }), 'AccessDenied', 403);
  t.same(e?.headers, { 'x-amz-bucket-region': 'us-east-1' });
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'owned', ObjectOwnership: 'Nobody' }), 'InvalidArgument', 400);
  await rejectsCode(t, fx.call('CreateBucket', { Bucket: 'owned', ObjectOwnership: 'BucketOwnerEnforced', ACL: 'public-read' }), 'AccessControlListNotSupported', 400);
  await fx.call('CreateBucket', { Bucket: 'writer', ObjectOwnership: 'ObjectWriter' });
});

t.test('health reports the embedded store', async (t) => {
  const fx = await s3Fixture(t);
  const h = await fx.def.health!();
  t.equal(h.backend, 'embedded');
  t.equal(h.state, 'ok');
});
