// SPDX-License-Identifier: AGPL-3.0-or-later
/** IAM and STS handlers without HTTP: validation, paging, key ownership, expiry sweep. */
import t from 'tap';
import { createService as createIam } from '../../apis/iam/index.js';
import { createService as createSts, sweepExpiredKeys } from '../../apis/sts/index.js';
import { AwsError } from '../../src/errors.js';
import { principalOf } from '../../src/state/identity.js';
import { testGateway, TestClock } from '../helpers/context.js';

const clock = new TestClock(Date.UTC(2026, 5, 1));
const gw = await testGateway({ clock });
t.teardown(() => gw.dispose());
const iam = await gw.add(createIam);
const sts = await gw.add(createSts);
const root = await gw.account('a');

async function call(svc: typeof iam, op: string, input: object, p = root) {
  return svc.operations[op]!(gw.context(p, svc.name, op), input);
}

async function fails(p: Promise<unknown>, code: string, msg?: RegExp) {
  const e = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(e instanceof AwsError, `${code} expected`);
  t.equal((e as AwsError).code, code);
  if (msg) t.match((e as AwsError).message, msg);
}

t.test('name and path validation with IAM messages', async () => {
  await fails(call(iam, 'CreateUser', {}), 'ValidationError', /Value null at 'userName' failed to satisfy constraint: Member must not be null/);
  await fails(call(iam, 'CreateUser', { UserName: 'bad name' }), 'ValidationError', /regular expression pattern/);
  await fails(call(iam, 'CreateUser', { UserName: 'x'.repeat(65) }), 'ValidationError', /length less than or equal to 64/);
  await fails(call(iam, 'CreateUser', { UserName: 'ok', Path: 'nope' }), 'ValidationError', /pattern/);
  await fails(call(iam, 'CreateRole', { RoleName: 'r', AssumeRolePolicyDocument: '{not json' }), 'MalformedPolicyDocument');
  await fails(call(iam, 'CreateRole', { RoleName: 'r', AssumeRolePolicyDocument: '{}', MaxSessionDuration: 60 }), 'MalformedPolicyDocument');
});

t.test('paging through users', async () => {
  for (let i = 0; i < 5; i++) await call(iam, 'CreateUser', { UserName: `u${i}` });
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await call(iam, 'ListUsers', { MaxItems: 2, Marker: marker });
    seen.push(...page.Users.map((u: { UserName: string }) => u.UserName));
    t.ok(page.Users.length <= 2);
    marker = page.IsTruncated ? page.Marker : undefined;
    t.equal(page.IsTruncated, marker !== undefined);
  } while (marker);
  t.same(seen, ['u0', 'u1', 'u2', 'u3', 'u4']);
  await fails(call(iam, 'ListUsers', { MaxItems: 0 }), 'ValidationError');
});

t.test('a user manages its own keys; root keys are separate', async () => {
  const k = await call(iam, 'CreateAccessKey', { UserName: 'u0' });
  const rec = await gw.identity.getKey(k.AccessKey.AccessKeyId);
  const u0 = principalOf(rec!);
  t.equal(u0.kind, 'user');
  const own = await call(iam, 'ListAccessKeys', {}, u0);
  t.same(own.AccessKeyMetadata.map((m: { AccessKeyId: string }) => m.AccessKeyId), [k.AccessKey.AccessKeyId]);
  const rootKeys = await call(iam, 'ListAccessKeys', {});
  t.notOk(rootKeys.AccessKeyMetadata.some((m: { AccessKeyId: string }) => m.AccessKeyId === k.AccessKey.AccessKeyId), "root's list holds only root keys");
  await fails(call(iam, 'UpdateAccessKey', { UserName: 'u1', AccessKeyId: k.AccessKey.AccessKeyId, Status: 'Inactive' }), 'NoSuchEntity');
  await fails(call(iam, 'UpdateAccessKey', { AccessKeyId: k.AccessKey.AccessKeyId, Status: 'Paused' }), 'ValidationError', /enum value set/);
});

t.test('session keys: durations, chaining limit, sweep', async () => {
  await fails(call(sts, 'GetSessionToken', { DurationSeconds: 899 }), 'ValidationError');
  await fails(call(sts, 'GetSessionToken', { DurationSeconds: 7200 }), 'ValidationError', /less than or equal to 3600/);
  const s = await call(sts, 'GetSessionToken', { DurationSeconds: 900 });
  t.equal(s.Credentials.Expiration.getTime(), clock.now() + 900_000);
  await call(iam, 'CreateRole', { RoleName: 'r1', AssumeRolePolicyDocument: JSON.stringify({ Statement: [] }), MaxSessionDuration: 7200 });
  const a = await call(sts, 'AssumeRole', { RoleArn: `arn:aws:iam::${root.accountId}:role/r1`, RoleSessionName: 's1', DurationSeconds: 7200 });
  t.equal(a.Credentials.Expiration.getTime(), clock.now() + 7_200_000);
  const chained = principalOf((await gw.identity.getKey(a.Credentials.AccessKeyId))!);
  t.equal(chained.kind, 'assumed-role');
  await fails(call(sts, 'AssumeRole', { RoleArn: `arn:aws:iam::${root.accountId}:role/r1`, RoleSessionName: 's2', DurationSeconds: 7200 }, chained), 'ValidationError', /role chaining/);
  await fails(call(sts, 'AssumeRole', { RoleArn: 'arn:aws:iam::999999999999:role/r1', RoleSessionName: 's2' }), 'AccessDenied');
  await fails(call(sts, 'AssumeRole', { RoleArn: `arn:aws:iam::${root.accountId}:role/r1`, RoleSessionName: 'a' }), 'ValidationError');
  clock.advance(901_000);
  t.equal(await sweepExpiredKeys(gw), 1, 'the expired session key is swept');
  t.equal(await gw.identity.getKey(s.Credentials.AccessKeyId), undefined);
  t.ok(await gw.identity.getKey(a.Credentials.AccessKeyId), 'the live one stays');
});

t.test('accounts never see each other', async () => {
  const other = await gw.account('b');
  await fails(call(iam, 'GetUser', { UserName: 'u0' }, other), 'NoSuchEntity');
  t.same((await call(iam, 'ListUsers', {}, other)).Users, []);
  t.same((await call(iam, 'ListRoles', {}, other)).Roles, []);
  const who = await call(sts, 'GetCallerIdentity', {}, other);
  t.equal(who.Account, other.accountId);
});
