// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `backends.ceph.rgw` config section of the S3-on-RGW translator, validated with messages that
 * name the key:
 *
 *   s3: { backend: ceph }
 *   backends:
 *     ceph:
 *       rgw:
 *         endpoint: http://127.0.0.1:47380   # RGW (beast/civetweb), path-style S3 + admin ops API
 *         adminAccessKey: …                  # an RGW user with caps users=*;buckets=* (admin ops)
 *         adminSecretKey: …
 *         region: us-east-1                  # what upstream requests are signed for (RGW's zonegroup)
 *         tenantPrefix: mcgw                 # account N's RGW tenant is <tenantPrefix><N>
 *         timeoutMs: 60000                   # per upstream request (headers, then between body chunks)
 *         connections: 128                   # keep-alive connections to RGW at most
 */
import { ConfigError } from '../../../src/config.js';

export interface RgwConfig {
  endpoint: URL;
  adminAccessKey: string;
  adminSecretKey: string;
  region: string;
  tenantPrefix: string;
  timeoutMs: number;
  connections: number;
}

const P = 'backends.ceph.rgw';

function str(s: Record<string, unknown>, key: string, dflt?: string): string {
  const v = s[key] ?? dflt;
  if (typeof v !== 'string' || !v) throw new ConfigError(`'${P}.${key}' must be a non-empty string${dflt === undefined ? ' (required)' : ''}`);
  return v;
}

function num(s: Record<string, unknown>, key: string, dflt: number, min: number): number {
  const v = s[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`'${P}.${key}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function parseRgwConfig(ceph: Record<string, unknown> | undefined): RgwConfig {
  const section = ceph?.rgw;
  if (!section || typeof section !== 'object' || Array.isArray(section)) {
    throw new ConfigError(`s3.backend is 'ceph' but the '${P}' section is missing (endpoint, adminAccessKey, adminSecretKey)`);
  }
  const s = section as Record<string, unknown>;
  const known = new Set(['endpoint', 'adminAccessKey', 'adminSecretKey', 'region', 'tenantPrefix', 'timeoutMs', 'connections']);
  for (const k of Object.keys(s)) if (!known.has(k)) throw new ConfigError(`'${P}.${k}' is not a known key (known: ${[...known].join(', ')})`);
  let endpoint: URL;
  try {
    endpoint = new URL(str(s, 'endpoint'));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`'${P}.endpoint' must be a URL such as http://127.0.0.1:7480, got ${JSON.stringify(s.endpoint)}`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new ConfigError(`'${P}.endpoint' must be http:// or https://, got ${endpoint.protocol}`);
  if (endpoint.pathname !== '/' || endpoint.search) throw new ConfigError(`'${P}.endpoint' must have no path or query (path-style requests go to its root)`);
  const tenantPrefix = str(s, 'tenantPrefix', 'mcgw');
  // RGW tenant names: letters, digits and underscores
  if (!/^[A-Za-z0-9_]{1,32}$/.test(tenantPrefix)) throw new ConfigError(`'${P}.tenantPrefix' must be 1-32 letters, digits or underscores, got ${JSON.stringify(tenantPrefix)}`);
  return {
    endpoint,
    adminAccessKey: str(s, 'adminAccessKey'),
    adminSecretKey: str(s, 'adminSecretKey'),
    region: str(s, 'region', 'us-east-1'),
    tenantPrefix,
    timeoutMs: num(s, 'timeoutMs', 60_000, 100),
    connections: num(s, 'connections', 128, 1),
  };
}
