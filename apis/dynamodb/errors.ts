// SPDX-License-Identifier: AGPL-3.0-or-later
/** DynamoDB's error codes and the exact messages SDK users grep for. */
import { AwsError } from '../../src/errors.js';

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

/** "One or more parameter values were invalid: …" */
export function invalidParam(message: string): AwsError {
  return validation(`One or more parameter values were invalid: ${message}`);
}

export function resourceNotFound(message = 'Requested resource not found'): AwsError {
  return new AwsError('ResourceNotFoundException', message);
}

export function tableNotFound(): AwsError {
  return resourceNotFound('Cannot do operations on a non-existent table');
}

export function resourceInUse(message: string): AwsError {
  return new AwsError('ResourceInUseException', message);
}

export function conditionalCheckFailed(item?: Record<string, unknown>): AwsError {
  return new AwsError('ConditionalCheckFailedException', 'The conditional request failed', item ? { fields: { Item: item } } : {});
}

/**
 * Collects "Value … at '…' failed to satisfy constraint: …" errors like DynamoDB's request
 * validation, and throws them together ("N validation errors detected: …").
 */
export class ConstraintErrors {
  private readonly errors: string[] = [];

  add(value: unknown, path: string, constraint: string): void {
    if (this.errors.length >= 10) return;
    const shown = value === undefined || value === null ? 'null' : `'${show(value)}'`;
    this.errors.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  required(value: unknown, path: string): void {
    if (value === undefined || value === null) this.add(value, path, 'Member must not be null');
  }

  tableName(value: unknown, path: string, required = true): void {
    if (value === undefined || value === null) {
      if (required) this.add(value, path, 'Member must not be null');
      return;
    }
    const s = String(value);
    if (!/^[a-zA-Z0-9_.-]+$/.test(s)) this.add(s, path, 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+');
    if (s.length < 3) this.add(s, path, 'Member must have length greater than or equal to 3');
    if (s.length > 255) this.add(s, path, 'Member must have length less than or equal to 255');
  }

  enumOf(value: unknown, path: string, values: readonly string[]): void {
    if (value === undefined || value === null) return;
    if (!values.includes(String(value))) this.add(value, path, `Member must satisfy enum value set: [${values.join(', ')}]`);
  }

  min(value: unknown, path: string, min: number): void {
    if (typeof value === 'number' && value < min) this.add(value, path, `Member must have value greater than or equal to ${min}`);
  }

  max(value: unknown, path: string, max: number): void {
    if (typeof value === 'number' && value > max) this.add(value, path, `Member must have value less than or equal to ${max}`);
  }

  lengthMin(value: { length: number } | undefined, path: string, min: number): void {
    if (value !== undefined && value !== null && value.length < min) this.add(value, path, `Member must have length greater than or equal to ${min}`);
  }

  lengthMax(value: { length: number } | undefined, path: string, max: number): void {
    if (value !== undefined && value !== null && value.length > max) this.add(value, path, `Member must have length less than or equal to ${max}`);
  }

  throwIfAny(): void {
    const n = this.errors.length;
    if (n) throw validation(`${n} validation error${n > 1 ? 's' : ''} detected: ${this.errors.join('; ')}`);
  }
}

function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
