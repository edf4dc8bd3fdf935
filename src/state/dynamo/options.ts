// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `state` config section for `backend: dynamodb`, checked with messages that name the key.
 * Errors are plain Errors; src/config.ts turns them into ConfigErrors.
 */
import type { DynamoStateOptions } from './store.js';

export interface DynamoStateConfig extends DynamoStateOptions {
  /** How long a resolved access key is trusted without re-reading the identity generation (ms). */
  identityCacheMs: number;
}

const KNOWN = new Set(['backend', 'endpoint', 'endpoints', 'region', 'table', 'accessKeyId', 'secretAccessKey', 'createTable', 'txTimeoutMs', 'recoveryIntervalMs', 'requestTimeoutMs', 'identityCacheMs']);
const TABLE_RE = /^[a-zA-Z0-9_.-]{3,222}$/;

/** Default identity cache: see docs/scale-out.md (one generation read per second per gateway). */
export const DEFAULT_IDENTITY_CACHE_MS = 1000;

export function parseDynamoStateConfig(s: Record<string, unknown>, defaultRegion: string): DynamoStateConfig {
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`unknown key 'state.${k}' (known: ${[...KNOWN].join(', ')})`);
  let endpoints: unknown = s.endpoints ?? (s.endpoint !== undefined ? [s.endpoint] : undefined);
  if (typeof endpoints === 'string') endpoints = endpoints.split(',').map((e) => e.trim()).filter(Boolean);
  if (!Array.isArray(endpoints) || endpoints.length === 0) throw new Error(`'state.endpoints' must list the DynamoDB-API endpoints (e.g. [http://10.0.0.1:8000]) when state.backend is dynamodb`);
  for (const e of endpoints) {
    let u: URL | undefined;
    try {
      u = typeof e === 'string' ? new URL(e) : undefined;
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new Error(`'state.endpoints' entries must be http(s) URLs, got '${String(e)}'`);
  }
  const str = (k: string, dflt?: string): string => {
    const v = s[k] ?? dflt;
    if (typeof v !== 'string' || !v) throw new Error(`'state.${k}' must be a non-empty string when state.backend is dynamodb`);
    return v;
  };
  const num = (k: string, dflt: number, min: number): number => {
    const v = s[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`'state.${k}' must be a number ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const table = str('table', 'mcgw-state');
  if (!TABLE_RE.test(table)) throw new Error(`'state.table' must be 3-222 letters, digits, '_', '.' or '-', got '${table}'`);
  if (s.createTable !== undefined && typeof s.createTable !== 'boolean') throw new Error(`'state.createTable' must be true or false`);
  return {
    endpoints: endpoints as string[],
    region: str('region', defaultRegion),
    table,
    accessKeyId: str('accessKeyId'),
    secretAccessKey: str('secretAccessKey'),
    createTable: (s.createTable as boolean | undefined) ?? true,
    txTimeoutMs: num('txTimeoutMs', 5000, 100),
    recoveryIntervalMs: num('recoveryIntervalMs', 10_000, 0),
    requestTimeoutMs: num('requestTimeoutMs', 10_000, 100),
    identityCacheMs: num('identityCacheMs', DEFAULT_IDENTITY_CACHE_MS, 0),
  };
}
