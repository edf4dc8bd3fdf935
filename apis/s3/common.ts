// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Shared parts of the S3 API layer: bucket records (in the gateway's state store: the bucket
 * namespace is global across accounts), access checks, owners, and S3's common errors.
 */
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { aclAllows } from './acl.js';
import type { AclGrant, S3Backend, VersioningState } from './backend.js';
import { actionOf, evaluatePolicy, type PolicyStatement } from './policy.js';
import type { BucketObjectLock } from './object-lock.js';
import { aclsApply, effectiveStatements, type ObjectOwnership } from './ownership.js';
import type { CORSRule, PublicAccessBlockConfiguration, Rule2 } from './shapes.gen.js';

export const S3_TABLE = 's3';

export interface BucketRecord {
  name: string;
  /** Owning account id. */
  owner: string;
  region: string;
  created: number;
  versioning?: 'Enabled' | 'Suspended';
  acl?: string;
  tags?: Array<{ Key: string; Value: string }>;
  policy?: { text: string; statements: PolicyStatement[] };
  cors?: CORSRule[];
  lifecycle?: Rule2[];
  /** Default encryption of new objects ('AES256'). */
  encryption?: { algorithm: 'AES256'; bucketKeyEnabled?: boolean };
  /** Explicit ACL grants, replacing the canned `acl` when present. */
  grants?: AclGrant[];
  ownership?: ObjectOwnership;
  objectLock?: BucketObjectLock;
  publicAccessBlock?: PublicAccessBlockConfiguration;
}

/** What handlers share: the backend and the service's region default. */
export interface S3Env {
  backend: S3Backend;
}

export function bucketKey(name: string): string {
  return `bucket/${name}`;
}

export function noSuchBucket(bucket: string): AwsError {
  return new AwsError('NoSuchBucket', 'The specified bucket does not exist', { status: 404, fields: { BucketName: bucket } });
}

export function accessDenied(): AwsError {
  return new AwsError('AccessDenied', 'Access Denied', { status: 403 });
}

export function invalidArgument(message: string, name?: string, value?: unknown): AwsError {
  const fields: Record<string, unknown> = {};
  if (name !== undefined) fields.ArgumentName = name;
  if (value !== undefined) fields.ArgumentValue = String(value);
  return new AwsError('InvalidArgument', message, { status: 400, fields });
}

export function invalidRequest(message: string): AwsError {
  return new AwsError('InvalidRequest', message, { status: 400 });
}

export function headerNotImplemented(header: string): AwsError {
  return new AwsError('NotImplemented', 'A header you provided implies functionality that is not implemented', {
    status: 501,
    fault: 'Receiver',
    fields: { Header: header },
  });
}

/** The 64-hex canonical user id S3 shows as Owner/ID for an account. */
export function canonicalId(accountId: string): string {
  return createHash('sha256').update(`mcgw-canonical-user:${accountId}`).digest('hex');
}

export function ownerOf(accountId: string): { ID: string; DisplayName: string } {
  return { ID: canonicalId(accountId), DisplayName: accountId };
}

export async function getBucket(ctx: RequestContext, name: string): Promise<BucketRecord | undefined> {
  return ctx.gateway.state.table<BucketRecord>(S3_TABLE).get(bucketKey(name));
}

export type Access = 'read' | 'write' | 'owner';

export interface AccessOptions {
  /** The object key, for the policy resource `arn:aws:s3:::bucket/key`. */
  key?: string;
  /** The IAM action when it is not the one of ctx.operation (copy sources read). */
  action?: string;
  /** A last chance for non-owners: the object's own canned ACL. */
  objectGrant?: () => Promise<boolean>;
}

/** Operations only the bucket owner may ever call, whatever a policy says. */
const OWNER_ONLY = new Set(['PutBucketPolicy', 'DeleteBucketPolicy', 'GetBucketPolicy', 'DeleteBucket', 'PutBucketAcl']);

/**
 * The bucket a request addresses, after checking the caller may do `access` on it: an explicit
 * Deny in the bucket policy refuses anyone; the owning account is allowed; others need a policy
 * Allow or a canned ACL grant (bucket, or object via `objectGrant`).
 */
export async function bucketFor(ctx: RequestContext, name: string, access: Access, opts: AccessOptions = {}): Promise<BucketRecord> {
  const b = await bucketRecord(ctx, name);
  await authorize(ctx, b, access, opts);
  return b;
}

/** The bucket record (NoSuchBucket, x-amz-expected-bucket-owner checked), before any access check. */
export async function bucketRecord(ctx: RequestContext, name: string): Promise<BucketRecord> {
  const b = await getBucket(ctx, name);
  if (!b) throw noSuchBucket(name);
  checkExpectedOwner(ctx, b);
  return b;
}

export async function authorize(ctx: RequestContext, b: BucketRecord, access: Access, opts: AccessOptions = {}): Promise<void> {
  const action = opts.action ?? actionOf(ctx.operation);
  const resource = opts.key !== undefined ? `arn:aws:s3:::${b.name}/${opts.key}` : `arn:aws:s3:::${b.name}`;
  const callerAccount = ctx.principal.kind === 'anonymous' ? undefined : ctx.accountId;
  const decision = evaluatePolicy(effectiveStatements(b, callerAccount), ctx.principal, action, resource);
  if (decision === 'deny') throw accessDenied();
  if (ctx.principal.kind !== 'anonymous' && ctx.accountId === b.owner) return;
  if (access === 'owner' && OWNER_ONLY.has(ctx.operation)) throw accessDenied();
  if (decision === 'allow') return;
  if (!aclsApply(b)) throw accessDenied();
  if (access !== 'owner' && aclAllows(b.owner, b.acl, b.grants, ctx.principal, access === 'read' ? 'READ' : 'WRITE')) return;
  if (access === 'read' && opts.objectGrant && (await opts.objectGrant())) return;
  throw accessDenied();
}

function checkExpectedOwner(ctx: RequestContext, b: BucketRecord): void {
  const h = ctx.http.headers['x-amz-expected-bucket-owner'];
  const expected = Array.isArray(h) ? h[0] : h;
  if (expected !== undefined && expected !== b.owner) throw accessDenied();
}

export function versioningOf(b: BucketRecord): VersioningState {
  return b.versioning;
}

/** The first value of a request header. */
export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.http.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const MAX_KEY_BYTES = 1024;

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new AwsError('KeyTooLongError', 'Your key is too long', { status: 400, fields: { MaxSizeAllowed: MAX_KEY_BYTES, Size: Buffer.byteLength(key, 'utf8') } });
  }
}

/** S3's `encoding-type=url`: form encoding (space as '+'). */
export function urlEncode(s: string | undefined, on: boolean): string | undefined {
  if (s === undefined || !on) return s;
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function checkEncodingType(t: string | undefined): boolean {
  if (t === undefined) return false;
  if (t !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', t);
  return true;
}

/** max-keys style integers: default, and capped at `cap`. */
export function maxOf(v: number | undefined, name: string, cap = 1000): number {
  if (v === undefined) return cap;
  if (!Number.isInteger(v) || v < 0) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
  return Math.min(v, cap);
}
