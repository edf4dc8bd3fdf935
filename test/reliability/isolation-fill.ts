// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Inputs for the tenant-isolation matrix: for any operation of any service, an input built from
 * the AWS model (aws-sdk/apis/<model>.min.json) in which every member that names a resource —
 * bucket, key, table, ARN, instance/volume/snapshot/image/group id, log group, alarm, user,
 * access key… — names account A's resource, and every other required member gets a plain value
 * of its type. Account B sends it; the matrix checks what comes back.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface MShape {
  shape?: string;
  type?: string;
  required?: string[];
  members?: Record<string, MShape>;
  member?: MShape;
  key?: MShape;
  value?: MShape;
  enum?: string[];
  min?: number;
  location?: string;
}

interface MModel {
  operations: Record<string, { input?: MShape }>;
  shapes: Record<string, MShape>;
}

const models = new Map<string, MModel>();
function model(stem: string): MModel {
  let m = models.get(stem);
  if (!m) models.set(stem, (m = require(`aws-sdk/apis/${stem}.min.json`) as MModel));
  return m;
}

/**
 * Valid values for members the model leaves as plain strings but the service checks, so the
 * request gets as far as looking A's resource up instead of failing validation first.
 */
const HINTS: Record<string, unknown> = {
  ShardIteratorType: 'TRIM_HORIZON',
  AvailabilityZone: 'us-east-1a',
  Name: 'b-tries-this-name',
  Attribute: 'instanceType',
  Status: 'Inactive',
  Tags: [{ Key: 'b', Value: 'b' }],
  KeyConditionExpression: 'pk = :pk',
  BillingMode: 'PAY_PER_REQUEST',
  StateValue: 'ALARM',
  StateReason: 'B',
  retentionInDays: 1,
  CidrBlock: '10.99.0.0/24',
  DestinationCidrBlock: '10.98.0.0/24',
};

/** A's resources as the matrix names them: member name → value (per service where they differ). */
export type Known = Record<string, unknown>;

function resolve(m: MModel, s: MShape): MShape {
  let out = s;
  for (let i = 0; out.shape && i < 10; i++) out = { ...m.shapes[out.shape], ...out, shape: m.shapes[out.shape].shape };
  return out;
}

function plain(m: MModel, s: MShape, name: string, known: Known, depth: number): unknown {
  const r = resolve(m, s);
  const type = r.type ?? 'string';
  switch (type) {
    case 'structure':
      return depth > 4 ? {} : fillStruct(m, r, known, depth + 1);
    case 'list': {
      const v = plain(m, r.member!, name.replace(/s$/, ''), known, depth + 1);
      return v === undefined ? [] : [v];
    }
    case 'map':
      return {};
    case 'integer':
    case 'long':
      return Math.max(1, r.min ?? 1);
    case 'float':
    case 'double':
      return 1;
    case 'boolean':
      return false;
    case 'timestamp':
      return new Date();
    case 'blob':
      return Buffer.from('x');
    default:
      if (r.enum?.length) return r.enum[0];
      return 'x'.repeat(Math.max(1, r.min ?? 1));
  }
}

function fillStruct(m: MModel, s: MShape, known: Known, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set(s.required ?? []);
  for (const [name, member] of Object.entries(s.members ?? {})) {
    // A's names and ids go into top-level members (nested ones, like a Tag's Key, stay plain)
    if (depth === 0 && Object.prototype.hasOwnProperty.call(known, name)) {
      const k = known[name];
      if (k !== undefined) out[name] = k;
    } else if (required.has(name) || (depth === 0 && Object.prototype.hasOwnProperty.call(HINTS, name))) {
      out[name] = Object.prototype.hasOwnProperty.call(HINTS, name) ? HINTS[name] : plain(m, member, name, known, depth);
    }
  }
  return out;
}

/** The input of `operation` aimed at A's resources. */
export function inputFor(stem: string, operation: string, known: Known): Record<string, unknown> {
  const m = model(stem);
  const op = m.operations[operation];
  if (!op) throw new Error(`${stem} has no operation ${operation}`);
  if (!op.input) return {};
  return fillStruct(m, resolve(m, op.input), known, 0);
}

/** True when the operation's input has no required member (a listing: also sent empty). */
export function takesEmptyInput(stem: string, operation: string): boolean {
  const m = model(stem);
  const input = m.operations[operation]?.input;
  return !input || !(resolve(m, input).required ?? []).length;
}
