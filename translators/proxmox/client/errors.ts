// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Proxmox VE API failures as typed errors. pve-http-server answers a failure with the HTTP status,
 * the message as the reason phrase, and a JSON body `{"data":null}` (plus `errors` for parameter
 * checks and, since 2025, `message`). The kind is decided from the status and the PVE message
 * (PVE::Exception texts quoted in /work/shared/reference/proxmox-mapping.md, "Errors"); toAwsError
 * gives the EC2 code a client sees when the failure reaches it.
 */
import { AwsError } from '../../../src/errors.js';

export type PveErrorKind =
  | 'parameter' // 400 Parameter verification failed
  | 'auth' // 401 No ticket / invalid ticket / authentication failure
  | 'permission' // 403 Permission check failed
  | 'not-found' // 500 "... does not exist"
  | 'locked' // 500 "VM is locked (clone)"
  | 'lock-timeout' // 500 "can't lock file ... got timeout"
  | 'running' // 500 "VM N is running - destroy failed", "already running"
  | 'not-implemented' // 501 Method ... not implemented
  | 'node-down' // 595/596 proxy to a dead node
  | 'transport' // no HTTP answer (connection refused, TLS pin mismatch, timeout)
  | 'task' // a task ended with an error exit status
  | 'other';

export class PveError extends Error {
  readonly kind: PveErrorKind;
  readonly status: number;
  /** Per-parameter messages of a 400. */
  readonly errors?: Record<string, string>;
  readonly method: string;
  readonly path: string;

  constructor(kind: PveErrorKind, status: number, message: string, req: { method: string; path: string }, errors?: Record<string, string>) {
    super(message);
    this.name = 'PveError';
    this.kind = kind;
    this.status = status;
    this.errors = errors;
    this.method = req.method;
    this.path = req.path;
  }

  /** Worth retrying after a pause: lock contention, a node that may come back, a transient link. */
  get retryable(): boolean {
    return this.kind === 'lock-timeout' || this.kind === 'locked' || this.kind === 'node-down' || this.kind === 'transport';
  }
}

export function isPveError(e: unknown): e is PveError {
  return e instanceof PveError;
}

/** The kind of a failed answer, from its status and message. */
export function classify(status: number, message: string): PveErrorKind {
  if (status === 400) return 'parameter';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 501) return 'not-implemented';
  if (status === 595 || status === 596) return 'node-down';
  if (/got timeout/i.test(message) && /can't lock file/i.test(message)) return 'lock-timeout';
  if (/is locked/i.test(message)) return 'locked';
  if (/does not exist|no such (vm|volume|task|group|pool|ipset|zone|vnet)/i.test(message)) return 'not-found';
  if (/is running|already running/i.test(message)) return 'running';
  return 'other';
}

/** Builds the error from an HTTP answer: reason phrase first, then the body's message. */
export function fromResponse(status: number, reason: string, body: unknown, req: { method: string; path: string }): PveError {
  const b = (body && typeof body === 'object' ? body : {}) as { message?: unknown; errors?: unknown };
  const bodyMsg = typeof b.message === 'string' ? b.message.trim() : '';
  const message = (bodyMsg || reason || `HTTP ${status}`).trim();
  let errors: Record<string, string> | undefined;
  if (b.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    errors = {};
    for (const [k, v] of Object.entries(b.errors as Record<string, unknown>)) errors[k] = String(v).trim();
  }
  return new PveError(classify(status, message), status, message, req, errors);
}

/** The text of a parameter error: "Parameter verification failed. (net0: invalid format…)". */
export function describe(e: PveError): string {
  const params = e.errors ? Object.entries(e.errors).map(([k, v]) => `${k}: ${v}`).join('; ') : '';
  return params ? `${e.message} (${params})` : e.message;
}

/**
 * The AWS error for a PVE failure reaching a client. Only the codes EC2 itself uses; anything the
 * client cannot fix is a 5xx InternalError/Unavailable (the detail goes to the log, not the client).
 */
export function toAwsError(e: unknown, subject?: { kind: 'instance' | 'volume'; id: string }): AwsError {
  if (e instanceof AwsError) return e;
  if (!(e instanceof PveError)) return new AwsError('InternalError', 'An internal error has occurred', { status: 500 });
  switch (e.kind) {
    case 'not-found':
      if (subject?.kind === 'instance') return new AwsError('InvalidInstanceID.NotFound', `The instance ID '${subject.id}' does not exist`);
      if (subject?.kind === 'volume') return new AwsError('InvalidVolume.NotFound', `The volume '${subject.id}' does not exist.`);
      return new AwsError('InternalError', 'An internal error has occurred', { status: 500 });
    case 'locked':
    case 'lock-timeout':
    case 'running':
      return new AwsError('IncorrectInstanceState', subject ? `The ${subject.kind} '${subject.id}' is busy in the hypervisor (${e.message}); retry later.` : `The hypervisor is busy (${e.message}); retry later.`);
    case 'permission':
      return new AwsError('UnauthorizedOperation', 'The gateway is not authorized to perform this operation on the Proxmox cluster.', { status: 403 });
    case 'parameter':
      return new AwsError('InvalidParameterValue', `The hypervisor refused the request: ${describe(e)}`);
    case 'node-down':
    case 'transport':
      return new AwsError('Unavailable', 'The hypervisor is unavailable; retry later.', { status: 503 });
    default:
      return new AwsError('InternalError', 'An internal error has occurred', { status: 500 });
  }
}
