// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What apis/dynamodb needs from a DynamoDB backend. The embedded engine (translators/embedded/
 * dynamodb) implements it on LMDB; an Alternator translator implements the same calls against a
 * real table store. apis/dynamodb has already validated every input and resolved expressions:
 * the backend stores tables and items, keeps secondary indexes, serves key-ordered pages and
 * applies writes atomically.
 */
import type { AttributeValue, Item } from './types.js';

export type ScalarType = 'S' | 'N' | 'B';

export interface KeyDef {
  name: string;
  type: ScalarType;
}

export interface Projection {
  ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  NonKeyAttributes?: string[];
}

export interface IndexInfo {
  name: string;
  kind: 'GSI' | 'LSI';
  /** Backend-assigned id (the embedded engine's key prefix). */
  id: number;
  hash: KeyDef;
  range?: KeyDef;
  projection: Projection;
  status: 'CREATING' | 'UPDATING' | 'DELETING' | 'ACTIVE';
  backfilling?: boolean;
  provisioned?: { read: number; write: number };
  onDemand?: { read?: number; write?: number };
  created: number;
}

export interface StreamInfo {
  enabled: boolean;
  viewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  label?: string;
}

export interface TableInfo {
  name: string;
  /** Backend-assigned numeric id (key prefix in the embedded engine). */
  id: number;
  /** DynamoDB TableId (a UUID). */
  uuid: string;
  account: string;
  region: string;
  created: number;
  status: 'CREATING' | 'UPDATING' | 'DELETING' | 'ACTIVE';
  hash: KeyDef;
  range?: KeyDef;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: ScalarType }>;
  indexes: IndexInfo[];
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  billingModeUpdated?: number;
  provisioned: { read: number; write: number; lastIncrease?: number; lastDecrease?: number; decreasesToday: number };
  onDemand?: { read?: number; write?: number };
  stream?: StreamInfo;
  sse?: { enabled: boolean; type?: string; kmsKey?: string };
  tableClass?: string;
  deletionProtection: boolean;
  tags: Record<string, string>;
  ttl?: { attribute: string; enabled: boolean };
}

/** A key condition on the sort key, already validated against the schema. */
export type RangeCondition =
  | { op: 'EQ' | 'LT' | 'LE' | 'GT' | 'GE' | 'BEGINS_WITH'; value: AttributeValue }
  | { op: 'BETWEEN'; value: AttributeValue; value2: AttributeValue };

export interface PageRequest {
  /** Index name, or undefined for the table. */
  index?: string;
  exclusiveStartKey?: Item;
  /** Items evaluated at most (DynamoDB's Limit). */
  limit?: number;
  /** Stop once this many bytes of items were read (DynamoDB: 1 MB). */
  maxBytes: number;
}

export interface QueryRequest extends PageRequest {
  hash: AttributeValue;
  range?: RangeCondition;
  forward: boolean;
}

export interface ScanRequest extends PageRequest {
  segment?: number;
  totalSegments?: number;
}

export interface Page {
  /** Full items (the apis layer applies index projections, filters and ProjectionExpression). */
  items: Item[];
  /** Set when the page stopped on Limit or size: the key to continue after. */
  lastEvaluatedKey?: Item;
}

/**
 * One write in an atomic group. `apply` runs inside the backend's transaction with the current
 * item and returns the new item, null to delete it, or undefined to leave it unchanged (a check).
 * It may throw (AwsError) to abort the whole group; nothing is written then.
 */
export interface WriteOp {
  table: TableInfo;
  key: Item;
  apply(current: Item | undefined): Item | null | undefined;
}

export interface WriteOptions {
  /** Runs after every `apply`, before anything is written; may throw to abort the group. */
  beforeCommit?: () => void;
  /** Epoch ms for stream records (the gateway clock). */
  now?: number;
  /** Stream records' userIdentity (TTL deletions). */
  userIdentity?: { Type: string; PrincipalId: string };
}

export interface StreamRecord {
  seq: bigint;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** Epoch ms. */
  time: number;
  keys: Item;
  oldImage?: Item;
  newImage?: Item;
  userIdentity?: { Type: string; PrincipalId: string };
}

export interface WriteResult {
  old?: Item;
  new?: Item;
}

export interface TableStats {
  itemCount: number;
  sizeBytes: number;
}

export interface DynamoBackend {
  readonly name: string;
  /** Throws ResourceInUseException when the name exists. Assigns `id` (and index ids). */
  createTable(info: Omit<TableInfo, 'id'>): Promise<TableInfo>;
  getTable(account: string, name: string): Promise<TableInfo | undefined>;
  /** Names in order, after `exclusiveStart`, at most `limit`. */
  listTables(account: string, exclusiveStart: string | undefined, limit: number): Promise<string[]>;
  /** Every table of every account (background work: TTL expiry). */
  allTables(): Promise<TableInfo[]>;
  /**
   * Read-modify-write of the table record; `fn` may throw to refuse. Indexes in the result
   * with id 0 are new: the backend assigns an id and builds (backfills) them.
   */
  updateTable(account: string, name: string, fn: (t: TableInfo) => TableInfo): Promise<TableInfo>;
  /** Removes the table and its items; returns the record as it was. */
  deleteTable(account: string, name: string): Promise<TableInfo | undefined>;
  tableStats(table: TableInfo, index?: string): Promise<TableStats>;
  getItem(table: TableInfo, key: Item): Promise<Item | undefined>;
  /** Bytes of the item collection (all items sharing a partition key value). */
  collectionSize(table: TableInfo, hash: AttributeValue): Promise<number>;
  /**
   * Atomic: all ops see one snapshot and are committed together, or none is. Tables with an
   * enabled stream get one stream record per changed item, in commit order.
   */
  write(ops: WriteOp[], opts?: WriteOptions): Promise<WriteResult[]>;
  /** Stream records of a table's stream (by label) after a sequence number, oldest first. */
  readStream(table: TableInfo, label: string, after: bigint | undefined, limit: number): Promise<StreamRecord[]>;
  /** First and last sequence numbers of a stream (undefined when empty). */
  streamBounds(table: TableInfo, label: string): Promise<{ first?: bigint; last?: bigint }>;
  /** Several reads from one snapshot (TransactGetItems). */
  getItems(reads: Array<{ table: TableInfo; key: Item }>): Promise<Array<Item | undefined>>;
  query(table: TableInfo, req: QueryRequest): Promise<Page>;
  scan(table: TableInfo, req: ScanRequest): Promise<Page>;
  close(): Promise<void>;
}
