// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Object ownership controls and the public access block of a bucket, and what they change:
 * BucketOwnerEnforced disables ACLs (writes of ACLs other than bucket-owner-full-control fail,
 * ACL grants are ignored, the bucket owner owns every object); BucketOwnerPreferred gives the
 * bucket owner the objects written with bucket-owner-full-control; the public access block refuses
 * public ACLs and public policies and ignores public ACLs / public policy grants. Buckets are
 * created ObjectWriter without a public access block (S3's behaviour before April 2023).
 */
import { AwsError } from '../../src/errors.js';
import { isPublicAcl } from './acl.js';
import type { AclGrant } from './backend.js';
import type { BucketRecord } from './common.js';
import type { PolicyStatement } from './policy.js';
import type { PublicAccessBlockConfiguration } from './shapes.gen.js';

export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
export const OWNERSHIPS: readonly string[] = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);

export function aclNotSupported(): AwsError {
  return new AwsError('AccessControlListNotSupported', 'The bucket does not allow ACLs', { status: 400 });
}

/** Refuses an ACL write the bucket's ownership controls or public access block do not allow. */
export function checkAclWrite(b: Pick<BucketRecord, 'ownership' | 'publicAccessBlock'>, acl: string | undefined, grants?: AclGrant[]): void {
  if (acl === undefined && grants === undefined) return;
  if (b.ownership === 'BucketOwnerEnforced' && (grants !== undefined || (acl !== 'bucket-owner-full-control' && acl !== 'private'))) throw aclNotSupported();
  if (b.publicAccessBlock?.BlockPublicAcls && ((acl !== undefined && PUBLIC_ACLS.has(acl)) || isPublicAcl(undefined, grants))) {
    throw new AwsError('AccessDenied', 'Access Denied', { status: 403 });
  }
}

/** False when ACL grants must be ignored for this bucket. */
export function aclsApply(b: BucketRecord): boolean {
  return b.ownership !== 'BucketOwnerEnforced' && !b.publicAccessBlock?.IgnorePublicAcls;
}

/** The account that owns an object written by `writer` with canned ACL `acl`. */
export function objectOwner(b: BucketRecord, writer: string, acl: string | undefined): string {
  if (b.ownership === 'BucketOwnerEnforced') return b.owner;
  if (b.ownership === 'BucketOwnerPreferred' && acl === 'bucket-owner-full-control') return b.owner;
  return writer;
}

export function isPublicPolicy(statements: PolicyStatement[]): boolean {
  return statements.some((s) => s.effect === 'Allow' && s.principals.includes('*'));
}

/** Refuses a public policy when the bucket blocks them. */
export function checkPolicyWrite(b: BucketRecord, statements: PolicyStatement[]): void {
  if (b.publicAccessBlock?.BlockPublicPolicy && isPublicPolicy(statements)) throw new AwsError('AccessDenied', 'Access Denied', { status: 403 });
}

/** The statements that count for a caller: RestrictPublicBuckets drops public grants for other accounts. */
export function effectiveStatements(b: BucketRecord, callerAccount: string | undefined): PolicyStatement[] | undefined {
  const st = b.policy?.statements;
  if (!st || !b.publicAccessBlock?.RestrictPublicBuckets || callerAccount === b.owner || !isPublicPolicy(st)) return st;
  return st.filter((s) => s.effect === 'Deny' || !s.principals.includes('*'));
}

export function validatePublicAccessBlock(c: PublicAccessBlockConfiguration | undefined): PublicAccessBlockConfiguration {
  if (!c) throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
  return {
    BlockPublicAcls: c.BlockPublicAcls ?? false,
    IgnorePublicAcls: c.IgnorePublicAcls ?? false,
    BlockPublicPolicy: c.BlockPublicPolicy ?? false,
    RestrictPublicBuckets: c.RestrictPublicBuckets ?? false,
  };
}

export function validateOwnership(rules: Array<{ ObjectOwnership?: string }> | undefined, b: BucketRecord): ObjectOwnership {
  if (!rules || rules.length !== 1 || !rules[0].ObjectOwnership || !OWNERSHIPS.includes(rules[0].ObjectOwnership)) {
    throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
  }
  const o = rules[0].ObjectOwnership as ObjectOwnership;
  if (o === 'BucketOwnerEnforced' && b.acl !== undefined) {
    throw new AwsError('InvalidBucketAclWithObjectOwnership', 'Bucket cannot have ACLs set with ObjectOwnership\'s BucketOwnerEnforced setting', { status: 400 });
  }
  return o;
}
