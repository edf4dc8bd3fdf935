// SPDX-License-Identifier: AGPL-3.0-or-later
/** Bucket sub-resources stored on the bucket record: policy, CORS, lifecycle, default encryption. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import { bucketFor, bucketKey, headerNotImplemented, S3_TABLE, type BucketRecord } from './common.js';
import { validateCors } from './cors.js';
import { validateLifecycle } from './lifecycle.js';
import { checkPolicyWrite, isPublicPolicy, validateOwnership, validatePublicAccessBlock } from './ownership.js';
import { parsePolicy } from './policy.js';
import type * as S from './shapes.gen.js';

type ConfigField = 'policy' | 'cors' | 'lifecycle' | 'encryption' | 'ownership' | 'publicAccessBlock';

async function update(ctx: RequestContext, b: BucketRecord, fn: (r: BucketRecord) => BucketRecord): Promise<void> {
  await ctx.gateway.state.table<BucketRecord>(S3_TABLE).update(bucketKey(b.name), (cur) => (cur ? fn(cur) : cur));
}

/**
 * Put/Get/Delete of one stored configuration: `parse` validates the Put input into the stored
 * value, `render` makes the Get output; a missing value is `missing` (code, message) with 404.
 */
function configOps<K extends ConfigField, PI extends { Bucket: string }>(
  field: K,
  missing: [string, string],
  parse: (input: PI, b: BucketRecord) => NonNullable<BucketRecord[K]>,
  render: (v: NonNullable<BucketRecord[K]>) => Record<string, unknown>,
): { put: Handler<PI>; get: Handler<{ Bucket: string }>; del: Handler<{ Bucket: string }> } {
  return {
    put: async (ctx, input) => {
      const b = await bucketFor(ctx, input.Bucket, 'owner');
      const v = parse(input, b);
      await update(ctx, b, (r) => ({ ...r, [field]: v }));
      return {};
    },
    get: async (ctx, input) => {
      const b = await bucketFor(ctx, input.Bucket, 'owner');
      const v = b[field];
      if (v === undefined || v === null) throw new AwsError(missing[0], missing[1], { status: 404, fields: { BucketName: b.name } });
      return render(v as NonNullable<BucketRecord[K]>);
    },
    del: async (ctx, input) => {
      const b = await bucketFor(ctx, input.Bucket, 'owner');
      await update(ctx, b, (r) => ({ ...r, [field]: undefined }));
      return {};
    },
  };
}

function encryptionOf(input: S.PutBucketEncryptionInput): NonNullable<BucketRecord['encryption']> {
  const rules = input.ServerSideEncryptionConfiguration?.Rules;
  if (!rules || rules.length !== 1) throw malformedXml();
  const def = rules[0].ApplyServerSideEncryptionByDefault;
  if (!def) throw malformedXml();
  if (def.SSEAlgorithm !== 'AES256') throw headerNotImplemented(`SSEAlgorithm ${def.SSEAlgorithm}`);
  if (def.KMSMasterKeyID !== undefined) {
    throw new AwsError('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', { status: 400 });
  }
  return { algorithm: 'AES256', bucketKeyEnabled: rules[0].BucketKeyEnabled };
}

export function bucketConfigOps(): Record<string, Handler> {
  const policy = configOps<'policy', S.PutBucketPolicyInput>(
    'policy',
    ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
    (input, b) => {
      const statements = parsePolicy(input.Policy, b.name);
      checkPolicyWrite(b, statements);
      return { text: input.Policy, statements };
    },
    (v) => ({ Policy: v.text }),
  );
  const cors = configOps<'cors', S.PutBucketCorsInput>(
    'cors',
    ['NoSuchCORSConfiguration', 'The CORS configuration does not exist'],
    (input) => validateCors(input.CORSConfiguration?.CORSRules),
    (v) => ({ CORSRules: v }),
  );
  const lifecycle = configOps<'lifecycle', S.PutBucketLifecycleConfigurationInput>(
    'lifecycle',
    ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
    (input) => validateLifecycle(input.LifecycleConfiguration?.Rules),
    (v) => ({ Rules: v }),
  );
  const encryption = configOps<'encryption', S.PutBucketEncryptionInput>(
    'encryption',
    ['ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found'],
    encryptionOf,
    (v) => ({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: v.algorithm }, BucketKeyEnabled: v.bucketKeyEnabled ?? false }] } }),
  );
  const ownership = configOps<'ownership', S.PutBucketOwnershipControlsInput>(
    'ownership',
    ['OwnershipControlsNotFoundError', 'The bucket ownership controls were not found'],
    (input, b) => validateOwnership(input.OwnershipControls?.Rules, b),
    (v) => ({ OwnershipControls: { Rules: [{ ObjectOwnership: v }] } }),
  );
  const publicAccessBlock = configOps<'publicAccessBlock', S.PutPublicAccessBlockInput>(
    'publicAccessBlock',
    ['NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
    (input) => validatePublicAccessBlock(input.PublicAccessBlockConfiguration),
    (v) => ({ PublicAccessBlockConfiguration: v }),
  );
  const GetBucketPolicyStatus: Handler<S.GetBucketPolicyStatusInput, S.GetBucketPolicyStatusOutput> = async (ctx, input) => {
    await policy.get(ctx, input); // NoSuchBucketPolicy, access
    const b = await bucketFor(ctx, input.Bucket, 'owner');
    // public: an Allow to everyone (conditions, which could narrow it, are not accepted)
    return { PolicyStatus: { IsPublic: isPublicPolicy(b.policy?.statements ?? []) } };
  };
  return {
    PutBucketPolicy: policy.put,
    GetBucketPolicy: policy.get,
    DeleteBucketPolicy: policy.del,
    GetBucketPolicyStatus,
    PutBucketCors: cors.put,
    GetBucketCors: cors.get,
    DeleteBucketCors: cors.del,
    PutBucketLifecycleConfiguration: lifecycle.put,
    GetBucketLifecycleConfiguration: lifecycle.get,
    DeleteBucketLifecycle: lifecycle.del,
    PutBucketEncryption: encryption.put,
    GetBucketEncryption: encryption.get,
    DeleteBucketEncryption: encryption.del,
    PutBucketOwnershipControls: ownership.put,
    GetBucketOwnershipControls: ownership.get,
    DeleteBucketOwnershipControls: ownership.del,
    PutPublicAccessBlock: publicAccessBlock.put,
    GetPublicAccessBlock: publicAccessBlock.get,
    DeletePublicAccessBlock: publicAccessBlock.del,
  };
}
