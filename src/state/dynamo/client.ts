// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A small DynamoDB JSON-1.0 client for the state store: SigV4 (src/auth/upstream.ts) over undici pools, several
 * endpoints (Alternator nodes have no load balancer of their own), round-robin over the endpoints
 * that answer, and retries on another endpoint for failures that left nothing behind or that are
 * safe to repeat. Every write the state store sends is conditional on a version it generated, so a
 * repeated write is recognised by the caller (see items.ts) and never applied twice.
 */
import { Pool } from 'undici';
import { sha256Hex } from '../../auth/signing.js';
import { UpstreamSigner } from '../../auth/upstream.js';

export interface DynamoClientOptions {
  endpoints: string[];
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Milliseconds a request may take (headers and body), per attempt. */
  timeoutMs?: number;
  /** Attempts per call across endpoints (network errors, 5xx, throttling). */
  attempts?: number;
}

/** An error answered by the DynamoDB-API server (its `__type` without the namespace). */
export class DynamoApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'DynamoApiError';
  }
}

const RETRYABLE_CODES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'InternalFailure']);

interface Node {
  url: URL;
  pool: Pool;
  /** Epoch ms until which the node is skipped after a network failure. */
  downUntil: number;
}

export class DynamoClient {
  private readonly nodes: Node[];
  private next = 0;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly signer: UpstreamSigner;

  constructor(private readonly opts: DynamoClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('no DynamoDB-API endpoint given');
    this.signer = new UpstreamSigner(opts.region, 'dynamodb');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = opts.attempts ?? 6;
    this.nodes = opts.endpoints.map((e) => {
      const url = new URL(e);
      return { url, pool: new Pool(url.origin, { connections: 32, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, keepAliveTimeout: 30_000 }), downUntil: 0 };
    });
  }

  /** How many endpoints there are. */
  get size(): number {
    return this.nodes.length;
  }

  describe(): string {
    return this.nodes.map((n) => n.url.origin).join(',');
  }

  private pick(): Node {
    const now = Date.now();
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[(this.next + i) % this.nodes.length]!;
      if (n.downUntil <= now) {
        this.next = (this.next + i + 1) % this.nodes.length;
        return n;
      }
    }
    // every node failed recently: try the one that comes back first
    return this.nodes.reduce((a, b) => (a.downUntil <= b.downUntil ? a : b));
  }

  /** One DynamoDB operation; resolves with the parsed JSON answer or rejects with DynamoApiError. */
  async call<T = Record<string, unknown>>(operation: string, input: object, opts: { attempts?: number } = {}): Promise<T> {
    const body = JSON.stringify(input);
    let lastError: unknown;
    const attempts = opts.attempts ?? this.attempts;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random()));
      const node = this.pick();
      try {
        return await this.send<T>(node, operation, body);
      } catch (e) {
        lastError = e;
        if (e instanceof DynamoApiError) {
          if (!RETRYABLE_CODES.has(e.code) && e.status < 500) throw e;
          // a node answering 5xx is skipped for a moment, as one refusing connections
          if (e.status >= 500) node.downUntil = Date.now() + 1000;
        } else {
          node.downUntil = Date.now() + 2000;
        }
      }
    }
    throw lastError;
  }

  private async send<T>(node: Node, operation: string, body: string): Promise<T> {
    const path = node.url.pathname || '/';
    const headers = this.signer.sign(this.opts, {
      method: 'POST',
      path,
      query: '',
      headers: { 'content-type': 'application/x-amz-json-1.0', host: node.url.host, 'x-amz-target': `DynamoDB_20120810.${operation}` },
      payloadHash: sha256Hex(body),
    });
    const res = await node.pool.request({ path, method: 'POST', headers, body });
    const text = await res.body.text();
    if (res.statusCode === 200) return (text ? JSON.parse(text) : {}) as T;
    let code = `Http${res.statusCode}`;
    let message = text.slice(0, 300);
    try {
      const err = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
      if (err.__type) code = err.__type.slice(err.__type.lastIndexOf('#') + 1);
      message = err.message ?? err.Message ?? message;
    } catch {
      // not JSON: keep the status and the text
    }
    throw new DynamoApiError(code, message, res.statusCode);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.pool.close()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
