// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded log-event store: one LMDB env under <dataDir>/logs.
 *   ids       "g/<acct>/<region>/<group>" → group id, "s/<gid>/<stream>" → stream id, "next" → counter
 *   names     [gid, sid]                  → stream name
 *   byStream  [gid, sid, ts, n]           → { m: message, i: ingestion time }   (GetLogEvents)
 *   byGroup   [gid, ts, sid, n]           → same                                (FilterLogEvents)
 * n is a store-wide arrival counter, so (ts, sid, n) orders and identifies every event.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { GroupScan, GroupScanResult, LogsBackend, NewLogEvent, StoredLogEvent, StreamRead, Tenant } from '../../../apis/logs/backend.js';

interface EventRecord {
  m: string;
  i: number;
}

type Key = number[];

/** Most events examined by one scanGroup call before it answers with a continuation. */
const SCAN_BUDGET = 200_000;

export function position(ts: number, sid: number, n: number): string {
  return String(ts).padStart(20, '0') + String(sid).padStart(16, '0') + String(n).padStart(20, '0');
}

export function parsePosition(p: string): { ts: number; sid: number; n: number } | undefined {
  if (!/^\d{56}$/.test(p)) return undefined;
  return { ts: Number(p.slice(0, 20)), sid: Number(p.slice(20, 36)), n: Number(p.slice(36)) };
}

export class EmbeddedLogStore implements LogsBackend {
  readonly name = 'embedded';
  private readonly root: RootDatabase;
  private readonly ids: Database<number, Buffer>;
  private readonly names: Database<string, Key>;
  private readonly byStream: Database<EventRecord, Key>;
  private readonly byGroup: Database<EventRecord, Key>;

  constructor(dataDir: string) {
    const path = join(dataDir, 'logs');
    mkdirSync(path, { recursive: true, mode: 0o700 });
    // writes are acknowledged once committed and visible; the flush to disk follows (overlapping
    // sync keeps the file consistent): an OS crash can lose the last moments of log events, not the store
    this.root = open({ path, maxDbs: 8, mapSize: 2 ** 36, compression: false, separateFlushed: true });
    this.ids = this.root.openDB({ name: 'ids', encoding: 'msgpack', keyEncoding: 'binary' });
    this.names = this.root.openDB({ name: 'names', encoding: 'msgpack' });
    this.byStream = this.root.openDB({ name: 'byStream', encoding: 'msgpack' });
    this.byGroup = this.root.openDB({ name: 'byGroup', encoding: 'msgpack' });
  }

  private groupKey(t: Tenant, group: string): Buffer {
    return Buffer.from(`g/${t.accountId}/${t.region}/${group}`);
  }

  private streamKey(gid: number, stream: string): Buffer {
    return Buffer.from(`s/${gid}/${stream}`);
  }

  /** Ids, created on first use (inside a write transaction). */
  private idFor(key: Buffer): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = (this.ids.get(Buffer.from('next')) ?? 1) as number;
      this.ids.put(Buffer.from('next'), id + 1);
      this.ids.put(key, id);
    }
    return id;
  }

  async append(t: Tenant, group: string, stream: string, events: NewLogEvent[], ingestionTime: number): Promise<string[]> {
    return this.root.transaction(() => {
      const gid = this.idFor(this.groupKey(t, group));
      const sid = this.idFor(this.streamKey(gid, stream));
      this.names.put([gid, sid], stream);
      const counter = Buffer.from('counter');
      let n = (this.ids.get(counter) ?? 0) as number;
      const out: string[] = [];
      for (const e of events) {
        n++;
        const rec: EventRecord = { m: e.message, i: ingestionTime };
        this.byStream.put([gid, sid, e.timestamp, n], rec);
        this.byGroup.put([gid, e.timestamp, sid, n], rec);
        out.push(position(e.timestamp, sid, n));
      }
      this.ids.put(counter, n);
      return out;
    });
  }

  async readStream(t: Tenant, group: string, stream: string, q: StreamRead): Promise<StoredLogEvent[]> {
    const gid = this.ids.get(this.groupKey(t, group));
    const sid = gid === undefined ? undefined : this.ids.get(this.streamKey(gid, stream));
    if (gid === undefined || sid === undefined || q.limit <= 0) return [];
    const lo: Key = [gid, sid, q.start ?? 0];
    const hi: Key = [gid, sid, q.end ?? Number.MAX_SAFE_INTEGER];
    const after = q.after !== undefined ? parsePosition(q.after) : undefined;
    const before = q.before !== undefined ? parsePosition(q.before) : undefined;
    const out: StoredLogEvent[] = [];
    const emit = (key: Key, value: EventRecord) =>
      out.push({ stream, timestamp: key[2], message: value.m, ingestionTime: value.i, id: position(key[2], sid, key[3]) });
    if (after || (q.fromHead && !before)) {
      const start: Key = after && after.ts >= (q.start ?? 0) ? [gid, sid, after.ts, after.n] : lo;
      for (const { key, value } of this.byStream.getRange({ start, end: hi })) {
        if (after && key[2] === after.ts && key[3] <= after.n) continue;
        emit(key, value);
        if (out.length >= q.limit) break;
      }
      return out;
    }
    const top: Key = before && before.ts < (q.end ?? Number.MAX_SAFE_INTEGER) ? [gid, sid, before.ts, before.n] : hi;
    for (const { key, value } of this.byStream.getRange({ start: top, end: lo, reverse: true })) {
      if (before && key[2] === before.ts && key[3] >= before.n) continue;
      emit(key, value);
      if (out.length >= q.limit) break;
    }
    return out.reverse();
  }

  async scanGroup(t: Tenant, group: string, q: GroupScan): Promise<GroupScanResult> {
    const gid = this.ids.get(this.groupKey(t, group));
    if (gid === undefined) return { events: [] };
    const after = q.after !== undefined ? parsePosition(q.after) : undefined;
    const start: Key = after && after.ts >= (q.start ?? 0) ? [gid, after.ts, after.sid, after.n] : [gid, q.start ?? 0];
    const end: Key = [gid, q.end ?? Number.MAX_SAFE_INTEGER];
    const names = new Map<number, string>();
    const nameOf = (sid: number) => {
      let n = names.get(sid);
      if (n === undefined) names.set(sid, (n = this.names.get([gid, sid]) ?? ''));
      return n;
    };
    const events: StoredLogEvent[] = [];
    let examined = 0;
    for (const { key, value } of this.byGroup.getRange({ start, end })) {
      const [, ts, sid, n] = key;
      const id = position(ts, sid, n);
      if (q.after !== undefined && id <= q.after) continue;
      if (++examined > SCAN_BUDGET) return { events, next: events.length ? events[events.length - 1].id : position(ts, sid, n - 1) };
      const stream = nameOf(sid);
      if (q.streams && !q.streams.has(stream)) continue;
      if (q.streamPrefix !== undefined && !stream.startsWith(q.streamPrefix)) continue;
      if (q.match && !q.match(value.m)) continue;
      if (events.length >= q.limit) return { events, next: events[events.length - 1].id };
      events.push({ stream, timestamp: ts, message: value.m, ingestionTime: value.i, id });
    }
    return { events };
  }

  async deleteStream(t: Tenant, group: string, stream: string): Promise<void> {
    const gid = this.ids.get(this.groupKey(t, group));
    const sid = gid === undefined ? undefined : this.ids.get(this.streamKey(gid, stream));
    if (gid === undefined || sid === undefined) return;
    const keys = [...this.byStream.getKeys({ start: [gid, sid], end: [gid, sid + 1] })];
    await this.root.transaction(() => {
      for (const k of keys) {
        this.byStream.remove(k);
        this.byGroup.remove([gid, k[2], sid, k[3]]);
      }
      this.names.remove([gid, sid]);
      this.ids.remove(this.streamKey(gid, stream));
    });
  }

  async deleteGroup(t: Tenant, group: string): Promise<void> {
    const gk = this.groupKey(t, group);
    const gid = this.ids.get(gk);
    if (gid === undefined) return;
    const streamKeys = [...this.names.getKeys({ start: [gid], end: [gid + 1] })];
    const streamEvents = [...this.byStream.getKeys({ start: [gid], end: [gid + 1] })];
    const groupEvents = [...this.byGroup.getKeys({ start: [gid], end: [gid + 1] })];
    await this.root.transaction(() => {
      for (const k of streamEvents) this.byStream.remove(k);
      for (const k of groupEvents) this.byGroup.remove(k);
      for (const k of streamKeys) {
        const name = this.names.get(k);
        if (name !== undefined) this.ids.remove(this.streamKey(gid, name));
        this.names.remove(k);
      }
      this.ids.remove(gk);
    });
  }

  async expire(t: Tenant, group: string, before: number): Promise<number> {
    const gid = this.ids.get(this.groupKey(t, group));
    if (gid === undefined) return 0;
    const keys = [...this.byGroup.getKeys({ start: [gid, 0], end: [gid, before] })];
    if (keys.length === 0) return 0;
    await this.root.transaction(() => {
      for (const k of keys) {
        this.byGroup.remove(k);
        this.byStream.remove([gid, k[2], k[1], k[3]]);
      }
    });
    return keys.length;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
