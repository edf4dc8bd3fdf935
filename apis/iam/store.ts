// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * IAM users and roles of an account, in the `iam` state table:
 *   <account>/user/<lower-cased name> → UserRecord
 *   <account>/role/<lower-cased name> → RoleRecord
 * IAM names are unique without regard to case, and keep the case they were created with.
 */
import { AwsError } from '../../src/errors.js';
import type { StateStore } from '../../src/state/store.js';

export interface UserRecord {
  userName: string;
  userId: string;
  path: string;
  createDate: number;
  tags: Array<{ Key: string; Value: string }>;
}

export interface RoleRecord {
  roleName: string;
  roleId: string;
  path: string;
  createDate: number;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  tags: Array<{ Key: string; Value: string }>;
}

export const IAM_TABLE = 'iam';

export function userKey(accountId: string, name: string): string {
  return `${accountId}/user/${name.toLowerCase()}`;
}

export function roleKey(accountId: string, name: string): string {
  return `${accountId}/role/${name.toLowerCase()}`;
}

export function userArn(accountId: string, u: Pick<UserRecord, 'path' | 'userName'>): string {
  return `arn:aws:iam::${accountId}:user${u.path}${u.userName}`;
}

export function roleArn(accountId: string, r: Pick<RoleRecord, 'path' | 'roleName'>): string {
  return `arn:aws:iam::${accountId}:role${r.path}${r.roleName}`;
}

export async function getUser(state: StateStore, accountId: string, name: string): Promise<UserRecord> {
  const u = await state.table<UserRecord>(IAM_TABLE).get(userKey(accountId, name));
  if (!u) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, { status: 404 });
  return u;
}

export async function getRole(state: StateStore, accountId: string, name: string): Promise<RoleRecord> {
  const r = await state.table<RoleRecord>(IAM_TABLE).get(roleKey(accountId, name));
  if (!r) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, { status: 404 });
  return r;
}

/** IAM's own validation message for one member (awsQuery services phrase it like this). */
export function validationError(value: unknown, member: string, constraint: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return new AwsError('ValidationError', `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}

const NAME_RE = /^[\w+=,.@-]+$/;

export function checkName(value: unknown, member: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) throw validationError(value, member, 'Member must not be null');
  if (value.length > max) throw validationError(value, member, `Member must have length less than or equal to ${max}`);
  if (!NAME_RE.test(value)) throw validationError(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  return value;
}

export function checkPath(value: unknown): string {
  if (value === undefined) return '/';
  if (typeof value !== 'string' || !/^\/([\x21-\x7e]*\/)?$/.test(value) || value.length > 512) {
    throw validationError(value, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
  }
  return value;
}

export function checkTags(value: unknown): Array<{ Key: string; Value: string }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw validationError(value, 'tags', 'Member must be a list');
  if (value.length > 50) throw new AwsError('LimitExceeded', 'Cannot exceed quota for TagsPerUser: 50', { status: 409 });
  return value.map((t: { Key?: unknown; Value?: unknown }) => {
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw validationError(t.Key, 'tags.member.key', 'Member must have length between 1 and 128');
    return { Key: t.Key, Value: typeof t.Value === 'string' ? t.Value : '' };
  });
}
