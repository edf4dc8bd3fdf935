// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The gateway's own state (accounts, keys, ids, mappings, jobs, API-level records) behind one small
 * interface. LMDB under the data dir is the default; the same interface can later run on a
 * DynamoDB-API table so several stateless gateways share it. Keys are strings and sort bytewise.
 * Values are plain JSON-compatible data (objects, arrays, strings, numbers, booleans, null).
 */
export type StateValue = unknown;

export interface RangeOptions {
  /** Only keys starting with this prefix. */
  prefix?: string;
  /** First key (inclusive), or with `exclusiveStart` the key after which to start. */
  start?: string;
  exclusiveStart?: boolean;
  /** Maximum number of entries. */
  limit?: number;
  reverse?: boolean;
}

export interface StateTable<T = StateValue> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  /** Writes only if the key is absent; true when written. */
  putIfAbsent(key: string, value: T): Promise<boolean>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /**
   * Atomic read-modify-write: `fn` sees the current value and returns the new one (undefined
   * deletes). `fn` must be synchronous and side-effect free: it may be retried.
   */
  update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
  /** Ordered scan. */
  range(opts?: RangeOptions): Promise<Array<[string, T]>>;
}

/** A synchronous view used inside one atomic multi-key transaction. */
export interface TxView {
  get<T = StateValue>(table: string, key: string): T | undefined;
  put(table: string, key: string, value: StateValue): void;
  delete(table: string, key: string): void;
}

export interface StateStore {
  table<T = StateValue>(name: string): StateTable<T>;
  /** Runs `fn` as one serializable transaction across tables. `fn` must be synchronous. */
  transact<R>(fn: (tx: TxView) => R): Promise<R>;
  close(): Promise<void>;
  /** Where the store lives, for health output. */
  describe(): { kind: string; location: string };
  /** Whether a store that lives elsewhere answers (one cheap read); local stores need not say. */
  health?(): Promise<{ ok: boolean; detail?: string }>;
}

/**
 * A key above every key that starts with `p` and could occur in practice, for starting reverse
 * scans. Keys sort by UTF-8 bytes, where U+10FFFF is the largest character; forward scans never
 * need this (they stop at the first key without the prefix).
 */
export function prefixCeiling(p: string): string {
  return p + '\u{10FFFF}'.repeat(4);
}

/** Byte-order (UTF-8) comparison of two keys, as LMDB orders them. */
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const DELETED = Symbol('deleted');

/**
 * Runs a transaction callback against buffered writes: `tx.get` sees the callback's own writes,
 * and the writes reach `apply` (value undefined = delete) only when `fn` returns — a callback that
 * throws writes nothing. Stores call this inside their own atomic section.
 */
export function runBuffered<R>(fn: (tx: TxView) => R, read: (table: string, key: string) => unknown, apply: (table: string, key: string, value: StateValue | undefined) => void): R {
  const pending = new Map<string, Map<string, unknown>>();
  const buf = (table: string) => {
    let m = pending.get(table);
    if (!m) pending.set(table, (m = new Map()));
    return m;
  };
  const result = fn({
    get: <T>(table: string, key: string) => {
      const v = pending.get(table)?.get(key);
      if (v === DELETED) return undefined;
      return (v !== undefined ? v : read(table, key)) as T | undefined;
    },
    put: (table, key, value) => void buf(table).set(key, value),
    delete: (table, key) => void buf(table).set(key, DELETED),
  });
  for (const [table, ops] of pending) for (const [key, v] of ops) apply(table, key, v === DELETED ? undefined : v);
  return result;
}
