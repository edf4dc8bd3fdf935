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

/** Get answers `off`; Put succeeds only when `isOff(input)`. */
function offFeature<PI extends { Bucket: string }>(what: string, off: Record<string, unknown>, isOff: (input: PI) => boolean): [Handler<{ Bucket: string }>, Handler<PI>] {
  return [
    async (ctx, input) => {
      await bucketFor(ctx, input.Bucket, 'owner');
      return off;
    },
    async (ctx, input) => {
      await bucketFor(ctx, input.Bucket, 'owner');
      if (!isOff(input)) throw new AwsError('NotImplemented', `${what} is not implemented by this gateway.`, { status: 501, fault: 'Receiver' });
      return {};
    },
  ];
}

export function featuresOffOps(): Record<string, Handler> {
  const [GetBucketRequestPayment, PutBucketRequestPayment] = offFeature<S.PutBucketRequestPaymentInput>('Requester pays', { Payer: 'BucketOwner' }, (i) => i.RequestPaymentConfiguration?.Payer === 'BucketOwner');
  const [GetBucketAccelerateConfiguration, PutBucketAccelerateConfiguration] = offFeature<S.PutBucketAccelerateConfigurationInput>('Transfer acceleration', {}, (i) => i.AccelerateConfiguration?.Status === 'Suspended');
  const [GetBucketLogging, PutBucketLogging] = offFeature<S.PutBucketLoggingInput>('Server access logging', {}, (i) => !i.BucketLoggingStatus?.LoggingEnabled);
  return { GetBucketRequestPayment, PutBucketRequestPayment, GetBucketAccelerateConfiguration, PutBucketAccelerateConfiguration, GetBucketLogging, PutBucketLogging };
}
