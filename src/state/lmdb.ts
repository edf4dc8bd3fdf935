// SPDX-License-Identifier: AGPL-3.0-or-later
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { prefixEnd, type RangeOptions, type StateStore, type StateTable, type StateValue, type TxView } from './store.js';

/** StateStore on LMDB: one file set under `<dataDir>/state`, one named sub-database per table. */
export class LmdbStateStore implements StateStore {
  private readonly root: RootDatabase;
  private readonly dbs = new Map<string, Database>();
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'state');
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    this.root = open({ path: this.path, maxDbs: 128, mapSize: 2 ** 34, compression: false });
  }

  private db(name: string): Database {
    let d = this.dbs.get(name);
    if (!d) {
      d = this.root.openDB({ name, encoding: 'msgpack' });
      this.dbs.set(name, d);
    }
    return d;
  }

  table<T = StateValue>(name: string): StateTable<T> {
    const db = this.db(name);
    const root = this.root;
    return {
      async get(key) {
        return db.get(key) as T | undefined;
      },
      async put(key, value) {
        await db.put(key, value);
      },
      async putIfAbsent(key, value) {
        return root.transaction(() => {
          if (db.get(key) !== undefined) return false;
          db.put(key, value);
          return true;
        });
      },
      async delete(key) {
        return root.transaction(() => {
          if (db.get(key) === undefined) return false;
          db.remove(key);
          return true;
        });
      },
      async update(key, fn) {
        return root.transaction(() => {
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
    return this.root.transaction(() =>
      fn({
        get: <T>(table: string, key: string) => this.db(table).get(key) as T | undefined,
        put: (table, key, value) => void this.db(table).put(key, value),
        delete: (table, key) => void this.db(table).remove(key),
      }),
    );
  }

  async close(): Promise<void> {
    await this.root.close();
  }

  describe() {
    return { kind: 'lmdb', location: this.path };
  }
}

function rangeOf<T>(db: Database, opts: RangeOptions): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return out;
  const lo = opts.prefix ?? '';
  const hi = opts.prefix !== undefined ? prefixEnd(opts.prefix) : undefined;
  let start: string | undefined = opts.reverse ? hi : lo;
  // a reverse scan's `end` would be exclusive and drop a key equal to the prefix: stop by hand
  const end: string | undefined = opts.reverse ? undefined : hi;
  if (opts.start !== undefined) {
    if (opts.reverse) start = hi === undefined || opts.start < hi ? opts.start : hi;
    else start = opts.start > lo ? opts.start : lo;
  }
  const iter = db.getRange({ start, end, reverse: opts.reverse ?? false });
  for (const { key, value } of iter) {
    const k = String(key);
    if (opts.start !== undefined && opts.exclusiveStart && k === opts.start) continue;
    if (opts.reverse && k < lo) break;
    if (opts.prefix !== undefined && !k.startsWith(opts.prefix)) continue;
    out.push([k, value as T]);
    if (out.length >= limit) break;
  }
  return out;
}
