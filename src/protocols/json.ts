// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * awsJson 1.0 / 1.1 (DynamoDB, DynamoDB Streams, CloudWatch Logs, CloudWatch on json):
 * `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body; responses
 * `application/x-amz-json-<version>`, errors `{"__type": …, "message": …}`. DynamoDB responses
 * carry `x-amz-crc32` (CRC32 of the body bytes), which its clients verify.
 */
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { WireRequest, WireResponse } from '../context.js';
import { AwsError } from '../errors.js';
import type { ServiceModel } from './model.js';
import type { Codec, ParsedOperation, ResponseContext } from './types.js';
import { baseHeaders, bodyBytes, header } from './common.js';
import { decodeDoc, decodeInput, encodeDoc } from './document.js';
import { errorHeaders, errorType, messageKey } from './json-errors.js';
import { splitExtras } from './outputs.js';
import { checkRequired } from './validate.js';

/** The X-Amz-Target header split at its last dot: { prefix, operation }. */
export function targetPrefix(req: WireRequest): { prefix: string; operation: string } | undefined {
  const t = header(req, 'x-amz-target');
  if (!t) return undefined;
  // asked up to three times per request (service guess, Streams routing, codec): split once
  if (t === lastTarget.text) return lastTarget.split;
  const dot = t.lastIndexOf('.');
  const split = dot <= 0 ? { prefix: t, operation: '' } : { prefix: t.slice(0, dot), operation: t.slice(dot + 1) };
  lastTarget = { text: t, split };
  return split;
}
let lastTarget: { text: string; split: { prefix: string; operation: string } } = { text: '', split: { prefix: '', operation: '' } };

const contentTypes = new WeakMap<ServiceModel, string>();

function contentTypeOf(model: ServiceModel): string {
  let ct = contentTypes.get(model);
  if (ct === undefined) contentTypes.set(model, (ct = `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`));
  return ct;
}

function isDynamo(model: ServiceModel): boolean {
  return model.metadata.endpointPrefix === 'dynamodb' || model.metadata.endpointPrefix === 'streams.dynamodb';
}

function unknownOperation(): AwsError {
  return new AwsError('UnknownOperationException', '', { queryCode: 'InvalidAction' });
}

export class JsonCodec implements Codec {
  readonly protocol = 'json' as const;

  async parse(req: WireRequest, model: ServiceModel): Promise<ParsedOperation> {
    const bytes = bodyBytes(req);
    let doc: unknown;
    if (bytes.length === 0) {
      // DynamoDB refuses an empty body; the other json services read it as {}.
      if (isDynamo(model)) throw new AwsError('SerializationException', '');
      doc = {};
    } else {
      try {
        doc = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new AwsError('SerializationException', '');
      }
    }
    const t = targetPrefix(req);
    const op = t && t.prefix === model.metadata.targetPrefix ? model.operations.get(t.operation) : undefined;
    if (!op) throw unknownOperation();
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new AwsError('SerializationException', 'Start of structure or map found where not expected');
    }
    const decoded = op.input ? decodeInput(doc, op.input, 'json') : { input: {}, missingRequired: false };
    const input = decoded.input;
    if (decoded.missingRequired) checkRequired(model, 'json', input, op.input);
    return { operation: op.name, input };
  }

  private respond(model: ServiceModel, status: number, headers: Record<string, string>, json: string | Buffer | Readable, rc: ResponseContext): WireResponse {
    const h = baseHeaders(rc.requestId, contentTypeOf(model), headers);
    // a streamed pass-through body has no checksum header (clients verify it only when present);
    // a string stays a string (written with the headers in one piece), its CRC over its UTF-8
    if (isDynamo(model) && (typeof json === 'string' || Buffer.isBuffer(json))) h['x-amz-crc32'] = String(crc32(json));
    return { status, headers: h, body: json };
  }

  serialize(model: ServiceModel, operation: string, output: unknown, rc: ResponseContext): WireResponse {
    const op = model.operations.get(operation);
    const { body, status, headers, raw } = splitExtras(output);
    if (raw !== undefined) return this.respond(model, status ?? 200, headers ?? {}, raw, rc);
    const doc = op?.output ? encodeDoc(body, op.output, 'json') : {};
    return this.respond(model, status ?? 200, headers ?? {}, JSON.stringify(doc ?? {}), rc);
  }

  serializeError(model: ServiceModel, err: AwsError, rc: ResponseContext): WireResponse {
    const doc: Record<string, unknown> = { __type: errorType(model, err) };
    if (err.message) doc[messageKey(err)] = err.message;
    if (err.fields) for (const [k, v] of Object.entries(err.fields)) if (v !== undefined) doc[k] = v;
    return this.respond(model, err.status, { ...errorHeaders(model, err), ...err.headers }, JSON.stringify(doc), rc);
  }
}

export const jsonCodec = new JsonCodec();
