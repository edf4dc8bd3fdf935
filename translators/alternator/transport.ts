// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * One HTTP exchange with an Alternator node over undici's dispatch API, without the per-request
 * stream and promise machinery of `Pool.request`: an answer whose Content-Length is at most
 * `bufferUpTo` bytes (every error answer, most item answers) is collected into one Buffer; a
 * larger one, or one without a length, is handed over as a Readable as soon as its headers
 * arrive, with back-pressure (the node's socket is paused while the reader is behind). A streamed
 * answer nobody starts reading within `unreadMs` (its client went away before the answer was
 * written) is destroyed, which ends the exchange, instead of keeping a paused connection forever.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { TurnQueue } from '../../src/util/turn.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body, when it was small enough to collect. */
  buffered?: Buffer;
  /** The body as a stream, when it was not collected. */
  stream?: Readable;
  /** Origin of the node that answered. */
  node: string;
}

/** The body of an answer, whole (reads the stream of a large one to its end). */
export async function bodyBytes(r: UpstreamResponse): Promise<Buffer> {
  if (r.buffered) return r.buffered;
  const chunks: Buffer[] = [];
  for await (const c of r.stream!) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function bodyText(r: UpstreamResponse): Promise<string> {
  return (await bodyBytes(r)).toString('utf8');
}

class Exchange implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private stream?: Readable;
  private done = false;
  private ended = false;
  private unlisten?: () => void;
  /** The streamed answer has been read from (piped, or read) at least once. */
  private taken = false;
  private unread?: NodeJS.Timeout;

  constructor(
    private readonly node: string,
    private readonly bufferUpTo: number,
    private readonly resolve: (r: UpstreamResponse) => void,
    private readonly reject: (e: Error) => void,
    private readonly signal?: AbortSignal,
    private readonly unreadMs = 5_000,
  ) {}

  private take(): void {
    this.taken = true;
    if (this.unread) clearTimeout(this.unread);
    this.unread = undefined;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.signal;
    if (!signal) return;
    if (signal.aborted) return controller.abort(signal.reason as Error);
    const abort = () => controller.abort(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    this.unlisten = () => signal.removeEventListener('abort', abort);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    const len = Number(headers['content-length'] ?? NaN);
    if (statusCode !== 200 || len <= this.bufferUpTo) return;
    // a reader that gives up (client gone, pipeline error) ends the upstream exchange too
    this.stream = new Readable({
      read: () => {
        if (!this.taken) this.take();
        controller.resume();
      },
      destroy: (err, cb) => {
        this.take();
        if (!controller.aborted && !this.ended) controller.abort(err ?? new Error('upstream answer no longer read'));
        cb(err);
      },
    });
    this.done = true;
    this.resolve({ status: statusCode, headers, stream: this.stream, node: this.node });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stream) {
      if (this.stream.push(chunk)) return;
      controller.pause();
      if (!this.taken) this.unread ??= setTimeout(() => this.stream!.destroy(new Error(`the answer was not read within ${this.unreadMs} ms`)), this.unreadMs).unref();
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.ended = true;
    this.unlisten?.();
    if (this.stream) {
      this.stream.push(null);
      return;
    }
    this.done = true;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, buffered: body, node: this.node });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.ended = true;
    this.unlisten?.();
    if (this.stream) this.stream.destroy(err);
    else if (!this.done) {
      this.done = true;
      this.reject(err);
    }
  }
}

/**
 * Requests started during one event-loop turn, dispatched together at its end (setImmediate): the
 * gateway reads a burst of client requests in one turn and the upstream then receives their
 * forwarded copies as one burst, which it serves in one wake-up, instead of one at a time
 * interleaved with the gateway's own work.
 */
interface Held {
  pool: Dispatcher;
  opts: Dispatcher.DispatchOptions;
  handler: Exchange;
  reject: (e: Error) => void;
}

const held = new TurnQueue<Held>(
  (h) => h.pool.dispatch(h.opts, h.handler),
  // a pool that refuses the request (closed, say) fails that request alone
  (h, err) => h.reject(err as Error),
);

/** POSTs `body` to `path` on `pool`; resolves once the answer is collected or starts streaming. */
export function exchange(pool: Dispatcher, node: string, path: string, headers: Record<string, string>, body: Buffer, bufferUpTo: number, signal?: AbortSignal, unreadMs?: number): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    held.push({ pool, opts: { method: 'POST', path, headers, body }, handler: new Exchange(node, bufferUpTo, resolve, reject, signal, unreadMs), reject });
  });
}
