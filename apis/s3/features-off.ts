// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bucket features this gateway does not offer, answered truthfully as "off": requester pays
 * (the owner always pays), transfer acceleration (never enabled), server access logging (not
 * configured). Turning one on answers NotImplemented; turning it off is what it already is.
 */
import type { Handler } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { bucketFor } from './common.js';
import type * as S from './shapes.gen.js';

function notOffered(what: string): AwsError {
  return new AwsError('NotImplemented', `${what} is not implemented by this gateway.`, { status: 501, fault: 'Receiver' });
}

export function featuresOffOps(): Record<string, Handler> {
  const GetBucketRequestPayment: Handler<S.GetBucketRequestPaymentInput, S.GetBucketRequestPaymentOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    return { Payer: 'BucketOwner' };
  };
  const PutBucketRequestPayment: Handler<S.PutBucketRequestPaymentInput, S.PutBucketRequestPaymentOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    if (input.RequestPaymentConfiguration?.Payer !== 'BucketOwner') throw notOffered('Requester pays');
    return {};
  };
  const GetBucketAccelerateConfiguration: Handler<S.GetBucketAccelerateConfigurationInput, S.GetBucketAccelerateConfigurationOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    return {};
  };
  const PutBucketAccelerateConfiguration: Handler<S.PutBucketAccelerateConfigurationInput, S.PutBucketAccelerateConfigurationOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    if (input.AccelerateConfiguration?.Status !== 'Suspended') throw notOffered('Transfer acceleration');
    return {};
  };
  const GetBucketLogging: Handler<S.GetBucketLoggingInput, S.GetBucketLoggingOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    return {};
  };
  const PutBucketLogging: Handler<S.PutBucketLoggingInput, S.PutBucketLoggingOutput> = async (ctx, input) => {
    await bucketFor(ctx, input.Bucket, 'owner');
    if (input.BucketLoggingStatus?.LoggingEnabled) throw notOffered('Server access logging');
    return {};
  };
  return { GetBucketRequestPayment, PutBucketRequestPayment, GetBucketAccelerateConfiguration, PutBucketAccelerateConfiguration, GetBucketLogging, PutBucketLogging };
}
