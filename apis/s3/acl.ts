// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Access control lists of buckets and objects: canned ACLs (x-amz-acl) and explicit grants
 * (x-amz-grant-* headers or an AccessControlPolicy body) to canonical users of this gateway's
 * accounts and to the AllUsers / AuthenticatedUsers groups. Grants by e-mail address are refused.
 */
import type { Principal, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { AclGrant, Permission } from './backend.js';
import { canonicalId, header, invalidArgument, ownerOf } from './common.js';
import type { AccessControlPolicy } from './shapes.gen.js';

const PERMISSIONS = new Set<string>(['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL']);

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const GROUPS = new Set([ALL_USERS, AUTH_USERS, 'http://acs.amazonaws.com/groups/s3/LogDelivery']);

export const CANNED_BUCKET_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read'];

/** The grants a canned ACL stands for (besides the owner's FULL_CONTROL). */
function cannedGrants(acl: string | undefined): AclGrant[] {
  switch (acl) {
    case 'public-read':
      return [{ type: 'Group', uri: ALL_USERS, permission: 'READ' }];
    case 'public-read-write':
      return [
        { type: 'Group', uri: ALL_USERS, permission: 'READ' },
        { type: 'Group', uri: ALL_USERS, permission: 'WRITE' },
      ];
    case 'authenticated-read':
      return [{ type: 'Group', uri: AUTH_USERS, permission: 'READ' }];
    default:
      return [];
  }
}

/** Every grant in effect: explicit grants as given, or the owner's FULL_CONTROL plus the canned ones. */
export function effectiveGrants(owner: string, acl: string | undefined, grants: AclGrant[] | undefined): AclGrant[] {
  if (grants) return grants;
  return [{ type: 'CanonicalUser', id: canonicalId(owner), permission: 'FULL_CONTROL' }, ...cannedGrants(acl)];
}

/** True when a grant (other than the owner's) lets `p` do `perm`. */
export function aclAllows(owner: string, acl: string | undefined, grants: AclGrant[] | undefined, p: Principal, perm: Permission): boolean {
  const anonymous = p.kind === 'anonymous';
  return effectiveGrants(owner, acl, grants).some((g) => {
    if (g.permission !== perm && g.permission !== 'FULL_CONTROL') return false;
    if (g.type === 'Group') return g.uri === ALL_USERS || (g.uri === AUTH_USERS && !anonymous);
    return !anonymous && g.id === canonicalId(p.accountId);
  });
}

export function isPublicAcl(acl: string | undefined, grants: AclGrant[] | undefined): boolean {
  return effectiveGrants('', acl, grants).some((g) => g.type === 'Group' && (g.uri === ALL_USERS || g.uri === AUTH_USERS));
}

/** The AccessControlPolicy output shape. */
export function aclOutput(owner: string, acl: string | undefined, grants: AclGrant[] | undefined) {
  return {
    Owner: ownerOf(owner),
    Grants: effectiveGrants(owner, acl, grants).map((g) => ({
      Grantee: g.type === 'Group' ? { Type: 'Group', URI: g.uri } : { Type: 'CanonicalUser', ID: g.id, DisplayName: g.id === canonicalId(owner) ? owner : undefined },
      Permission: g.permission,
    })),
  };
}

const GRANT_HEADERS: Array<[string, Permission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

function grantee(kind: string, value: string, perm: Permission): AclGrant {
  switch (kind.toLowerCase()) {
    case 'id':
      if (!/^[0-9a-f]{64}$/.test(value)) throw invalidArgument('Invalid id', 'CanonicalUser/ID', value);
      return { type: 'CanonicalUser', id: value, permission: perm };
    case 'uri':
      if (!GROUPS.has(value)) throw invalidArgument('Invalid group uri', 'Group/URI', value);
      return { type: 'Group', uri: value, permission: perm };
    case 'emailaddress':
      throw new AwsError('UnresolvableGrantByEmailAddress', 'The e-mail address you provided does not match any account on record.', { status: 400, fields: { EmailAddress: value } });
    default:
      throw invalidArgument(`Invalid grantee type ${kind}`, 'x-amz-grant', value);
  }
}

/** Grants from x-amz-grant-* headers (`id="…", uri="…"`), undefined when none is present. */
export function grantsFromHeaders(ctx: RequestContext): AclGrant[] | undefined {
  let grants: AclGrant[] | undefined;
  for (const [h, perm] of GRANT_HEADERS) {
    const v = header(ctx, h);
    if (v === undefined) continue;
    grants ??= [];
    for (const part of v.split(',')) {
      const m = /^\s*([A-Za-z]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
      if (!m) throw invalidArgument('Invalid grant header', h, v);
      grants.push(grantee(m[1], m[2], perm));
    }
  }
  return grants;
}

/** Grants from an AccessControlPolicy body. */
export function grantsFromPolicy(policy: AccessControlPolicy): AclGrant[] {
  return (policy.Grants ?? []).map((g) => {
    const perm = g.Permission ?? '';
    if (!PERMISSIONS.has(perm) || !g.Grantee) throw new AwsError('MalformedACLError', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
    const t = g.Grantee.Type;
    if (t === 'CanonicalUser') return grantee('id', g.Grantee.ID ?? '', perm as Permission);
    if (t === 'Group') return grantee('uri', g.Grantee.URI ?? '', perm as Permission);
    if (t === 'AmazonCustomerByEmail') return grantee('emailAddress', g.Grantee.EmailAddress ?? '', perm as Permission);
    throw new AwsError('MalformedACLError', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
  });
}

/**
 * The ACL a Put*Acl request sets: a canned ACL, grant headers, or a policy body — exactly one.
 * Returns the canned name (undefined for private) and explicit grants (undefined for canned).
 */
export function aclOfRequest(ctx: RequestContext, canned: string | undefined, policy: AccessControlPolicy | undefined, allowedCanned: readonly string[]): { acl?: string; grants?: AclGrant[] } {
  const fromHeaders = grantsFromHeaders(ctx);
  const ways = [canned !== undefined, fromHeaders !== undefined, policy !== undefined].filter(Boolean).length;
  if (ways > 1) throw new AwsError('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed', { status: 400 });
  if (policy) return { grants: grantsFromPolicy(policy) };
  if (fromHeaders) return { grants: fromHeaders };
  const acl = canned ?? 'private';
  if (!allowedCanned.includes(acl)) throw invalidArgument('Invalid canned ACL', 'x-amz-acl', acl);
  return { acl: acl === 'private' ? undefined : acl };
}

export type { AclGrant, Permission };
