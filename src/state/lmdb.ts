// SPDX-License-Identifier: AGPL-3.0-or-later
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { compareKeys, prefixCeiling, runBuffered, type RangeOptions, type StateStore, type StateTable, type StateValue, type TxView } from './store.js';

/**
 * msgpack values without msgpackr's records: with no shared structure store, each record value
 * carries its own structure definition, which every read parses and compiles again (2 µs of a
 * DynamoDB GetItem). Values written as records before still read back. (lmdb's typings lack
 * the option it passes on to msgpackr.)
 */
export const MSGPACK: DatabaseOptions = { encoding: 'msgpack', ...{ useRecords: false } };

/** StateStore on LMDB: one file set under `<dataDir>/state`, one named sub-database per table. */
export class LmdbStateStore implements StateStore {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<string, Database>();
  /** Table objects are stateless views: one per name, not one per call. */
  private readonly tables = new Map<string, StateTable<unknown>>();
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'state');
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    this.root = open({ path: this.path, maxDbs: 128, mapSize: 2 ** 34, compression: false });
  }

  private db(name: string): Database {
    let d = this.dbs.get(name);
    if (!d) {
      d = this.root.openDB({ name, ...MSGPACK });
      this.dbs.set(name, d);
    }
    return d;
  }

  table<T = StateValue>(name: string): StateTable<T> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = this.newTable<unknown>(name)));
    return t as StateTable<T>;
  }

  private newTable<T>(name: string): StateTable<T> {
    const db = this.db(name);
    const root = this.root;
    return {
      async get(key) {
        return db.get(key) as T | undefined;
      },
      async put(key, value) {
        await db.put(key, value);
        await root.flushed;
      },
      async putIfAbsent(key, value) {
        return durably(root, () => {
          if (db.get(key) !== undefined) return false;
          db.put(key, value);
          return true;
        });
      },
      async delete(key) {
        return durably(root, () => {
          if (db.get(key) === undefined) return false;
          db.remove(key);
          return true;
        });
      },
      async update(key, fn) {
        return durably(root, () => {
          const next = fn(db.get(key) as T | undefined);
          if (next === undefined) db.remove(key);
          else db.put(key, next);
          return next;
        });
      },
      async range(opts: RangeOptions = {}) {
        return rangeOf<T>(db, opts);
      },
    };
  }

  async transact<R>(fn: (tx: TxView) => R): Promise<R> {
    // lmdb-js keeps the writes of a transaction callback that throws: runBuffered applies them
    // only once `fn` has returned
    return durably(this.root, () =>
      runBuffered(
        fn,
        (table, key) => this.db(table).get(key),
        (table, key, value) => {
          if (value === undefined) this.db(table).remove(key);
          else this.db(table).put(key, value);
        },
      ),
    );
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  describe() {
    return { kind: 'lmdb', location: this.path };
  }
}

/**
 * A write transaction answered once it is on disk: lmdb-js resolves a transaction when it is
 * committed and visible, and with overlappingSync (its default on Linux) the flush to disk comes
 * after; `flushed` waits for it, so an acknowledged write survives a power loss, not only a crash
 * of the process. The flush of one commit overlaps the next.
 */
export async function durably<R>(root: RootDatabase, fn: () => R): Promise<R> {
  const result = await root.transaction(fn);
  await root.flushed;
  return result;
}

function rangeOf<T>(db: Database, opts: RangeOptions): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return out;
  const prefix = opts.prefix ?? '';
  let start: string | undefined;
  if (opts.reverse) {
    const ceiling = opts.prefix !== undefined ? prefixCeiling(prefix) : undefined;
    start = opts.start !== undefined && (ceiling === undefined || compareKeys(opts.start, ceiling) < 0) ? opts.start : ceiling;
  } else {
    start = opts.start !== undefined && compareKeys(opts.start, prefix) > 0 ? opts.start : prefix;
  }
  // no `end` bound: keys with the prefix are contiguous in byte order, so the scan stops at the
  // first key without it (an end key such as prefix+U+FFFF would miss keys with emoji after it)
  for (const { key, value } of db.getRange({ start, reverse: opts.reverse ?? false })) {
    const k = String(key);
    if (opts.start !== undefined && opts.exclusiveStart && k === opts.start) continue;
    if (!k.startsWith(prefix)) {
      if (opts.reverse ? compareKeys(k, prefix) < 0 : true) break;
      continue;
    }
    out.push([k, value as T]);
    if (out.length >= limit) break;
  }
  return out;
}
