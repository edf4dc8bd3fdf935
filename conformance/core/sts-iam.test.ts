// SPDX-License-Identifier: AGPL-3.0-or-later
/** STS and IAM flows with the real AWS SDK v3: identities, keys, temporary credentials. */
import t from 'tap';
import { GetCallerIdentityCommand, GetSessionTokenCommand, AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListGroupsCommand,
  ListUsersCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { startTestGateway, type Credentials } from '../harness.js';

const gw = await startTestGateway(t);
const sts = (c: Credentials = gw.credentials) => new STSClient({ ...gw.clientConfig, credentials: c, maxAttempts: 1 });
const iam = (c: Credentials = gw.credentials) => new IAMClient({ ...gw.clientConfig, credentials: c, maxAttempts: 1 });

async function rejects(p: Promise<unknown>, name: string, status?: number) {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    t.equal(err.name, name, `error ${name}`);
    if (status !== undefined) t.equal(err.$metadata?.httpStatusCode, status, `status ${status}`);
    t.ok(err.$metadata?.requestId, 'error carries a request id');
    return err;
  }
  t.fail(`expected ${name}, got success`);
}

t.test('GetCallerIdentity as the root of the first account', async (t) => {
  const r = await sts().send(new GetCallerIdentityCommand({}));
  t.equal(r.Account, gw.accountId);
  t.equal(r.Arn, `arn:aws:iam::${gw.accountId}:root`);
  t.equal(r.UserId, gw.accountId);
  t.match(r.$metadata.requestId, /\S+/);
});

t.test('users and their keys', async (t) => {
  const u = await iam().send(new CreateUserCommand({ UserName: 'alice', Path: '/team/' }));
  t.equal(u.User?.UserName, 'alice');
  t.equal(u.User?.Arn, `arn:aws:iam::${gw.accountId}:user/team/alice`);
  t.match(u.User?.UserId, /^AIDA[A-Z0-9]{17}$/);
  t.ok(u.User?.CreateDate instanceof Date);
  await rejects(iam().send(new CreateUserCommand({ UserName: 'ALICE' })), 'EntityAlreadyExistsException', 409);

  const k = await iam().send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  const alice = { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
  t.match(alice.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  t.equal(k.AccessKey?.Status, 'Active');
  t.equal(alice.secretAccessKey.length, 40);

  const who = await sts(alice).send(new GetCallerIdentityCommand({}));
  t.equal(who.Arn, `arn:aws:iam::${gw.accountId}:user/team/alice`);
  t.equal(who.UserId, u.User?.UserId);
  const me = await iam(alice).send(new GetUserCommand({}));
  t.equal(me.User?.UserName, 'alice');

  const list = await iam().send(new ListAccessKeysCommand({ UserName: 'alice' }));
  t.same(list.AccessKeyMetadata?.map((m) => m.AccessKeyId), [alice.accessKeyId]);
  const users = await iam().send(new ListUsersCommand({}));
  t.same(users.Users?.map((x) => x.UserName), ['alice']);

  await iam().send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  await rejects(iam().send(new CreateAccessKeyCommand({ UserName: 'alice' })), 'LimitExceededException', 409);

  await iam().send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: alice.accessKeyId, Status: 'Inactive' }));
  await rejects(sts(alice).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  await iam().send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: alice.accessKeyId, Status: 'Active' }));
  t.ok((await sts(alice).send(new GetCallerIdentityCommand({}))).Arn, 'reactivated key works at once');

  await rejects(iam().send(new DeleteUserCommand({ UserName: 'alice' })), 'DeleteConflictException', 409);
  await iam().send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: alice.accessKeyId }));
  await rejects(sts(alice).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  await rejects(iam().send(new GetUserCommand({ UserName: 'nobody' })), 'NoSuchEntityException', 404);
});

t.test('temporary credentials: GetSessionToken and AssumeRole', async (t) => {
  const s = await sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const c = s.Credentials!;
  t.match(c.AccessKeyId, /^ASIA/);
  t.ok(c.Expiration instanceof Date && c.Expiration.getTime() > Date.now());
  const temp = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  t.equal((await sts(temp).send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${gw.accountId}:root`);
  await rejects(sts({ ...temp, sessionToken: 'AAAA' + temp.sessionToken.slice(4) }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  await rejects(sts(temp).send(new GetSessionTokenCommand({})), 'AccessDenied', 403);

  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${gw.accountId}:root` }, Action: 'sts:AssumeRole' }] });
  const role = await iam().send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: trust }));
  t.equal(role.Role?.Arn, `arn:aws:iam::${gw.accountId}:role/deployer`);
  const got = await iam().send(new GetRoleCommand({ RoleName: 'deployer' }));
  t.equal(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!), trust, 'trust policy returned URL-encoded, as IAM does');
  const a = await sts().send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'ci-run' }));
  t.equal(a.AssumedRoleUser?.Arn, `arn:aws:sts::${gw.accountId}:assumed-role/deployer/ci-run`);
  t.equal(a.AssumedRoleUser?.AssumedRoleId, `${role.Role!.RoleId}:ci-run`);
  const rc = { accessKeyId: a.Credentials!.AccessKeyId!, secretAccessKey: a.Credentials!.SecretAccessKey!, sessionToken: a.Credentials!.SessionToken! };
  const who = await sts(rc).send(new GetCallerIdentityCommand({}));
  t.equal(who.Arn, a.AssumedRoleUser?.Arn);
  t.equal(who.UserId, a.AssumedRoleUser?.AssumedRoleId);
  t.ok((await iam(rc).send(new ListUsersCommand({}))).Users, 'role session works on IAM too');
  await rejects(sts().send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${gw.accountId}:role/missing`, RoleSessionName: 'x1' })), 'AccessDenied', 403);
  await rejects(sts().send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'ci', DurationSeconds: 7200 })), 'ValidationError', 400);
});

t.test('temporary credentials expire', async (t) => {
  const s = await sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const c = s.Credentials!;
  await gw.gateway.identity.updateKey(c.AccessKeyId!, (k) => ({ ...k, expiration: Date.now() - 1000 }));
  await rejects(
    sts({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(new GetCallerIdentityCommand({})),
    'ExpiredToken',
    403,
  );
});

t.test('accounts are isolated', async (t) => {
  const b = await gw.newAccount('tenant-b');
  t.not(b.accountId, gw.accountId);
  const who = await sts(b.credentials).send(new GetCallerIdentityCommand({}));
  t.equal(who.Account, b.accountId);
  await iam().send(new CreateUserCommand({ UserName: 'shared-name' }));
  await rejects(iam(b.credentials).send(new GetUserCommand({ UserName: 'shared-name' })), 'NoSuchEntityException', 404);
  const mine = await iam(b.credentials).send(new ListUsersCommand({}));
  t.same(mine.Users, [], 'B lists none of A\'s users');
  await iam(b.credentials).send(new CreateUserCommand({ UserName: 'shared-name' }));
  const keysA = await iam().send(new ListAccessKeysCommand({}));
  for (const k of keysA.AccessKeyMetadata ?? []) {
    await rejects(iam(b.credentials).send(new UpdateAccessKeyCommand({ AccessKeyId: k.AccessKeyId!, Status: 'Inactive' })), 'NoSuchEntityException', 404);
  }
});

t.test('an operation not implemented yet answers NotImplemented naming it', async (t) => {
  const err = await rejects(iam().send(new ListGroupsCommand({})), 'NotImplemented', 501);
  t.match((err as unknown as Error).message, /ListGroups/);
});
