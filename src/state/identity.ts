// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Accounts and access keys: the records SigV4 verification reads (src/auth) and the IAM/STS APIs
 * and the CLI write. Stored in the `identity` table of the state store:
 *   account/<12 digits>                 → AccountRecord
 *   key/<access key id>                 → KeyRecord
 *   acctkey/<12 digits>/<access key id> → true (the account's keys, written with the key)
 *   generation                          → counter bumped by every write (see resolve)
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Principal } from '../context.js';
import type { StateStore } from './store.js';

export interface AccountRecord {
  accountId: string;
  name: string;
  createDate: number;
}

export type KeyKind = 'root' | 'user' | 'session' | 'role-session';

export interface KeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  kind: KeyKind;
  status: 'Active' | 'Inactive';
  createDate: number;
  /** IAM user owning the key (kind user, or session of a user). */
  userName?: string;
  userId?: string;
  userPath?: string;
  /** Assumed role (kind role-session). */
  roleName?: string;
  roleId?: string;
  rolePath?: string;
  sessionName?: string;
  /** Temporary credentials only. */
  sessionToken?: string;
  expiration?: number;
}

export const IDENTITY_TABLE = 'identity';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** AKIA… for long-term keys, ASIA… for temporary ones (20 characters, like AWS). */
export function newAccessKeyId(temporary = false): string {
  return (temporary ? 'ASIA' : 'AKIA') + randomString(B32, 16);
}

export function newSecretAccessKey(): string {
  return randomString(SECRET_CHARS, 40);
}

export function newSessionToken(): string {
  return randomBytes(240).toString('base64');
}

/** AIDA… (user), AROA… (role) unique ids, 21 characters. */
export function newUniqueId(prefix: 'AIDA' | 'AROA' | 'AIPA'): string {
  return prefix + randomString(ALNUM_UPPER, 17);
}

export function newAccountId(): string {
  // AWS account ids are 12 digits and never start with 0 in practice
  return String(randomInt(1, 10)) + Array.from({ length: 11 }, () => randomInt(0, 10)).join('');
}

export const ACCOUNT_ID_RE = /^\d{12}$/;
const ACCESS_KEY_RE = /^[A-Z0-9]{16,128}$/;

/** The key of the counter every identity write increments (see IdentityStore.resolve). */
const GENERATION = 'generation';

export interface IdentityOptions {
  /**
   * 0 (default): the generation counter is read once per event-loop turn (the requests of one
   * turn all arrived before it began), so every write anywhere is seen by the next request. N > 0 (a state store shared over the network): the counter is re-read
   * at most every N ms (concurrent resolves share one read); a key found in the cache may then
   * stay usable up to N ms after another gateway deleted or deactivated it, while a key not in
   * the cache is always looked up, so a key created anywhere works at once. Writes through this
   * store invalidate its own cache immediately.
   */
  generationTtlMs?: number;
}

export interface ResolvedKey {
  record: KeyRecord;
  principal: Principal;
}

export class IdentityStore {
  /** Decoded key records and their principals, valid while the generation counter is unchanged. */
  private cache = new Map<string, ResolvedKey | null>();
  private cacheGeneration: number | undefined;
  /** With generationTtlMs > 0: when the cached generation was read, and the read in flight. */
  private generationReadAt = 0;
  private generationRead: { epoch: number; read: Promise<number> } | undefined;
  /** Bumped by this store's own writes: reads started before one are not reused. */
  private epoch = 0;
  private generationEpoch = -1;
  /** With generationTtlMs 0: the counter as read in this event-loop turn (see generation). */
  private turnGeneration: number | undefined;
  private turnEpoch = -1;
  private turnReset: NodeJS.Immediate | undefined;
  private readonly generationTtlMs: number;

  constructor(
    private readonly state: StateStore,
    opts: IdentityOptions = {},
  ) {
    this.generationTtlMs = opts.generationTtlMs ?? 0;
  }

  private async generation(): Promise<number> {
    const ttl = this.generationTtlMs;
    if (ttl <= 0) {
      // once per event-loop turn: every request of a turn arrived before it began, and LMDB's
      // own reads share one snapshot per turn anyway (lmdb-js renews its read transaction at
      // most once per loop iteration)
      if (this.turnGeneration !== undefined && this.turnEpoch === this.epoch) return this.turnGeneration;
      const epoch = this.epoch;
      const gen = ((await this.t.get(GENERATION)) as number | undefined) ?? 0;
      if (this.epoch === epoch) {
        this.turnGeneration = gen;
        this.turnEpoch = epoch;
        this.turnReset ??= setImmediate(() => {
          this.turnGeneration = undefined;
          this.turnReset = undefined;
        });
      }
      return gen;
    }
    const epoch = this.epoch;
    if (this.cacheGeneration !== undefined && this.generationEpoch === epoch && Date.now() - this.generationReadAt < ttl) return this.cacheGeneration;
    if (this.generationRead?.epoch === epoch) return this.generationRead.read;
    const startedAt = Date.now();
    const read = (async () => ((await this.t.get(GENERATION)) as number | undefined) ?? 0)();
    const mine = { epoch, read };
    this.generationRead = mine;
    try {
      const gen = await read;
      if (this.epoch === epoch) {
        this.generationReadAt = startedAt;
        this.generationEpoch = epoch;
      }
      return gen;
    } finally {
      if (this.generationRead === mine) this.generationRead = undefined;
    }
  }

  /** Runs one of this store's own writes; the cached generation is not trusted across it. */
  private async own<R>(write: () => Promise<R>): Promise<R> {
    this.epoch++;
    try {
      return await write();
    } finally {
      this.epoch++;
    }
  }

  /** Writes `key` plus the next generation in one transaction; `check` may refuse (returns false). */
  private async writeKey(accessKeyId: string, fn: (current: KeyRecord | undefined) => KeyRecord | undefined | false): Promise<KeyRecord | undefined | false> {
    return this.own(() => this.state.transact((tx) => {
      const cur = tx.get<KeyRecord>(IDENTITY_TABLE, `key/${accessKeyId}`);
      const next = fn(cur);
      if (next === false) return false;
      if (cur) tx.delete(IDENTITY_TABLE, accountKeyIndex(cur));
      if (next === undefined) tx.delete(IDENTITY_TABLE, `key/${accessKeyId}`);
      else {
        tx.put(IDENTITY_TABLE, `key/${accessKeyId}`, next);
        tx.put(IDENTITY_TABLE, accountKeyIndex(next), true);
      }
      tx.put(IDENTITY_TABLE, GENERATION, (tx.get<number>(IDENTITY_TABLE, GENERATION) ?? 0) + 1);
      return next;
    }));
  }

  /**
   * The key record and principal for an access key id, as SigV4 needs them on every request.
   * Decoded records are cached; every identity write (by this process, another gateway or the
   * CLI) increments a generation counter in the same transaction, and one read of that counter
   * per call tells whether the cache still holds: a deleted or deactivated key is refused on the
   * very next request (with generationTtlMs, within that many ms: see IdentityOptions).
   */
  async resolve(accessKeyId: string): Promise<ResolvedKey | undefined> {
    const gen = await this.generation();
    if (gen !== this.cacheGeneration) {
      this.cache.clear();
      this.cacheGeneration = gen;
    }
    let hit = this.cache.get(accessKeyId);
    // with a generation read on a timer, an unknown key is looked up again every time
    if (hit === undefined || (hit === null && this.generationTtlMs > 0)) {
      const record = await this.getKey(accessKeyId);
      // shared by every request of this key until the next identity write: frozen
      hit = record ? { record: Object.freeze(record), principal: Object.freeze(principalOf(record)) } : null;
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(accessKeyId, hit);
    }
    return hit ?? undefined;
  }

  /**
   * What resolve() would answer, without waiting, when this turn already knows it: the cached
   * record of a known key while the generation read still holds. undefined: call resolve().
   */
  resolveNow(accessKeyId: string): ResolvedKey | undefined {
    if (this.generationTtlMs > 0) {
      if (this.cacheGeneration === undefined || this.generationEpoch !== this.epoch || Date.now() - this.generationReadAt >= this.generationTtlMs) return undefined;
    } else if (this.turnGeneration === undefined || this.turnEpoch !== this.epoch || this.turnGeneration !== this.cacheGeneration) {
      return undefined;
    }
    return this.cache.get(accessKeyId) ?? undefined;
  }

  private get t() {
    return this.state.table<AccountRecord | KeyRecord>(IDENTITY_TABLE);
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    return (await this.t.get(`account/${accountId}`)) as AccountRecord | undefined;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return (await this.t.range({ prefix: 'account/' })).map(([, v]) => v as AccountRecord);
  }

  /**
   * Creates an account with a root key pair. `accountId`, `accessKeyId` and `secretAccessKey` may
   * be given (config, env); otherwise they are generated.
   */
  async createAccount(
    name: string,
    given: { accountId?: string; accessKeyId?: string; secretAccessKey?: string } = {},
  ): Promise<{ account: AccountRecord; key: KeyRecord }> {
    if (given.accountId !== undefined && !ACCOUNT_ID_RE.test(given.accountId)) {
      throw new Error(`account id must be 12 digits, got '${given.accountId}'`);
    }
    if (given.accessKeyId !== undefined && !ACCESS_KEY_RE.test(given.accessKeyId)) {
      throw new Error('access key id must be 16 to 128 upper-case letters or digits');
    }
    if (given.secretAccessKey !== undefined && given.secretAccessKey.length < 8) {
      throw new Error('secret access key must be at least 8 characters');
    }
    const now = Date.now();
    for (let attempt = 0; attempt < 10; attempt++) {
      const account: AccountRecord = { accountId: given.accountId ?? newAccountId(), name, createDate: now };
      const key: KeyRecord = {
        accessKeyId: given.accessKeyId ?? newAccessKeyId(),
        secretAccessKey: given.secretAccessKey ?? newSecretAccessKey(),
        accountId: account.accountId,
        kind: 'root',
        status: 'Active',
        createDate: now,
      };
      const ok = await this.own(() => this.state.transact((tx) => {
        if (tx.get(IDENTITY_TABLE, `account/${account.accountId}`)) return 'account';
        if (tx.get(IDENTITY_TABLE, `key/${key.accessKeyId}`)) return 'key';
        tx.put(IDENTITY_TABLE, `account/${account.accountId}`, account);
        tx.put(IDENTITY_TABLE, `key/${key.accessKeyId}`, key);
        tx.put(IDENTITY_TABLE, accountKeyIndex(key), true);
        tx.put(IDENTITY_TABLE, GENERATION, (tx.get<number>(IDENTITY_TABLE, GENERATION) ?? 0) + 1);
        return 'ok';
      }));
      if (ok === 'ok') return { account, key };
      if (ok === 'account' && given.accountId) throw new Error(`account ${given.accountId} already exists`);
      if (ok === 'key' && given.accessKeyId) throw new Error(`access key ${given.accessKeyId} already exists`);
    }
    throw new Error('could not allocate a unique account id');
  }

  async getKey(accessKeyId: string): Promise<KeyRecord | undefined> {
    return (await this.t.get(`key/${accessKeyId}`)) as KeyRecord | undefined;
  }

  /** Stores a new key; fails when the id exists. */
  async addKey(key: KeyRecord): Promise<void> {
    if ((await this.writeKey(key.accessKeyId, (cur) => (cur ? false : key))) === false) throw new Error(`access key ${key.accessKeyId} already exists`);
  }

  async updateKey(accessKeyId: string, fn: (k: KeyRecord) => KeyRecord | undefined): Promise<KeyRecord | undefined> {
    const r = await this.writeKey(accessKeyId, (cur) => (cur ? fn(cur) : false));
    return r === false ? undefined : r;
  }

  async deleteKey(accessKeyId: string): Promise<boolean> {
    return (await this.writeKey(accessKeyId, (cur) => (cur ? undefined : false))) !== false;
  }

  /** Every key of an account (for ListAccessKeys and clean-up), through the account's key index. */
  async keysOf(accountId: string, filter: (k: KeyRecord) => boolean = () => true): Promise<KeyRecord[]> {
    const prefix = `acctkey/${accountId}/`;
    const ids = (await this.t.range({ prefix })).map(([k]) => k.slice(prefix.length));
    const keys = await Promise.all(ids.map((id) => this.getKey(id)));
    return keys.filter((k): k is KeyRecord => k !== undefined && filter(k));
  }

  /** Every key of every account that passes `filter` (one scan: expiry sweeps). */
  async allKeys(filter: (k: KeyRecord) => boolean): Promise<KeyRecord[]> {
    return (await this.t.range({ prefix: 'key/' })).map(([, v]) => v as KeyRecord).filter(filter);
  }

  /** Finds the root key of an account (the first one created). */
  async rootKeyOf(accountId: string): Promise<KeyRecord | undefined> {
    const keys = await this.keysOf(accountId, (k) => k.kind === 'root');
    return keys.sort((a, b) => a.createDate - b.createDate)[0];
  }
}

function accountKeyIndex(k: Pick<KeyRecord, 'accountId' | 'accessKeyId'>): string {
  return `acctkey/${k.accountId}/${k.accessKeyId}`;
}

/** The principal a key record stands for. */
export function principalOf(key: KeyRecord): Principal {
  const acct = key.accountId;
  const base = { accountId: acct, accessKeyId: key.accessKeyId, temporary: key.sessionToken !== undefined, expiration: key.expiration };
  if (key.kind === 'role-session') {
    return {
      ...base,
      kind: 'assumed-role',
      arn: `arn:aws:sts::${acct}:assumed-role/${key.roleName}/${key.sessionName}`,
      userId: `${key.roleId}:${key.sessionName}`,
      roleName: key.roleName,
      sessionName: key.sessionName,
    };
  }
  if (key.userName) {
    return {
      ...base,
      kind: 'user',
      arn: `arn:aws:iam::${acct}:user${key.userPath ?? '/'}${key.userName}`,
      userId: key.userId ?? key.userName,
      userName: key.userName,
    };
  }
  return { ...base, kind: 'root', arn: `arn:aws:iam::${acct}:root`, userId: acct };
}

export const ANONYMOUS: Principal = { kind: 'anonymous', accountId: '', arn: '*', userId: 'anonymous' };
