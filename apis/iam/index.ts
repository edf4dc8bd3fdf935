// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * IAM: users, access keys and roles of the caller's account. Keys live in the identity store that
 * SigV4 reads, so a key created, deactivated or deleted here takes effect on the next request.
 * IAM policy evaluation is not done yet: every principal of an account acts on all of that
 * account's resources (and never on another account's).
 */
import type { RequestContext, ServiceDefinition, ServiceFactory } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { newUniqueId } from '../../src/state/identity.js';
import { keyOperations } from './keys.js';
import { roleOperations } from './roles.js';
import { checkName, checkPath, checkTags, getUser, IAM_TABLE, userArn, userKey, type UserRecord } from './store.js';
import { paginate } from './paging.js';

export function userShape(accountId: string, u: UserRecord) {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: userArn(accountId, u),
    CreateDate: new Date(u.createDate),
    Tags: u.tags.length ? u.tags : undefined,
  };
}

async function CreateUser(ctx: RequestContext, input: { UserName?: string; Path?: string; Tags?: unknown }) {
  const name = checkName(input.UserName, 'userName', 64);
  const path = checkPath(input.Path);
  const tags = checkTags(input.Tags);
  const rec: UserRecord = { userName: name, userId: newUniqueId('AIDA'), path, createDate: ctx.gateway.clock.now(), tags };
  const ok = await ctx.gateway.state.table<UserRecord>(IAM_TABLE).putIfAbsent(userKey(ctx.accountId, name), rec);
  if (!ok) throw new AwsError('EntityAlreadyExists', `User with name ${name} already exists.`, { status: 409 });
  return { User: userShape(ctx.accountId, rec) };
}

async function GetUser(ctx: RequestContext, input: { UserName?: string }) {
  if (input.UserName === undefined) {
    const p = ctx.principal;
    if (p.kind === 'root') {
      const acct = await ctx.gateway.identity.getAccount(ctx.accountId);
      return { User: { UserId: ctx.accountId, Arn: p.arn, CreateDate: new Date(acct?.createDate ?? 0) } };
    }
    if (p.kind !== 'user' || !p.userName) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
    return { User: userShape(ctx.accountId, await getUser(ctx.gateway.state, ctx.accountId, p.userName)) };
  }
  const name = checkName(input.UserName, 'userName', 128);
  return { User: userShape(ctx.accountId, await getUser(ctx.gateway.state, ctx.accountId, name)) };
}

async function ListUsers(ctx: RequestContext, input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
  const prefix = input.PathPrefix ?? '/';
  const rows = await ctx.gateway.state.table<UserRecord>(IAM_TABLE).range({ prefix: `${ctx.accountId}/user/` });
  const users = rows.map(([, u]) => u).filter((u) => u.path.startsWith(prefix));
  const page = paginate(users, input.Marker, input.MaxItems);
  return { Users: page.items.map((u) => userShape(ctx.accountId, u)), IsTruncated: page.isTruncated, Marker: page.marker };
}

async function DeleteUser(ctx: RequestContext, input: { UserName?: string }) {
  const name = checkName(input.UserName, 'userName', 128);
  const user = await getUser(ctx.gateway.state, ctx.accountId, name);
  const keys = await ctx.gateway.identity.keysOf(ctx.accountId, (k) => k.kind === 'user' && k.userId === user.userId);
  if (keys.length) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete access keys first.', { status: 409 });
  await ctx.gateway.state.table(IAM_TABLE).delete(userKey(ctx.accountId, name));
  return {};
}

export const createService: ServiceFactory = (): ServiceDefinition => ({
  name: 'iam',
  model: 'iam-2010-05-08',
  operations: { CreateUser, GetUser, ListUsers, DeleteUser, ...keyOperations, ...roleOperations },
  health: () => ({ backend: 'embedded', state: 'ok' }),
});
