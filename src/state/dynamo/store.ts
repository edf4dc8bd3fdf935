// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * StateStore on a DynamoDB-API table (Alternator in production, any DynamoDB-compatible server in
 * tests), so several gateways share accounts, keys, ids and jobs. Layout: items.ts; multi-key
 * transactions: txn.ts. Single-key writes are one conditional write each (no transaction record):
 * they hold when no transaction holds the key and, for update(), when the version read is still
 * there; a write carries a fresh version id, by which a repeated request is recognised.
 */
import { runBuffered, compareKeys, prefixCeiling, type RangeOptions, type StateStore, type StateTable, type StateValue, type TxView } from '../store.js';
import { DynamoClient } from './client.js';
import { LocalLocks } from './local-locks.js';
import { ItemTable, N, S, TX_PARTITION, newVersion, pkOf, skOf, type DdbItem, type Raw, type Update } from './items.js';
import { TxEngine, type TxEntry } from './txn.js';

export interface DynamoStateOptions {
  endpoints: string[];
  region: string;
  table: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Create the table when missing (default true). */
  createTable?: boolean;
  /** A transaction holding keys longer than this is presumed dead and aborted (default 5000). */
  txTimeoutMs?: number;
  /** How often stale transaction records are completed (default 10000; 0: only at open). */
  recoveryIntervalMs?: number;
  /** Per-request timeout towards the table (default 10000). */
  requestTimeoutMs?: number;
}

/** Tombstones (deleted entries) older than this are removed when a scan meets them. */
const TOMBSTONE_TTL_MS = 5 * 60_000;
const MAX_TX_ATTEMPTS = 200;
/** A range entry that turned out deleted by a committed transaction. */
const DROP = Symbol('dropped');

const parse = (s: string | undefined): unknown => (s === undefined ? undefined : JSON.parse(s));
const json = (v: unknown): string => JSON.stringify(v) ?? 'null';

export class DynamoStateStore implements StateStore {
  private readonly tables = new Map<string, StateTable<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private recovering: Promise<unknown> | undefined;
  private readonly local = new LocalLocks();

  private constructor(
    private readonly items: ItemTable,
    private readonly engine: TxEngine,
    private readonly opts: DynamoStateOptions,
  ) {}

  /**
   * Connects, makes sure the table exists, completes transactions left behind by crashed gateways
   * and starts the periodic recovery. `engine` lets tests substitute a TxEngine subclass.
   */
  static async open(opts: DynamoStateOptions, engine?: (items: ItemTable, timeoutMs: number) => TxEngine): Promise<DynamoStateStore> {
    const client = new DynamoClient({ endpoints: opts.endpoints, region: opts.region, accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, timeoutMs: opts.requestTimeoutMs });
    const items = new ItemTable(client, opts.table);
    try {
      await items.ensure(opts.createTable ?? true);
      const timeout = opts.txTimeoutMs ?? 5000;
      const store = new DynamoStateStore(items, engine ? engine(items, timeout) : new TxEngine(items, timeout), opts);
      await store.engine.recover();
      const every = opts.recoveryIntervalMs ?? 10_000;
      if (every > 0) {
        store.timer = setInterval(() => {
          store.recovering ??= store.engine
            .recover()
            .catch(() => undefined)
            .finally(() => (store.recovering = undefined));
        }, every);
        store.timer.unref();
      }
      return store;
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  table<T = StateValue>(name: string): StateTable<T> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = this.newTable(name)));
    return t as StateTable<T>;
  }

  /** The entry with no transaction holding it (waiting for or completing the one that does). */
  private async settled(p: string, k: string): Promise<Raw | undefined> {
    const raw = await this.items.get(p, k);
    return raw?.lk ? this.engine.unlock(p, k, raw) : raw;
  }

  /**
   * One conditional write carrying version `w`. True when it was applied (also when a repeated
   * request finds its own earlier success); otherwise the entry as it is now.
   */
  private async write(p: string, k: string, w: string, u: Update): Promise<true | { cur: Raw | undefined }> {
    if (await this.items.update(p, k, u)) return true;
    const cur = await this.items.get(p, k);
    return cur?.ver === w ? true : { cur };
  }

  private newTable(name: string): StateTable<unknown> {
    const p = pkOf(name);
    const free = 'attribute_not_exists(#lk)';
    return {
      get: async (key) => {
        const k = skOf(key);
        return parse(await this.engine.committedValue(p, k, await this.items.get(p, k)));
      },
      put: async (key, value) => {
        const k = skOf(key);
        const w = newVersion();
        for (;;) {
          const r = await this.write(p, k, w, { set: { v: S(json(value)), ver: S(w), ts: N(Date.now()) }, condition: free });
          if (r === true) return;
          await this.engine.unlock(p, k, r.cur);
        }
      },
      putIfAbsent: async (key, value) => {
        const k = skOf(key);
        const w = newVersion();
        for (;;) {
          const r = await this.write(p, k, w, { set: { v: S(json(value)), ver: S(w), ts: N(Date.now()) }, condition: `${free} AND attribute_not_exists(#v)` });
          if (r === true) return true;
          if (!r.cur?.lk) {
            if (r.cur?.v !== undefined) return false;
            continue;
          }
          await this.engine.unlock(p, k, r.cur);
        }
      },
      delete: async (key) => {
        const k = skOf(key);
        const w = newVersion();
        for (;;) {
          const r = await this.write(p, k, w, { set: { ver: S(w), ts: N(Date.now()) }, remove: ['v'], condition: `${free} AND attribute_exists(#v)` });
          if (r === true) return true;
          if (!r.cur?.lk) {
            if (r.cur?.v === undefined) return false;
            continue;
          }
          await this.engine.unlock(p, k, r.cur);
        }
      },
      update: async (key, fn) => {
        const k = skOf(key);
        const w = newVersion();
        let hold: (() => void) | undefined;
        try {
          for (;;) {
            const cur = await this.settled(p, k);
            const next = fn(parse(cur?.v));
            if (next === undefined && cur?.v === undefined) return undefined;
            const cond = cur?.ver !== undefined ? `${free} AND #ver = :old` : `${free} AND attribute_not_exists(#ver)`;
            const values = cur?.ver !== undefined ? { ':old': S(cur.ver) } : undefined;
            const u: Update =
              next === undefined
                ? { set: { ver: S(w), ts: N(Date.now()) }, remove: ['v'], condition: cond, values }
                : { set: { v: S(json(next)), ver: S(w), ts: N(Date.now()) }, condition: cond, values };
            if ((await this.write(p, k, w, u)) === true) return next;
            // lost a race: retry queued behind this gateway's other writers of the key
            hold ??= await this.local.acquire([`${p}\u0000${k}`]);
          }
        } finally {
          hold?.();
        }
      },
      range: async (opts: RangeOptions = {}) => this.range(p, opts),
    };
  }

  private async range(p: string, opts: RangeOptions): Promise<Array<[string, unknown]>> {
    const out: Array<[string, unknown]> = [];
    const limit = opts.limit ?? Infinity;
    if (limit <= 0) return out;
    const prefix = opts.prefix ?? '';
    const forward = !opts.reverse;
    let cond: Parameters<ItemTable['query']>[1] = { op: 'begins_with', value: skOf(prefix) };
    if (opts.start !== undefined) {
      const useStart = forward ? compareKeys(opts.start, prefix) > 0 : compareKeys(opts.start, prefixCeiling(prefix)) < 0;
      if (useStart) cond = { op: forward ? (opts.exclusiveStart ? '>' : '>=') : opts.exclusiveStart ? '<' : '<=', value: skOf(opts.start) };
    }
    let startKey: DdbItem | undefined;
    const garbage: Array<[string, Raw]> = [];
    for (;;) {
      const want = limit === Infinity ? undefined : Math.min(1000, (limit - out.length) * 2 + 8);
      const page = await this.items.query(p, cond, { forward, limit: want, startKey });
      const locked: Array<Promise<void>> = [];
      let ended = false;
      for (const [sk, raw] of page.items) {
        const key = sk.slice(1);
        if (!key.startsWith(prefix)) {
          // keys with the prefix are contiguous: past them (forward, or below them in reverse) ends the scan
          if (forward || compareKeys(key, prefix) < 0) {
            ended = true;
            break;
          }
          continue;
        }
        if (opts.start !== undefined && opts.exclusiveStart && key === opts.start) continue;
        if (raw.lk) {
          const slot = out.length;
          out.push([key, DROP]);
          locked.push(this.engine.committedValue(p, sk, raw).then((v) => void (out[slot] = [key, v === undefined ? DROP : parse(v)])));
        } else if (raw.v === undefined) garbage.push([sk, raw]);
        else out.push([key, parse(raw.v)]);
      }
      await Promise.all(locked);
      // entries a transaction deleted (or had not created yet) leave the result
      for (let i = out.length - 1; i >= 0; i--) if (out[i]![1] === DROP) out.splice(i, 1);
      if (ended || out.length >= limit || !page.last) return this.finishRange(p, out, garbage, limit);
      startKey = page.last;
    }
  }

  /** Trims to the limit and removes old tombstones seen on the way (in the background). */
  private finishRange(p: string, out: Array<[string, unknown]>, garbage: Array<[string, Raw]>, limit: number): Array<[string, unknown]> {
    const now = Date.now();
    for (const [sk, raw] of garbage) {
      if (raw.ver !== undefined && now - (raw.ts ?? 0) < TOMBSTONE_TTL_MS) continue;
      const cond = raw.ver !== undefined ? 'attribute_not_exists(#lk) AND attribute_not_exists(#v) AND #ver = :ver' : 'attribute_not_exists(#lk) AND attribute_not_exists(#v) AND attribute_not_exists(#ver)';
      void this.items.delete(p, sk, cond, raw.ver !== undefined ? { ':ver': S(raw.ver) } : undefined).catch(() => undefined);
    }
    return out.length > limit ? out.slice(0, limit) : out;
  }

  async transact<R>(fn: (tx: TxView) => R): Promise<R> {
    let hold: (() => void) | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        const { result, entries, writes } = await this.execute(fn);
        const ok = writes === 0 ? await this.validate(entries) : entries.length === 1 ? await this.commitOne(entries[0]!) : await this.engine.commit(entries, attempt > 0);
        if (ok) return result;
        if (attempt >= MAX_TX_ATTEMPTS) throw new Error(`state transaction did not commit after ${MAX_TX_ATTEMPTS} attempts (contention)`);
        await new Promise((r) => setTimeout(r, Math.min(100, 2 * 1.3 ** attempt) * Math.random()));
        // the retry queues behind this gateway's other writers of the same keys
        hold ??= await this.local.acquire(entries.map((e) => `${e.p}\u0000${e.k}`));
      }
    } finally {
      hold?.();
    }
  }

  /**
   * Runs the callback on consistent reads: a run that meets keys not read yet only tells which
   * to read (its result and writes are dropped); they are read at once and it runs again, until a
   * run reads nothing new. Returns that run's result and its keys: what it read, what it writes.
   * A callback that does not read again the first key it missed in the run before is not
   * deterministic (it reads keys made of fresh random ids, e.g. checking a new id is free): its
   * keys not read yet are then taken as absent, which the commit checks like any other read (the
   * lock's condition is that the entry has no version).
   */
  private async execute<R>(fn: (tx: TxView) => R): Promise<{ result: R; entries: TxEntry[]; writes: number }> {
    const reads = new Map<string, { p: string; k: string; raw: Raw | undefined }>();
    let firstMissed: string | undefined;
    let assumeAbsent = false;
    for (;;) {
      const missing: Array<[string, string]> = [];
      const missed: string[] = [];
      const seen = new Set<string>();
      const used = new Set<string>();
      const writes = new Map<string, { p: string; k: string; value: StateValue | undefined }>();
      let result: R | undefined;
      let failure: { e: unknown } | undefined;
      try {
        result = runBuffered(
          fn,
          (table, key) => {
            const p = pkOf(table);
            const k = skOf(key);
            const id = `${p}\u0000${k}`;
            seen.add(id);
            const r = reads.get(id);
            if (!r) {
              if (assumeAbsent) {
                reads.set(id, { p, k, raw: undefined });
                used.add(id);
              } else {
                missing.push([p, k]);
                missed.push(id);
              }
              return undefined;
            }
            used.add(id);
            return parse(r.raw?.v);
          },
          (table, key, value) => {
            const p = pkOf(table);
            const k = skOf(key);
            writes.set(`${p}\u0000${k}`, { p, k, value });
          },
        );
      } catch (e) {
        failure = { e };
      }
      if (missing.length) {
        if (firstMissed !== undefined && !seen.has(firstMissed)) {
          assumeAbsent = true;
          continue;
        }
        firstMissed = missed[0];
        for (const [id, raw] of await this.items.getMany(missing)) {
          const [p, k] = id.split('\u0000') as [string, string];
          reads.set(id, { p, k, raw });
        }
        continue;
      }
      if (failure) throw failure.e;
      const op = (w: { value: StateValue | undefined } | undefined) => (w ? (w.value === undefined ? 'd' : 'p') : 'r');
      const nv = (w: { value: StateValue | undefined } | undefined) => (w?.value === undefined ? undefined : json(w.value));
      const entries: TxEntry[] = [];
      for (const id of used) {
        const r = reads.get(id)!;
        const w = writes.get(id);
        entries.push({ p: r.p, k: r.k, read: { raw: r.raw }, op: op(w), nv: nv(w) });
      }
      for (const [id, w] of writes) if (!used.has(id)) entries.push({ p: w.p, k: w.k, op: op(w), nv: nv(w) });
      return { result: result as R, entries, writes: writes.size };
    }
  }

  /** A transaction of one key needs no record: one conditional write, like update(). */
  private async commitOne(e: TxEntry): Promise<boolean> {
    const w = newVersion();
    let condition = 'attribute_not_exists(#lk)';
    let values: Update['values'];
    if (e.read) {
      if (e.read.raw?.ver !== undefined) {
        condition += ' AND #ver = :old';
        values = { ':old': S(e.read.raw.ver) };
      } else condition += ' AND attribute_not_exists(#ver)';
    }
    const set = { ver: S(w), ts: N(Date.now()), ...(e.op === 'p' ? { v: S(e.nv!) } : {}) };
    const r = await this.write(e.p, e.k, w, { set, remove: e.op === 'd' ? ['v'] : undefined, condition, values });
    if (r === true) return true;
    if (r.cur?.lk) await this.engine.unlock(e.p, e.k, r.cur);
    return false;
  }

  /** A read-only transaction holds when its reads were one state: no key moved or was held meanwhile. */
  private async validate(entries: TxEntry[]): Promise<boolean> {
    const held = entries.filter((e) => e.read?.raw?.lk);
    if (held.length) {
      await Promise.all(held.map((e) => this.engine.unlock(e.p, e.k, e.read!.raw)));
      return false;
    }
    if (entries.length <= 1) return true;
    const now = await this.items.getMany(entries.map((e) => [e.p, e.k]));
    return entries.every((e) => {
      const cur = now.get(`${e.p}\u0000${e.k}`);
      return !cur?.lk && cur?.ver === e.read?.raw?.ver && cur?.v === e.read?.raw?.v;
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.recovering;
    await this.engine.drain();
    await this.items.client.close();
  }

  /** One consistent read of the table (a key that is never written), tried once on each node. */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.items.client.call('GetItem', { TableName: this.opts.table, Key: { p: S(TX_PARTITION), k: S('~health') }, ConsistentRead: true }, { attempts: this.items.client.size });
      return { ok: true };
    } catch (e) {
      return { ok: false, detail: `state table ${this.opts.table} at ${this.items.client.describe()}: ${(e as Error).message}` };
    }
  }

  describe() {
    return { kind: 'dynamodb', location: `${this.items.client.describe()}/${this.opts.table}` };
  }
}

