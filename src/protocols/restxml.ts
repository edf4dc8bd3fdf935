// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The rest-xml codec (S3). Routing lives in restxml-route.ts, input decoding in
 * restxml-input.ts, output encoding in restxml-output.ts; this file ties them to the Codec
 * contract and renders S3 errors (`<Error><Code/><Message/>…fields<RequestId/><HostId/></Error>`).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { algorithmOfHeader, checksumBase64 } from '../checksums.js';
import type { WireRequest, WireResponse } from '../context.js';
import { AwsError } from '../errors.js';
import type { OperationModel, ServiceModel, Shape } from './model.js';
import { splitExtras } from './outputs.js';
import { decodeLocations, decodeXmlDocument, readSmallBody } from './restxml-input.js';
import { encodeHeaders, INLINE_ROOT, OUTPUT_ROOTS, S3_NS, scalarText, toXml } from './restxml-output.js';
import { PREFLIGHT, route } from './restxml-route.js';
import { escapeXml, XML_DECL } from './restxml-xml.js';
import type { Codec, CodecOptions, ParsedOperation, ResponseContext } from './types.js';

/** Largest XML request document read into memory (S3 caps DeleteObjects etc. well below this). */
const MAX_XML_BODY = 8 * 1024 * 1024;

/** x-amz-id-2 for a request: an opaque token derived from the request id. */
export function hostIdOf(requestId: string): string {
  return createHash('sha256').update(requestId).digest('base64');
}

function baseHeaders(rc: ResponseContext): Record<string, string> {
  return { 'x-amz-request-id': rc.requestId, 'x-amz-id-2': hostIdOf(rc.requestId) };
}

function isHead(rc: ResponseContext): boolean {
  return rc.request?.method.toUpperCase() === 'HEAD';
}

function verifyContentMd5(req: WireRequest, bytes: Buffer): void {
  const h = req.headers['content-md5'];
  if (h === undefined) return;
  const given = Array.isArray(h) ? h[0] : h;
  const raw = Buffer.from(given, 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== given.trim()) {
    throw new AwsError('InvalidDigest', 'The Content-MD5 you specified was invalid.', { status: 400, fields: { 'Content-MD5': given } });
  }
  if (!createHash('md5').update(bytes).digest().equals(raw)) {
    throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
      status: 400,
      fields: { ExpectedDigest: given, CalculatedDigest: createHash('md5').update(bytes).digest('base64') },
    });
  }
}

/** x-amz-checksum-* headers of a buffered (XML) body: the streaming ones are verified by the store. */
function verifyChecksumHeaders(req: WireRequest, bytes: Buffer): void {
  for (const [name, value] of Object.entries(req.headers)) {
    const alg = algorithmOfHeader(name);
    if (!alg || value === undefined) continue;
    const given = Array.isArray(value) ? value[0] : value;
    if (checksumBase64(alg, bytes) !== given.trim()) {
      throw new AwsError('BadDigest', `The ${alg} you specified did not match the calculated checksum.`, { status: 400 });
    }
  }
}

/**
 * Reads a non-streaming body and verifies its Content-MD5, and its x-amz-checksum-* headers when
 * the operation says they describe the payload (httpChecksum in the model; on
 * CompleteMultipartUpload they are the object's checksums instead).
 */
async function bufferedBody(req: WireRequest, op: OperationModel): Promise<Buffer> {
  const bytes = req.bodyBuffer ?? (await readSmallBody(req.body, MAX_XML_BODY));
  verifyContentMd5(req, bytes);
  if (op.httpChecksum) verifyChecksumHeaders(req, bytes);
  return bytes;
}

async function decodePayload(req: WireRequest, op: OperationModel, input: Shape, out: Record<string, unknown>): Promise<void> {
  const payloadName = input.payload;
  if (payloadName) {
    const m = input.members![payloadName];
    if (m.type === 'blob' && m.streaming) {
      out[payloadName] = req.body;
      return;
    }
    const bytes = await bufferedBody(req, op);
    if (bytes.length === 0) {
      if (input.required?.includes(payloadName)) {
        throw new AwsError('MissingRequestBodyError', 'Request Body is empty', { status: 400 });
      }
      return;
    }
    if (m.type === 'structure') out[payloadName] = decodeXmlDocument(m, bytes);
    else if (m.type === 'blob') out[payloadName] = bytes;
    else out[payloadName] = bytes.toString('utf8');
    return;
  }
  const bodyMembers = Object.values(input.members ?? {}).some((m) => !m.location);
  if (!bodyMembers) return;
  const bytes = await bufferedBody(req, op);
  if (bytes.length === 0) return;
  Object.assign(out, decodeXmlDocument(input, bytes) as Record<string, unknown>);
}

function xmlBody(parts: string[]): string {
  return XML_DECL + parts.join('');
}

export class RestXmlCodec implements Codec {
  readonly protocol = 'rest-xml' as const;

  constructor(private readonly opts: CodecOptions) {}

  async parse(req: WireRequest, model: ServiceModel): Promise<ParsedOperation> {
    const { operation, address, query } = route(req, model, this.opts.s3BaseDomains);
    const input = operation.input;
    if (operation === PREFLIGHT) return { operation: operation.name, input: { Bucket: address.bucket, Key: address.key } };
    if (!input) return { operation: operation.name, input: {} };
    const out = decodeLocations(input, req, address, query);
    await decodePayload(req, operation, input, out);
    return { operation: operation.name, input: out };
  }

  serialize(model: ServiceModel, operation: string, output: unknown, rc: ResponseContext): WireResponse {
    const op = model.operations.get(operation);
    const { body: out, status: extraStatus, headers: extraHeaders } = splitExtras(output);
    const shape = op?.output;
    const headers = baseHeaders(rc);
    let status = op?.http?.responseCode ?? 200;
    let body: WireResponse['body'];
    if (shape) {
      const enc = encodeHeaders(shape, out);
      Object.assign(headers, enc.headers);
      if (enc.status !== undefined) status = enc.status;
      body = this.encodeBody(operation, shape, out, headers);
    }
    if (extraHeaders) Object.assign(headers, extraHeaders);
    if (extraStatus !== undefined) status = extraStatus;
    if (isHead(rc) || status === 204 || status === 304) {
      if (body instanceof Readable) body.destroy();
      body = undefined;
      if (status === 204) delete headers['Content-Length'];
    }
    return { status, headers, body };
  }

  private encodeBody(operation: string, shape: Shape, out: Record<string, unknown>, headers: Record<string, string>): WireResponse['body'] {
    const payloadName = shape.payload;
    if (payloadName) {
      const m = shape.members![payloadName];
      const v = out[payloadName];
      if (v === undefined || v === null) return undefined;
      if (m.type === 'blob') {
        if (v instanceof Readable || Buffer.isBuffer(v)) return v;
        return Buffer.from(String(v));
      }
      if (m.type === 'structure') {
        const parts: string[] = [];
        toXml(m, v, m.locationName ?? payloadName, parts, m.xmlNamespace?.uri ?? S3_NS);
        headers['Content-Type'] = 'application/xml';
        return xmlBody(parts);
      }
      return scalarText(m, v) ?? '';
    }
    const bodyMembers = Object.entries(shape.members ?? {}).filter(([, m]) => !m.location);
    if (!bodyMembers.length) return undefined;
    headers['Content-Type'] = 'application/xml';
    if (INLINE_ROOT.has(operation)) {
      const [name, m] = bodyMembers[0];
      const text = scalarText(m, out[name]);
      return xmlBody([text ? `<${name} xmlns="${S3_NS}">${escapeXml(text)}</${name}>` : `<${name} xmlns="${S3_NS}"/>`]);
    }
    const parts: string[] = [];
    toXml(shape, out, OUTPUT_ROOTS[operation] ?? `${operation}Result`, parts, S3_NS);
    return xmlBody(parts);
  }

  serializeError(_model: ServiceModel, err: AwsError, rc: ResponseContext): WireResponse {
    const headers: Record<string, string> = { ...baseHeaders(rc), ...(err.headers ?? {}) };
    if (isHead(rc) || err.status === 304) return { status: err.status, headers };
    const parts = [`<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>`];
    for (const [k, v] of Object.entries(err.fields ?? {})) fieldXml(k, v, parts);
    parts.push(`<RequestId>${escapeXml(rc.requestId)}</RequestId><HostId>${escapeXml(hostIdOf(rc.requestId))}</HostId></Error>`);
    headers['Content-Type'] = 'application/xml';
    return { status: err.status, headers, body: xmlBody(parts) };
  }
}

function fieldXml(name: string, v: unknown, parts: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const item of v) fieldXml(name, item, parts);
  } else if (v instanceof Date) {
    parts.push(`<${name}>${v.toISOString()}</${name}>`);
  } else if (typeof v === 'object') {
    parts.push(`<${name}>`);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) fieldXml(k, x, parts);
    parts.push(`</${name}>`);
  } else {
    parts.push(`<${name}>${escapeXml(String(v))}</${name}>`);
  }
}

export function createRestXmlCodec(opts: CodecOptions): RestXmlCodec {
  return new RestXmlCodec(opts);
}
