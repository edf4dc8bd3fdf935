// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded DynamoDB item engine: its own LMDB environment under <dataDir>/dynamodb with
 * table records, items under ordered binary keys (keys.ts), secondary index entries pointing at
 * items, and per-table/index counters. Every write group is one LMDB transaction: all reads and
 * `apply` callbacks run first, the writes after, so a refusal leaves nothing behind.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type {
  DynamoBackend,
  IndexInfo,
  Page,
  QueryRequest,
  ScanRequest,
  StreamInfo,
  StreamRecord,
  TableInfo,
  TableStats,
  WriteOp,
  WriteOptions,
  WriteResult,
} from '../../../apis/dynamodb/backend.js';
import { resourceInUse, resourceNotFound } from '../../../apis/dynamodb/errors.js';
import { durably, MSGPACK } from '../../../src/state/lmdb.js';
import { itemSize, type AttributeValue, type Item } from '../../../apis/dynamodb/types.js';
import { escapeTerminated, hashPart, idPrefix, indexKey, partitionPrefix, rawKeyBytes } from './keys.js';
import { iteratePage, type KeyWindow } from './pages.js';
import { StreamLog } from './streams.js';

type Stats = [count: number, bytes: number];

export class EmbeddedDynamoEngine implements DynamoBackend {
  readonly name = 'embedded';
  private readonly env: RootDatabase;
  private readonly tables: Database<TableInfo, string>;
  private readonly items: Database<Item, Buffer>;
  private readonly entries: Database<Buffer, Buffer>;
  private readonly stats: Database<Stats, number>;
  private readonly meta: Database<number, string>;
  private readonly cache = new Map<string, TableInfo>();
  /** Table records as writes last read them: their stored bytes and the decoded record. */
  private readonly seen = new Map<string, { bytes: Buffer; info: TableInfo }>();
  private readonly streams: StreamLog;
  private readonly durable: boolean;

  /**
   * `durability`: 'fsync' (default) answers a write once LMDB has flushed it to disk; 'os' leaves
   * flushing to the operating system (a write survives a crash of the gateway, not of the
   * machine) and makes a single write several times faster.
   */
  constructor(dataDir: string, opts: { durability?: 'fsync' | 'os' } = {}) {
    const path = join(dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true, mode: 0o700 });
    this.durable = opts.durability !== 'os';
    this.env = open({ path, maxDbs: 8, mapSize: 2 ** 36, compression: false, noSync: !this.durable });
    this.tables = this.env.openDB({ name: 'tables', ...MSGPACK });
    this.items = this.env.openDB({ name: 'items', keyEncoding: 'binary', ...MSGPACK });
    this.entries = this.env.openDB({ name: 'index', keyEncoding: 'binary', encoding: 'binary' });
    this.stats = this.env.openDB({ name: 'stats', keyEncoding: 'uint32', ...MSGPACK });
    this.meta = this.env.openDB({ name: 'meta', ...MSGPACK });
    this.streams = new StreamLog(this.env.openDB({ name: 'streams', keyEncoding: 'binary', ...MSGPACK }), this.meta);
  }

  /** One write transaction; under 'fsync' answered only once it is on disk (see durably). */
  private commit<T>(fn: () => T): Promise<T> {
    return this.durable ? durably(this.env, fn) : this.env.transaction(fn);
  }

  private nextId(): number {
    const id = (this.meta.get('nextId') ?? 1) as number;
    this.meta.put('nextId', id + 1);
    return id;
  }

  async createTable(info: Omit<TableInfo, 'id'>): Promise<TableInfo> {
    const k = tableKey(info.account, info.name);
    const t = await this.commit(() => {
      if (this.tables.get(k)) throw resourceInUse(`Table already exists: ${info.name}`);
      const rec: TableInfo = { ...info, id: this.nextId(), indexes: info.indexes.map((i) => ({ ...i, id: this.nextId() })) };
      this.tables.put(k, rec);
      return rec;
    });
    this.cache.set(k, t);
    return t;
  }

  async getTable(account: string, name: string): Promise<TableInfo | undefined> {
    const k = tableKey(account, name);
    let t = this.cache.get(k);
    if (!t) {
      t = this.tables.get(k);
      if (t) this.cache.set(k, t);
    }
    return t;
  }

  async allTables(): Promise<TableInfo[]> {
    const out: TableInfo[] = [];
    for (const { value } of this.tables.getRange({})) out.push(value);
    return out;
  }

  async listTables(account: string, exclusiveStart: string | undefined, limit: number): Promise<string[]> {
    const prefix = `${account}/`;
    const out: string[] = [];
    const start = exclusiveStart !== undefined ? prefix + exclusiveStart : prefix;
    for (const key of this.tables.getKeys({ start })) {
      if (!key.startsWith(prefix)) break;
      const name = key.slice(prefix.length);
      if (exclusiveStart !== undefined && name <= exclusiveStart) continue;
      out.push(name);
      if (out.length >= limit) break;
    }
    return out;
  }

  async updateTable(account: string, name: string, fn: (t: TableInfo) => TableInfo): Promise<TableInfo> {
    const k = tableKey(account, name);
    const t = await this.commit(() => {
      const cur = this.tables.get(k);
      if (!cur) throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
      const next = fn(cur);
      for (const i of next.indexes) {
        if (i.id) continue;
        // a new index: its id, then the backfill from the table's items in the same transaction
        i.id = this.nextId();
        for (const { key, value } of this.items.getRange({ start: idPrefix(next.id) })) {
          if (key.readUInt32BE(0) !== next.id) break;
          this.addEntry(i, key, value);
        }
      }
      // entries of dropped indexes go with them
      for (const old of cur.indexes) if (!next.indexes.some((i) => i.id === old.id)) this.clearPrefix(this.entries, idPrefix(old.id), old.id);
      this.tables.put(k, next);
      return next;
    });
    this.cache.set(k, t);
    return t;
  }

  async deleteTable(account: string, name: string): Promise<TableInfo | undefined> {
    const k = tableKey(account, name);
    const t = await this.commit(() => {
      const cur = this.tables.get(k);
      if (!cur) return undefined;
      this.tables.remove(k);
      this.clearPrefix(this.items, idPrefix(cur.id), cur.id);
      this.streams.drop(cur.id);
      for (const i of cur.indexes) this.clearPrefix(this.entries, idPrefix(i.id), i.id);
      return cur;
    });
    this.cache.delete(k);
    this.seen.delete(k);
    return t;
  }

  private clearPrefix(db: Database<unknown, Buffer>, prefix: Buffer, id: number): void {
    for (const key of db.getKeys({ start: prefix })) {
      if (key.readUInt32BE(0) !== id) break;
      db.remove(key);
    }
    this.stats.remove(id);
  }

  async tableStats(table: TableInfo, index?: string): Promise<TableStats> {
    const id = index === undefined ? table.id : table.indexes.find((i) => i.name === index)?.id;
    const s = id === undefined ? undefined : this.stats.get(id);
    return { itemCount: s?.[0] ?? 0, sizeBytes: s?.[1] ?? 0 };
  }

  async getItem(table: TableInfo, key: Item): Promise<Item | undefined> {
    return this.items.get(itemKey(table, key));
  }

  async collectionSize(table: TableInfo, hash: AttributeValue): Promise<number> {
    const p = partitionPrefix(table.id, hashPart(hash));
    let bytes = 0;
    for (const { key, value } of this.items.getRange({ start: p })) {
      if (!key.subarray(0, p.length).equals(p)) break;
      bytes += itemSize(value);
    }
    return bytes;
  }

  async getItems(reads: Array<{ table: TableInfo; key: Item }>): Promise<Array<Item | undefined>> {
    // synchronous reads within one event-loop turn share lmdb-js's read transaction: one snapshot
    return reads.map((r) => this.items.get(itemKey(r.table, r.key)));
  }

  async write(ops: WriteOp[], opts: WriteOptions = {}): Promise<WriteResult[]> {
    return this.commit(() => {
      const plans: Array<{ op: WriteOp; k: Buffer; old?: Item; next: Item | null | undefined; stream?: StreamInfo }> = [];
      for (const op of ops) {
        const cur = this.current(tableKey(op.table.account, op.table.name));
        if (!cur || cur.id !== op.table.id) throw resourceNotFound();
        const k = itemKey(op.table, op.key);
        const old = this.items.get(k);
        plans.push({ op, k, old, next: op.apply(old), stream: cur.stream?.enabled ? cur.stream : undefined });
      }
      opts.beforeCommit?.();
      for (const p of plans) if (p.stream) this.streams.record(p.op.table, p.stream, p.old, p.next, opts);
      const results: WriteResult[] = [];
      for (const { op, k, old, next } of plans) {
        if (next === undefined) {
          results.push({ old, new: old });
          continue;
        }
        const indexes = op.table.indexes;
        if (old) for (const idx of indexes) this.removeEntry(idx, k, old);
        const oldSize = old ? itemSize(old) : 0;
        if (next === null) {
          if (old) {
            this.items.remove(k);
            this.bump(op.table.id, -1, -oldSize);
          }
          results.push({ old });
        } else {
          this.items.put(k, next);
          this.bump(op.table.id, old ? 0 : 1, itemSize(next) - oldSize);
          for (const idx of indexes) this.addEntry(idx, k, next);
          results.push({ old, new: next });
        }
      }
      return results;
    });
  }

  /**
   * The table's record in the current transaction, decoded only when its stored bytes differ from
   * the last ones decoded (a write checks the table on every call; the record rarely changes).
   */
  private current(k: string): TableInfo | undefined {
    const bytes = this.tables.getBinary(k);
    if (!bytes) {
      this.seen.delete(k);
      return undefined;
    }
    const hit = this.seen.get(k);
    if (hit && hit.bytes.equals(bytes)) return hit.info;
    const info = this.tables.get(k)!;
    this.seen.set(k, { bytes, info });
    return info;
  }

  private bump(id: number, count: number, bytes: number): void {
    if (!count && !bytes) return;
    const s = this.stats.get(id) ?? [0, 0];
    this.stats.put(id, [s[0] + count, s[1] + bytes]);
  }

  private entryKey(idx: IndexInfo, primary: Buffer, item: Item): Buffer | undefined {
    const h = item[idx.hash.name];
    if (!h || (h as Record<string, unknown>)[idx.hash.type] === undefined) return undefined;
    let r: Buffer | undefined;
    if (idx.range) {
      const rv = item[idx.range.name];
      if (!rv || (rv as Record<string, unknown>)[idx.range.type] === undefined) return undefined;
      r = escapeTerminated(rawKeyBytes(rv));
    }
    return indexKey(partitionPrefix(idx.id, hashPart(h)), r, primary.subarray(4));
  }

  private addEntry(idx: IndexInfo, primary: Buffer, item: Item): void {
    const ek = this.entryKey(idx, primary, item);
    if (!ek) return;
    this.entries.put(ek, primary);
    this.bump(idx.id, 1, itemSize(item));
  }

  private removeEntry(idx: IndexInfo, primary: Buffer, item: Item): void {
    const ek = this.entryKey(idx, primary, item);
    if (!ek) return;
    this.entries.remove(ek);
    this.bump(idx.id, -1, -itemSize(item));
  }

  async query(table: TableInfo, req: QueryRequest): Promise<Page> {
    const idx = req.index === undefined ? undefined : table.indexes.find((i) => i.name === req.index);
    const id = idx ? idx.id : table.id;
    const prefix = partitionPrefix(id, hashPart(req.hash));
    const win: KeyWindow = { prefix, escaped: !!idx, range: req.range, forward: req.forward };
    return this.page(table, idx, win, req);
  }

  async scan(table: TableInfo, req: ScanRequest): Promise<Page> {
    const idx = req.index === undefined ? undefined : table.indexes.find((i) => i.name === req.index);
    const id = idx ? idx.id : table.id;
    let lo = idPrefix(id);
    let hi = idPrefix(id + 1);
    if (req.totalSegments !== undefined && req.segment !== undefined) {
      const a = Math.floor((req.segment * 65536) / req.totalSegments);
      const b = Math.floor(((req.segment + 1) * 65536) / req.totalSegments);
      lo = idPrefix(id, a);
      hi = b >= 65536 ? idPrefix(id + 1) : idPrefix(id, b);
    }
    return this.page(table, idx, { lo, hi, forward: true }, req);
  }

  private page(table: TableInfo, idx: IndexInfo | undefined, win: KeyWindow, req: QueryRequest | ScanRequest): Page {
    const start = req.exclusiveStartKey ? this.startKeyOf(table, idx, req.exclusiveStartKey) : undefined;
    const source = idx
      ? (s: Buffer | undefined, reverse: boolean) => this.entryRange(s, reverse)
      : (s: Buffer | undefined, reverse: boolean) => this.items.getRange({ start: s, reverse });
    return iteratePage(win, start, req, source, (key, value) => (idx ? this.items.get(value as Buffer) : (value as Item)), (item) => keyOf(table, idx, item));
  }

  private entryRange(start: Buffer | undefined, reverse: boolean) {
    return this.entries.getRange({ start, reverse });
  }

  private startKeyOf(table: TableInfo, idx: IndexInfo | undefined, esk: Item): Buffer {
    const k = itemKey(table, esk);
    if (!idx) return k;
    return this.entryKey(idx, k, esk) ?? k;
  }

  async readStream(table: TableInfo, label: string, after: bigint | undefined, limit: number): Promise<StreamRecord[]> {
    return this.streams.read(table, label, after, limit);
  }

  async streamBounds(table: TableInfo, label: string): Promise<{ first?: bigint; last?: bigint }> {
    return this.streams.bounds(table, label);
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

function tableKey(account: string, name: string): string {
  return `${account}/${name}`;
}

/** The storage key of the item with this primary key. */
export function itemKey(table: TableInfo, key: Item): Buffer {
  const p = partitionPrefix(table.id, hashPart(key[table.hash.name]!));
  if (!table.range) return p;
  return Buffer.concat([p, rawKeyBytes(key[table.range.name]!)]);
}

/** The key attributes DynamoDB returns as LastEvaluatedKey. */
export function keyOf(table: TableInfo, idx: IndexInfo | undefined, item: Item): Item {
  const out: Item = { [table.hash.name]: item[table.hash.name]! };
  if (table.range) out[table.range.name] = item[table.range.name]!;
  if (idx) {
    out[idx.hash.name] = item[idx.hash.name]!;
    if (idx.range) out[idx.range.name] = item[idx.range.name]!;
  }
  return out;
}
