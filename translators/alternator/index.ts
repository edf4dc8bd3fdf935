// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoDB face on a ScyllaDB Alternator cluster (`dynamodb.backend: alternator`, settings in
 * `backends.alternator`, see config.ts and docs/alternator.md). Two halves:
 *  - pass-through (forward.ts) for everything Alternator serves itself, with tenancy (names.ts),
 *    re-signing and load balancing (client.ts, nodes.ts);
 *  - an AlternatorBackend (backend.ts) under apis/dynamodb's own handlers for what Alternator
 *    lacks: transactions (txn.ts), PartiQL, DescribeContinuousBackups, DescribeEndpoints/Limits;
 *  - DynamoDB Streams passed through with stream ARNs and shard iterators scoped to the account
 *    (streams.ts).
 */
import type { BackendHealth, Handler } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import { AlternatorBackend } from './backend.js';
import { AlternatorClient } from './client.js';
import { parseAlternatorConfig, type AlternatorConfig } from './config.js';
import { batch, byArn, CONDITIONAL, createTable, deleteTable, describeTable, listTables, NEVER, READ, singleTable, updateTable, type Upstream } from './forward.js';
import { TenantNames } from './names.js';
import { NodePool } from './nodes.js';
import { ProtectionStore } from './protection.js';
import { streamOperations } from './streams.js';

export interface AlternatorTranslator {
  cfg: AlternatorConfig;
  backend: AlternatorBackend;
  nodes: NodePool;
  /** Handlers that replace apis/dynamodb's for the operations Alternator serves itself. */
  operations: Record<string, Handler>;
  /** DynamoDB Streams (streams.dynamodb) through Alternator's Streams API. */
  streamOperations: Record<string, Handler>;
  health(): BackendHealth;
  close(): Promise<void>;
}

export function passThroughOperations(u: Upstream): Record<string, Handler> {
  return {
    CreateTable: createTable(u),
    DescribeTable: describeTable(u),
    ListTables: listTables(u),
    DeleteTable: deleteTable(u),
    UpdateTable: updateTable(u),
    TagResource: byArn(u, 'TagResource'),
    UntagResource: byArn(u, 'UntagResource'),
    ListTagsOfResource: byArn(u, 'ListTagsOfResource'),
    UpdateTimeToLive: singleTable(u, 'UpdateTimeToLive', NEVER),
    DescribeTimeToLive: singleTable(u, 'DescribeTimeToLive', READ),
    PutItem: singleTable(u, 'PutItem', CONDITIONAL),
    GetItem: singleTable(u, 'GetItem', READ),
    DeleteItem: singleTable(u, 'DeleteItem', CONDITIONAL),
    UpdateItem: singleTable(u, 'UpdateItem', CONDITIONAL),
    Query: singleTable(u, 'Query', READ),
    Scan: singleTable(u, 'Scan', READ),
    BatchGetItem: batch(u, 'BatchGetItem'),
    BatchWriteItem: batch(u, 'BatchWriteItem'),
  };
}

export function createAlternatorTranslator(gw: Gateway): AlternatorTranslator {
  const cfg = parseAlternatorConfig(gw.config.backends.alternator, gw.config.region);
  const nodes = new NodePool(cfg, gw.log);
  const client = new AlternatorClient(cfg, nodes, gw.log);
  const names = new TenantNames(cfg);
  let backend: AlternatorBackend | undefined;
  const protection = new ProtectionStore(client, cfg.txTable, () => backend!.tx.start());
  backend = new AlternatorBackend(client, names, protection, gw.config.region, cfg, gw.log);
  const started = nodes.start().then(() => backend!.tx.start());
  started.catch((e: unknown) => gw.log.warn('alternator not reachable at start; retrying on first use', { err: (e as Error).message }));
  const u: Upstream = { client, names, cfg, backend, protection };
  return {
    cfg,
    backend,
    nodes,
    operations: passThroughOperations(u),
    streamOperations: streamOperations(u),
    health() {
      const all = nodes.list();
      const live = all.filter((n) => n.live).length;
      return { backend: 'alternator', state: live === all.length ? 'ok' : live ? 'degraded' : 'down', detail: `${live}/${all.length} nodes live` };
    },
    async close() {
      await started.catch(() => undefined);
      await backend!.close();
      await nodes.close();
    },
  };
}
