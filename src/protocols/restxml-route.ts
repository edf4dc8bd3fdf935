// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * rest-xml request routing: which bucket and key a request addresses (path-style or
 * virtual-hosted style) and which model operation it is (method + path shape + sub-resource
 * query literals from the model's requestUri + the operation's required query/header members).
 */
import type { WireRequest } from '../context.js';
import { AwsError } from '../errors.js';
import type { OperationModel, ServiceModel, Shape } from './model.js';

export interface S3Address {
  bucket?: string;
  key?: string;
  /** True when the bucket came from the Host header. */
  virtualHosted: boolean;
}

export type QueryMap = Map<string, string>;

export function invalidUri(): AwsError {
  return new AwsError('InvalidURI', "Couldn't parse the specified URI.", { status: 400 });
}

function decodePath(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidUri();
  }
}

/** Query parameters, percent- and '+'-decoded. The first occurrence of a name wins. */
export function parseQuery(raw: string): QueryMap {
  const q: QueryMap = new Map();
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodePath((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const v = eq < 0 ? '' : decodePath(part.slice(eq + 1).replace(/\+/g, ' '));
    if (!q.has(k)) q.set(k, v);
  }
  return q;
}

function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h; // IPv6 literal: never virtual-hosted
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The bucket a virtual-hosted Host names, if any. Longest base domain wins. */
export function bucketFromHost(host: string, baseDomains: readonly string[]): string | undefined {
  const h = hostName(host);
  const bases = [...baseDomains].map((d) => d.toLowerCase()).sort((a, b) => b.length - a.length);
  for (const base of bases) {
    if (h.length > base.length + 1 && h.endsWith('.' + base)) return h.slice(0, h.length - base.length - 1);
  }
  return undefined;
}

export function resolveAddress(req: WireRequest, baseDomains: readonly string[]): S3Address {
  const path = req.path || '/';
  if (!path.startsWith('/')) throw invalidUri();
  const vbucket = bucketFromHost(req.host, baseDomains);
  if (vbucket !== undefined) {
    const key = decodePath(path.slice(1));
    return { bucket: vbucket, key: key === '' ? undefined : key, virtualHosted: true };
  }
  const rest = path.slice(1);
  if (rest === '') return { virtualHosted: false };
  const slash = rest.indexOf('/');
  const bucket = decodePath(slash < 0 ? rest : rest.slice(0, slash));
  const key = slash < 0 ? '' : decodePath(rest.slice(slash + 1));
  return { bucket: bucket === '' ? undefined : bucket, key: key === '' ? undefined : key, virtualHosted: false };
}

type PathKind = 'root' | 'bucket' | 'object';

interface Route {
  op: OperationModel;
  method: string;
  kind: PathKind;
  /** Sub-resource literals from the requestUri: name → required value ('' = any). */
  literals: Array<[string, string]>;
  /** Required members sent in the query string or headers (wire names, lower-cased headers). */
  requiredQuery: string[];
  requiredHeaders: string[];
}

/**
 * CORS preflight: `OPTIONS` on a bucket or object. Not an operation of the model; the S3 service
 * registers a handler under this name (input: Bucket, Key).
 */
export const PREFLIGHT: OperationModel = { name: 'PreflightRequest' };

/** Operations that exist in the model but are superseded by a newer one on the same route. */
const SUPERSEDED = new Set(['GetBucketLifecycle', 'PutBucketLifecycle', 'GetBucketNotification', 'PutBucketNotification']);
/** S3 Express / Object Lambda operations: never routed here. */
const NOT_ROUTED = new Set(['ListDirectoryBuckets', 'CreateSession', 'WriteGetObjectResponse']);

/** Query parameters that carry authentication or SDK hints, never a sub-resource. */
export function isAuthParam(name: string): boolean {
  const l = name.toLowerCase();
  return l.startsWith('x-amz-') || l === 'x-id' || l === 'awsaccesskeyid' || l === 'signature' || l === 'expires';
}

const routeCache = new WeakMap<ServiceModel, Route[]>();

function routesOf(model: ServiceModel): Route[] {
  let routes = routeCache.get(model);
  if (routes) return routes;
  routes = [];
  for (const op of model.operations.values()) {
    if (SUPERSEDED.has(op.name) || NOT_ROUTED.has(op.name) || !op.http) continue;
    const uri = op.http.requestUri ?? '/';
    const [p, qs] = uri.split('?', 2);
    const kind: PathKind = p.includes('{Key+}') ? 'object' : p.includes('{Bucket}') ? 'bucket' : 'root';
    const literals: Array<[string, string]> = [];
    for (const part of (qs ?? '').split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      literals.push(eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
    }
    const requiredQuery: string[] = [];
    const requiredHeaders: string[] = [];
    const input: Shape | undefined = op.input;
    for (const name of input?.required ?? []) {
      const m = input?.members?.[name];
      if (!m) continue;
      if (m.location === 'querystring') requiredQuery.push(m.locationName ?? name);
      else if (m.location === 'header') requiredHeaders.push((m.locationName ?? name).toLowerCase());
    }
    routes.push({ op, method: op.http.method ?? 'POST', kind, literals, requiredQuery, requiredHeaders });
  }
  routeCache.set(model, routes);
  return routes;
}

export interface RouteResult {
  operation: OperationModel;
  address: S3Address;
  query: QueryMap;
}

function methodNotAllowed(method: string): AwsError {
  return new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
    status: 405,
    fields: { Method: method, ResourceType: 'OBJECT' },
  });
}

/** Picks the operation of a request. Throws NotImplemented for an unknown sub-resource. */
export function route(req: WireRequest, model: ServiceModel, baseDomains: readonly string[]): RouteResult {
  const address = resolveAddress(req, baseDomains);
  const query = parseQuery(req.query);
  const method = req.method.toUpperCase();
  const kind: PathKind = address.key !== undefined ? 'object' : address.bucket !== undefined ? 'bucket' : 'root';
  if (method === 'OPTIONS') return { operation: PREFLIGHT, address, query };
  const hint = query.get('x-id');
  let best: Route | undefined;
  let bestScore = -1;
  for (const r of routesOf(model)) {
    if (r.method !== method || r.kind !== kind) continue;
    if (!r.literals.every(([k, v]) => query.has(k) && (v === '' || query.get(k) === v))) continue;
    if (!r.requiredQuery.every((k) => query.has(k))) continue;
    if (!r.requiredHeaders.every((h) => req.headers[h] !== undefined)) continue;
    let score = r.literals.length * 100 + r.requiredQuery.length * 10 + r.requiredHeaders.length;
    if (hint === r.op.name) score += 10_000;
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  if (!best) {
    if (method === 'HEAD' || method === 'GET' || method === 'PUT' || method === 'DELETE' || method === 'POST') {
      const sub = unknownSubResource(query, new Set());
      if (sub) throw subResourceNotImplemented(sub);
    }
    throw methodNotAllowed(method);
  }
  const known = new Set<string>(best.literals.map(([k]) => k));
  for (const m of Object.values(best.op.input?.members ?? {})) if (m.location === 'querystring') known.add(m.locationName ?? '');
  const sub = unknownSubResource(query, known);
  if (sub) throw subResourceNotImplemented(sub);
  return { operation: best.op, address, query };
}

/** A bare (valueless) query parameter that is neither a member nor an auth parameter. */
function unknownSubResource(query: QueryMap, known: Set<string>): string | undefined {
  for (const [k, v] of query) {
    if (v === '' && !known.has(k) && !isAuthParam(k)) return k;
  }
  return undefined;
}

export function subResourceNotImplemented(name: string): AwsError {
  return new AwsError('NotImplemented', `The sub-resource '${name}' is not implemented by this gateway.`, {
    status: 501,
    fault: 'Receiver',
  });
}
