// SPDX-License-Identifier: AGPL-3.0-or-later
/** Object and bucket tagging, and canned object ACLs. */
import type { Handler } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import { aclOfRequest, aclOutput } from './acl.js';
import { bucketFor, bucketKey, checkKey, S3_TABLE, type BucketRecord, type S3Env } from './common.js';
import { findVersion } from './objects.js';
import { CANNED_OBJECT_ACLS, validateTags } from './objmeta.js';
import { checkAclWrite } from './ownership.js';
import type * as S from './shapes.gen.js';

function tagSetOf(input: { Tagging?: { TagSet?: Array<{ Key?: string; Value?: string }> } }): Array<{ Key: string; Value: string }> {
  const set = input.Tagging?.TagSet;
  if (!set) throw malformedXml();
  const seen = new Set<string>();
  const tags = set.map((t) => {
    if (t.Key === undefined || t.Value === undefined) throw malformedXml();
    if (seen.has(t.Key)) throw new AwsError('InvalidTag', 'Cannot provide multiple Tags with the same key', { status: 400, fields: { TagKey: t.Key } });
    seen.add(t.Key);
    return { Key: t.Key, Value: t.Value };
  });
  validateTags(tags);
  return tags;
}

export function taggingOps(env: S3Env): Record<string, Handler> {
  const GetObjectTagging: Handler<S.GetObjectTaggingInput, S.GetObjectTaggingOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'read', { key: input.Key });
    const info = await findVersion(env, bucket, input.Key, input.VersionId);
    return { TagSet: info.tags ?? [], VersionId: bucket.versioning ? info.versionId : undefined };
  };

  const PutObjectTagging: Handler<S.PutObjectTaggingInput, S.PutObjectTaggingOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    checkKey(input.Key);
    const tags = tagSetOf(input);
    const info = await env.backend.updateObjectMeta(bucket.name, input.Key, input.VersionId, { tags });
    return { VersionId: bucket.versioning ? info.versionId : undefined };
  };

  const DeleteObjectTagging: Handler<S.DeleteObjectTaggingInput, S.DeleteObjectTaggingOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'write', { key: input.Key });
    const info = await env.backend.updateObjectMeta(bucket.name, input.Key, input.VersionId, { tags: undefined });
    return { VersionId: bucket.versioning ? info.versionId : undefined };
  };

  const updateBucket = async (b: BucketRecord, ctx: Parameters<Handler>[0], fn: (r: BucketRecord) => BucketRecord) =>
    ctx.gateway.state.table<BucketRecord>(S3_TABLE).update(bucketKey(b.name), (cur) => (cur ? fn(cur) : cur));

  const GetBucketTagging: Handler<S.GetBucketTaggingInput, S.GetBucketTaggingOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.tags) throw new AwsError('NoSuchTagSet', 'The TagSet does not exist', { status: 404, fields: { BucketName: b.name } });
    return { TagSet: b.tags };
  };

  const PutBucketTagging: Handler<S.PutBucketTaggingInput, S.PutBucketTaggingOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const tags = tagSetOf(input);
    await updateBucket(b, ctx, (r) => ({ ...r, tags }));
    return {};
  };

  const DeleteBucketTagging: Handler<S.DeleteBucketTaggingInput, S.DeleteBucketTaggingOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await updateBucket(b, ctx, (r) => ({ ...r, tags: undefined }));
    return {};
  };

  const GetObjectAcl: Handler<S.GetObjectAclInput, S.GetObjectAclOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'owner', { key: input.Key });
    const info = await findVersion(env, bucket, input.Key, input.VersionId);
    return aclOutput(info.owner, info.acl, info.grants);
  };

  const PutObjectAcl: S.Operations['PutObjectAcl'] = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'owner', { key: input.Key });
    const { acl, grants } = aclOfRequest(ctx, input.ACL, input.AccessControlPolicy, [...CANNED_OBJECT_ACLS]);
    checkAclWrite(bucket, acl, grants);
    const info = await env.backend.updateObjectMeta(bucket.name, input.Key, input.VersionId, { acl, grants });
    const $headers: Record<string, string> = {};
    if (bucket.versioning) $headers['x-amz-version-id'] = info.versionId;
    return { $headers };
  };

  return { GetObjectTagging, PutObjectTagging, DeleteObjectTagging, GetBucketTagging, PutBucketTagging, DeleteBucketTagging, GetObjectAcl, PutObjectAcl };
}
