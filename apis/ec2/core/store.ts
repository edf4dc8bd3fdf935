// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2's API-level records in the gateway state store, table 'ec2', keys '<account>/<kind>/<id>':
 * every listing is a prefix scan of one account, so tenants never see each other's records.
 */
import type { StateStore, TxView } from '../../../src/state/store.js';

export const EC2_TABLE = 'ec2';

export type Kind =
  | 'instance'
  | 'volume'
  | 'volmod'
  | 'snapshot'
  | 'image'
  | 'sg'
  | 'vpc'
  | 'subnet'
  | 'keypair'
  | 'igw'
  | 'rtb'
  | 'eip'
  | 'token'
  | 'meta'
  | 'tagidx';

export interface Tag {
  Key: string;
  Value: string;
}

/** What every stored EC2 record has. */
export interface Rec {
  id: string;
  Tags?: Tag[];
}

export function recKey(accountId: string, kind: Kind, id: string): string {
  return `${accountId}/${kind}/${id}`;
}

/** A synchronous view inside one atomic transaction. */
export interface Ec2Tx {
  get<T>(kind: Kind, id: string): T | undefined;
  put(kind: Kind, id: string, value: unknown): void;
  delete(kind: Kind, id: string): void;
}

/**
 * Kinds whose records carry Tags and get a tag index: '<acct>/tagidx/<kind>/<key>\x1f<value>\x1f<id>'.
 * U+001F (tags may not contain it): with NUL as separator the LMDB store's prefix scans missed entries.
 */
const INDEXED: ReadonlySet<Kind> = new Set<Kind>(['instance', 'volume', 'snapshot', 'image', 'sg', 'vpc', 'subnet', 'keypair', 'igw', 'rtb', 'eip']);

function tagKey(kind: Kind, id: string, t: Tag): string {
  return `${kind}/${t.Key}\u001f${t.Value}\u001f${id}`;
}

/** Keeps the tag index in step with one record change, inside the caller's transaction. */
function reindex(tx: TxView, accountId: string, kind: Kind, id: string, before: Rec | undefined, after: Rec | undefined): void {
  if (!INDEXED.has(kind)) return;
  const old = before?.Tags ?? [];
  const now = after?.Tags ?? [];
  const same = (a: Tag, b: Tag) => a.Key === b.Key && a.Value === b.Value;
  for (const t of old) if (!now.some((n) => same(n, t))) tx.delete(EC2_TABLE, recKey(accountId, 'tagidx', tagKey(kind, id, t)));
  for (const t of now) if (!old.some((o) => same(o, t))) tx.put(EC2_TABLE, recKey(accountId, 'tagidx', tagKey(kind, id, t)), 1);
}

export class Ec2Store {
  constructor(private readonly state: StateStore) {}

  private get t() {
    return this.state.table(EC2_TABLE);
  }

  async get<T>(accountId: string, kind: Kind, id: string): Promise<T | undefined> {
    return (await this.t.get(recKey(accountId, kind, id))) as T | undefined;
  }

  async list<T>(accountId: string, kind: Kind): Promise<T[]> {
    return (await this.t.range({ prefix: `${accountId}/${kind}/` })).map(([, v]) => v as T);
  }

  /** Ids of the records of `kind` tagged key=value for any of `values` (exact values). */
  async idsByTag(accountId: string, kind: Kind, key: string, values: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const v of values) {
      const prefix = recKey(accountId, 'tagidx', `${kind}/${key}\u001f${v}\u001f`);
      for (const [k] of await this.t.range({ prefix })) ids.push(k.slice(prefix.length));
    }
    return [...new Set(ids)].sort();
  }

  async put(accountId: string, kind: Kind, id: string, value: unknown): Promise<void> {
    await this.transact(accountId, (tx) => tx.put(kind, id, value));
  }

  async delete(accountId: string, kind: Kind, id: string): Promise<boolean> {
    return this.transact(accountId, (tx) => {
      const had = tx.get(kind, id) !== undefined;
      tx.delete(kind, id);
      return had;
    });
  }

  /** Atomic read-modify-write of one record; `fn` returning undefined deletes it. */
  async update<T>(accountId: string, kind: Kind, id: string, fn: (cur: T | undefined) => T | undefined): Promise<T | undefined> {
    return this.transact(accountId, (tx) => {
      const next = fn(tx.get<T>(kind, id));
      if (next === undefined) tx.delete(kind, id);
      else tx.put(kind, id, next);
      return next;
    });
  }

  /** One serializable transaction over several records of one account. `fn` must be synchronous. */
  async transact<R>(accountId: string, fn: (tx: Ec2Tx) => R): Promise<R> {
    return this.state.transact((tx: TxView) => fn(ec2Tx(tx, accountId)));
  }
}

/** An account's EC2 view of a store transaction (keeps the tag index), for transactions that span other tables. */
export function ec2Tx(tx: TxView, accountId: string): Ec2Tx {
  return {
    get: <T>(kind: Kind, id: string) => tx.get<T>(EC2_TABLE, recKey(accountId, kind, id)),
    put: (kind, id, value) => {
      reindex(tx, accountId, kind, id, tx.get<Rec>(EC2_TABLE, recKey(accountId, kind, id)), value as Rec);
      tx.put(EC2_TABLE, recKey(accountId, kind, id), value);
    },
    delete: (kind, id) => {
      reindex(tx, accountId, kind, id, tx.get<Rec>(EC2_TABLE, recKey(accountId, kind, id)), undefined);
      tx.delete(EC2_TABLE, recKey(accountId, kind, id));
    },
  };
}
