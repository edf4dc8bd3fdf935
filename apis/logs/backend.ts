// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What apis/logs needs from a log-event store. Group and stream metadata (names, creation times,
 * retention, tags, stream statistics) live in the gateway state store; the backend holds only the
 * events. The embedded LMDB store implements it today; a Loki-style store can implement the same
 * calls (append per stream, time-ordered reads per stream and per group with a filter).
 *
 * Event positions are opaque, ordered strings (56 digits): they become GetLogEvents tokens,
 * FilterLogEvents nextTokens and eventIds.
 */

export interface Tenant {
  accountId: string;
  region: string;
}

export interface NewLogEvent {
  timestamp: number;
  message: string;
}

export interface StoredLogEvent {
  stream: string;
  timestamp: number;
  message: string;
  ingestionTime: number;
  /** The event's position: unique, ordered by (timestamp, stream, arrival). */
  id: string;
}

export interface StreamRead {
  /** Inclusive start / exclusive end (epoch ms). */
  start?: number;
  end?: number;
  /** Continue strictly after (forward) or strictly before (backward) this position. */
  after?: string;
  before?: string;
  limit: number;
  /** Forward from the oldest event (true) or the newest `limit` events (false), always returned oldest first. */
  fromHead: boolean;
}

export interface GroupScan {
  /** Only these streams. */
  streams?: ReadonlySet<string>;
  streamPrefix?: string;
  start?: number;
  end?: number;
  after?: string;
  limit: number;
  /** Event predicate (a compiled CloudWatch filter pattern); a remote store may also push down `pattern`. */
  match?: (message: string) => boolean;
  pattern?: string;
}

export interface GroupScanResult {
  events: StoredLogEvent[];
  /** Position to continue after, when more events may match. */
  next?: string;
}

export interface LogsBackend {
  readonly name: string;
  /** Appends events to a stream atomically; returns their positions. */
  append(t: Tenant, group: string, stream: string, events: NewLogEvent[], ingestionTime: number): Promise<string[]>;
  readStream(t: Tenant, group: string, stream: string, q: StreamRead): Promise<StoredLogEvent[]>;
  scanGroup(t: Tenant, group: string, q: GroupScan): Promise<GroupScanResult>;
  deleteStream(t: Tenant, group: string, stream: string): Promise<void>;
  deleteGroup(t: Tenant, group: string): Promise<void>;
  /** Removes a group's events with a timestamp before `before`; returns how many. */
  expire(t: Tenant, group: string, before: number): Promise<number>;
  /** The state of the store behind, for GET /_mcgw/health (absent: always ok). */
  health?(): Promise<{ state: 'ok' | 'degraded' | 'down'; detail?: string }>;
  close(): Promise<void>;
}
