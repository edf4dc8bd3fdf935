// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CloudWatch's errors. CloudWatch is awsQueryCompatible: on json/cbor the `__type` is the Smithy
 * error shape (AwsError.code) and `x-amzn-query-error` carries the legacy query code
 * (AwsError.queryCode), which is also what the query protocol sends as <Code>.
 */
import { AwsError } from '../../src/errors.js';

function cw(shape: string, queryCode: string, status: number, message: string): AwsError {
  return new AwsError(shape, message, { status, queryCode });
}

export const invalidValue = (m: string) => cw('InvalidParameterValueException', 'InvalidParameterValue', 400, m);
export const missingParameter = (name: string) =>
  cw('MissingRequiredParameterException', 'MissingParameter', 400, `The parameter ${name} is required.`);
export const invalidCombination = (m: string) => cw('InvalidParameterCombinationException', 'InvalidParameterCombination', 400, m);
export const invalidNextToken = (m = 'The service cannot process the NextToken. Use the NextToken returned by the previous call.') =>
  cw('InvalidNextToken', 'InvalidNextToken', 400, m);
export const resourceNotFound = (m: string) => cw('ResourceNotFound', 'ResourceNotFound', 404, m);
export const resourceNotFoundException = (m: string) => cw('ResourceNotFoundException', 'ResourceNotFoundException', 404, m);
export const limitExceeded = (m: string) => cw('LimitExceededFault', 'LimitExceeded', 400, m);
export const invalidFormat = (m: string) => cw('InvalidFormatFault', 'InvalidFormat', 400, m);
export const dashboardNotFound = (m: string) => cw('DashboardNotFoundError', 'ResourceNotFound', 404, m);
export const dashboardInvalid = (m: string, messages?: unknown[]) =>
  new AwsError('DashboardInvalidInputError', m, { status: 400, queryCode: 'InvalidParameterInput', fields: messages ? { dashboardValidationMessages: messages } : undefined });
