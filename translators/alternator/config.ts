// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `backends.alternator` config section, validated with messages that name the key:
 *
 *   dynamodb: { backend: alternator }
 *   backends:
 *     alternator:
 *       endpoints: [http://10.0.0.1:8000]   # seed nodes; the rest is discovered via /localnodes
 *       accessKeyId: mcgw                   # a CQL role name
 *       secretAccessKey: "$6$…"             # that role's salted_hash (system.roles)
 *       tablePrefix: "a{account}_"          # per-account prefix of table names in Alternator
 *       txTable: mcgw_tx                    # transaction log and locks (outside every prefix)
 */
import { ConfigError } from '../../src/config.js';

export interface AlternatorConfig {
  /** Seed node URLs (scheme, host, port). */
  endpoints: URL[];
  accessKeyId: string;
  secretAccessKey: string;
  /** Region the upstream requests are signed for (Alternator accepts any). */
  region: string;
  /** Contains `{account}`; the rest is table-name characters. */
  tablePrefix: string;
  txTable: string;
  /** Alternator's table name limit (Scylla's alternator/executor.cc: 222). */
  maxTableNameLength: number;
  /** Seconds between /localnodes refreshes. */
  discoverySeconds: number;
  /** Seconds between health checks of nodes taken out. */
  healthSeconds: number;
  /** Per-attempt upstream timeout. */
  timeoutMs: number;
  /** Attempts on other nodes for requests that are safe to retry. */
  retries: number;
  /** Responses larger than this (bytes, by Content-Length) stream through unmapped, without x-amz-crc32. */
  streamAbove: number;
  /** A lock older than this (ms) whose transaction is not committed is presumed abandoned. */
  txLeaseMs: number;
}

const NAME_CHARS = /^[a-zA-Z0-9_.-]*$/;

function num(s: Record<string, unknown>, key: string, dflt: number, min: number): number {
  const v = s[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ConfigError(`'backends.alternator.${key}' must be a number >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function str(s: Record<string, unknown>, key: string, dflt?: string): string {
  const v = s[key] ?? dflt;
  if (typeof v !== 'string' || !v) throw new ConfigError(`'backends.alternator.${key}' must be a non-empty string${dflt === undefined ? ' (required)' : ''}`);
  return v;
}

export function parseAlternatorConfig(section: Record<string, unknown> | undefined, region: string): AlternatorConfig {
  if (!section || typeof section !== 'object') throw new ConfigError(`dynamodb.backend is 'alternator' but the 'backends.alternator' section is missing`);
  const eps = section.endpoints;
  if (!Array.isArray(eps) || eps.length === 0) throw new ConfigError(`'backends.alternator.endpoints' must be a non-empty list of URLs (http://host:port)`);
  const endpoints = eps.map((e) => {
    let u: URL;
    try {
      u = new URL(String(e));
    } catch {
      throw new ConfigError(`'backends.alternator.endpoints': '${String(e)}' is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`'backends.alternator.endpoints': '${String(e)}' must be http:// or https://`);
    return u;
  });
  const tablePrefix = str(section, 'tablePrefix', 'a{account}_');
  if (!tablePrefix.includes('{account}') || !NAME_CHARS.test(tablePrefix.replace('{account}', ''))) {
    throw new ConfigError(`'backends.alternator.tablePrefix' must contain {account} and otherwise only a-z A-Z 0-9 _ . -, got '${tablePrefix}'`);
  }
  const txTable = str(section, 'txTable', 'mcgw_tx');
  if (!NAME_CHARS.test(txTable) || txTable.length < 3 || txTable.includes('{account}')) throw new ConfigError(`'backends.alternator.txTable' must be a table name, got '${txTable}'`);
  const maxTableNameLength = num(section, 'maxTableNameLength', 222, 3);
  const cfg: AlternatorConfig = {
    endpoints,
    accessKeyId: str(section, 'accessKeyId'),
    secretAccessKey: str(section, 'secretAccessKey'),
    region: str(section, 'region', region),
    tablePrefix,
    txTable,
    maxTableNameLength,
    discoverySeconds: num(section, 'discoverySeconds', 60, 0),
    healthSeconds: num(section, 'healthSeconds', 5, 0.05),
    timeoutMs: num(section, 'timeoutMs', 10_000, 1),
    retries: num(section, 'retries', 2, 0),
    streamAbove: num(section, 'streamAbove', 1024 * 1024, 0),
    txLeaseMs: num(section, 'txLeaseMs', 30_000, 1),
  };
  if (tablePrefix.replace('{account}', '000000000000').length + 3 > maxTableNameLength) throw new ConfigError(`'backends.alternator.tablePrefix' leaves no room for table names`);
  const known = new Set(['endpoints', 'accessKeyId', 'secretAccessKey', 'region', 'tablePrefix', 'txTable', 'maxTableNameLength', 'discoverySeconds', 'healthSeconds', 'timeoutMs', 'retries', 'streamAbove', 'txLeaseMs']);
  for (const k of Object.keys(section)) if (!known.has(k)) throw new ConfigError(`unknown key 'backends.alternator.${k}' (known: ${[...known].join(', ')})`);
  return cfg;
}
