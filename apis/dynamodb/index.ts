// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB (signing name `dynamodb`, model dynamodb-2012-08-10). Validation and semantics live
 * here; storage is a DynamoBackend picked from config (`dynamodb.backend`, 'embedded' by default).
 * Config options of the embedded engine: `dynamodb.durability` ('fsync' default, or 'os': leave
 * flushing to the OS, several times faster single writes) and `dynamodb.ttlSweepSeconds` (60;
 * 0 disables the TTL sweeper).
 */
import type { ServiceFactory } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import { createAlternatorTranslator, type AlternatorTranslator } from '../../translators/alternator/index.js';
import { EmbeddedDynamoEngine } from '../../translators/embedded/dynamodb/engine.js';
import type { DynamoBackend } from './backend.js';
import type { Operations } from './shapes.gen.js';
import { batchGetItem, batchWriteItem } from './batch.js';
import { deleteItem, getItem, putItem, updateItem } from './items.js';
import { batchExecuteStatement, executeStatement } from './partiql.js';
import { query, scan } from './read.js';
import { createTable, deleteTable, describeTableOp, listTables } from './tables.js';
import {
  describeContinuousBackups,
  describeEndpoints,
  describeLimits,
  describeTimeToLive,
  listTagsOfResource,
  tagResource,
  untagResource,
  updateTable,
  updateTimeToLive,
} from './tableops.js';
import { transactGetItems, transactWriteItems } from './transact.js';
import { startTtlSweeper } from './ttl.js';
import { capacityMeter } from './capacity-metrics.js';

const backends = new WeakMap<Gateway, DynamoBackend>();
/** Alternator: the operations it serves itself, passed through instead of run over the backend. */
const alternators = new WeakMap<Gateway, AlternatorTranslator>();

/** The Alternator translator of a gateway whose DynamoDB runs on it (after dynamoBackend(gw)). */
export function alternatorOf(gw: Gateway): AlternatorTranslator | undefined {
  return alternators.get(gw);
}

/** One backend per gateway, shared with the streams service. */
export function dynamoBackend(gw: Gateway): DynamoBackend {
  let b = backends.get(gw);
  if (!b) {
    const kind = gw.config.dynamodb.backend;
    if (kind === 'alternator') {
      const alt = createAlternatorTranslator(gw);
      backends.set(gw, alt.backend);
      alternators.set(gw, alt);
      gw.onClose(() => alt.close());
      return alt.backend;
    }
    if (kind !== 'embedded') throw new Error(`dynamodb backend '${kind}' is not available in this build`);
    const durability = gw.config.dynamodb.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'os') throw new Error(`'dynamodb.durability' must be fsync or os, got '${String(durability)}'`);
    const engine = new EmbeddedDynamoEngine(gw.config.dataDir, { durability });
    b = engine;
    backends.set(gw, b);
    // closed after both services (dynamodb, streams.dynamodb) and the TTL sweeper stopped
    gw.onClose(() => engine.close());
  }
  return b;
}

export function dynamoOperations(b: DynamoBackend): Partial<Operations> {
  return {
    CreateTable: createTable(b),
    DescribeTable: describeTableOp(b),
    ListTables: listTables(b),
    DeleteTable: deleteTable(b),
    UpdateTable: updateTable(b),
    TagResource: tagResource(b),
    UntagResource: untagResource(b),
    ListTagsOfResource: listTagsOfResource(b),
    UpdateTimeToLive: updateTimeToLive(b),
    DescribeTimeToLive: describeTimeToLive(b),
    DescribeContinuousBackups: describeContinuousBackups(b),
    DescribeEndpoints: describeEndpoints(),
    DescribeLimits: describeLimits(),
    PutItem: putItem(b),
    GetItem: getItem(b),
    DeleteItem: deleteItem(b),
    UpdateItem: updateItem(b),
    Query: query(b),
    Scan: scan(b),
    BatchGetItem: batchGetItem(b),
    BatchWriteItem: batchWriteItem(b),
    TransactWriteItems: transactWriteItems(b),
    TransactGetItems: transactGetItems(b),
    ExecuteStatement: executeStatement(b),
    BatchExecuteStatement: batchExecuteStatement(b),
  };
}

export const createService: ServiceFactory = (gw) => {
  const backend = dynamoBackend(gw);
  const sweepSeconds = Number(gw.config.dynamodb.ttlSweepSeconds ?? 60);
  // Alternator expires items itself
  if (sweepSeconds > 0 && backend.name === 'embedded') startTtlSweeper(gw, backend, sweepSeconds * 1000);
  capacityMeter(gw).start();
  return {
    name: 'dynamodb',
    model: 'dynamodb-2012-08-10',
    operations: { ...dynamoOperations(backend), ...alternators.get(gw)?.operations },
    health: () => alternators.get(gw)?.health() ?? { backend: backend.name, state: 'ok' },
  };
};
