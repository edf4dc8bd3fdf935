// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Configuration: one file (YAML or JSON) plus environment overrides plus CLI flags (highest
 * precedence), validated at start with clear messages. Each service section picks its backend;
 * backend sections hold their endpoints and secrets (never logged: see redact()).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDynamoStateConfig } from './state/dynamo/options.js';

export const SERVICE_SECTIONS = ['s3', 'ec2', 'dynamodb', 'cloudwatch', 'logs'] as const;
export type ServiceSection = (typeof SERVICE_SECTIONS)[number];

export const BACKENDS: Record<ServiceSection, readonly string[]> = {
  s3: ['embedded', 'ceph'],
  ec2: ['embedded', 'proxmox'],
  dynamodb: ['embedded', 'alternator'],
  cloudwatch: ['embedded', 'grafana'],
  logs: ['embedded', 'grafana'],
};

/** Where the gateway's own state lives: LMDB under dataDir, or a shared DynamoDB-API table (docs/scale-out.md). */
export const STATE_BACKENDS = ['lmdb', 'dynamodb'] as const;

export interface StateConfig {
  backend: (typeof STATE_BACKENDS)[number];
  [option: string]: unknown;
}

export interface ServiceConfig {
  backend: string;
  [option: string]: unknown;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  dev: boolean;
  /** Where the config came from, for health output. */
  source: string | null;
  s3: ServiceConfig & { baseDomains: string[] };
  ec2: ServiceConfig;
  dynamodb: ServiceConfig;
  cloudwatch: ServiceConfig;
  logs: ServiceConfig;
  state: StateConfig;
  limits: {
    /** Largest body read into memory for non-streaming protocols (query, json, cbor). */
    maxBufferedBody: number;
    /** Largest total size of the request header section. */
    maxHeaderBytes: number;
    /** Milliseconds a request may take to send its headers (slowloris). */
    headersTimeoutMs: number;
    /** Milliseconds a connection may stay idle. */
    keepAliveTimeoutMs: number;
    /** Upper bound on concurrently open client connections (0: unlimited). */
    maxConnections: number;
    /** Milliseconds SIGTERM waits for in-flight requests. */
    shutdownGraceMs: number;
  };
  /** Free-form sections for backends (ceph, proxmox, alternator, grafana…). */
  backends: Record<string, Record<string, unknown>>;
}

export interface CliOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  region?: string;
  dev?: boolean;
  config?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const REGION_RE = /^[a-z]{2}(-[a-z0-9]+)+-\d+$|^[a-z][a-z0-9-]{1,30}$/;

export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 4566,
    dataDir: './data',
    region: 'us-east-1',
    dev: false,
    source: null,
    s3: { backend: 'embedded', baseDomains: ['localhost', 's3.localhost'] },
    ec2: { backend: 'embedded' },
    dynamodb: { backend: 'embedded' },
    cloudwatch: { backend: 'embedded' },
    logs: { backend: 'embedded' },
    state: { backend: 'lmdb' },
    limits: {
      maxBufferedBody: 16 * 1024 * 1024,
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 0,
      shutdownGraceMs: 15_000,
    },
    backends: {},
  };
}

function readFileConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    const doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the top level must be a mapping');
    return doc as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.MCGW_HOST) out.host = env.MCGW_HOST;
  if (env.MCGW_PORT) out.port = Number(env.MCGW_PORT);
  if (env.MCGW_DATA_DIR) out.dataDir = env.MCGW_DATA_DIR;
  if (env.MCGW_REGION) out.region = env.MCGW_REGION;
  if (env.MCGW_DEV) out.dev = env.MCGW_DEV === '1' || env.MCGW_DEV === 'true';
  for (const s of SERVICE_SECTIONS) {
    const b = env[`MCGW_${s.toUpperCase()}_BACKEND`];
    if (b) out[s] = { backend: b };
  }
  const state: Record<string, unknown> = {};
  if (env.MCGW_STATE_BACKEND) state.backend = env.MCGW_STATE_BACKEND;
  if (env.MCGW_STATE_ENDPOINTS) state.endpoints = env.MCGW_STATE_ENDPOINTS;
  if (env.MCGW_STATE_ACCESS_KEY_ID) state.accessKeyId = env.MCGW_STATE_ACCESS_KEY_ID;
  if (env.MCGW_STATE_SECRET_ACCESS_KEY) state.secretAccessKey = env.MCGW_STATE_SECRET_ACCESS_KEY;
  if (Object.keys(state).length) out.state = state;
  return out;
}

/** Loads and validates: defaults < file < environment < CLI flags. */
export function loadConfig(cli: CliOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const cfg = defaultConfig();
  const file = cli.config ?? env.MCGW_CONFIG;
  const layers: Record<string, unknown>[] = [];
  if (file) {
    layers.push(readFileConfig(file));
    cfg.source = resolve(file);
  }
  layers.push(envOverrides(env));
  const flags: Record<string, unknown> = {};
  for (const k of ['host', 'port', 'dataDir', 'region', 'dev'] as const) if (cli[k] !== undefined) flags[k] = cli[k];
  layers.push(flags);
  for (const layer of layers) apply(cfg, layer);
  validate(cfg);
  return cfg;
}

const TOP_KEYS = new Set(['host', 'port', 'dataDir', 'region', 'dev', 'limits', 'backends', 'state', ...SERVICE_SECTIONS]);

function apply(cfg: Config, layer: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(layer)) {
    if (!TOP_KEYS.has(k)) throw new ConfigError(`unknown config key '${k}' (known: ${[...TOP_KEYS].join(', ')})`);
    const target = cfg as unknown as Record<string, unknown>;
    if (k === 'limits' || k === 'backends' || k === 'state' || (SERVICE_SECTIONS as readonly string[]).includes(k)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`'${k}' must be a mapping`);
      target[k] = { ...(target[k] as object), ...(v as object) };
    } else {
      target[k] = v;
    }
  }
}

function validate(cfg: Config): void {
  if (typeof cfg.host !== 'string' || !cfg.host) throw new ConfigError(`'host' must be a host name or address`);
  if (!Number.isInteger(cfg.port) || cfg.port < 0 || cfg.port > 65535) throw new ConfigError(`'port' must be an integer 0..65535, got ${String(cfg.port)}`);
  if (typeof cfg.dataDir !== 'string' || !cfg.dataDir) throw new ConfigError(`'dataDir' must be a path`);
  if (typeof cfg.region !== 'string' || !REGION_RE.test(cfg.region)) throw new ConfigError(`'region' must look like an AWS region (e.g. us-east-1), got '${String(cfg.region)}'`);
  if (typeof cfg.dev !== 'boolean') throw new ConfigError(`'dev' must be true or false`);
  for (const s of SERVICE_SECTIONS) {
    const b = cfg[s].backend;
    if (!BACKENDS[s].includes(b)) throw new ConfigError(`'${s}.backend' must be one of ${BACKENDS[s].join(', ')}, got '${String(b)}'`);
  }
  if (!Array.isArray(cfg.s3.baseDomains) || cfg.s3.baseDomains.some((d) => typeof d !== 'string' || !d)) {
    throw new ConfigError(`'s3.baseDomains' must be a list of domain names`);
  }
  for (const [k, v] of Object.entries(cfg.limits)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`'limits.${k}' must be a non-negative number`);
  }
  if (!(STATE_BACKENDS as readonly string[]).includes(cfg.state.backend)) throw new ConfigError(`'state.backend' must be one of ${STATE_BACKENDS.join(', ')}, got '${String(cfg.state.backend)}'`);
  if (cfg.state.backend === 'dynamodb') {
    try {
      parseDynamoStateConfig(cfg.state, cfg.region);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  cfg.dataDir = resolve(cfg.dataDir);
}

const SECRET_KEY_RE = /secret|password|token|key$/i;

/** A copy safe to print or log: values of secret-looking keys are replaced. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY_RE.test(k) && typeof v === 'string' ? '***' : redact(v);
    return out as T;
  }
  return value;
}
