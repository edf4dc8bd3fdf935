// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The remote-write path: callers hand in time series and wait until the TSDB accepted them.
 * - Batching: series of concurrent callers go out together, up to `batchSamples` samples per
 *   request, after at most `flushMs`.
 * - Back-pressure: at most `maxPendingSamples` samples wait; further callers wait for room, at
 *   most `maxWaitMs`, then fail with status 429 (the gateway answers Throttling), so an overloaded
 *   TSDB does not make the gateway hold every waiting request in memory.
 * - Retries: network errors, 429 and 5xx are retried with exponential back-off (`retries` times).
 * - A 400 rejects a whole request in Prometheus (one bad sample fails the batch), so the batch is
 *   split in halves and re-sent until the rejected series is alone: the other callers' (and the
 *   same caller's other) series are still written; only the callers owning a rejected series get
 *   an error. A series rejected as a duplicate sample (same timestamp, other value: a second write
 *   for the same series and second) is re-sent once with another millisecond inside the same second.
 * - Group commit: at most `maxInFlight` requests are outstanding; callers arriving meanwhile queue
 *   and go out together when one returns, so a slow TSDB gets fewer, larger requests instead of
 *   more concurrent ones (a backlog goes out in requests of up to 8 × batchSamples). Within a request, series of several callers with the same label set
 *   (`key`) are sent as one TimeSeries with all their samples: the TSDB parses and looks up each
 *   label set once per request instead of once per caller.
 */
import { encodeRemoteWrite, REMOTE_WRITE_HEADERS, type EncodedSeries } from './remote-write.js';

type TimeSeries = EncodedSeries & { merged?: boolean };

export interface WriterOptions {
  url: string;
  headers?: Record<string, string>;
  batchSamples: number;
  flushMs: number;
  maxPendingSamples: number;
  /** Longest wait for room in the queue before write() gives up (status 429). */
  maxWaitMs?: number;
  retries: number;
  timeoutMs: number;
  /** Requests outstanding at once (default 2). */
  maxInFlight?: number;
  /** Called after every accepted request (VictoriaMetrics' force_flush in tests). */
  afterWrite?: () => Promise<void>;
  fetch?: typeof fetch;
}

export class RemoteWriteError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RemoteWriteError';
  }
}

interface Job {
  series: TimeSeries[];
  samples: number;
  errors: string[];
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A request catching up with a backlog holds at most this many times batchSamples. */
const BACKLOG_BATCHES = 8;

const countSamples = (s: TimeSeries[]) => s.reduce((n, x) => n + x.samples.length, 0);

export class RemoteWriter {
  private queue: Job[] = [];
  private queuedSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private readonly fetch: typeof fetch;
  /** Statistics for health output and benches. */
  readonly stats = { requests: 0, samples: 0, series: 0, retries: 0, rejectedSeries: 0, throttled: 0 };
  /** When a request was last accepted, and the last request that failed for good (health output). */
  lastOkAt = 0;
  lastFailure: { at: number; message: string } | undefined;

  /** Samples waiting or in flight. */
  get queued(): number {
    return this.queuedSamples;
  }

  constructor(private readonly o: WriterOptions) {
    this.fetch = o.fetch ?? fetch;
  }

  /** Resolves once every series was accepted; rejects naming the TSDB's reason otherwise. */
  async write(series: TimeSeries[]): Promise<void> {
    const samples = countSamples(series);
    if (samples === 0) return;
    const deadline = Date.now() + (this.o.maxWaitMs ?? 5000);
    while (this.queuedSamples > 0 && this.queuedSamples + samples > this.o.maxPendingSamples) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.stats.throttled++;
        throw new RemoteWriteError(`the remote-write queue is full (${this.queuedSamples} samples waiting)`, 429);
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(timer), r()));
      });
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ series, samples, errors: [], resolve, reject });
      this.queuedSamples += samples;
      if (this.queuedSamples >= this.o.batchSamples) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.flushMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const slots = (this.o.maxInFlight ?? 2) - this.inFlight;
    if (slots <= 0 || this.queue.length === 0) return;
    // a backlog (the TSDB was slow) goes out in fewer, larger requests, up to BACKLOG_BATCHES
    // batches' worth each: the TSDB appends several samples of one series far cheaper than one
    let waiting = 0;
    for (const j of this.queue) waiting += j.samples;
    const limit = Math.max(this.o.batchSamples, Math.min(Math.ceil(waiting / slots), this.o.batchSamples * BACKLOG_BATCHES));
    while (this.queue.length > 0 && this.inFlight < (this.o.maxInFlight ?? 2)) {
      const batch: Job[] = [];
      let n = 0;
      while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].samples <= limit)) {
        const j = this.queue.shift()!;
        n += j.samples;
        batch.push(j);
      }
      this.inFlight++;
      void this.deliver(batch).finally(() => {
        this.inFlight--;
        this.queuedSamples -= n;
        // what queued meanwhile goes out now, together
        if (this.queue.length > 0) this.flush();
        const w = this.waiters;
        this.waiters = [];
        for (const r of w) r();
      });
    }
  }

  private async deliver(batch: Job[]): Promise<void> {
    const parts: Array<[Job, TimeSeries]> = [];
    for (const j of batch) for (const s of j.series) parts.push([j, s]);
    try {
      await this.sendParts(parts, true);
      if (this.o.afterWrite) await this.o.afterWrite();
      for (const j of batch) {
        if (j.errors.length === 0) j.resolve();
        else j.reject(new RemoteWriteError(`the TSDB rejected ${j.errors.length} series: ${j.errors[0]}`, 400));
      }
    } catch (e) {
      for (const j of batch) j.reject(e as Error);
    }
  }

  /** Sends; on a 400, halves until the rejected series are found and charged to their jobs. */
  private async sendParts(parts: Array<[Job, TimeSeries]>, retryDuplicate: boolean): Promise<void> {
    const res = await this.post(parts.map((p) => p[1]));
    if (res.ok) return;
    if (parts.length > 1) {
      const mid = parts.length >> 1;
      await this.sendParts(parts.slice(0, mid), retryDuplicate);
      await this.sendParts(parts.slice(mid), retryDuplicate);
      return;
    }
    const [job, s] = parts[0];
    if (retryDuplicate && /duplicate sample/i.test(res.text)) {
      // another write already holds this millisecond: move to another one within the same second
      const moved = { ...s, samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestamp - (x.timestamp % 1000) + ((x.timestamp % 1000) + 1 + Math.floor(Math.random() * 998)) % 1000 })) };
      return this.sendParts([[job, moved]], false);
    }
    this.stats.rejectedSeries++;
    job.errors.push(res.text.trim().slice(0, 300) || `HTTP ${res.status}`);
  }

  /** One POST with retries; resolves with the 2xx or 4xx answer, throws after retries on others. */
  private async post(parts: TimeSeries[]): Promise<{ ok: boolean; status: number; text: string }> {
    const series = mergeSeries(parts);
    const body = encodeRemoteWrite(series);
    let last = '';
    let fatal: string | undefined;
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (attempt - 1), 5000)));
      }
      try {
        const res = await this.fetch(this.o.url, {
          method: 'POST',
          headers: { ...REMOTE_WRITE_HEADERS, ...this.o.headers },
          body: body as unknown as BodyInit,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        const text = await res.text();
        if (res.ok) {
          this.lastOkAt = Date.now();
          this.stats.requests++;
          this.stats.series += series.length;
          this.stats.samples += countSamples(series);
          return { ok: true, status: res.status, text };
        }
        // 400 (a bad sample) and 413 (too large) are answers about the series: split and re-send;
        // other 4xx (401, 403, 404: no remote-write receiver there) hold for every request
        if (res.status === 400 || res.status === 413) return { ok: false, status: res.status, text };
        if (res.status > 400 && res.status < 500 && res.status !== 429) {
          fatal = `remote write to ${this.o.url}: HTTP ${res.status}: ${text.trim().slice(0, 200)}`;
          break;
        }
        last = `HTTP ${res.status}: ${text.trim().slice(0, 200)}`;
      } catch (e) {
        const err = e as Error & { cause?: { message?: string } };
        last = err.cause?.message ?? err.message;
      }
    }
    const message = fatal ?? `remote write to ${this.o.url} failed after ${this.o.retries + 1} attempts: ${last}`;
    this.lastFailure = { at: Date.now(), message };
    throw new RemoteWriteError(message, fatal ? 502 : 503);
  }

  /** Waits for everything queued to be delivered. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((r) => this.waiters.push(r));
  }
}

/**
 * Series with the same key as one TimeSeries (samples in time order); the inputs are not changed
 * (a rejected request is split and its parts re-sent as they were). A sample whose timestamp the
 * merged series already has stays in its own TimeSeries, so the TSDB still sees (and refuses, or
 * de-duplicates) it exactly as if it had come alone.
 */
export function mergeSeries(parts: TimeSeries[]): TimeSeries[] {
  const at = new Map<string, number>();
  const out: TimeSeries[] = [];
  for (const s of parts) {
    const key = s.key;
    const i = key === undefined || s.samples.length === 0 ? undefined : at.get(key);
    if (i === undefined) {
      if (key !== undefined && s.samples.length > 0) at.set(key, out.length);
      out.push(s);
      continue;
    }
    let into = out[i];
    if (s.samples.some((x) => into.samples.some((y) => y.timestamp === x.timestamp))) {
      out.push(s);
      continue;
    }
    if (!into.merged) {
      // a new series object: the caller's stays as it was
      const first = into;
      into = out[i] = { get labels() { return first.labels; }, encoded: first.encoded, key, samples: [...first.samples], merged: true };
    }
    for (const x of s.samples) into.samples.push(x);
  }
  for (const s of out) if (s.merged) s.samples.sort((a, b) => a.timestamp - b.timestamp);
  return out;
}
