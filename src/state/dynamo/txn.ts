// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multi-key transactions over single-item conditional writes (Alternator has no
 * TransactWriteItems). The protocol, for a transaction with id T:
 *   1. record   put x/T = { st: pending, ts, ks: every key } (the transaction log)
 *   2. lock     for every key read or written, in byte order of (partition, key): set lk = T,
 *               lo = r|p|d, nv = new value, on condition that no other transaction holds it and,
 *               for a key the callback read, that its version is the one read. A version that
 *               moved means a conflict: locks released, the callback runs again on fresh reads.
 *   3. commit   x/T: st pending → committed (conditional). This single write is the commit point.
 *   4. apply    every locked key: v = nv, ver = T (or a tombstone), lock removed, on condition lk = T
 *   5. forget   x/T deleted (in the background)
 * A reader that meets a lock asks x/T: committed → the new value (and it rolls the key forward),
 * otherwise the old one; a writer waits for it, and aborts (pending → aborted, conditional) a
 * transaction that has held it longer than the timeout; a record that is gone is an aborted one
 * (records are deleted only after every key was applied or released). Recovery after a crash is
 * the same rule applied to every record older than the timeout. Serializable: every key read or
 * written is locked at the commit point with the version the callback saw; read-only transactions
 * re-read their keys and retry when any moved (tombstones keep deletes visible to that check).
 */
import { sleep } from './client.js';
import { N, S, TX_PARTITION, newVersion, type ItemTable, type Raw } from './items.js';

export interface TxRecord {
  st: 'pending' | 'committed' | 'aborted';
  ts: number;
  ks: Array<[string, string]>;
}

/** One key of a transaction: what the callback read (if it did) and what it writes (if it does). */
export interface TxEntry {
  p: string;
  k: string;
  /** Present when the callback read the key: the entry as read (undefined: no item). */
  read?: { raw: Raw | undefined };
  /** r = read only; p = put `nv`; d = delete. */
  op: 'r' | 'p' | 'd';
  nv?: string;
}

export type TxPhase = 'recorded' | 'locked' | 'committed' | 'applied';

export class TxEngine {
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly items: ItemTable,
    readonly timeoutMs: number,
  ) {}

  /** Called after each step of a commit; a test seam for crash tests (throwing stops the commit there). */
  protected async phase(_name: TxPhase, _txid: string): Promise<void> {}

  async record(txid: string): Promise<TxRecord | undefined> {
    const r = await this.items.client.call<{ Item?: Record<string, { S?: string; N?: string }> }>('GetItem', {
      TableName: this.items.name,
      Key: { p: S(TX_PARTITION), k: S(txid) },
      ConsistentRead: true,
    });
    if (!r.Item) return undefined;
    return { st: r.Item.st?.S as TxRecord['st'], ts: Number(r.Item.ts?.N ?? 0), ks: JSON.parse(r.Item.ks?.S ?? '[]') as Array<[string, string]> };
  }

  /** Moves the entry out of transaction `txid`'s hands, with its new value when `commit`. */
  private async finish(p: string, k: string, txid: string, raw: Pick<Raw, 'lo' | 'nv'>, commit: boolean): Promise<void> {
    const cond = { condition: '#lk = :txid', values: { ':txid': S(txid) } };
    if (commit && raw.lo === 'p') {
      await this.items.update(p, k, { set: { v: S(raw.nv ?? 'null'), ver: S(txid), ts: N(Date.now()) }, remove: ['lk', 'lo', 'nv'], ...cond });
    } else if (commit && raw.lo === 'd') {
      await this.items.update(p, k, { set: { ver: S(txid), ts: N(Date.now()) }, remove: ['v', 'lk', 'lo', 'nv'], ...cond });
    } else {
      await this.items.update(p, k, { remove: ['lk', 'lo', 'nv'], ...cond });
    }
  }

  /**
   * The committed value of an entry now: a lock of a committed transaction counts as written (and
   * is rolled forward on the way); a pending or aborted one does not. Never waits.
   */
  async committedValue(p: string, k: string, raw: Raw | undefined): Promise<string | undefined> {
    if (!raw?.lk) return raw?.v;
    const rec = await this.record(raw.lk);
    if (rec?.st !== 'committed') return raw.v;
    await this.finish(p, k, raw.lk, raw, true);
    return raw.lo === 'p' ? raw.nv : raw.lo === 'd' ? undefined : raw.v;
  }

  /**
   * Waits until no transaction holds the entry: committed ones are rolled forward, aborted or
   * vanished ones rolled back, pending ones waited for up to the timeout and then aborted.
   * Returns the entry as it is afterwards.
   */
  async unlock(p: string, k: string, raw: Raw | undefined): Promise<Raw | undefined> {
    const since = Date.now();
    let cur = raw;
    for (let round = 0; cur?.lk; round++) {
      const txid = cur.lk;
      const rec = await this.record(txid);
      if (!rec || rec.st === 'aborted') await this.finish(p, k, txid, cur, false);
      else if (rec.st === 'committed') await this.finish(p, k, txid, cur, true);
      else if (Date.now() - since > this.timeoutMs || Date.now() - rec.ts > this.timeoutMs) await this.abort(txid);
      else await sleep(Math.min(50, 2 * 1.5 ** Math.min(round, 12)) * (0.5 + Math.random()));
      cur = await this.items.get(p, k);
    }
    return cur;
  }

  /** pending → aborted; false when the record is committed (or already gone). */
  private async abort(txid: string): Promise<boolean> {
    return this.items.update(TX_PARTITION, txid, { set: { st: S('aborted') }, condition: '#st = :pending', values: { ':pending': S('pending') } });
  }

  /**
   * Runs the protocol for `entries`; false when a conflict rolled it back (the caller runs the
   * callback again). `ordered`: locks are taken one after the other in key order, waiting for
   * transactions that hold them (no deadlock: everyone waits in the same order); otherwise they
   * are taken all at once and a key held by another transaction rolls this one back at once
   * (no waiting while holding: no deadlock either) — one round trip instead of one per key, the
   * first try; retries after a conflict are ordered.
   */
  async commit(entries: TxEntry[], ordered: boolean): Promise<boolean> {
    const txid = newVersion();
    const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(`${a.p}\u0000${a.k}`), Buffer.from(`${b.p}\u0000${b.k}`)));
    const ks = sorted.map((e) => [e.p, e.k]);
    if (!(await this.items.update(TX_PARTITION, txid, { set: { st: S('pending'), ts: N(Date.now()), ks: S(JSON.stringify(ks)) }, condition: 'attribute_not_exists(#k)' }))) {
      // only a repeat of our own request can find the (random) id taken
      if (!(await this.record(txid))) throw new Error('transaction record could not be written');
    }
    await this.phase('recorded', txid);
    const locked: TxEntry[] = [];
    if (ordered) {
      for (const e of sorted) {
        if (!(await this.lock(txid, e, true))) {
          await this.rollback(txid, locked);
          return false;
        }
        locked.push(e);
      }
    } else {
      const got = await Promise.allSettled(sorted.map((e) => this.lock(txid, e, false)));
      locked.push(...sorted.filter((_, i) => got[i]!.status === 'fulfilled' && (got[i] as PromiseFulfilledResult<boolean>).value));
      if (locked.length < sorted.length) {
        // a failed request may still have locked: release every key (release is conditional on our id)
        await this.rollback(txid, sorted);
        const failed = got.find((g): g is PromiseRejectedResult => g.status === 'rejected');
        if (failed) throw failed.reason;
        return false;
      }
    }
    await this.phase('locked', txid);
    if (!(await this.items.update(TX_PARTITION, txid, { set: { st: S('committed') }, condition: '#st = :pending', values: { ':pending': S('pending') } }))) {
      if ((await this.record(txid))?.st !== 'committed') {
        // another party found us slow and aborted us: nothing was written
        await this.rollback(txid, locked);
        return false;
      }
    }
    await this.phase('committed', txid);
    await Promise.all(sorted.map((e) => this.finish(e.p, e.k, txid, { lo: e.op, nv: e.nv }, true)));
    await this.phase('applied', txid);
    this.track(this.forget(txid));
    return true;
  }

  private async lock(txid: string, e: TxEntry, wait: boolean): Promise<boolean> {
    let condition = 'attribute_not_exists(#lk)';
    const values: Record<string, ReturnType<typeof S>> = {};
    if (e.read) {
      if (e.read.raw?.ver !== undefined) {
        condition += ' AND #ver = :ver';
        values[':ver'] = S(e.read.raw.ver);
      } else condition += ' AND attribute_not_exists(#ver)';
    }
    const set: Record<string, ReturnType<typeof S>> = { lk: S(txid), lo: S(e.op) };
    if (e.op === 'p') set.nv = S(e.nv ?? 'null');
    for (;;) {
      if (await this.items.update(e.p, e.k, { set, condition, values })) return true;
      const cur = await this.items.get(e.p, e.k);
      if (cur?.lk === txid) return true; // our own repeated request had succeeded
      if (!cur?.lk) {
        // released in the meantime: try again unless the version the callback read moved
        if (!e.read || cur?.ver === e.read.raw?.ver) continue;
        return false;
      }
      if (!wait) return false;
      const after = await this.unlock(e.p, e.k, cur);
      if (e.read && after?.ver !== e.read.raw?.ver) return false;
    }
  }

  private async rollback(txid: string, locked: TxEntry[]): Promise<void> {
    await this.abort(txid);
    await Promise.all(locked.map((e) => this.finish(e.p, e.k, txid, { lo: e.op }, false)));
    this.track(this.forget(txid));
  }

  /**
   * Completes every transaction record older than the timeout: committed ones are rolled forward,
   * the others aborted and rolled back; then the record goes. Returns how many were completed.
   */
  async recover(): Promise<number> {
    let done = 0;
    let startKey: Record<string, { S: string }> | undefined;
    do {
      const page = await this.items.client.call<{ Items?: Array<Record<string, { S?: string; N?: string }>>; LastEvaluatedKey?: Record<string, { S: string }> }>('Query', {
        TableName: this.items.name,
        KeyConditionExpression: 'p = :p',
        ExpressionAttributeValues: { ':p': S(TX_PARTITION) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      startKey = page.LastEvaluatedKey;
      for (const it of page.Items ?? []) {
        const txid = it.k!.S!;
        if (Date.now() - Number(it.ts?.N ?? 0) <= this.timeoutMs) continue;
        await this.complete(txid);
        done++;
      }
    } while (startKey);
    return done;
  }

  private async complete(txid: string): Promise<void> {
    let rec = await this.record(txid);
    if (rec?.st === 'pending') {
      await this.abort(txid);
      rec = await this.record(txid);
    }
    if (!rec) return;
    const commit = rec.st === 'committed';
    await Promise.all(
      rec.ks.map(async ([p, k]) => {
        const cur = await this.items.get(p, k);
        if (cur?.lk === txid) await this.finish(p, k, txid, cur, commit);
      }),
    );
    await this.forget(txid);
  }

  /**
   * Deletes a record. Conditional like every write of the store: on Alternator with
   * only_rmw_uses_lwt, unconditional writes skip LWT and must not be mixed with conditional ones.
   */
  private forget(txid: string): Promise<boolean> {
    return this.items.delete(TX_PARTITION, txid, 'attribute_exists(#st)');
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.background.delete(q));
    this.background.add(q);
  }

  /** Waits for background record deletions. */
  async drain(): Promise<void> {
    await Promise.all([...this.background]);
  }
}
