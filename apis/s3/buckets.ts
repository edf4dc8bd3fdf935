// SPDX-License-Identifier: AGPL-3.0-or-later
/** Bucket operations: Create/Head/Delete/List, location, versioning, canned bucket ACLs. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import {
  accessDenied,
  authorize,
  bucketFor,
  bucketRecord,
  headerNotImplemented,
  bucketKey,
  maxOf,
  ownerOf,
  S3_TABLE,
  type BucketRecord,
  type S3Env,
} from './common.js';
import { aclNotSupported, checkAclWrite, OWNERSHIPS, type ObjectOwnership } from './ownership.js';
import { aclOfRequest, aclOutput, CANNED_BUCKET_ACLS, grantsFromHeaders } from './acl.js';
import type * as S from './shapes.gen.js';

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;
const BAD_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BAD_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function validBucketName(name: string): boolean {
  return (
    BUCKET_RE.test(name) &&
    !name.includes('..') &&
    !IP_RE.test(name) &&
    !BAD_PREFIXES.some((p) => name.startsWith(p)) &&
    !BAD_SUFFIXES.some((s) => name.endsWith(s))
  );
}


export function bucketOps(env: S3Env): Record<string, Handler> {
  const table = (ctx: RequestContext) => ctx.gateway.state.table<BucketRecord>(S3_TABLE);

  const CreateBucket: Handler<S.CreateBucketInput, S.CreateBucketOutput> = async (ctx, input) => {
    if (ctx.principal.kind === 'anonymous') throw accessDenied();
    const name = input.Bucket;
    if (!validBucketName(name)) {
      throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', { status: 400, fields: { BucketName: name } });
    }
    const constraint = input.CreateBucketConfiguration?.LocationConstraint;
    if (constraint === 'us-east-1' || constraint === '') {
      throw new AwsError('InvalidLocationConstraint', 'The specified location-constraint is not valid', { status: 400, fields: { LocationConstraint: constraint } });
    }
    const region = constraint ?? 'us-east-1';
    if (region !== ctx.region) {
      throw new AwsError(
        'IllegalLocationConstraintException',
        constraint === undefined
          ? 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.'
          : `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        { status: 400 },
      );
    }
    const ownership = (input.ObjectOwnership ?? 'ObjectWriter') as ObjectOwnership;
    if (!OWNERSHIPS.includes(ownership)) throw new AwsError('InvalidArgument', 'Invalid x-amz-object-ownership header', { status: 400, fields: { ArgumentName: 'x-amz-object-ownership', ArgumentValue: ownership } });
    const acl = input.ACL;
    if (acl !== undefined && !CANNED_BUCKET_ACLS.includes(acl)) throw new AwsError('InvalidArgument', 'Invalid canned ACL', { status: 400, fields: { ArgumentName: 'x-amz-acl', ArgumentValue: acl } });
    const grants = grantsFromHeaders(ctx);
    if (grants && acl !== undefined) throw new AwsError('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed', { status: 400 });
    if (ownership === 'BucketOwnerEnforced' && (grants !== undefined || (acl !== undefined && acl !== 'private'))) throw aclNotSupported();
    const rec: BucketRecord = { name, owner: ctx.accountId, region, created: ctx.gateway.clock.now(), acl: acl === 'private' ? undefined : acl, grants, ownership };
    // Object Lock needs versions: a bucket created with it is versioned for good
    if (input.ObjectLockEnabledForBucket) Object.assign(rec, { objectLock: { enabled: true }, versioning: 'Enabled' });
    const t = table(ctx);
    const existing = await t.get(bucketKey(name));
    if (existing) {
      if (existing.owner !== ctx.accountId) {
        throw new AwsError('BucketAlreadyExists', 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', {
          status: 409,
          fields: { BucketName: name },
        });
      }
      // us-east-1 answers 200 to its owner (legacy); every other region BucketAlreadyOwnedByYou
      if (existing.region !== 'us-east-1' || region !== 'us-east-1') {
        throw new AwsError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', {
          status: 409,
          fields: { BucketName: name },
        });
      }
      return { Location: `/${name}` };
    }
    await env.backend.createBucket(name, { owner: ctx.accountId, region });
    if (!(await t.putIfAbsent(bucketKey(name), rec))) {
      const winner = await t.get(bucketKey(name));
      throw new AwsError(winner?.owner === ctx.accountId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', 'The requested bucket name is not available.', { status: 409, fields: { BucketName: name } });
    }
    return { Location: `/${name}` };
  };

  const HeadBucket: Handler<S.HeadBucketInput, S.HeadBucketOutput> = async (ctx, input) => {
    const b = await bucketRecord(ctx, input.Bucket);
    try {
      await authorize(ctx, b, 'read');
    } catch (e) {
      // clients find a bucket's region with an unsigned HeadBucket: the region travels with the 403
      if (e instanceof AwsError && e.status === 403) throw new AwsError(e.code, e.message, { status: 403, headers: { 'x-amz-bucket-region': b.region } });
      throw e;
    }
    return { BucketRegion: b.region, AccessPointAlias: false };
  };

  const DeleteBucket: Handler<S.DeleteBucketInput, S.DeleteBucketOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await env.backend.deleteBucket(b.name);
    await table(ctx).delete(bucketKey(b.name));
    return {};
  };

  const ListBuckets: Handler<S.ListBucketsInput, S.ListBucketsOutput> = async (ctx, input) => {
    if (ctx.principal.kind === 'anonymous') throw accessDenied();
    const limit = maxOf(input.MaxBuckets, 'max-buckets', 10000);
    let after: string | undefined;
    if (input.ContinuationToken !== undefined) {
      after = Buffer.from(input.ContinuationToken, 'base64url').toString('utf8');
      if (!after) throw new AwsError('InvalidArgument', 'The continuation token provided is incorrect', { status: 400, fields: { ArgumentName: 'continuation-token' } });
    }
    const rows = (await table(ctx).range({ prefix: 'bucket/' }))
      .map(([, b]) => b)
      .filter((b) => b.owner === ctx.accountId)
      .filter((b) => input.Prefix === undefined || b.name.startsWith(input.Prefix))
      .filter((b) => input.BucketRegion === undefined || b.region === input.BucketRegion)
      .filter((b) => after === undefined || b.name > after);
    const page = rows.slice(0, limit);
    const truncated = rows.length > page.length;
    return {
      Buckets: page.map((b) => ({ Name: b.name, CreationDate: new Date(b.created), BucketRegion: b.region })),
      Owner: ownerOf(ctx.accountId),
      Prefix: input.Prefix,
      ContinuationToken: truncated ? Buffer.from(page[page.length - 1].name).toString('base64url') : undefined,
    };
  };

  const GetBucketLocation: Handler<S.GetBucketLocationInput, S.GetBucketLocationOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    return { LocationConstraint: b.region === 'us-east-1' ? undefined : b.region };
  };

  const GetBucketVersioning: Handler<S.GetBucketVersioningInput, S.GetBucketVersioningOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    return { Status: b.versioning };
  };

  const PutBucketVersioning: Handler<S.PutBucketVersioningInput, S.PutBucketVersioningOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const status = input.VersioningConfiguration?.Status;
    const mfa = input.VersioningConfiguration?.MFADelete;
    if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
    if (mfa === 'Enabled') throw new AwsError('NotImplemented', 'MFA Delete is not implemented by this gateway.', { status: 501, fault: 'Receiver' });
    if (mfa !== undefined && mfa !== 'Disabled') throw malformedXml();
    if (b.objectLock && status !== 'Enabled') {
      throw new AwsError('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.', { status: 409 });
    }
    await table(ctx).update(bucketKey(b.name), (cur) => (cur ? { ...cur, versioning: status } : cur));
    return {};
  };

  const GetBucketAcl: Handler<S.GetBucketAclInput, S.GetBucketAclOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    return aclOutput(b.owner, b.acl, b.grants);
  };

  const PutBucketAcl: Handler<S.PutBucketAclInput, S.PutBucketAclOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const { acl, grants } = aclOfRequest(ctx, input.ACL, input.AccessControlPolicy, CANNED_BUCKET_ACLS);
    checkAclWrite(b, acl, grants);
    await table(ctx).update(bucketKey(b.name), (cur) => (cur ? { ...cur, acl, grants } : cur));
    return {};
  };

  return { CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation, GetBucketVersioning, PutBucketVersioning, GetBucketAcl, PutBucketAcl };
}
