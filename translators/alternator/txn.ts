// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multi-item transactions over Alternator, which has only single-item conditional writes
 * (scylladb docs/alternator/compatibility.md: TransactWriteItems/TransactGetItems unsupported).
 * A lock-and-commit protocol with a transaction log, both in one Alternator table outside every
 * account prefix (`txTable`, hash key `pk`):
 *
 *   T#<txid>  {state: PENDING|COMMITTED|ABORTED, gw, at, locks: [L#…], writes?: JSON of new images}
 *   L#<hash of table+key>  {owner: txid, gw, at}
 *   G#<gateway instance>  {at}: the instance's heartbeat, renewed every txLeaseMs/3
 *
 * A transaction belongs to the gateway instance that runs it. It is taken over by another
 * instance only when its owner's heartbeat is older than the lease (`txLeaseMs`): a slow but
 * live gateway keeps its transactions however long they take; a crashed one loses them a lease
 * after its last heartbeat.
 *
 *  1. write T#id PENDING with the lock names;
 *  2. take every lock (PutItem if attribute_not_exists(pk)); a lock held by another transaction
 *     is a conflict (locks taken are released, the attempt retried after a short random pause, then
 *     TransactionCanceledException with TransactionConflict) unless its owner's gateway is dead,
 *     in which case that transaction is recovered first;
 *  3. read the items (consistent reads) and run the apis layer's apply functions (conditions,
 *     updates); any failure releases the locks and deletes T#id: nothing was written;
 *  4. commit point: T#id becomes COMMITTED with the new images, conditional on still PENDING (a
 *     recoverer may have aborted a transaction whose lease ran out);
 *  5. apply the images (PutItem/DeleteItem whatever the item holds: replays are harmless), release the
 *     locks, delete T#id.
 * A crash before 4 leaves a PENDING record and locks: recovery (at start and every lease/2, on
 * any gateway) aborts the PENDING records of dead gateways and frees their locks; aborting is
 * conditional on PENDING, so a gateway thought dead cannot commit afterwards. A crash after 4
 * leaves a COMMITTED record: recovery applies its images again. So every transaction is
 * all-or-nothing. (A gateway frozen for longer than the lease with a transaction between 4 and 5
 * could, on waking, write images a later transaction has superseded: keep the lease well above
 * any pause a gateway may suffer; the default is 30 s.)
 *
 * Alternator must run with write isolation `always_use_lwt` (its default) or at least use LWT for
 * every conditional write: the protocol's writes all carry conditions (the image writes a
 * condition that always holds), so they are LWT writes like the client's conditional ones; with
 * `forbid_rmw` nothing here works, and `unsafe_rmw` gives no isolation at all.
 *
 * Isolation: transactions are serializable with each other (every item a transaction reads or
 * writes is locked from before its read until after its write). TransactGetItems locks its items
 * the same way, so it never sees half a transaction. Plain single-item operations go straight to
 * Alternator and do not look at locks: a GetItem may see an item a transaction has already
 * written while its other items are still being written (read committed), and a PutItem racing a
 * transaction on the same item is ordered before or after it as Alternator applies them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../../src/errors.js';
import type { TableInfo, WriteOp, WriteOptions, WriteResult } from '../../apis/dynamodb/backend.js';
import { validation } from '../../apis/dynamodb/errors.js';
import { encodeKeyString } from '../../apis/dynamodb/keystring.js';
import type { Item } from '../../apis/dynamodb/types.js';
import type { AlternatorClient } from './client.js';
import type { AlternatorConfig } from './config.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

const MAX_LOG_BYTES = 350 * 1024;
const ATTEMPTS = 6;

interface LoggedWrite {
  t: string;
  k: Item;
  i: Item | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isCondFail(e: unknown): boolean {
  return e instanceof AwsError && e.code === 'ConditionalCheckFailedException';
}

export class TxManager {
  private ready?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  /** This gateway instance (transactions and locks name it). */
  readonly instance = randomUUID();
  /** Heartbeats seen: instance → [heartbeat time, when read]. */
  private readonly seen = new Map<string, [number, number]>();

  constructor(
    private readonly client: AlternatorClient,
    private readonly cfg: AlternatorConfig,
    private readonly upName: (t: TableInfo) => string,
    private readonly log: { warn(m: string, f?: Record<string, unknown>): void },
  ) {}

  /** Creates the transaction table when missing, then recovers what a crash left behind. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.call('CreateTable', {
          TableName: this.cfg.txTable,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }, false);
      } catch (e) {
        if (!(e instanceof AwsError) || e.code !== 'ResourceInUseException') throw e;
      }
      for (let i = 0; i < 600; i++) {
        const d = await this.client.call<Doc>('DescribeTable', { TableName: this.cfg.txTable }, true);
        if (d.Table?.TableStatus === 'ACTIVE') break;
        await sleep(100);
      }
      await this.heartbeat();
      this.timers.push(setInterval(() => void this.heartbeat().catch((e) => this.log.warn('transaction heartbeat failed', { err: (e as Error).message })), Math.max(20, this.cfg.txLeaseMs / 3)).unref());
      await this.recover();
      this.timers.push(setInterval(() => void this.recover().catch((e) => this.log.warn('transaction recovery failed', { err: (e as Error).message })), Math.max(50, this.cfg.txLeaseMs / 2)).unref());
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private heartbeat(): Promise<unknown> {
    return this.put({ pk: { S: `G#${this.instance}` }, at: { N: String(Date.now()) } });
  }

  /** Whether a gateway instance's heartbeat is within the lease (this one always is). */
  private async alive(instance: string | undefined): Promise<boolean> {
    if (!instance) return false;
    if (instance === this.instance) return true;
    const now = Date.now();
    let s = this.seen.get(instance);
    if (!s || s[1] + this.cfg.txLeaseMs / 6 < now) {
      const hb = await this.get(`G#${instance}`);
      s = [Number(hb?.at?.N ?? 0), now];
      this.seen.set(instance, s);
    }
    return s[0] + this.cfg.txLeaseMs >= now;
  }

  private lockName(t: TableInfo, key: Item): string {
    return `L#${createHash('sha256').update(`${this.upName(t)}\u0000${encodeKeyString(t, key)}`).digest('hex')}`;
  }

  private put(item: Doc, cond?: { expr: string; values?: Doc }): Promise<unknown> {
    return this.client.call('PutItem', { TableName: this.cfg.txTable, Item: item, ...(cond ? { ConditionExpression: cond.expr, ExpressionAttributeValues: cond.values } : {}) }, !!cond);
  }

  private async get(pk: string): Promise<Doc | undefined> {
    const r = await this.client.call<Doc>('GetItem', { TableName: this.cfg.txTable, Key: { pk: { S: pk } }, ConsistentRead: true }, true);
    return r.Item;
  }

  private async release(id: string, locks: string[]): Promise<void> {
    await Promise.all(
      locks.map((l) =>
        this.client
          .call('DeleteItem', { TableName: this.cfg.txTable, Key: { pk: { S: l } }, ConditionExpression: '#o = :id', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':id': { S: id } } }, true)
          .catch((e) => {
            if (!isCondFail(e)) throw e;
          }),
      ),
    );
  }

  /** Takes all locks or none; returns the indexes of the locks held by others (empty: all taken). */
  private async tryLock(id: string, locks: string[]): Promise<number[]> {
    const now = Date.now();
    const res = await Promise.all(
      locks.map(async (l, i) => {
        try {
          await this.put({ pk: { S: l }, owner: { S: id }, gw: { S: this.instance }, at: { N: String(now) } }, { expr: 'attribute_not_exists(pk)' });
          return -1;
        } catch (e) {
          if (!isCondFail(e)) throw e;
          const held = await this.get(l);
          if (held && !(await this.alive(held.gw?.S))) await this.recoverOne(held.owner.S, l);
          return i;
        }
      }),
    );
    const conflicts = res.filter((i) => i >= 0);
    if (conflicts.length) await this.release(id, locks.filter((_, i) => !conflicts.includes(i)));
    return conflicts;
  }

  private async lockAll(id: string, locks: string[]): Promise<void> {
    let conflicts: number[] = [];
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt) await sleep(2 + Math.random() * 8 * 2 ** attempt);
      conflicts = await this.tryLock(id, locks);
      if (!conflicts.length) return;
    }
    const reasons = locks.map((_, i) => (conflicts.includes(i) ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' }));
    throw new AwsError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, {
      fields: { CancellationReasons: reasons },
    });
  }

  private async readItem(t: TableInfo, key: Item): Promise<Item | undefined> {
    const r = await this.client.call<Doc>('GetItem', { TableName: this.upName(t), Key: key, ConsistentRead: true }, true);
    return r.Item;
  }

  private async applyWrites(writes: LoggedWrite[]): Promise<void> {
    await Promise.all(
      writes.map((w) => {
        // a condition that always holds: the write goes through LWT like the client's conditional
        // writes to the same item (Alternator forbids mixing; see the header)
        const always = { ConditionExpression: 'attribute_exists(#k) OR attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': Object.keys(w.k)[0]! } };
        return w.i ? this.client.call('PutItem', { TableName: w.t, Item: w.i, ...always }, true) : this.client.call('DeleteItem', { TableName: w.t, Key: w.k, ...always }, true);
      }),
    );
  }

  /** An atomic group of writes (DynamoBackend.write). */
  async write(ops: WriteOp[], opts: WriteOptions = {}): Promise<WriteResult[]> {
    await this.start();
    const id = randomUUID();
    const locks = ops.map((op) => this.lockName(op.table, op.key));
    const txKey = { pk: { S: `T#${id}` } };
    await this.put({ ...txKey, state: { S: 'PENDING' }, gw: { S: this.instance }, at: { N: String(Date.now()) }, locks: { L: locks.map((l) => ({ S: l })) } }, { expr: 'attribute_not_exists(pk)' });
    let committed = false;
    try {
      await this.lockAll(id, locks);
      const current = await Promise.all(ops.map((op) => this.readItem(op.table, op.key)));
      const results: WriteResult[] = [];
      const writes: LoggedWrite[] = [];
      ops.forEach((op, i) => {
        const next = op.apply(current[i]);
        results.push({ old: current[i], new: next === undefined ? current[i] : next ?? undefined });
        if (next === undefined || (next === null && !current[i])) return;
        writes.push({ t: this.upName(op.table), k: op.key, i: next });
      });
      opts.beforeCommit?.();
      const log = JSON.stringify(writes);
      if (Buffer.byteLength(log) > MAX_LOG_BYTES) throw validation(`Transaction too large for the Alternator backend: new item images total more than ${MAX_LOG_BYTES} bytes`);
      try {
        await this.client.call(
          'UpdateItem',
          {
            TableName: this.cfg.txTable,
            Key: txKey,
            UpdateExpression: 'SET #s = :c, #w = :w',
            ConditionExpression: '#s = :p',
            ExpressionAttributeNames: { '#s': 'state', '#w': 'writes' },
            ExpressionAttributeValues: { ':c': { S: 'COMMITTED' }, ':p': { S: 'PENDING' }, ':w': { S: log } },
          },
          true,
        );
      } catch (e) {
        if (isCondFail(e)) throw new AwsError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${ops.map(() => 'TransactionConflict').join(', ')}]`, { fields: { CancellationReasons: ops.map(() => ({ Code: 'TransactionConflict', Message: 'Transaction lease expired' })) } });
        // outcome unknown: leave the record to recovery, which finds it PENDING or COMMITTED
        committed = true;
        throw e;
      }
      committed = true;
      try {
        await this.applyWrites(writes);
        await this.release(id, locks);
        await this.dropRecord(txKey.pk.S);
      } catch (e) {
        // committed: recovery finishes it
        this.log.warn('transaction committed, completion left to recovery', { tx: id, err: (e as Error).message });
      }
      return results;
    } finally {
      if (!committed) {
        await this.release(id, locks).catch(() => undefined);
        await this.client.call('DeleteItem', { TableName: this.cfg.txTable, Key: txKey, ConditionExpression: '#s = :p', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':p': { S: 'PENDING' } } }, true).catch(() => undefined);
      }
    }
  }

  /** Several reads that see no transaction half done (TransactGetItems). */
  async read(reads: Array<{ table: TableInfo; key: Item }>): Promise<Array<Item | undefined>> {
    await this.start();
    const id = `R${randomUUID()}`;
    const locks = reads.map((r) => this.lockName(r.table, r.key));
    await this.lockAll(id, locks);
    try {
      return await Promise.all(reads.map((r) => this.readItem(r.table, r.key)));
    } finally {
      await this.release(id, locks).catch(() => undefined);
    }
  }

  /**
   * Finishes or undoes one transaction of a dead gateway (the owner of `lock`): COMMITTED is
   * applied again, PENDING is aborted; read locks and orphans are released.
   */
  async recoverOne(owner: string, lock?: string): Promise<void> {
    const rec = owner.startsWith('R') ? undefined : await this.get(`T#${owner}`);
    if (!rec) {
      if (lock) await this.release(owner, [lock]);
      return;
    }
    await this.finish(rec);
  }

  private async finish(rec: Doc): Promise<void> {
    const pk: string = rec.pk.S;
    const id = pk.slice(2);
    const locks: string[] = (rec.locks?.L ?? []).map((l: Doc) => l.S);
    let state: string = rec.state.S;
    if (await this.alive(rec.gw?.S)) return;
    if (state === 'PENDING') {
      try {
        await this.client.call('UpdateItem', { TableName: this.cfg.txTable, Key: { pk: { S: pk } }, UpdateExpression: 'SET #s = :a', ConditionExpression: '#s = :p', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':a': { S: 'ABORTED' }, ':p': { S: 'PENDING' } } }, true);
        state = 'ABORTED';
      } catch (e) {
        if (!isCondFail(e)) throw e;
        const again = await this.get(pk);
        if (!again) return;
        return this.finish(again);
      }
    }
    if (state === 'COMMITTED') await this.applyWrites(JSON.parse(rec.writes?.S ?? '[]') as LoggedWrite[]);
    await this.release(id, locks);
    await this.dropRecord(pk);
  }

  /** Deletes a transaction record, conditionally (its every write is an LWT). */
  private async dropRecord(pk: string): Promise<void> {
    await this.client.call('DeleteItem', { TableName: this.cfg.txTable, Key: { pk: { S: pk } }, ConditionExpression: 'attribute_exists(pk)' }, true).catch((e) => {
      if (!isCondFail(e)) throw e;
    });
  }

  /** Scans the log: transactions and locks of dead gateways are finished or undone. Returns how many. */
  async recover(): Promise<number> {
    let n = 0;
    let start: Doc | undefined;
    do {
      const page = await this.client.call<Doc>('Scan', { TableName: this.cfg.txTable, ConsistentRead: true, ExclusiveStartKey: start, FilterExpression: 'begins_with(pk, :t) OR begins_with(pk, :l) OR begins_with(pk, :g)', ExpressionAttributeValues: { ':t': { S: 'T#' }, ':l': { S: 'L#' }, ':g': { S: 'G#' } } }, true);
      for (const it of (page.Items ?? []) as Doc[]) {
        const pk: string = it.pk.S;
        if (pk.startsWith('G#')) {
          // heartbeats of instances gone for ten leases
          if (Number(it.at?.N ?? 0) + 10 * this.cfg.txLeaseMs < Date.now()) await this.client.call('DeleteItem', { TableName: this.cfg.txTable, Key: { pk: it.pk } }, true);
        } else if (await this.alive(it.gw?.S)) {
          continue;
        } else if (pk.startsWith('T#')) {
          await this.finish(it);
          n++;
        } else if (it.owner?.S) {
          // a lock of a dead gateway: its transaction, if any, decides
          await this.recoverOne(it.owner.S, pk);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return n;
  }
}
