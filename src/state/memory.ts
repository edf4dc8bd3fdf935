// SPDX-License-Identifier: AGPL-3.0-or-later
import { compareKeys, runBuffered, type RangeOptions, type StateStore, type StateTable, type StateValue, type TxView } from './store.js';

/**
 * StateStore in memory, for unit tests of the layers above the store. Values are deep-copied on
 * the way in and out, like a real store would serialize them.
 */
export class MemoryStateStore implements StateStore {
  private readonly tables = new Map<string, Map<string, StateValue>>();

  private t(name: string): Map<string, StateValue> {
    let m = this.tables.get(name);
    if (!m) this.tables.set(name, (m = new Map()));
    return m;
  }

  table<T = StateValue>(name: string): StateTable<T> {
    const m = this.t(name);
    return {
      async get(key) {
        return clone(m.get(key)) as T | undefined;
      },
      async put(key, value) {
        m.set(key, clone(value));
      },
      async putIfAbsent(key, value) {
        if (m.has(key)) return false;
        m.set(key, clone(value));
        return true;
      },
      async delete(key) {
        return m.delete(key);
      },
      async update(key, fn) {
        const next = fn(clone(m.get(key)) as T | undefined);
        if (next === undefined) m.delete(key);
        else m.set(key, clone(next));
        return clone(next) as T | undefined;
      },
      async range(opts: RangeOptions = {}) {
        const prefix = opts.prefix ?? '';
        let keys = [...m.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
        if (opts.reverse) keys.reverse();
        if (opts.start !== undefined) {
          const s = opts.start;
          keys = keys.filter((k) => {
            const c = compareKeys(k, s);
            return opts.reverse ? (opts.exclusiveStart ? c < 0 : c <= 0) : opts.exclusiveStart ? c > 0 : c >= 0;
          });
        }
        if (opts.limit !== undefined) keys = keys.slice(0, opts.limit);
        return keys.map((k) => [k, clone(m.get(k)) as T]);
      },
    };
  }

  async transact<R>(fn: (tx: TxView) => R): Promise<R> {
    return runBuffered(
      fn,
      (table, key) => clone(this.t(table).get(key)),
      (table, key, value) => {
        if (value === undefined) this.t(table).delete(key);
        else this.t(table).set(key, clone(value));
      },
    );
  }

  async close(): Promise<void> {}

  describe() {
    return { kind: 'memory', location: '(memory)' };
  }
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}
