// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { TestClock } from '../helpers/context.js';
import { rejectsCode, s3Fixture } from './helpers.js';

type Versions = {
  Versions?: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
  DeleteMarkers?: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
  IsTruncated: boolean;
  NextKeyMarker?: string;
  NextVersionIdMarker?: string;
};

t.test('versions, delete markers, GET/HEAD/DELETE by version id', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'ver' });
  await fx.put('ver', 'k', 'before'); // the null version, written while unversioned
  await fx.call('PutBucketVersioning', { Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } });
  const v1 = (await fx.put('ver', 'k', 'one')) as { VersionId: string };
  const v2 = (await fx.put('ver', 'k', 'two')) as { VersionId: string };
  t.match(v1.VersionId, /^[A-Za-z0-9_-]{32}$/);
  t.not(v1.VersionId, v2.VersionId);
  t.equal((await fx.get('ver', 'k')).body.toString(), 'two');
  t.equal((await fx.get('ver', 'k', { VersionId: v1.VersionId })).body.toString(), 'one');
  t.equal((await fx.get('ver', 'k', { VersionId: 'null' })).body.toString(), 'before');
  t.equal((await fx.get('ver', 'k')).out.VersionId, v2.VersionId);
  await rejectsCode(t, fx.get('ver', 'k', { VersionId: 'nope' }), 'NoSuchVersion', 404);

  const del = await fx.call<{ DeleteMarker?: boolean; VersionId?: string }>('DeleteObject', { Bucket: 'ver', Key: 'k' });
  t.equal(del.DeleteMarker, true);
  const e = await rejectsCode(t, fx.get('ver', 'k'), 'NoSuchKey', 404);
  t.equal(e?.headers?.['x-amz-delete-marker'], 'true');
  t.equal(e?.headers?.['x-amz-version-id'], del.VersionId);
  await rejectsCode(t, fx.call('HeadObject', { Bucket: 'ver', Key: 'k', VersionId: del.VersionId }), 'MethodNotAllowed', 405);
  t.equal((await fx.get('ver', 'k', { VersionId: v1.VersionId })).body.toString(), 'one', 'old versions survive a delete');
  const listed = await fx.call<{ Contents?: unknown[] }>('ListObjectsV2', { Bucket: 'ver' });
  t.equal(listed.Contents, undefined, 'a deleted key is not listed');

  const versions = await fx.call<Versions>('ListObjectVersions', { Bucket: 'ver' });
  t.same(versions.Versions?.map((v) => [v.VersionId, v.IsLatest]), [[v2.VersionId, false], [v1.VersionId, false], ['null', false]]);
  t.same(versions.DeleteMarkers?.map((v) => [v.VersionId, v.IsLatest]), [[del.VersionId, true]]);

  // deleting the marker by id brings the object back
  const undel = await fx.call<{ DeleteMarker?: boolean; VersionId?: string }>('DeleteObject', { Bucket: 'ver', Key: 'k', VersionId: del.VersionId });
  t.same(undel, { DeleteMarker: true, VersionId: del.VersionId });
  t.equal((await fx.get('ver', 'k')).body.toString(), 'two');
  // deleting the latest version by id makes the previous one current
  await fx.call('DeleteObject', { Bucket: 'ver', Key: 'k', VersionId: v2.VersionId });
  t.equal((await fx.get('ver', 'k')).body.toString(), 'one');
  await rejectsCode(t, fx.call('DeleteBucket', { Bucket: 'ver' }), 'BucketNotEmpty', 409);

  const page = await fx.call<Versions>('ListObjectVersions', { Bucket: 'ver', MaxKeys: 1 });
  t.equal(page.IsTruncated, true);
  t.equal(page.NextKeyMarker, 'k');
  const next = await fx.call<Versions>('ListObjectVersions', { Bucket: 'ver', KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker });
  t.same(next.Versions?.map((v) => [v.VersionId, v.IsLatest]), [['null', false]]);
});

t.test('suspended versioning writes and deletes the null version', async (t) => {
  const fx = await s3Fixture(t);
  await fx.call('CreateBucket', { Bucket: 'ver' });
  await fx.call('PutBucketVersioning', { Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } });
  const v1 = (await fx.put('ver', 'k', 'one')) as { VersionId: string };
  await fx.call('PutBucketVersioning', { Bucket: 'ver', VersioningConfiguration: { Status: 'Suspended' } });
  const n1 = (await fx.put('ver', 'k', 'null-1')) as { VersionId: string };
  t.equal(n1.VersionId, 'null');
  await fx.put('ver', 'k', 'null-2');
  const versions = await fx.call<Versions>('ListObjectVersions', { Bucket: 'ver' });
  t.same(versions.Versions?.map((v) => v.VersionId), ['null', v1.VersionId], 'the null version is replaced, not added');
  const del = await fx.call<{ DeleteMarker?: boolean; VersionId?: string }>('DeleteObject', { Bucket: 'ver', Key: 'k' });
  t.same(del, { DeleteMarker: true, VersionId: 'null' });
  const after = await fx.call<Versions>('ListObjectVersions', { Bucket: 'ver' });
  t.same(after.Versions?.map((v) => v.VersionId), [v1.VersionId]);
  t.same(after.DeleteMarkers?.map((v) => v.VersionId), ['null']);
});

t.test('object lock: retention, legal hold, default retention, governance bypass', async (t) => {
  const clock = new TestClock(Date.UTC(2026, 0, 1));
  const fx = await s3Fixture(t);
  (fx.gw as unknown as { clock: TestClock }).clock = clock;
  await fx.call('CreateBucket', { Bucket: 'plain' });
  await rejectsCode(t, fx.put('plain', 'k', 'x', { ObjectLockLegalHoldStatus: 'ON' }), 'InvalidRequest', 400);
  await rejectsCode(t, fx.call('PutObjectLockConfiguration', { Bucket: 'plain', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }), 'InvalidBucketState', 409);
  await rejectsCode(t, fx.call('GetObjectLockConfiguration', { Bucket: 'plain' }), 'ObjectLockConfigurationNotFoundError', 404);

  await fx.call('CreateBucket', { Bucket: 'locked', ObjectLockEnabledForBucket: true });
  t.same(await fx.call('GetBucketVersioning', { Bucket: 'locked' }), { Status: 'Enabled' });
  await rejectsCode(t, fx.call('PutBucketVersioning', { Bucket: 'locked', VersioningConfiguration: { Status: 'Suspended' } }), 'InvalidBucketState', 409);
  const until = new Date(Date.UTC(2026, 0, 10));
  const c = (await fx.put('locked', 'c', 'x', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until })) as { VersionId: string };
  const head = await fx.call('HeadObject', { Bucket: 'locked', Key: 'c' });
  t.same([head.ObjectLockMode, head.ObjectLockRetainUntilDate], ['COMPLIANCE', until]);
  await rejectsCode(t, fx.call('DeleteObject', { Bucket: 'locked', Key: 'c', VersionId: c.VersionId }), 'AccessDenied', 403);
  await rejectsCode(t, fx.call('DeleteObject', { Bucket: 'locked', Key: 'c', VersionId: c.VersionId }, { headers: { 'x-amz-bypass-governance-retention': 'true' } }), 'AccessDenied', 403, 'compliance has no bypass');
  await rejectsCode(t, fx.call('PutObjectRetention', { Bucket: 'locked', Key: 'c', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.UTC(2026, 0, 5)) } }), 'AccessDenied', 403, 'no shortening');
  t.same((await fx.call('DeleteObject', { Bucket: 'locked', Key: 'c' })).DeleteMarker, true, 'a delete marker is still allowed');

  // governance + bypass; default retention; legal hold
  await fx.call('PutObjectLockConfiguration', { Bucket: 'locked', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } } });
  const g = (await fx.put('locked', 'g', 'x')) as { VersionId: string };
  t.same(await fx.call('GetObjectRetention', { Bucket: 'locked', Key: 'g' }), { Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.UTC(2026, 0, 2)) } });
  await rejectsCode(t, fx.call('DeleteObject', { Bucket: 'locked', Key: 'g', VersionId: g.VersionId }), 'AccessDenied', 403);
  await fx.call('PutObjectLegalHold', { Bucket: 'locked', Key: 'g', LegalHold: { Status: 'ON' } });
  await rejectsCode(t, fx.call('DeleteObject', { Bucket: 'locked', Key: 'g', VersionId: g.VersionId }, { headers: { 'x-amz-bypass-governance-retention': 'true' } }), 'AccessDenied', 403, 'legal hold');
  await fx.call('PutObjectLegalHold', { Bucket: 'locked', Key: 'g', LegalHold: { Status: 'OFF' } });
  await fx.call('DeleteObject', { Bucket: 'locked', Key: 'g', VersionId: g.VersionId }, { headers: { 'x-amz-bypass-governance-retention': 'true' } });
  clock.advance(10 * 86_400_000);
  await fx.call('DeleteObject', { Bucket: 'locked', Key: 'c', VersionId: c.VersionId });
  t.pass('expired retention allows the delete');
});
