// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded engine's stream log: one record per changed item, written in the same LMDB
 * transaction as the item, under [table id:4][label][00][sequence:8], images as the stream's
 * view type asks. Records older than 24 hours are trimmed as new ones arrive (DynamoDB's
 * retention).
 */
import type { Database } from 'lmdb';
import type { StreamInfo, StreamRecord, TableInfo, WriteOptions } from '../../../apis/dynamodb/backend.js';
import { valuesEqual, type Item } from '../../../apis/dynamodb/types.js';

const RETENTION_MS = 24 * 3600 * 1000;

interface Stored {
  n: StreamRecord['eventName'];
  t: number;
  k: Item;
  o?: Item;
  i?: Item;
  u?: StreamRecord['userIdentity'];
}

function prefix(tableId: number, label: string): Buffer {
  const l = Buffer.from(label, 'utf8');
  const out = Buffer.allocUnsafe(5 + l.length);
  out.writeUInt32BE(tableId, 0);
  l.copy(out, 4);
  out[4 + l.length] = 0;
  return out;
}

function keyOf(p: Buffer, seq: bigint): Buffer {
  const out = Buffer.allocUnsafe(p.length + 8);
  p.copy(out, 0);
  out.writeBigUInt64BE(seq, p.length);
  return out;
}

function sameItem(a: Item, b: Item): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && valuesEqual(a[k]!, b[k]!));
}

export class StreamLog {
  constructor(
    private readonly db: Database<Stored, Buffer>,
    private readonly meta: Database<number, string>,
  ) {}

  /** Inside the write transaction. */
  record(table: TableInfo, stream: StreamInfo, old: Item | undefined, next: Item | null | undefined, opts: WriteOptions): void {
    if (next === undefined || (!old && next === null)) return;
    if (old && next && sameItem(old, next)) return;
    const view = stream.viewType ?? 'KEYS_ONLY';
    const image = next ?? old!;
    const keys: Item = { [table.hash.name]: image[table.hash.name]! };
    if (table.range) keys[table.range.name] = image[table.range.name]!;
    const rec: Stored = { n: !old ? 'INSERT' : next === null ? 'REMOVE' : 'MODIFY', t: opts.now ?? Date.now(), k: keys };
    if (old && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) rec.o = old;
    if (next && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) rec.i = next;
    if (opts.userIdentity) rec.u = opts.userIdentity;
    const counter = `streamSeq/${table.id}`;
    const seq = (this.meta.get(counter) ?? 0) + 1;
    this.meta.put(counter, seq);
    const p = prefix(table.id, stream.label!);
    this.db.put(keyOf(p, BigInt(seq)), rec);
    this.trim(p, rec.t - RETENTION_MS);
  }

  private trim(p: Buffer, before: number): void {
    for (const { key, value } of this.db.getRange({ start: p })) {
      if (!key.subarray(0, p.length).equals(p) || value.t >= before) break;
      this.db.remove(key);
    }
  }

  read(table: TableInfo, label: string, after: bigint | undefined, limit: number): StreamRecord[] {
    const p = prefix(table.id, label);
    const start = after === undefined ? p : keyOf(p, after + 1n);
    const out: StreamRecord[] = [];
    for (const { key, value } of this.db.getRange({ start })) {
      if (!key.subarray(0, p.length).equals(p) || out.length >= limit) break;
      out.push({ seq: key.readBigUInt64BE(p.length), eventName: value.n, time: value.t, keys: value.k, oldImage: value.o, newImage: value.i, userIdentity: value.u });
    }
    return out;
  }

  bounds(table: TableInfo, label: string): { first?: bigint; last?: bigint } {
    const p = prefix(table.id, label);
    let first: bigint | undefined;
    let last: bigint | undefined;
    for (const key of this.db.getKeys({ start: p, limit: 1 })) if (key.subarray(0, p.length).equals(p)) first = key.readBigUInt64BE(p.length);
    const end = Buffer.concat([p, Buffer.alloc(8, 0xff)]);
    for (const key of this.db.getKeys({ start: end, reverse: true, limit: 1 })) if (key.subarray(0, p.length).equals(p)) last = key.readBigUInt64BE(p.length);
    return { first, last };
  }

  /** Inside DeleteTable's transaction: the stream goes with the table. */
  drop(tableId: number): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(tableId, 0);
    for (const key of this.db.getKeys({ start: p })) {
      if (key.readUInt32BE(0) !== tableId) break;
      this.db.remove(key);
    }
  }
}
