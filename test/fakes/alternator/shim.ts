// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A stand-in for a ScyllaDB Alternator cluster (ScyllaDB cannot run here): an embedded-engine
 * gateway behind a small HTTP front that behaves the way Alternator's own HTTP server does, on
 * several loopback addresses ("nodes") sharing one port, as Alternator nodes share theirs.
 *
 * Faithful to ScyllaDB's documentation (scylladb/scylladb docs/alternator/):
 *  - compatibility.md "Authorization": the access key id is a CQL role name and the secret is
 *    that role's salted_hash; requests are SigV4-signed as for DynamoDB. Here the role is a key of
 *    the inner gateway, which verifies the signature (the front forwards the bytes untouched).
 *  - compatibility.md "Load balancing" / alternator.md: no load balancer; `GET /localnodes`
 *    lists the live nodes of the local data centre as a JSON array of addresses (no ports), and
 *    `GET /` is the health check, answering 200 `healthy: <address>`.
 *  - compatibility.md "Unimplemented API features": multi-item transactions (TransactWriteItems,
 *    TransactGetItems), PartiQL (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction),
 *    on-demand and continuous backups (incl. DescribeContinuousBackups), global tables, Kinesis
 *    streaming destinations, contributor insights, exports and imports answer an error.
 *    Alternator's executor refuses them as `UnknownOperationException` "Unsupported operation X".
 *  - alternator/executor.cc: table names are limited to 222 characters (they name a keyspace and
 *    a directory), refused as ValidationException.
 *  - Alternator does not compute `x-amz-crc32`: the front drops it from the inner answers.
 * Failure injection per node: 'refuse' (the node's listener closes: connections are refused) and
 * '500' (it answers every request with HTTP 500 InternalServerError); 'ok' restores it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { startGateway, type RunningGateway } from '../../../src/server/start.js';

export const UNSUPPORTED = new Set([
  'TransactWriteItems',
  'TransactGetItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
  'CreateBackup',
  'DescribeBackup',
  'DeleteBackup',
  'ListBackups',
  'RestoreTableFromBackup',
  'UpdateContinuousBackups',
  'DescribeContinuousBackups',
  'RestoreTableToPointInTime',
  'CreateGlobalTable',
  'UpdateGlobalTable',
  'DescribeGlobalTable',
  'ListGlobalTables',
  'UpdateGlobalTableSettings',
  'DescribeGlobalTableSettings',
  'DescribeKinesisStreamingDestination',
  'DisableKinesisStreamingDestination',
  'EnableKinesisStreamingDestination',
  'DescribeContributorInsights',
  'ListContributorInsights',
  'UpdateContributorInsights',
  'DescribeExport',
  'ExportTableToPointInTime',
  'ListExports',
  'ImportTable',
  'DescribeImport',
  'ListImports',
]);

export const MAX_TABLE_NAME = 222;

export type NodeMode = 'ok' | 'refuse' | '500';

export interface ShimOptions {
  /** Number of nodes (loopback addresses 127.0.0.1 … 127.0.0.N). Default 3. */
  nodes?: number;
  /** Data dir of the inner engine (kept on close when given). */
  dataDir?: string;
  /** CQL role name used as access key id. Default 'alternator'. */
  role?: string;
  /** Port for the nodes (0: a free one). */
  port?: number;
}

export interface AlternatorShim {
  port: number;
  /** Node addresses, as /localnodes lists them. */
  addresses: string[];
  /** http://<address>:<port> per node. */
  endpoints: string[];
  accessKeyId: string;
  secretAccessKey: string;
  /** Requests served per node address (POST / only). */
  served: Map<string, number>;
  /** Requests received per operation (X-Amz-Target's operation name), all nodes together. */
  operations: Map<string, number>;
  /** The inner gateway (embedded engine). */
  inner: RunningGateway;
  setMode(address: string, mode: NodeMode): Promise<void>;
  close(): Promise<void>;
}

/** A random secret shaped like Scylla's salted_hash (SHA-512 crypt: $6$<salt>$<hash>). */
function saltedHash(): string {
  const alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % 64]).join('');
  return `$6$${pick(16)}$${pick(86)}`;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message });
}

interface Node {
  address: string;
  mode: NodeMode;
  server?: Server;
  sockets: Set<Socket>;
}

export async function startAlternatorShim(opts: ShimOptions = {}): Promise<AlternatorShim> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'mcgw-alternator-'));
  const inner = await startGateway({ port: 0, host: '127.0.0.1', dataDir, log: silentLogger, overrides: { dynamodb: { backend: 'embedded', durability: 'os', ttlSweepSeconds: 0 } }, env: {} });
  const role = opts.role ?? 'alternator';
  const secret = saltedHash();
  if (!(await inner.gateway.identity.getKey(role))) {
    await inner.gateway.identity.addKey({ accessKeyId: role, secretAccessKey: secret, accountId: inner.root.accountId, kind: 'root', status: 'Active', createDate: Date.now() });
  } else {
    await inner.gateway.identity.updateKey(role, (k) => ({ ...k, secretAccessKey: secret }));
  }
  const innerPort = inner.port;
  const nodes: Node[] = [];
  for (let i = 1; i <= (opts.nodes ?? 3); i++) nodes.push({ address: `127.0.0.${i}`, mode: 'ok', sockets: new Set() });
  const served = new Map(nodes.map((n) => [n.address, 0]));
  const operations = new Map<string, number>();
  let port = opts.port ?? 0;

  const handler = (node: Node) => (req: IncomingMessage, res: ServerResponse) => {
    if (node.mode === '500') {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(errorBody('InternalServerError', 'injected node failure'));
      return;
    }
    if (req.method === 'GET' && req.url === '/localnodes') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(nodes.filter((n) => n.mode !== 'refuse').map((n) => n.address)));
      return;
    }
    if (req.method === 'GET' && req.url === '/') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`healthy: ${node.address}:${port}`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.slice(target.lastIndexOf('.') + 1);
      if (req.method === 'POST') {
        served.set(node.address, (served.get(node.address) ?? 0) + 1);
        operations.set(op, (operations.get(op) ?? 0) + 1);
      }
      const refuse = (code: string, message: string) => res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(errorBody(code, message));
      if (UNSUPPORTED.has(op)) return refuse('UnknownOperationException', `Unsupported operation ${op}`);
      if (op === 'CreateTable') {
        let name = '';
        try {
          name = String((JSON.parse(body.toString('utf8')) as { TableName?: unknown }).TableName ?? '');
        } catch {
          /* the inner engine answers the malformed body */
        }
        if (name.length > MAX_TABLE_NAME) return refuse('ValidationException', `TableName must be at least 3 characters long and at most ${MAX_TABLE_NAME} characters long`);
      }
      const up = httpRequest({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: req.headers }, (ur) => {
        const headers = { ...ur.headers };
        delete headers['x-amz-crc32'];
        res.writeHead(ur.statusCode ?? 500, headers);
        ur.pipe(res);
      });
      up.on('error', () => res.writeHead(500).end(errorBody('InternalServerError', 'inner engine unreachable')));
      up.end(body);
    });
  };

  const listen = (node: Node) =>
    new Promise<void>((resolve, reject) => {
      const server = createServer(handler(node));
      server.keepAliveTimeout = 5000;
      server.on('connection', (s: Socket) => {
        node.sockets.add(s);
        s.on('close', () => node.sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(port, node.address, () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        node.server = server;
        resolve();
      });
    });

  const stop = (node: Node) =>
    new Promise<void>((resolve) => {
      const s = node.server;
      node.server = undefined;
      if (!s) return resolve();
      for (const sock of node.sockets) sock.destroy();
      s.close(() => resolve());
    });

  for (let attempt = 0; ; attempt++) {
    try {
      for (const n of nodes) await listen(n);
      break;
    } catch (e) {
      for (const n of nodes) await stop(n);
      if (attempt >= 5 || opts.port) throw e;
      port = 0;
    }
  }

  return {
    port,
    addresses: nodes.map((n) => n.address),
    endpoints: nodes.map((n) => `http://${n.address}:${port}`),
    accessKeyId: role,
    secretAccessKey: secret,
    served,
    operations,
    inner,
    async setMode(address, mode) {
      const n = nodes.find((x) => x.address === address);
      if (!n) throw new Error(`no node ${address}`);
      if (mode === 'refuse') await stop(n);
      else if (!n.server) await listen(n);
      n.mode = mode;
    },
    async close() {
      for (const n of nodes) await stop(n);
      await inner.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
