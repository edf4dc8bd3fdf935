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

/**
 * One step of the path from the input to a value: a member of a structure, an element of a list
 * (1-based) or an entry of a map. Paths are only spelled out when a member is missing.
 */
type Step = { kind: 'member'; name: string; shape: Shape } | { kind: 'index'; index: number; list: Shape } | { kind: 'key'; key: string };

function spell(steps: Step[], protocol: string): { coral: string; wire: string } {
  let coral = '';
  let wire = '';
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  for (const s of steps) {
    if (s.kind === 'member') {
      coral = join(coral, coralName(s.name));
      wire = join(wire, wireName(s.name, s.shape, protocol));
    } else if (s.kind === 'index') {
      coral = `${coral}.${s.index}.member`;
      wire = `${wire}.${wireIndex(s.list, s.index, protocol)}`;
    } else {
      coral = `${coral}.${s.key}.member`;
      wire = `${wire}.${s.key}`;
    }
  }
  return { coral, wire };
}

const isContainer = (m: Shape) => m.type === 'structure' || m.type === 'list' || m.type === 'map';

/**
 * Whether a value of this shape can hold a missing required member anywhere below it; shapes
 * that cannot (and rawJson documents) are never walked. Cached per shape; recursive shapes
 * count as walkable.
 */
const walkable = new WeakMap<Shape, boolean>();
function needsWalk(shape: Shape | undefined): boolean {
  if (!shape || shape.rawJson) return false;
  const known = walkable.get(shape);
  if (known !== undefined) return known;
  walkable.set(shape, true); // provisional, for recursive shapes
  let need = false;
  if (shape.type === 'structure') need = (shape.required?.length ?? 0) > 0 || Object.values(shape.members ?? {}).some((m) => isContainer(m) && needsWalk(m));
  else if (shape.type === 'list') need = !!shape.member && isContainer(shape.member) && needsWalk(shape.member);
  else if (shape.type === 'map') need = !!shape.value && isContainer(shape.value) && needsWalk(shape.value);
  walkable.set(shape, need);
  return need;
}

/** The container members of a structure worth walking, cached per shape. */
const walkMembers = new WeakMap<Shape, Array<[string, Shape]>>();
function membersToWalk(shape: Shape): Array<[string, Shape]> {
  let list = walkMembers.get(shape);
  if (!list) walkMembers.set(shape, (list = Object.entries(shape.members ?? {}).filter(([, m]) => isContainer(m) && needsWalk(m))));
  return list;
}

function collect(value: unknown, shape: Shape, steps: Step[], out: Missing[], protocol: string): void {
  if (value === undefined || value === null || steps.length > 20 || !needsWalk(shape)) return;
  if (shape.type === 'structure' && shape.members && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const name of shape.required ?? []) {
      const m = shape.members[name];
      if (m && (obj[name] === undefined || obj[name] === null)) {
        out.push(spell([...steps, { kind: 'member', name, shape: m }], protocol));
      }
    }
    for (const [name, m] of membersToWalk(shape)) {
      const v = obj[name];
      if (v === undefined || v === null) continue;
      steps.push({ kind: 'member', name, shape: m });
      collect(v, m, steps, out, protocol);
      steps.pop();
    }
  } else if (shape.type === 'list' && Array.isArray(value) && shape.member) {
    const m = shape.member;
    const step = { kind: 'index' as const, index: 0, list: shape };
    steps.push(step);
    for (let i = 0; i < value.length; i++) {
      step.index = i + 1;
      collect(value[i], m, steps, out, protocol);
    }
    steps.pop();
  } else if (shape.type === 'map' && shape.value && typeof value === 'object') {
    const m = shape.value;
    for (const k in value as Record<string, unknown>) {
      steps.push({ kind: 'key', key: k });
      collect((value as Record<string, unknown>)[k], m, steps, out, protocol);
      steps.pop();
    }
  }
}

/** Throws the service's AwsError when a required member is missing. */
export function checkRequired(model: ServiceModel, protocol: string, input: Record<string, unknown>, shape: Shape | undefined): void {
  if (!shape) return;
  const missing: Missing[] = [];
  collect(input, shape, [], missing, protocol);
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
