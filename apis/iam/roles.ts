// SPDX-License-Identifier: AGPL-3.0-or-later
/** IAM roles: Create/Get/List/Delete. Trust policies are stored and returned, not evaluated yet. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { newUniqueId } from '../../src/state/identity.js';
import { paginate } from './paging.js';
import { checkName, checkPath, checkTags, getRole, IAM_TABLE, roleArn, roleKey, validationError, type RoleRecord } from './store.js';

export function roleShape(accountId: string, r: RoleRecord) {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: roleArn(accountId, r),
    CreateDate: new Date(r.createDate),
    // IAM returns policy documents URL-encoded in its query responses
    AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicyDocument),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: r.tags.length ? r.tags : undefined,
  };
}

function checkPolicy(doc: unknown): string {
  if (typeof doc !== 'string' || doc.length === 0) throw validationError(doc, 'assumeRolePolicyDocument', 'Member must not be null');
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json');
  }
  if (!parsed || typeof parsed !== 'object' || !('Statement' in parsed)) {
    throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  return doc;
}

const CreateRole: Handler = async (ctx: RequestContext, input: { RoleName?: string; Path?: string; AssumeRolePolicyDocument?: string; Description?: string; MaxSessionDuration?: number; Tags?: unknown }) => {
  const name = checkName(input.RoleName, 'roleName', 64);
  const path = checkPath(input.Path);
  const doc = checkPolicy(input.AssumeRolePolicyDocument);
  const max = input.MaxSessionDuration ?? 3600;
  if (!Number.isInteger(max) || max < 3600 || max > 43200) throw validationError(input.MaxSessionDuration, 'maxSessionDuration', 'Member must have value between 3600 and 43200');
  if (input.Description !== undefined && input.Description.length > 1000) throw validationError(input.Description, 'description', 'Member must have length less than or equal to 1000');
  const rec: RoleRecord = {
    roleName: name,
    roleId: newUniqueId('AROA'),
    path,
    createDate: ctx.gateway.clock.now(),
    assumeRolePolicyDocument: doc,
    description: input.Description,
    maxSessionDuration: max,
    tags: checkTags(input.Tags),
  };
  if (!(await ctx.gateway.state.table<RoleRecord>(IAM_TABLE).putIfAbsent(roleKey(ctx.accountId, name), rec))) {
    throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, { status: 409 });
  }
  return { Role: roleShape(ctx.accountId, rec) };
};

const GetRole: Handler = async (ctx, input: { RoleName?: string }) => {
  const name = checkName(input.RoleName, 'roleName', 64);
  return { Role: roleShape(ctx.accountId, await getRole(ctx.gateway.state, ctx.accountId, name)) };
};

const ListRoles: Handler = async (ctx, input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) => {
  const prefix = input.PathPrefix ?? '/';
  const rows = await ctx.gateway.state.table<RoleRecord>(IAM_TABLE).range({ prefix: `${ctx.accountId}/role/` });
  const page = paginate(rows.map(([, r]) => r).filter((r) => r.path.startsWith(prefix)), input.Marker, input.MaxItems);
  return { Roles: page.items.map((r) => roleShape(ctx.accountId, r)), IsTruncated: page.isTruncated, Marker: page.marker };
};

const DeleteRole: Handler = async (ctx, input: { RoleName?: string }) => {
  const name = checkName(input.RoleName, 'roleName', 64);
  await getRole(ctx.gateway.state, ctx.accountId, name);
  await ctx.gateway.state.table(IAM_TABLE).delete(roleKey(ctx.accountId, name));
  return {};
};

export const roleOperations = { CreateRole, GetRole, ListRoles, DeleteRole };
