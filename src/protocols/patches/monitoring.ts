// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch (monitoring-2010-08-01). Since December 2025 (botocore 1.42.7) the service model
 * lists three protocols: smithy-rpc-v2-cbor (Go SDK v2 / Terraform v6, Java v2), awsJson1_0
 * (botocore, aws-cli, JS v3, .NET) and the original awsQuery, and is `awsQueryCompatible`: JSON and
 * CBOR errors carry `x-amzn-query-error: <legacy code>;<fault>`. The operations and shapes did not
 * change with the protocols. See /work/shared/reference/aws-wire-facts.md §1.
 */
import type { ModelPatch } from './index.js';

export const monitoringPatch: ModelPatch = {
  metadata: {
    protocols: ['smithy-rpc-v2-cbor', 'json', 'query'],
    jsonVersion: '1.0',
    targetPrefix: 'GraniteServiceVersion20100801',
    awsQueryCompatible: {},
    smithyServiceName: 'GraniteServiceVersion20100801',
    errorNamespace: 'com.amazonaws.cloudwatch',
    /**
     * Error shape name (json/cbor `__type`) → awsQuery code, from the current CloudWatch model's
     * `awsQueryError` traits. Used for `x-amzn-query-error` and by the query codec when a
     * handler throws the new name.
     */
    queryErrorCodes: {
      DashboardInvalidInputError: 'InvalidParameterInput',
      DashboardNotFoundError: 'ResourceNotFound',
      InternalServiceFault: 'InternalServiceError',
      InvalidFormatFault: 'InvalidFormat',
      InvalidParameterCombinationException: 'InvalidParameterCombination',
      InvalidParameterValueException: 'InvalidParameterValue',
      LimitExceededFault: 'LimitExceeded',
      MissingRequiredParameterException: 'MissingParameter',
    },
  },
};
