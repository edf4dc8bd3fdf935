// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The DynamoBackend contract (apis/dynamodb/backend.ts) over Alternator, for what the gateway
 * computes itself because Alternator lacks it: TransactWriteItems / TransactGetItems (through
 * the lock-and-commit protocol of txn.ts), PartiQL (apis/dynamodb/partiql.ts turns statements into
 * the reads and writes below) and DescribeContinuousBackups. The other operations are passed
 * through (forward.ts) and never reach this object; its table-level mutators say so.
 *
 * Tables are read from Alternator's DescribeTable (cached for a second: transactions look up the
 * same tables for every action, and the pass-through validates every item operation against its
 * table's schema).
 */
import type {
  DynamoBackend,
  IndexInfo,
  KeyDef,
  Page,
  QueryRequest,
  ScalarType,
  ScanRequest,
  StreamRecord,
  TableInfo,
  TableStats,
  WriteOp,
  WriteOptions,
  WriteResult,
} from '../../apis/dynamodb/backend.js';
import { AwsError } from '../../src/errors.js';
import type { AttributeValue, Item } from '../../apis/dynamodb/types.js';
import type { AlternatorClient } from './client.js';
import type { AlternatorConfig } from './config.js';
import type { TenantNames } from './names.js';
import type { ProtectionStore } from './protection.js';
import { TxManager } from './txn.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

const TABLE_CACHE_MS = 1000;

function keyDefs(schema: Doc[] | undefined, types: Map<string, ScalarType>): { hash: KeyDef; range?: KeyDef } {
  const h = schema?.find((k) => k.KeyType === 'HASH');
  const r = schema?.find((k) => k.KeyType === 'RANGE');
  const def = (a: Doc) => ({ name: a.AttributeName as string, type: types.get(a.AttributeName) ?? 'S' });
  return { hash: def(h ?? { AttributeName: '' }), ...(r ? { range: def(r) } : {}) };
}

/** A DescribeTable answer as the TableInfo the apis layer works with. */
export function tableInfoOf(d: Doc, account: string, region: string, name: string, deletionProtection: boolean): TableInfo {
  const types = new Map<string, ScalarType>((d.AttributeDefinitions ?? []).map((a: Doc) => [a.AttributeName, a.AttributeType]));
  const idx = (list: Doc[] | undefined, kind: 'GSI' | 'LSI'): IndexInfo[] =>
    (list ?? []).map((i) => ({
      name: i.IndexName,
      kind,
      id: 0,
      ...keyDefs(i.KeySchema, types),
      projection: i.Projection ?? { ProjectionType: 'ALL' },
      status: i.IndexStatus ?? 'ACTIVE',
      created: 0,
    }));
  const billing = d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED';
  return {
    name,
    id: 0,
    uuid: d.TableId ?? '',
    account,
    region,
    created: typeof d.CreationDateTime === 'number' ? d.CreationDateTime * 1000 : 0,
    status: d.TableStatus ?? 'ACTIVE',
    ...keyDefs(d.KeySchema, types),
    attributeDefinitions: d.AttributeDefinitions ?? [],
    indexes: [...idx(d.GlobalSecondaryIndexes, 'GSI'), ...idx(d.LocalSecondaryIndexes, 'LSI')],
    billingMode: billing,
    provisioned: { read: d.ProvisionedThroughput?.ReadCapacityUnits ?? 0, write: d.ProvisionedThroughput?.WriteCapacityUnits ?? 0, decreasesToday: 0 },
    ...(d.StreamSpecification?.StreamEnabled ? { stream: { enabled: true, viewType: d.StreamSpecification.StreamViewType, label: d.LatestStreamLabel } } : {}),
    deletionProtection,
    tags: {},
  };
}

function passedThrough(what: string): Error {
  return new Error(`${what} is passed through to Alternator by translators/alternator, not served by the backend object`);
}

export class AlternatorBackend implements DynamoBackend {
  readonly name = 'alternator';
  readonly tx: TxManager;
  private readonly tables = new Map<string, { at: number; info: Promise<TableInfo | undefined> }>();

  constructor(
    private readonly client: AlternatorClient,
    private readonly names: TenantNames,
    private readonly protection: ProtectionStore,
    private readonly region: string,
    cfg: AlternatorConfig,
    log: { warn(m: string, f?: Record<string, unknown>): void },
  ) {
    this.tx = new TxManager(client, cfg, (t) => this.upName(t), log);
  }

  upName(t: TableInfo): string {
    return this.names.prefix(t.account) + t.name;
  }

  /** Forgets cached table records (after CreateTable/UpdateTable/DeleteTable through this gateway). */
  forget(account: string, name: string): void {
    this.tables.delete(`${account}/${name}`);
  }

  /**
   * The table record, from a cache of a second (one DescribeTable in flight per table however
   * many requests wait for it). A missing table is not cached: a table created through another
   * gateway is usable here as soon as Alternator has it.
   */
  getTable(account: string, name: string): Promise<TableInfo | undefined> {
    const k = `${account}/${name}`;
    const hit = this.tables.get(k);
    const now = Date.now();
    if (hit && hit.at + TABLE_CACHE_MS > now) return hit.info;
    if (name.length > this.names.maxName(account)) return Promise.resolve(undefined);
    const info = this.describe(account, name);
    const entry = { at: now, info };
    this.tables.set(k, entry);
    info.then(
      (t) => {
        if (!t && this.tables.get(k) === entry) this.tables.delete(k);
      },
      () => {
        if (this.tables.get(k) === entry) this.tables.delete(k);
      },
    );
    return info;
  }

  private async describe(account: string, name: string): Promise<TableInfo | undefined> {
    const up = this.names.prefix(account) + name;
    try {
      const d = await this.client.call<Doc>('DescribeTable', { TableName: up }, true);
      return tableInfoOf(d.Table ?? {}, account, this.region, name, await this.protection.get(up));
    } catch (e) {
      if (!(e instanceof AwsError) || e.code !== 'ResourceNotFoundException') throw e;
      return undefined;
    }
  }

  async listTables(account: string, exclusiveStart: string | undefined, limit: number): Promise<string[]> {
    const p = this.names.prefix(account);
    const out: string[] = [];
    let start: string | undefined;
    do {
      const r = await this.client.call<Doc>('ListTables', { ...(start ? { ExclusiveStartTableName: start } : {}), Limit: 100 }, true);
      for (const n of (r.TableNames ?? []) as string[]) if (n.startsWith(p)) out.push(n.slice(p.length));
      start = r.LastEvaluatedTableName;
    } while (start);
    out.sort();
    return out.filter((n) => exclusiveStart === undefined || n > exclusiveStart).slice(0, limit);
  }

  async allTables(): Promise<TableInfo[]> {
    // TTL expiry is Alternator's own (no sweeper runs on this backend); nothing needs every table
    throw passedThrough('listing every account\'s tables');
  }

  createTable(): Promise<TableInfo> {
    throw passedThrough('CreateTable');
  }

  updateTable(): Promise<TableInfo> {
    throw passedThrough('UpdateTable');
  }

  deleteTable(): Promise<TableInfo | undefined> {
    throw passedThrough('DeleteTable');
  }

  async tableStats(table: TableInfo, index?: string): Promise<TableStats> {
    const d = await this.client.call<Doc>('DescribeTable', { TableName: this.upName(table) }, true);
    const t = d.Table ?? {};
    const i = index ? [...(t.GlobalSecondaryIndexes ?? []), ...(t.LocalSecondaryIndexes ?? [])].find((x: Doc) => x.IndexName === index) : t;
    return { itemCount: i?.ItemCount ?? 0, sizeBytes: i?.TableSizeBytes ?? i?.IndexSizeBytes ?? 0 };
  }

  async getItem(table: TableInfo, key: Item): Promise<Item | undefined> {
    const r = await this.client.call<Doc>('GetItem', { TableName: this.upName(table), Key: key, ConsistentRead: true }, true);
    return r.Item;
  }

  async collectionSize(): Promise<number> {
    throw passedThrough('ItemCollectionMetrics of single-item writes');
  }

  write(ops: WriteOp[], opts?: WriteOptions): Promise<WriteResult[]> {
    return this.tx.write(ops, opts);
  }

  async readStream(): Promise<StreamRecord[]> {
    throw passedThrough('DynamoDB Streams (streams.ts)');
  }

  async streamBounds(): Promise<{ first?: bigint; last?: bigint }> {
    throw passedThrough('DynamoDB Streams (streams.ts)');
  }

  getItems(reads: Array<{ table: TableInfo; key: Item }>): Promise<Array<Item | undefined>> {
    return this.tx.read(reads);
  }

  private async page(op: 'Query' | 'Scan', table: TableInfo, req: Doc): Promise<Page> {
    const idx = req.IndexName ? table.indexes.find((i) => i.name === req.IndexName) : undefined;
    const r = await this.client.call<Doc>(op, { TableName: this.upName(table), ConsistentRead: idx?.kind !== 'GSI', ...req }, true);
    return { items: r.Items ?? [], ...(r.LastEvaluatedKey ? { lastEvaluatedKey: r.LastEvaluatedKey } : {}) };
  }

  query(table: TableInfo, q: QueryRequest): Promise<Page> {
    const idx = q.index ? table.indexes.find((i) => i.name === q.index) : undefined;
    const hashName = idx ? idx.hash.name : table.hash.name;
    const rangeName = idx ? idx.range?.name : table.range?.name;
    const values: Record<string, AttributeValue> = { ':h': q.hash };
    let expr = '#h = :h';
    const names: Record<string, string> = { '#h': hashName };
    if (q.range && rangeName) {
      names['#r'] = rangeName;
      values[':r'] = q.range.value;
      const ops: Record<string, string> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' };
      if (q.range.op === 'BEGINS_WITH') expr += ' AND begins_with(#r, :r)';
      else if (q.range.op === 'BETWEEN') {
        values[':r2'] = q.range.value2;
        expr += ' AND #r BETWEEN :r AND :r2';
      } else expr += ` AND #r ${ops[q.range.op]} :r`;
    }
    return this.page('Query', table, {
      ...(q.index ? { IndexName: q.index } : {}),
      KeyConditionExpression: expr,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: q.forward,
      ...(q.exclusiveStartKey ? { ExclusiveStartKey: q.exclusiveStartKey } : {}),
      ...(q.limit ? { Limit: q.limit } : {}),
    });
  }

  scan(table: TableInfo, s: ScanRequest): Promise<Page> {
    return this.page('Scan', table, {
      ...(s.index ? { IndexName: s.index } : {}),
      ...(s.totalSegments !== undefined ? { Segment: s.segment, TotalSegments: s.totalSegments } : {}),
      ...(s.exclusiveStartKey ? { ExclusiveStartKey: s.exclusiveStartKey } : {}),
      ...(s.limit ? { Limit: s.limit } : {}),
    });
  }

  async close(): Promise<void> {
    this.tx.stop();
  }
}
