// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * AWS service models: loads node_modules/aws-sdk/apis/<stem>.min.json, applies the patches kept in
 * ./patches (what changed after aws-sdk v2 froze), and resolves every `shape` reference into one
 * object graph, so codecs walk `Shape` objects and never look names up.
 *
 * The min.json format is compact: an omitted `type` means string; a member `{shape: "S4", …traits}`
 * is the named shape S4 with the member's own traits (locationName, queryName, flattened…) on top.
 * Named shapes may be recursive (DynamoDB AttributeValue), so the graph may contain cycles.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { applyPatch, patchesFor } from './patches/index.js';

export type ShapeType =
  | 'structure'
  | 'list'
  | 'map'
  | 'string'
  | 'integer'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'blob';

export type ShapeLocation = 'header' | 'headers' | 'querystring' | 'uri' | 'statusCode';

export interface XmlNamespace {
  prefix?: string;
  uri: string;
}

export interface Shape {
  type: ShapeType;
  /** Name in the model's `shapes` table when this shape is (or derives from) a named shape. */
  shapeName?: string;
  /** structure: members by name, in model order. */
  members?: Record<string, Shape>;
  required?: string[];
  /** rest protocols: the member sent as the whole body. */
  payload?: string;
  /** list element */
  member?: Shape;
  /** map key / value */
  key?: Shape;
  value?: Shape;
  location?: ShapeLocation;
  locationName?: string;
  /** ec2 protocol: the name used in the request. */
  queryName?: string;
  flattened?: boolean;
  xmlNamespace?: XmlNamespace;
  xmlAttribute?: boolean;
  xmlOrder?: string[];
  /** 'iso8601' | 'rfc822' | 'unixTimestamp' */
  timestampFormat?: string;
  jsonvalue?: boolean;
  streaming?: boolean;
  eventstream?: boolean;
  event?: boolean;
  exception?: boolean;
  sensitive?: boolean;
  idempotencyToken?: boolean;
  hostLabel?: boolean;
  deprecated?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  /** query protocol output: the element wrapping the result (`GetCallerIdentityResult`). */
  resultWrapper?: string;
  /**
   * json codec: the value passes through as parsed JSON in both directions, not walked (DynamoDB
   * AttributeValue, patched); blobs inside stay base64 strings.
   */
  rawJson?: boolean;
  /** Present on shapes that describe an error (only in patches: min.json drops error shapes). */
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
}

export interface OperationHttp {
  method?: string;
  requestUri?: string;
  responseCode?: number;
}

export interface OperationModel {
  name: string;
  http?: OperationHttp;
  input?: Shape;
  output?: Shape;
  /** Raw extras kept as found: httpChecksum, staticContextParams, requestcompression, endpoint… */
  httpChecksum?: Record<string, unknown>;
  requestcompression?: { encodings: string[] };
  alias?: string;
  deprecated?: boolean;
  authtype?: string;
  unsignedPayload?: boolean;
  staticContextParams?: Record<string, unknown>;
}

export interface ServiceMetadata {
  apiVersion: string;
  endpointPrefix: string;
  protocol: string;
  /** Every protocol the service speaks, in the service's priority order (patched). */
  protocols?: string[];
  jsonVersion?: string;
  targetPrefix?: string;
  xmlNamespace?: string;
  signingName?: string;
  serviceId: string;
  serviceFullName?: string;
  uid?: string;
  globalEndpoint?: string;
  awsQueryCompatible?: Record<string, unknown>;
  /** Smithy service name for rpc-v2-cbor paths (/service/<name>/operation/<op>), patched. */
  smithyServiceName?: string;
  /** The shape-id namespace of JSON/CBOR error `__type`s (patched per service). */
  errorNamespace?: string;
  [key: string]: unknown;
}

export interface ServiceModel {
  /** The file stem: 'sts-2011-06-15'. */
  stem: string;
  metadata: ServiceMetadata;
  operations: Map<string, OperationModel>;
  /** Named shapes, resolved. */
  shapes: Map<string, Shape>;
}

/** The JSON as stored (also the format of patches). */
export interface RawModel {
  version?: string;
  metadata: Record<string, unknown>;
  operations: Record<string, RawOperation>;
  shapes: Record<string, RawShape>;
}
export type RawShape = Record<string, unknown> & { shape?: string; type?: string };
export type RawOperation = Record<string, unknown> & { input?: RawShape; output?: RawShape };

const cache = new Map<string, ServiceModel>();
const requireFromHere = createRequire(import.meta.url);

/** Loads (once per stem) and resolves a service model, e.g. loadModel('sts-2011-06-15'). */
export function loadModel(stem: string): ServiceModel {
  let m = cache.get(stem);
  if (!m) {
    if (!/^[a-z0-9.-]+-\d{4}-\d{2}-\d{2}$/.test(stem)) throw new Error(`not a model stem: ${stem}`);
    const file = requireFromHere.resolve(`aws-sdk/apis/${stem}.min.json`);
    let raw = JSON.parse(readFileSync(file, 'utf8')) as RawModel;
    for (const patch of patchesFor(stem)) raw = applyPatch(raw, patch);
    m = buildModel(stem, raw);
    cache.set(stem, m);
  }
  return m;
}

const TRAIT_KEYS_SKIPPED = new Set(['shape', 'documentation']);

/** Resolves a raw model into the Shape graph. Exported for tests and patched models. */
export function buildModel(stem: string, raw: RawModel): ServiceModel {
  const named = new Map<string, Shape>();
  // Shapes derived from a named shape plus member traits: completed once every named shape is.
  const derived: Array<{ target: Shape; traits: Shape }> = [];

  for (const name of Object.keys(raw.shapes)) named.set(name, { type: 'string', shapeName: name });

  const resolve = (rs: RawShape): Shape => {
    if (rs.shape !== undefined) {
      const target = named.get(rs.shape);
      if (!target) throw new Error(`${stem}: unknown shape ${rs.shape}`);
      const keys = Object.keys(rs).filter((k) => !TRAIT_KEYS_SKIPPED.has(k));
      if (keys.length === 0) return target;
      const traits = {} as Shape;
      fill(traits, rs, keys);
      const s = { ...traits } as Shape;
      derived.push({ target, traits: s });
      return s;
    }
    const s = { type: 'string' } as Shape;
    fill(s, rs, Object.keys(rs));
    return s;
  };

  const fill = (s: Shape, rs: RawShape, keys: string[]): void => {
    const out = s as unknown as Record<string, unknown>;
    for (const k of keys) {
      const v = rs[k];
      if (k === 'shape' || k === 'documentation') continue;
      if (k === 'members') {
        const members: Record<string, Shape> = {};
        for (const [mn, ms] of Object.entries(v as Record<string, RawShape>)) members[mn] = resolve(ms);
        s.members = members;
      } else if (k === 'member' || k === 'key' || k === 'value') {
        out[k] = resolve(v as RawShape);
      } else {
        out[k] = v;
      }
    }
  };

  for (const [name, rs] of Object.entries(raw.shapes)) {
    const s = named.get(name)!;
    fill(s, rs, Object.keys(rs));
    if (rs.type === undefined) s.type = 'string';
  }

  const operations = new Map<string, OperationModel>();
  for (const [name, ro] of Object.entries(raw.operations)) {
    const op: OperationModel = { name };
    for (const [k, v] of Object.entries(ro)) {
      if (k === 'input' || k === 'output') op[k] = resolve(v as RawShape);
      else (op as unknown as Record<string, unknown>)[k] = v;
    }
    operations.set(name, op);
  }
  // Derived shapes: the named shape's properties under the member's own traits. Done last, once
  // every named shape is complete; nested references are objects, completed in place.
  for (const { target, traits } of derived) {
    const own = { ...traits };
    Object.assign(traits, target, own);
  }
  const metadata = raw.metadata as unknown as ServiceMetadata;
  if (!metadata.protocols) metadata.protocols = [metadata.protocol];
  return { stem, metadata, operations, shapes: named };
}

/** The model's timestamp format for a shape under a protocol (member trait first). */
export function timestampFormat(shape: Shape, protocol: string, inHeader = false): string {
  if (shape.timestampFormat) return shape.timestampFormat;
  if (inHeader) return 'rfc822';
  return protocol === 'json' || protocol === 'rest-json' ? 'unixTimestamp' : 'iso8601';
}

/** Members of a structure, [] for anything else. */
export function membersOf(shape: Shape | undefined): Array<[string, Shape]> {
  return shape?.members ? Object.entries(shape.members) : [];
}
