// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Required-member checks on a decoded input, with each service's own error code and message:
 *  - Coral services (STS, IAM, DynamoDB, Logs): "1 validation error detected: Value null at
 *    'roleSessionName' failed to satisfy constraint: Member must not be null" — code
 *    ValidationError (query), ValidationException (DynamoDB), InvalidParameterException (Logs);
 *  - CloudWatch: MissingParameter "The parameter Namespace is required." (on json/cbor the error
 *    is MissingRequiredParameterException with query code MissingParameter);
 *  - EC2: MissingParameter "The request must contain the parameter InstanceId".
 * rawJson shapes (DynamoDB AttributeValue) are not walked.
 */
import { AwsError } from '../errors.js';
import type { ServiceModel, Shape } from './model.js';
import { coralName } from './common.js';
import { queryMemberName } from './query-input.js';

interface Missing {
  /** Coral path: roleSessionName, metricData.1.member.metricName */
  coral: string;
  /** Wire path: MetricData.member.1.MetricName (query), InstanceId.1 (ec2), member names otherwise */
  wire: string;
}

/** A member's name in the wire path of messages. */
function wireName(name: string, m: Shape, protocol: string): string {
  if (protocol === 'ec2') return queryMemberName(name, m, 'ec2');
  if (protocol === 'query') return queryMemberName(name, m, 'query');
  return name;
}

/** The path segment of list element i (1-based on the query protocols). */
function wireIndex(list: Shape, i: number, protocol: string): string {
  if (protocol === 'ec2' || list.flattened) return `${i}`;
  if (protocol === 'query') return `${list.member?.locationName ?? 'member'}.${i}`;
  return `member.${i}`;
}

function collect(value: unknown, shape: Shape, coral: string, wire: string, out: Missing[], depth: number, protocol: string): void {
  if (value === undefined || value === null || shape.rawJson || depth > 20) return;
  if ((shape.type === 'map' && shape.value?.rawJson) || (shape.type === 'list' && shape.member?.rawJson)) return;
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  if (shape.type === 'structure' && shape.members && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const name of shape.required ?? []) {
      const m = shape.members[name];
      if (m && (obj[name] === undefined || obj[name] === null)) {
        out.push({ coral: join(coral, coralName(name)), wire: join(wire, wireName(name, m, protocol)) });
      }
    }
    for (const [name, m] of Object.entries(shape.members)) {
      const v = obj[name];
      if (v === undefined || v === null || (m.type !== 'structure' && m.type !== 'list' && m.type !== 'map')) continue;
      collect(v, m, join(coral, coralName(name)), join(wire, wireName(name, m, protocol)), out, depth + 1, protocol);
    }
  } else if (shape.type === 'list' && Array.isArray(value) && shape.member) {
    const m = shape.member;
    if (m.type !== 'structure' && m.type !== 'list' && m.type !== 'map') return;
    value.forEach((v, i) => collect(v, m, `${coral}.${i + 1}.member`, `${wire}.${wireIndex(shape, i + 1, protocol)}`, out, depth + 1, protocol));
  } else if (shape.type === 'map' && shape.value && typeof value === 'object') {
    const m = shape.value;
    if (m.type !== 'structure' && m.type !== 'list' && m.type !== 'map') return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      collect(v, m, `${coral}.${k}.member`, `${wire}.${k}`, out, depth + 1, protocol);
    }
  }
}

/** Throws the service's AwsError when a required member is missing. */
export function checkRequired(model: ServiceModel, protocol: string, input: Record<string, unknown>, shape: Shape | undefined): void {
  if (!shape) return;
  const missing: Missing[] = [];
  collect(input, shape, '', '', missing, 0, protocol);
  if (missing.length === 0) return;
  const svc = model.metadata.endpointPrefix;
  if (protocol === 'ec2') {
    throw new AwsError('MissingParameter', `The request must contain the parameter ${missing[0]!.wire}`);
  }
  if (svc === 'monitoring') {
    const msg = `The parameter ${missing[0]!.wire} is required.`;
    if (protocol === 'query') throw new AwsError('MissingParameter', msg);
    throw new AwsError('MissingRequiredParameterException', msg, { queryCode: 'MissingParameter' });
  }
  const n = missing.length;
  const msg =
    `${n} validation error${n > 1 ? 's' : ''} detected: ` +
    missing.map((m) => `Value null at '${m.coral}' failed to satisfy constraint: Member must not be null`).join('; ');
  if (protocol === 'query') throw new AwsError('ValidationError', msg);
  if (svc === 'logs') throw new AwsError('InvalidParameterException', msg);
  throw new AwsError('ValidationException', msg);
}
