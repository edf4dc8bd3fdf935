// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Error identity for the JSON and CBOR protocols: the `__type` AWS sends and, for
 * `awsQueryCompatible` services (CloudWatch), the `x-amzn-query-error` header.
 *
 * DynamoDB answers service errors as `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`
 * and errors of its Coral framework under Coral's namespaces
 * (`com.amazon.coral.service#SerializationException`, `com.amazon.coral.validate#ValidationException`);
 * CloudWatch Logs answers bare codes. The namespace comes from the patched model metadata
 * (`errorNamespace`); a code that already contains '#' is sent as is.
 */
import type { AwsError } from '../errors.js';
import type { ServiceModel } from './model.js';
import { queryErrorCode } from './query.js';

const CORAL_NAMESPACES: Record<string, string> = {
  SerializationException: 'com.amazon.coral.service',
  UnknownOperationException: 'com.amazon.coral.service',
  AccessDeniedException: 'com.amazon.coral.service',
  UnrecognizedClientException: 'com.amazon.coral.service',
  IncompleteSignatureException: 'com.amazon.coral.service',
  InvalidSignatureException: 'com.amazon.coral.service',
  MissingAuthenticationTokenException: 'com.amazon.coral.service',
  ExpiredTokenException: 'com.amazon.coral.service',
  InternalFailure: 'com.amazon.coral.service',
  ValidationException: 'com.amazon.coral.validate',
  ThrottlingException: 'com.amazon.coral.availability',
  ServiceUnavailableException: 'com.amazon.coral.availability',
};

export function errorType(model: ServiceModel, err: AwsError): string {
  if (err.code.includes('#')) return err.code;
  const ns = model.metadata.errorNamespace;
  if (ns === '' || ns === undefined) return err.code;
  return `${CORAL_NAMESPACES[err.code] ?? ns}#${err.code}`;
}

/** Coral writes `Message` for its serialization errors, services write `message`. */
export function messageKey(err: AwsError): string {
  return err.code === 'SerializationException' ? 'Message' : 'message';
}

/** Headers for an error response of a json/cbor service (x-amzn-query-error when compatible). */
export function errorHeaders(model: ServiceModel, err: AwsError): Record<string, string> {
  if (!model.metadata.awsQueryCompatible) return {};
  return { 'x-amzn-query-error': `${queryErrorCode(model, err)};${err.fault}` };
}
