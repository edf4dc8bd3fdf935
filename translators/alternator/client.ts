// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Requests to Alternator: JSON 1.0 POSTs signed (SigV4) with the Alternator role's
 * credentials — the client's own signature was verified by the gateway and is never forwarded.
 * A request goes to the next live node; on a connection failure or a 5xx it goes to another node
 * only when it is safe to repeat: always when the connection was refused (nothing was sent),
 * otherwise only when the caller says the request is idempotent (reads; writes made idempotent by
 * a condition or a ClientRequestToken).
 */
import { sha256Hex } from '../../src/auth/signing.js';
import { UpstreamSigner } from '../../src/auth/upstream.js';
import { AwsError } from '../../src/errors.js';
import type { AlternatorConfig } from './config.js';
import type { AlternatorNode, NodePool } from './nodes.js';
import { bodyText, exchange, type UpstreamResponse } from './transport.js';

export type { UpstreamResponse } from './transport.js';

const TARGET = 'DynamoDB_20120810.';
/** X-Amz-Target prefix of the DynamoDB Streams API (same signing name). */
export const STREAMS_TARGET = 'DynamoDBStreams_20120810.';

/** An error answer of Alternator (4xx with a JSON error body), as the gateway's error type. */
export function upstreamError(status: number, text: string): AwsError {
  let doc: Record<string, unknown> = {};
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  const type = typeof doc.__type === 'string' ? doc.__type : '';
  const code = type.slice(type.lastIndexOf('#') + 1) || (status >= 500 ? 'InternalServerError' : 'ValidationException');
  const message = String(doc.message ?? doc.Message ?? '');
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== '__type' && k !== 'message' && k !== 'Message') fields[k] = v;
  return new AwsError(code, message, { status, fields: Object.keys(fields).length ? fields : undefined });
}

/** Gateway-side failures talking to Alternator: the client sees DynamoDB's 500. */
export function backendFailure(): AwsError {
  return new AwsError('InternalServerError', 'Internal server error', { status: 500 });
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';

const UPSTREAM_AUTH = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'AccessDeniedException', 'ExpiredTokenException']);

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export class AlternatorClient {
  private readonly signer: UpstreamSigner;

  constructor(
    private readonly cfg: AlternatorConfig,
    readonly nodes: NodePool,
    private readonly log: { warn(m: string, f?: Record<string, unknown>): void },
  ) {
    this.signer = new UpstreamSigner(cfg.region, 'dynamodb');
  }

  /** SigV4 for one POST / (src/auth/upstream.ts), over the headers the DynamoDB SDKs sign. */
  private sign(node: AlternatorNode, target: string, body: Buffer): Record<string, string> {
    const headers = { 'content-type': CONTENT_TYPE, host: node.host, 'x-amz-target': target };
    return this.signer.sign(this.cfg, { method: 'POST', path: '/', query: '', headers, payloadHash: sha256Hex(body) });
  }

  /**
   * Sends one operation; resolves with the upstream response of the first node that answered
   * below 500 (its body collected when up to `streamAbove` bytes, else still a stream). Throws
   * InternalServerError when no node could serve it.
   */
  async send(operation: string, body: Buffer, safe: boolean, signal?: AbortSignal, targetPrefix = TARGET): Promise<UpstreamResponse> {
    const target = targetPrefix + operation;
    const tried = this.nodes.candidates();
    let attempts = 0;
    let last: unknown;
    for (const node of tried) {
      if (attempts > this.cfg.retries) break;
      attempts++;
      try {
        const r = await exchange(node.pool, node.origin, '/', this.sign(node, target, body), body, this.cfg.streamAbove, signal);
        if (r.status >= 500) {
          const text = await bodyText(r);
          this.nodes.markDown(node, `HTTP ${r.status}`);
          last = upstreamError(r.status, text);
          if (safe) continue;
          throw last;
        }
        if (node.failures) this.nodes.markUp(node);
        return r;
      } catch (e) {
        if (e instanceof AwsError) throw e;
        if (signal?.aborted) throw e;
        const code = (e as { code?: string }).code ?? '';
        this.nodes.markDown(node, `${code} ${(e as Error).message}`);
        last = e;
        if (REFUSED.has(code) || safe) continue;
        this.log.warn('alternator request failed and is not safe to retry', { operation, node: node.origin, err: (e as Error).message });
        throw backendFailure();
      }
    }
    if (last instanceof AwsError) throw last;
    this.log.warn('no alternator node could serve the request', { operation, err: (last as Error | undefined)?.message });
    throw new AwsError('ServiceUnavailable', 'The service is currently unavailable or busy.', { status: 503 });
  }

  /**
   * The error of a non-200 answer. Alternator refusing the gateway's own credentials is the
   * gateway's misconfiguration, not the client's: logged, and answered as DynamoDB's 500.
   */
  failure(status: number, text: string): AwsError {
    const e = upstreamError(status, text);
    if (UPSTREAM_AUTH.has(e.code)) {
      this.log.warn('alternator refused the gateway\'s role credentials (backends.alternator.accessKeyId/secretAccessKey)', { code: e.code, message: e.message });
      return backendFailure();
    }
    return e;
  }

  /** One operation with a JSON input and output; errors become AwsError (names unmapped). */
  async call<T = Record<string, unknown>>(operation: string, input: unknown, safe: boolean, targetPrefix = TARGET): Promise<T> {
    const r = await this.send(operation, Buffer.from(JSON.stringify(input)), safe, undefined, targetPrefix);
    const text = await bodyText(r);
    if (r.status !== 200) throw this.failure(r.status, text);
    return JSON.parse(text) as T;
  }
}
