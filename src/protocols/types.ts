// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The contract of a wire codec. One codec per AWS protocol, shared by every service that speaks
 * it, driven by the service's AWS model (src/protocols/model.ts). The server calls:
 *
 *   const codec = selectCodec(model, req, opts)           // the protocol of this request
 *   const { operation, input } = await codec.parse(req, model)
 *   …handler…
 *   codec.serialize(model, operation, output, rc)   or   codec.serializeError(model, err, rc)
 */
import type { WireRequest, WireResponse } from '../context.js';
import type { AwsError } from '../errors.js';
import type { ServiceModel } from './model.js';

export type ProtocolName = 'ec2' | 'query' | 'rest-xml' | 'json' | 'smithy-rpc-v2-cbor';

export interface ParsedOperation {
  operation: string;
  /** The input shape, member names as in the model (see Handler in src/context.ts). */
  input: Record<string, unknown>;
}

export interface ResponseContext {
  requestId: string;
  service: string;
  region: string;
  /** Known once parse() succeeded. */
  operation?: string;
  /** The request, for codecs whose response depends on it (S3 HEAD has no body, …). */
  request?: WireRequest;
}

export interface CodecOptions {
  /** S3 virtual-hosted style base domains, e.g. ['localhost', 's3.localhost']. */
  s3BaseDomains: string[];
}

export interface Codec {
  readonly protocol: ProtocolName;
  /** Decides the operation and decodes its input. Throws AwsError for malformed input. */
  parse(req: WireRequest, model: ServiceModel): Promise<ParsedOperation>;
  serialize(model: ServiceModel, operation: string, output: unknown, rc: ResponseContext): WireResponse;
  serializeError(model: ServiceModel, err: AwsError, rc: ResponseContext): WireResponse;
}
