// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Smithy RPC v2 CBOR (CloudWatch for the Go SDK v2 / Terraform v6 and Java v2):
 * `POST /service/<ServiceName>/operation/<Operation>` with `smithy-protocol: rpc-v2-cbor` and a
 * CBOR body (an empty body is an empty input). Responses are CBOR maps with
 * `smithy-protocol: rpc-v2-cbor` and `Content-Type: application/cbor` (clients refuse responses
 * without them); timestamps tag 1 epoch seconds, blobs byte strings, errors a map with `__type`
 * and `message`, plus `x-amzn-query-error` for query-compatible services. Requests are read by
 * cbor-decode.ts (indefinite-length strings included), responses written by cbor-x.
 */
import { Encoder } from 'cbor-x';
import type { WireRequest, WireResponse } from '../context.js';
import { AwsError } from '../errors.js';
import type { ServiceModel } from './model.js';
import type { Codec, ParsedOperation, ResponseContext } from './types.js';
import { decodeCbor } from './cbor-decode.js';
import { baseHeaders, bodyBytes } from './common.js';
import { decodeDoc, decodeInput, encodeDoc } from './document.js';
import { errorHeaders, errorType } from './json-errors.js';
import { splitExtras } from './outputs.js';
import { checkRequired } from './validate.js';

const PATH = /^\/service\/([^/?]+)\/operation\/([^/?]+)$/;
const encoder = new Encoder({ mapsAsObjects: true, useRecords: false, tagUint8Array: false, useFloat32: 0 });

/** The service and operation named by an rpc-v2-cbor request path, if it is one. */
export function cborPath(path: string): { service: string; operation: string } | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  try {
    return { service: decodeURIComponent(m[1]!), operation: decodeURIComponent(m[2]!) };
  } catch {
    return undefined;
  }
}

export class CborCodec implements Codec {
  readonly protocol = 'smithy-rpc-v2-cbor' as const;

  async parse(req: WireRequest, model: ServiceModel): Promise<ParsedOperation> {
    const target = cborPath(req.path);
    const svc = model.metadata.smithyServiceName ?? model.metadata.targetPrefix;
    const op = target && target.service === svc ? model.operations.get(target.operation) : undefined;
    if (req.method !== 'POST' || !op) {
      throw new AwsError('UnknownOperationException', '', { status: 404, queryCode: 'InvalidAction' });
    }
    const bytes = bodyBytes(req);
    let doc: unknown = {};
    if (bytes.length > 0) {
      try {
        doc = decodeCbor(bytes);
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid CBOR.');
      }
    }
    if (doc === null || doc === undefined) doc = {};
    const decoded = op.input ? decodeInput(doc, op.input, 'cbor') : { input: {}, missingRequired: false };
    const input = decoded.input;
    if (decoded.missingRequired) checkRequired(model, 'cbor', input, op.input);
    return { operation: op.name, input };
  }

  private respond(status: number, headers: Record<string, string>, doc: unknown, rc: ResponseContext): WireResponse {
    return {
      status,
      headers: baseHeaders(rc.requestId, 'application/cbor', { 'smithy-protocol': 'rpc-v2-cbor', ...headers }),
      body: Buffer.from(encoder.encode(doc)),
    };
  }

  serialize(model: ServiceModel, operation: string, output: unknown, rc: ResponseContext): WireResponse {
    const op = model.operations.get(operation);
    const { body, status, headers } = splitExtras(output);
    const doc = op?.output ? encodeDoc(body, op.output, 'cbor') : {};
    return this.respond(status ?? 200, headers ?? {}, doc ?? {}, rc);
  }

  serializeError(model: ServiceModel, err: AwsError, rc: ResponseContext): WireResponse {
    const doc: Record<string, unknown> = { __type: errorType(model, err) };
    if (err.message) doc.message = err.message;
    if (err.fields) for (const [k, v] of Object.entries(err.fields)) if (v !== undefined) doc[k] = v;
    return this.respond(err.status, { ...errorHeaders(model, err), ...err.headers }, doc, rc);
  }
}

export const cborCodec = new CborCodec();
