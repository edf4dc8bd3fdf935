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
  | 'meta';

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

  async put(accountId: string, kind: Kind, id: string, value: unknown): Promise<void> {
    await this.t.put(recKey(accountId, kind, id), value);
  }

  async delete(accountId: string, kind: Kind, id: string): Promise<boolean> {
    return this.t.delete(recKey(accountId, kind, id));
  }

  /** Atomic read-modify-write of one record; `fn` returning undefined deletes it. */
  async update<T>(accountId: string, kind: Kind, id: string, fn: (cur: T | undefined) => T | undefined): Promise<T | undefined> {
    return (await this.t.update(recKey(accountId, kind, id), (cur) => fn(cur as T | undefined))) as T | undefined;
  }

  /** One serializable transaction over several records of one account. `fn` must be synchronous. */
  async transact<R>(accountId: string, fn: (tx: Ec2Tx) => R): Promise<R> {
    return this.state.transact((tx: TxView) =>
      fn({
        get: <T>(kind: Kind, id: string) => tx.get<T>(EC2_TABLE, recKey(accountId, kind, id)),
        put: (kind, id, value) => tx.put(EC2_TABLE, recKey(accountId, kind, id), value),
        delete: (kind, id) => tx.delete(EC2_TABLE, recKey(accountId, kind, id)),
      }),
    );
  }
}
