// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Facts about the awsJson services that the min.json models do not carry: the namespace AWS puts
 * in front of an error code in `__type` (DynamoDB answers
 * `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`; CloudWatch Logs answers the bare
 * code, e.g. `ResourceNotFoundException`). Coral framework errors (SerializationException,
 * UnknownOperationException, ValidationException…) keep their own namespaces, see json-errors.ts.
 *
 * `rawJson` marks DynamoDB's AttributeValue (S6 / St in the min.json files): the json codec hands
 * it to handlers as parsed JSON and writes it back as given, without walking it (the hot path of
 * GetItem/PutItem/Query). Blobs inside (B, BS) therefore stay base64 strings in both directions.
 */
import type { ModelPatch } from './index.js';

export const jsonServicesPatches: Record<string, ModelPatch> = {
  'dynamodb-2012-08-10': {
    metadata: { errorNamespace: 'com.amazonaws.dynamodb.v20120810' },
    shapeTraits: { S6: { rawJson: true } },
  },
  'streams.dynamodb-2012-08-10': {
    metadata: { errorNamespace: 'com.amazonaws.dynamodb.v20120810' },
    shapeTraits: { St: { rawJson: true } },
  },
  'logs-2014-03-28': { metadata: { errorNamespace: '' } },
};
