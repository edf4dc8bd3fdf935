// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The one error type every layer throws. Protocol codecs (src/protocols) turn it into the exact
 * bytes AWS sends for that protocol; nothing else formats errors.
 */
export type Fault = 'Sender' | 'Receiver';

export interface AwsErrorOptions {
  /** HTTP status; default 400 for Sender, 500 for Receiver. */
  status?: number;
  fault?: Fault;
  /** Extra members rendered into the error body (S3: <BucketName>, <StringToSign>…; JSON: Item…). */
  fields?: Record<string, unknown>;
  /** Extra response headers (e.g. S3 x-amz-bucket-region). */
  headers?: Record<string, string>;
  /**
   * The legacy awsQuery code for query-compatible services (CloudWatch on json/cbor), sent as
   * `x-amzn-query-error: <queryCode>;<fault>`. Defaults to `code`.
   */
  queryCode?: string;
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;
  readonly fields?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly queryCode?: string;

  constructor(code: string, message: string, opts: AwsErrorOptions = {}) {
    // an AwsError is an answer to the client, not a fault of the gateway: skip the stack trace,
    // which costs more than the rest of a failed request (ConditionalCheckFailed, NoSuchKey…)
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'AwsError';
    this.code = code;
    this.fault = opts.fault ?? (opts.status !== undefined && opts.status >= 500 ? 'Receiver' : 'Sender');
    this.status = opts.status ?? (this.fault === 'Receiver' ? 500 : 400);
    this.fields = opts.fields;
    this.headers = opts.headers;
    this.queryCode = opts.queryCode;
  }
}

export function isAwsError(e: unknown): e is AwsError {
  return e instanceof AwsError;
}

/** The error an operation returns while no code serves it yet: never a fake success. */
export function notImplemented(service: string, operation: string): AwsError {
  return new AwsError(
    'NotImplemented',
    `The operation ${operation} of service ${service} is not implemented by this gateway yet.`,
    { status: 501, fault: 'Receiver' },
  );
}

/** What a service-specific internal failure is called on the wire. */
export function internalError(service: string): AwsError {
  switch (service) {
    case 's3':
      return new AwsError('InternalError', 'We encountered an internal error. Please try again.', { status: 500 });
    case 'dynamodb':
    case 'streams.dynamodb':
      return new AwsError('InternalServerError', 'Internal server error', { status: 500 });
    case 'ec2':
      return new AwsError('InternalError', 'An internal error has occurred', { status: 500 });
    default:
      return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', { status: 500 });
  }
}
