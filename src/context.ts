// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The contracts between the layers: what a request looks like on the wire (WireRequest /
 * WireResponse), who made it (Principal), what an operation handler receives (RequestContext),
 * and how a service plugs in (ServiceDefinition). apis/<service> implements ServiceDefinition;
 * src/server, src/auth and src/protocols never know a service's operations.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Gateway } from './gateway.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface WireRequest {
  method: string;
  /** The request target exactly as received (path + '?' + query, still percent-encoded). */
  rawUrl: string;
  /** The raw (percent-encoded) path. */
  path: string;
  /** The raw query string without the leading '?'. */
  query: string;
  /** Lower-cased header names (Node's merge rules). */
  headers: HeaderMap;
  /** Header name/value pairs as received, for duplicate and smuggling checks. */
  rawHeaders: string[];
  /** Host header (may carry a port). */
  host: string;
  remoteAddress: string;
  /**
   * The payload after transfer decoding and, once auth has run, aws-chunked decoding and payload
   * verification. Streaming services read it as a stream; for the others the server has already
   * read it into `bodyBuffer`.
   */
  body: Readable;
  bodyBuffer?: Buffer;
  /** Set by auth for aws-chunked uploads: the decoded length the client declared. */
  decodedContentLength?: number;
  /**
   * Set by auth for aws-chunked uploads with trailers (x-amz-checksum-*…): filled, already
   * verified, once `body` has ended.
   */
  trailers?: Record<string, string>;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer | string | Readable;
}

export type PrincipalKind = 'root' | 'user' | 'assumed-role' | 'anonymous';

export interface Principal {
  kind: PrincipalKind;
  /** 12-digit account id; '' for anonymous. */
  accountId: string;
  /** arn:aws:iam::<acct>:root, arn:aws:iam::<acct>:user/<path><name>, arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  arn: string;
  /** The account id for root, AIDA… for users, AROA…:<session> for assumed roles. */
  userId: string;
  userName?: string;
  roleName?: string;
  sessionName?: string;
  accessKeyId?: string;
  /** True when the request was signed with temporary (STS) credentials. */
  temporary?: boolean;
  /** Expiry of temporary credentials (epoch ms). */
  expiration?: number;
}

export interface RequestContext {
  requestId: string;
  /** Signing name of the service: s3, ec2, dynamodb, streams.dynamodb, monitoring, logs, sts, iam. */
  service: string;
  operation: string;
  /** The region of the credential scope (or the gateway's default for anonymous requests). */
  region: string;
  principal: Principal;
  /** Same as principal.accountId, for brevity. */
  accountId: string;
  /** Wire-level request, for the few operations that need more than the parsed input (S3). */
  http: WireRequest;
  gateway: Gateway;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

/**
 * An operation handler. `input` is the operation's input shape as decoded by the protocol codec
 * (member names as in the AWS model; timestamps as Date; blobs as Buffer; streaming payloads as
 * Readable). The returned object is the output shape; it may also carry:
 *  - `$status`: an HTTP status other than the model's (S3 206/304…),
 *  - `$headers`: extra raw response headers.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<I = any, O = any> = (ctx: RequestContext, input: I) => Promise<O>;

export interface BackendHealth {
  /** Backend name as configured: embedded, ceph, proxmox, alternator, grafana… */
  backend: string;
  state: 'ok' | 'degraded' | 'down' | 'starting';
  detail?: string;
}

export interface ServiceDefinition {
  /** SigV4 signing name (credential scope service). */
  name: string;
  /** AWS model file stem in aws-sdk/apis, e.g. 'sts-2011-06-15'. */
  model: string;
  /** Implemented operations by model operation name; everything else answers NotImplemented. */
  operations: Partial<Record<string, Handler>>;
  /**
   * True when the request body must stay a stream (S3). Otherwise the server reads it (bounded by
   * `maxBodyBytes`) before the codec runs.
   */
  streamingBody?: boolean;
  maxBodyBytes?: number;
  health?(): Promise<BackendHealth> | BackendHealth;
  close?(): Promise<void>;
  /**
   * Non-AWS HTTP endpoints served on the gateway's listener (EC2: the NoCloud seed and instance
   * metadata for guests). Tried only for unsigned requests whose path starts with a prefix.
   */
  localEndpoints?: LocalEndpoint[];
}

export interface LocalEndpoint {
  /** Path prefix, e.g. '/latest/'. */
  prefix: string;
  /**
   * Answers the request and resolves true, or resolves false without touching it so the AWS
   * pipeline serves it (a bucket may be called `latest`).
   */
  handle(raw: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** Creates a service once at start-up, with access to config, state and the other services. */
export type ServiceFactory = (gw: Gateway) => Promise<ServiceDefinition> | ServiceDefinition;
