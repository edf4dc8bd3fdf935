// SPDX-License-Identifier: AGPL-3.0-or-later
/** Bucket sub-resources stored on the bucket record: policy, CORS, lifecycle, default encryption. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import { bucketFor, bucketKey, headerNotImplemented, S3_TABLE, type BucketRecord } from './common.js';
import { validateCors } from './cors.js';
import { validateLifecycle } from './lifecycle.js';
import { parsePolicy } from './policy.js';
import type * as S from './shapes.gen.js';

async function update(ctx: RequestContext, b: BucketRecord, fn: (r: BucketRecord) => BucketRecord): Promise<void> {
  await ctx.gateway.state.table<BucketRecord>(S3_TABLE).update(bucketKey(b.name), (cur) => (cur ? fn(cur) : cur));
}

function notFound(code: string, message: string, bucket: string): AwsError {
  return new AwsError(code, message, { status: 404, fields: { BucketName: bucket } });
}

export function bucketConfigOps(): Record<string, Handler> {
  const PutBucketPolicy: Handler<S.PutBucketPolicyInput, S.PutBucketPolicyOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const statements = parsePolicy(input.Policy, b.name);
    await update(ctx, b, (r) => ({ ...r, policy: { text: input.Policy, statements } }));
    return {};
  };
  const GetBucketPolicy: Handler<S.GetBucketPolicyInput, S.GetBucketPolicyOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.policy) throw notFound('NoSuchBucketPolicy', 'The bucket policy does not exist', b.name);
    return { Policy: b.policy.text };
  };
  const DeleteBucketPolicy: Handler<S.DeleteBucketPolicyInput, S.DeleteBucketPolicyOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await update(ctx, b, (r) => ({ ...r, policy: undefined }));
    return {};
  };
  const GetBucketPolicyStatus: Handler<S.GetBucketPolicyStatusInput, S.GetBucketPolicyStatusOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.policy) throw notFound('NoSuchBucketPolicy', 'The bucket policy does not exist', b.name);
    // public: an Allow to everyone (conditions, which could narrow it, are not accepted)
    const isPublic = b.policy.statements.some((st) => st.effect === 'Allow' && st.principals.includes('*'));
    return { PolicyStatus: { IsPublic: isPublic } };
  };

  const PutBucketCors: Handler<S.PutBucketCorsInput, S.PutBucketCorsOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const rules = validateCors(input.CORSConfiguration?.CORSRules);
    await update(ctx, b, (r) => ({ ...r, cors: rules }));
    return {};
  };
  const GetBucketCors: Handler<S.GetBucketCorsInput, S.GetBucketCorsOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.cors) throw notFound('NoSuchCORSConfiguration', 'The CORS configuration does not exist', b.name);
    return { CORSRules: b.cors };
  };
  const DeleteBucketCors: Handler<S.DeleteBucketCorsInput, S.DeleteBucketCorsOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await update(ctx, b, (r) => ({ ...r, cors: undefined }));
    return {};
  };

  const PutBucketLifecycleConfiguration: Handler<S.PutBucketLifecycleConfigurationInput, S.PutBucketLifecycleConfigurationOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const rules = validateLifecycle(input.LifecycleConfiguration?.Rules);
    await update(ctx, b, (r) => ({ ...r, lifecycle: rules }));
    return {};
  };
  const GetBucketLifecycleConfiguration: Handler<S.GetBucketLifecycleConfigurationInput, S.GetBucketLifecycleConfigurationOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.lifecycle) throw notFound('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', b.name);
    return { Rules: b.lifecycle as S.GetBucketLifecycleConfigurationOutput['Rules'] };
  };
  const DeleteBucketLifecycle: Handler<S.DeleteBucketLifecycleInput, S.DeleteBucketLifecycleOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await update(ctx, b, (r) => ({ ...r, lifecycle: undefined }));
    return {};
  };

  const PutBucketEncryption: Handler<S.PutBucketEncryptionInput, S.PutBucketEncryptionOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    const rules = input.ServerSideEncryptionConfiguration?.Rules;
    if (!rules || rules.length !== 1) throw malformedXml();
    const def = rules[0].ApplyServerSideEncryptionByDefault;
    if (!def) throw malformedXml();
    if (def.SSEAlgorithm !== 'AES256') throw headerNotImplemented(`SSEAlgorithm ${def.SSEAlgorithm}`);
    if (def.KMSMasterKeyID !== undefined) throw new AwsError('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', { status: 400 });
    await update(ctx, b, (r) => ({ ...r, encryption: { algorithm: 'AES256', bucketKeyEnabled: rules[0].BucketKeyEnabled } }));
    return {};
  };
  const GetBucketEncryption: Handler<S.GetBucketEncryptionInput, S.GetBucketEncryptionOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    if (!b.encryption) throw notFound('ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found', b.name);
    return { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: b.encryption.bucketKeyEnabled ?? false }] } };
  };
  const DeleteBucketEncryption: Handler<S.DeleteBucketEncryptionInput, S.DeleteBucketEncryptionOutput> = async (ctx, input) => {
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    await update(ctx, b, (r) => ({ ...r, encryption: undefined }));
    return {};
  };

  return {
    PutBucketPolicy,
    GetBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    PutBucketLifecycleConfiguration,
    GetBucketLifecycleConfiguration,
    DeleteBucketLifecycle,
    PutBucketEncryption,
    GetBucketEncryption,
    DeleteBucketEncryption,
  };
}
