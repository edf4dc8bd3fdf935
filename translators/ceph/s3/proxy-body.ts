// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RGW's answers as the translator receives them: an undici dispatch handler (no request()
 * wrapper, no AsyncResource) whose body is a ProxyBody.
 *
 * ProxyBody is a Readable, with undici's body helpers the translator uses (text, json, dump).
 * Piped into an HTTP response or a socket — what the server does with a GET's body — it takes
 * the Readable machinery out of the way: every chunk undici parses out of RGW's socket is written
 * to the client's socket as it comes, and RGW's socket is paused only while more than HOLD_BYTES
 * wait to go out on the client's (undici's onData answer, resumed on 'drain'); what one
 * event-loop turn reads leaves in one writev at its end. Read any other way it is an ordinary
 * Readable over the same chunks. Chunks that arrive before anyone reads wait (bounded by
 * HOLD_BYTES, then RGW's socket is paused) for whichever consumer comes — for `unreadMs` at
 * most: a body nobody takes (its client went away before the answer was written) is destroyed
 * then, which ends RGW's exchange, rather than keeping a paused connection of the pool forever;
 * piped into a response that is already gone, it is destroyed at once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { util, type Dispatcher } from 'undici';

/** What waits for a consumer (or buffers in a Readable consumer) before RGW's socket is paused. */
const HOLD_BYTES = 256 * 1024;

const noop = (): void => undefined;

export class ProxyBody extends Readable {
  /** unset: nobody has read yet; fast: piped straight into `dest`; stream: an ordinary Readable. */
  private mode: 'unset' | 'fast' | 'stream' = 'unset';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private dest: Writable | undefined;
  private endDest = true;
  /** RGW's response is over (complete, failed or aborted): undici's callbacks are spent. */
  private upstreamDone = false;
  private complete = false;
  /** Armed while RGW's socket is paused with nobody reading yet. */
  private unread: NodeJS.Timeout | undefined;

  constructor(
    private readonly resumeUpstream: () => void,
    private readonly abortUpstream: (err: Error) => void,
    private readonly unreadMs = 60_000,
  ) {
    super({ highWaterMark: HOLD_BYTES });
  }

  private taken(): void {
    if (this.unread) clearTimeout(this.unread);
    this.unread = undefined;
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.dest!.uncork();
  };

  private readonly resumeNow = (): void => {
    if (!this.upstreamDone) this.resumeUpstream();
  };

  /** undici's onData: false pauses RGW's socket until resumeUpstream. */
  deliver(chunk: Buffer): boolean {
    if (this.mode === 'fast') {
      // the client's socket says "full" past its 16 KiB high-water mark, i.e. after every chunk:
      // RGW's socket keeps flowing until HOLD_BYTES wait to be sent (each pause and resume of it
      // is a pair of epoll changes, and RGW itself sends in smaller pieces while it is paused)
      const d = this.dest!;
      if (!this.corked) {
        // what this event-loop turn reads from RGW's socket (libuv reads up to 32 chunks of
        // 64 KiB at once) goes out in one writev at its end, not in one send per chunk
        this.corked = true;
        d.cork();
        setImmediate(this.uncork);
      }
      if (d.write(chunk) || d.writableLength < HOLD_BYTES) return true;
      d.once('drain', this.resumeNow);
      return false;
    }
    if (this.mode === 'stream') return this.push(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < HOLD_BYTES) return true;
    this.unread ??= setTimeout(() => this.destroy(new Error(`the response body was not read within ${this.unreadMs} ms`)), this.unreadMs).unref();
    return false;
  }

  /** undici's onComplete. */
  finish(): void {
    this.upstreamDone = true;
    this.complete = true;
    if (this.mode === 'fast') this.ended();
    else if (this.mode === 'stream') this.push(null);
    // unset: settled when a consumer comes
  }

  /** undici's onError after the headers: the body errors (nobody may be listening yet). */
  fail(err: Error): void {
    this.upstreamDone = true;
    this.on('error', noop);
    this.destroy(err);
  }

  override _read(): void {
    if (this.mode === 'unset') {
      this.taken();
      this.mode = 'stream';
      const held = this.held;
      this.held = [];
      for (const c of held) this.push(c);
      if (this.complete) {
        this.push(null);
        return;
      }
    }
    this.resumeNow();
  }

  /**
   * Into an HTTP response or socket: chunks go straight to it (see the file comment). Anything
   * else, or a body already read another way, gets Readable's own pipe.
   */
  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    if (this.mode !== 'unset' || this.destroyed || !(dest instanceof ServerResponse || dest instanceof Socket)) return super.pipe(dest, opts);
    this.taken();
    this.mode = 'fast';
    const w = dest as unknown as Writable;
    this.dest = w;
    if (w.destroyed) {
      // its 'close' has come and gone: nothing will ever drain it
      this.destroy();
      return dest;
    }
    this.endDest = opts?.end !== false;
    // a client that goes away: RGW's response is aborted
    w.once('close', () => {
      if (!this.complete) this.destroy();
    });
    let more = true;
    for (const c of this.held) more = w.write(c);
    this.held = [];
    if (this.complete) this.ended();
    else if (more) this.resumeNow();
    else w.once('drain', this.resumeNow);
    return dest;
  }

  /** Fast mode, every byte written: 'end' (which pipeline waits for), and the destination's end. */
  private ended(): void {
    this.push(null);
    this.resume();
    if (this.endDest) this.dest!.end();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.taken();
    if (!this.upstreamDone) {
      this.upstreamDone = true;
      this.abortUpstream(err ?? new Error('the response body was destroyed before its end'));
    }
    cb(err);
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of this) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** Reads the rest and drops it; beyond `limit` bytes (128 KiB) the response is aborted instead (RGW's connection closed). */
  async dump(opts?: { limit?: number }): Promise<void> {
    const limit = opts?.limit ?? 128 * 1024;
    let n = 0;
    try {
      for await (const c of this) {
        n += (c as Buffer).length;
        if (n > limit) break;
      }
    } catch {
      /* a body that fails while dumped has nothing to give */
    }
  }
}

export interface RgwResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ProxyBody;
}

/** A dispatch handler that resolves with the response once its headers are in. */
export class RgwResponseHandler implements Dispatcher.DispatchHandler {
  private abort: ((err?: Error) => void) | undefined;
  private body: ProxyBody | undefined;
  private readonly onAbort = (): void => this.abort?.(this.signal?.reason ?? new Error('aborted'));

  constructor(
    private readonly resolve: (r: RgwResponse) => void,
    private readonly reject: (e: Error) => void,
    private readonly signal?: AbortSignal,
    /** The request body: destroyed when the exchange fails (as undici's request() does). */
    private readonly requestBody?: unknown,
    /** How long an answer's body may wait, RGW's socket paused, for someone to read it. */
    private readonly unreadMs?: number,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.signal?.aborted) this.onAbort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.body = new ProxyBody(resume, (e) => this.abort?.(e), this.unreadMs);
    this.resolve({ statusCode, headers: util.parseHeaders(rawHeaders) as IncomingHttpHeaders, body: this.body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body!.deliver(chunk);
  }

  onComplete(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.body?.finish();
  }

  onError(err: Error): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    const rb = this.requestBody;
    if (rb instanceof Readable && !rb.destroyed) {
      rb.on('error', noop);
      rb.destroy(err);
    }
    if (this.body) this.body.fail(err);
    else this.reject(err);
  }
}
