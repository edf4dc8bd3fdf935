// SPDX-License-Identifier: AGPL-3.0-or-later
/** CloudWatch Logs errors (awsJson 1.1, bare `__type` codes). */
import { AwsError } from '../../src/errors.js';

export const invalidParameter = (m: string) => new AwsError('InvalidParameterException', m);
export const resourceNotFound = (m: string) => new AwsError('ResourceNotFoundException', m);
export const alreadyExists = (m: string) => new AwsError('ResourceAlreadyExistsException', m);
export const limitExceeded = (m: string) => new AwsError('LimitExceededException', m);
export const malformedQuery = (m: string) => new AwsError('MalformedQueryException', m);

export const groupNotFound = () => resourceNotFound('The specified log group does not exist.');
export const streamNotFound = () => resourceNotFound('The specified log stream does not exist.');

/** Coral-style constraint message, as Logs words its validation failures. */
export function constraint(value: unknown, member: string, rule: string): AwsError {
  return invalidParameter(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`);
}

export function required<T>(v: T | undefined | null, member: string): T {
  if (v === undefined || v === null) {
    throw invalidParameter(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return v;
}

/** An integer parameter within [min, max] (its default when absent), with Logs' constraint messages. */
export function intInRange(v: number | undefined, member: string, min: number, max: number, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n)) throw constraint(n, member, 'Member must be an integer');
  if (n < min) throw constraint(n, member, `Member must have value greater than or equal to ${min}`);
  if (n > max) throw constraint(n, member, `Member must have value less than or equal to ${max}`);
  return n;
}
