// SPDX-License-Identifier: AGPL-3.0-or-later
/** The `mcgw` command: serve, credentials, accounts. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { readCredentialsFile } from './server/bootstrap.js';
import { startGateway } from './server/start.js';
import { IdentityStore } from './state/identity.js';
import { GRAFANA_USAGE, grafanaCommand } from '../translators/grafana/provision-cli.js';
import { MissingStateTable } from './state/dynamo/items.js';
import { openStateStore } from './state/open.js';

const USAGE = `mcgw — the micro-cloud gateway: AWS APIs (S3, EC2/EBS, DynamoDB, CloudWatch, Logs, STS, IAM) on your own hardware

Usage:
  mcgw serve [--host 127.0.0.1] [--port 4566] [--data-dir ./data] [--config FILE] [--region us-east-1] [--dev]
  mcgw credentials [--data-dir ./data] [--json]       print the first account's root key pair again
  mcgw accounts create NAME [--data-dir ./data] [--config FILE] [--json]
                                                      a new account (tenant) with its own root key pair;
                                                      works while the gateway runs on the same data dir
                                                      (or, with --config, on the state table it names)
  mcgw accounts list [--data-dir ./data] [--config FILE] [--json]
  mcgw grafana provision [--out DIR] [--config FILE] Grafana data sources (CloudWatch on this gateway,
                                                      Prometheus, Loki) and a dashboard of /_mcgw/metrics;
                                                      'mcgw help grafana' for details
  mcgw help serve                                     configuration reference
`;

const SERVE_HELP = `mcgw serve — serve every AWS API on one port

Options (highest precedence first: flags, then environment, then the config file):
  --host ADDR        listen address (env MCGW_HOST; default 127.0.0.1)
  --port N           listen port (env MCGW_PORT; default 4566; 0 picks a free port)
  --data-dir DIR     state, objects, volumes, tables, metrics (env MCGW_DATA_DIR; default ./data)
  --config FILE      YAML or JSON config file (env MCGW_CONFIG)
  --region NAME      the region this gateway serves (env MCGW_REGION; default us-east-1)
  --dev              also accept the well-known key pair test/test (NEVER in production)

Credentials of the first account:
  MCGW_ROOT_ACCESS_KEY_ID / MCGW_ROOT_SECRET_ACCESS_KEY   use this root key pair
  MCGW_ROOT_ACCOUNT_ID                                   12-digit id of the first account (default: random)
  Without them the first start generates a key pair, stores it in DATA_DIR/credentials.json (mode 0600)
  and prints it once; 'mcgw credentials' prints it again.

Config file (YAML or JSON; every key optional):
  host: 127.0.0.1
  port: 4566
  dataDir: ./data
  region: us-east-1
  dev: false
  s3:         { backend: embedded, baseDomains: [localhost, s3.localhost] }   # backend: embedded | ceph
  ec2:        { backend: embedded }                                           # embedded | proxmox
  dynamodb:   { backend: embedded }                                           # embedded | alternator
  cloudwatch: { backend: embedded }                                           # embedded | grafana
  logs:       { backend: embedded }                                           # embedded | grafana
  limits:
    maxBufferedBody: 16777216    # bytes read into memory for query/json/cbor requests
    maxHeaderBytes: 16384        # request header section
    headersTimeoutMs: 30000      # time to send the headers (slow clients are cut off)
    keepAliveTimeoutMs: 65000
    maxConnections: 0            # 0 = unlimited
    shutdownGraceMs: 15000       # SIGTERM drains in-flight requests this long
  backends: {}                   # endpoints and secrets of real backends (ceph, proxmox, alternator, grafana)
  state: { backend: lmdb }       # the gateway's own state: lmdb (under dataDir) | dynamodb (shared by
                                 # several gateways; docs/scale-out.md):
  #   state: { backend: dynamodb, endpoints: [http://10.0.0.1:8000, …], table: mcgw-state,
  #            accessKeyId: ROLE, secretAccessKey: SALTED_HASH, region, createTable: true,
  #            identityCacheMs: 1000, txTimeoutMs: 5000, recoveryIntervalMs: 10000, requestTimeoutMs: 10000 }
Per-service options:
  s3.minPartSize (5 MiB), s3.lifecycleIntervalMs (3600000; 0 = no lifecycle runs),
  s3.storageMetricsIntervalMs (3600000; how often the daily AWS/S3 storage metrics are checked)
  backends.ceph.rgw { endpoint, adminAccessKey, adminSecretKey, region, tenantPrefix, timeoutMs,
    connections }: the ceph backend of s3 (docs/ceph.md)
  ec2.zones ([a, b, c]), ec2.lifecycleMs {boot, stop, terminate, …}, ec2.instanceTypes,
  ec2.defaultInstanceType (t3.micro), ec2.elasticIpPool (198.51.100.0/24)
  ec2.volumes (files | rbd): where the embedded compute keeps EBS bytes; rbd reads backends.ceph
    { conf, keyring, user, pool, namespace, holderVmid } (docs/ceph.md)
  backends.proxmox { url, tokenId, tokenSecret (or MCGW_PROXMOX_TOKEN_SECRET), ca (PEM file or text),
    fingerprint, nodes {a: pve1, …}, storage, bridge, sdn {zoneType}, vmidRange, holderVmid, imageTag,
    guestUrl, taskPollMs, … }: the proxmox backend of ec2; with ec2.volumes rbd, EBS snapshots on Ceph
    (docs/proxmox.md)
  dynamodb.durability (fsync | os), dynamodb.ttlSweepSeconds (60; 0 = no TTL deletion)
  backends.alternator { endpoints, accessKeyId (a CQL role), secretAccessKey (its salted_hash),
    tablePrefix (a{account}_), txTable (mcgw_tx), txLeaseMs, … }: the alternator backend of dynamodb
    (docs/alternator.md)
  cloudwatch.actions { "<action ARN>": "<webhook URL>" | { url, headers } }
  backends.grafana { prometheus: {url, flavor, …}, loki: {url, …}, grafana: {url, token} }: the grafana
    backend of cloudwatch and logs (docs/grafana.md)
Environment: MCGW_<SERVICE>_BACKEND (e.g. MCGW_S3_BACKEND=ceph), MCGW_LOG_LEVEL (debug|info|warn|error),
  MCGW_STATE_BACKEND, MCGW_STATE_ENDPOINTS (comma-separated), MCGW_STATE_ACCESS_KEY_ID, MCGW_STATE_SECRET_ACCESS_KEY.

Endpoints of the gateway itself:
  GET /_mcgw/health    JSON: each service's backend and its state
  GET /_mcgw/metrics   Prometheus text: requests by service/operation/status, latency, backend errors
`;

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case '-h':
    case '--help':
      return out(USAGE);
    case 'help':
      return out(rest[0] === 'serve' ? SERVE_HELP : rest[0] === 'grafana' ? GRAFANA_USAGE : USAGE);
    case 'serve':
      return serve(rest);
    case 'credentials':
      return credentials(rest);
    case 'accounts':
      return accounts(rest);
    case 'grafana':
      process.exitCode = await grafanaCommand(rest, out, (s) => process.stderr.write(s));
      return;
    default:
      process.exitCode = 2;
      process.stderr.write(`mcgw: unknown command '${cmd}'\n\n${USAGE}`);
  }
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      region: { type: 'string' },
      dev: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return out(SERVE_HELP);
  let gw;
  try {
    gw = await startGateway({
      host: values.host,
      port: values.port !== undefined ? Number(values.port) : undefined,
      dataDir: values['data-dir'],
      config: values.config,
      region: values.region,
      dev: values.dev,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`mcgw: configuration error: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  const c = gw.config;
  if (c.dev) {
    process.stderr.write(
      '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
        '!!  DEV MODE: the well-known key pair test/test is ACCEPTED as the root of     !!\n' +
        '!!  the first account. Anyone who can reach this port can use it. Never run   !!\n' +
        '!!  --dev on a network you do not control.                                     !!\n' +
        '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n',
    );
  }
  out(`mcgw listening on ${gw.url} — region ${c.region}, data dir ${c.dataDir}`);
  out(`services: ${[...gw.gateway.services.keys()].join(', ')}; backends: s3=${c.s3.backend} ec2=${c.ec2.backend} dynamodb=${c.dynamodb.backend} cloudwatch=${c.cloudwatch.backend} logs=${c.logs.backend}`);
  if (gw.generatedRoot) {
    out(`\nFirst start: created account ${gw.root.accountId} with this root key pair (shown once; 'mcgw credentials' prints it again):`);
    out(`  export AWS_ENDPOINT_URL=${gw.url} AWS_REGION=${c.region}`);
    out(`  export AWS_ACCESS_KEY_ID=${gw.root.accessKeyId}`);
    out(`  export AWS_SECRET_ACCESS_KEY=${gw.root.secretAccessKey}\n`);
  } else if (gw.createdRoot) {
    out(`First start: created account ${gw.root.accountId} with the root key ${gw.root.accessKeyId} from MCGW_ROOT_ACCESS_KEY_ID`);
  } else {
    out(`account ${gw.root.accountId}, root key ${gw.root.accessKeyId} ('mcgw credentials --data-dir ${c.dataDir}' shows the secret)`);
  }
  // A failed LMDB commit (disk full, read-only data dir) rejects every write of its batch: the
  // requests awaiting them answer 500 and the gateway recovers once the disk does. lmdb-js also
  // rejects its own `commitError` promise, which nobody awaits: that must not end the process.
  // Any other unhandled rejection still does (rethrown as Node's default would).
  process.on('unhandledRejection', (reason) => {
    const e = reason as { commitError?: unknown; stack?: unknown } | undefined;
    if (e && (e.commitError !== undefined || (typeof e.stack === 'string' && e.stack.includes('/lmdb/write.js')))) {
      gw.gateway.log.error('state write failed (disk full or read-only?)', { err: reason });
      return;
    }
    throw reason;
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`mcgw: ${signal}: draining in-flight requests (up to ${c.limits.shutdownGraceMs} ms)\n`);
    gw.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`mcgw: shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function dataDirOf(v: string | undefined): string {
  return resolve(v ?? process.env.MCGW_DATA_DIR ?? loadConfig({}).dataDir);
}

async function credentials(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const dir = dataDirOf(values['data-dir']);
  const c = readCredentialsFile(dir);
  if (!c) {
    process.stderr.write(`mcgw: no credentials in ${dir} (has 'mcgw serve --data-dir ${dir}' run yet?)\n`);
    process.exitCode = 1;
    return;
  }
  if (values.json) return out(JSON.stringify(c));
  out(`# account ${c.accountId}\nexport AWS_ACCESS_KEY_ID=${c.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`);
}

async function accounts(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, 'account-id': { type: 'string' }, config: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const config = loadConfig({ config: values.config, dataDir: values['data-dir'] });
  const dir = config.dataDir;
  if (config.state.backend === 'lmdb' && !existsSync(join(dir, 'state'))) {
    process.stderr.write(`mcgw: ${dir} holds no gateway state (run 'mcgw serve --data-dir ${dir}' once first)\n`);
    process.exitCode = 1;
    return;
  }
  // the first account is the gateway's root account: only `mcgw serve` makes it (and the table)
  const noState = (where: string) => {
    process.stderr.write(`mcgw: the state table ${where} holds no gateway state yet (run 'mcgw serve' on it once first)\n`);
    process.exitCode = 1;
  };
  let opened;
  try {
    opened = await openStateStore({ ...config, state: { ...config.state, createTable: false } });
  } catch (e) {
    if (e instanceof MissingStateTable) return noState(e.table);
    throw e;
  }
  const { state, identity: identityOptions } = opened;
  try {
    const identity = new IdentityStore(state, identityOptions);
    if (config.state.backend !== 'lmdb' && (await identity.listAccounts()).length === 0) return noState(state.describe().location);
    if (sub === 'create') {
      const name = positionals[0];
      if (!name || !/^[\w+=,.@-]{1,64}$/.test(name)) {
        process.stderr.write('mcgw: accounts create needs a NAME of 1-64 letters, digits or +=,.@_-\n');
        process.exitCode = 2;
        return;
      }
      const { account, key } = await identity.createAccount(name, { accountId: values['account-id'] });
      const rec = { accountId: account.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
      if (values.json) out(JSON.stringify(rec));
      else out(`# account ${account.accountId} (${name})\nexport AWS_ACCESS_KEY_ID=${key.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`);
    } else if (sub === 'list') {
      const list = (await identity.listAccounts()).map((a) => ({ accountId: a.accountId, name: a.name, created: new Date(a.createDate).toISOString() }));
      if (values.json) out(JSON.stringify(list));
      else out(list.map((a) => `${a.accountId}  ${a.name}  ${a.created}`).join('\n') || '(no accounts)');
    } else {
      process.stderr.write(`mcgw: accounts needs 'create NAME' or 'list'\n`);
      process.exitCode = 2;
    }
  } finally {
    await state.close();
  }
}
