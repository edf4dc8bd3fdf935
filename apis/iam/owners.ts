// SPDX-License-Identifier: AGPL-3.0-or-later
/** Whose keys an IAM key operation is about, and new long-term keys. */
import type { RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { newAccessKeyId, newSecretAccessKey, type KeyRecord } from '../../src/state/identity.js';
import { checkName, getUser, type UserRecord } from './store.js';

/** The IAM user a key operation is about: the named user, else the caller. undefined = root. */
export async function keyOwner(ctx: RequestContext, userName: unknown): Promise<UserRecord | undefined> {
  if (userName !== undefined) return getUser(ctx.gateway.state, ctx.accountId, checkName(userName, 'userName', 128));
  const p = ctx.principal;
  if (p.kind === 'user' && p.userName) return getUser(ctx.gateway.state, ctx.accountId, p.userName);
  if (p.kind === 'root') return undefined;
  throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
}

export function newLongTermKey(accountId: string, owner: UserRecord | undefined, now: number): KeyRecord {
  return {
    accessKeyId: newAccessKeyId(),
    secretAccessKey: newSecretAccessKey(),
    accountId,
    kind: owner ? 'user' : 'root',
    status: 'Active',
    createDate: now,
    userName: owner?.userName,
    userId: owner?.userId,
    userPath: owner?.path,
  };
}

