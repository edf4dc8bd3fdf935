// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Conformance harness: a gateway on a free port with a fresh data dir, and the means to point
 * real clients at it (AWS SDK v3, aws-cli, boto3, rclone, restic…).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../src/config.js';
import type { Clock, GatewayHandle } from '../src/gateway.js';
import { silentLogger, type Logger } from '../src/log.js';
import { startGateway, type RunningGateway } from '../src/server/start.js';
import { cephS3Config } from './backends/ceph/cluster.js';
import { cephRbdConfig } from './backends/ceph/rbd.js';
import { startAlternatorShim, type AlternatorShim } from '../test/fakes/alternator/shim.js';

/** Gateway config for the Alternator translator against a stand-in (one seed; the rest discovered). */
export function alternatorConfig(shim: AlternatorShim, extra: Record<string, unknown> = {}): Partial<Config> {
  return {
    dynamodb: { backend: 'alternator' },
    backends: { alternator: { endpoints: [shim.endpoints[0]], accessKeyId: shim.accessKeyId, secretAccessKey: shim.secretAccessKey, healthSeconds: 0.2, ...extra } },
  };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: Credentials;
  forcePathStyle: true;
}

export interface TestGatewayHandle {
  url: string;
  port: number;
  region: string;
  accountId: string;
  credentials: Credentials;
  /** For @aws-sdk/client-* constructors. */
  clientConfig: ClientConfig;
  gateway: GatewayHandle;
  dataDir: string;
  running: RunningGateway;
  /** The Alternator stand-in behind the gateway, when DynamoDB runs through the translator. */
  alternator?: AlternatorShim;
  /** A new account (tenant) with its own root key. */
  newAccount(name: string): Promise<{ accountId: string; credentials: Credentials; clientConfig: ClientConfig }>;
  /** Environment for a CLI child process (aws, python boto3…) signed as `creds` (default: root). */
  env(creds?: Credentials): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<Config>;
  /**
   * DynamoDB on the embedded engine (default) or through the Alternator translator against the
   * Alternator stand-in of test/fakes/alternator. Defaults to $MCGW_TEST_DYNAMODB_BACKEND, so the
   * DynamoDB suites run unchanged on either.
   */
  dynamodbBackend?: 'embedded' | 'alternator';
  /**
   * S3 on the embedded store (default) or on Ceph RGW (the cluster of conformance/backends/ceph,
   * started when needed). Defaults to $MCGW_TEST_S3_BACKEND, so the S3 suites run unchanged on either.
   */
  s3Backend?: 'embedded' | 'ceph';
  /**
   * EBS volumes of the embedded compute as files (default) or on Ceph RBD (the cluster of
   * conformance/backends/ceph, started when needed; images purged at teardown). Defaults to
   * $MCGW_TEST_EC2_VOLUMES, so the EC2 suites run unchanged on either.
   */
  ec2Volumes?: 'files' | 'rbd';
  clock?: Clock;
  dev?: boolean;
  region?: string;
  /** The gateway's logger (default: silent, or the real one with $MCGW_TEST_LOG). */
  log?: Logger;
}

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export async function startTestGateway(t: Teardownable | null, opts: HarnessOptions = {}): Promise<TestGatewayHandle> {
  if ((opts.s3Backend ?? process.env.MCGW_TEST_S3_BACKEND) === 'ceph' && !opts.config?.s3) {
    opts = { ...opts, config: (await cephS3Config(opts.config)) as Partial<Config> };
  }
  const ec2 = opts.config?.ec2 as Record<string, unknown> | undefined;
  if ((opts.ec2Volumes ?? process.env.MCGW_TEST_EC2_VOLUMES) === 'rbd' && (ec2?.backend ?? 'embedded') === 'embedded' && ec2?.volumes === undefined) {
    opts = { ...opts, config: await cephRbdConfig(t, opts.config) };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-conf-'));
  const viaAlternator = (opts.dynamodbBackend ?? process.env.MCGW_TEST_DYNAMODB_BACKEND) === 'alternator' && !opts.config?.dynamodb;
  const shim = viaAlternator ? await startAlternatorShim() : undefined;
  if (shim) opts = { ...opts, config: { ...opts.config, ...alternatorConfig(shim) } };
  const running = await startGateway({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    dev: opts.dev ?? false,
    region: opts.region,
    clock: opts.clock,
    log: opts.log ?? (process.env.MCGW_TEST_LOG ? undefined : silentLogger),
    overrides: opts.config,
    env: {},
  });
  const region = running.config.region;
  const mk = (credentials: Credentials): ClientConfig => ({ endpoint: running.url, region, credentials, forcePathStyle: true });
  const credentials = { accessKeyId: running.root.accessKeyId, secretAccessKey: running.root.secretAccessKey };
  let closed = false;
  const handle: TestGatewayHandle = {
    url: running.url,
    port: running.port,
    region,
    accountId: running.root.accountId,
    credentials,
    clientConfig: mk(credentials),
    gateway: running.gateway,
    dataDir,
    running,
    alternator: shim,
    async newAccount(name) {
      const { account, key } = await running.gateway.identity.createAccount(name);
      const c = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
      return { accountId: account.accountId, credentials: c, clientConfig: mk(c) };
    },
    env(creds = credentials) {
      const e: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ENDPOINT_URL: running.url,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      if (creds.sessionToken) e.AWS_SESSION_TOKEN = creds.sessionToken;
      return e;
    },
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
      await shim?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t?.teardown(() => handle.close());
  return handle;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (aws, python3…) to completion; never rejects on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** aws-cli v2 from Debian (/usr/bin/aws), when installed. */
export const AWS_CLI_V2 = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : undefined;
/** Debian's python3 with python3-boto3, when installed. */
export const DEBIAN_PYTHON = existsSync('/usr/lib/python3/dist-packages/boto3') ? '/usr/bin/python3' : undefined;

/**
 * Sends raw bytes to a gateway and returns the raw response as latin1 text: once a whole response
 * (headers and Content-Length body) has arrived, or when the server closes, or after `ms`.
 */
export function rawHttp(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      const m = /content-length: (\d+)/i.exec(out);
      const head = out.indexOf('\r\n\r\n');
      if (m && head >= 0 && out.length >= head + 4 + Number(m[1])) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}
