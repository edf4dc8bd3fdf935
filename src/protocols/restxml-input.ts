// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * rest-xml input decoding, driven by the operation's input shape: uri labels, query string,
 * headers, `x-amz-meta-` header maps and the payload (a stream for streaming blobs, an XML
 * document for structures, raw text/bytes for string/blob payloads).
 */
import type { Readable } from 'node:stream';
import type { HeaderMap, WireRequest } from '../context.js';
import { AwsError } from '../errors.js';
import type { Shape } from './model.js';
import type { QueryMap, S3Address } from './restxml-route.js';
import { localName, parseXml, XmlSyntaxError, type XmlElement } from './restxml-xml.js';

export function malformedXml(): AwsError {
  return new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
}

function invalidArgument(message: string, name: string, value: string): AwsError {
  return new AwsError('InvalidArgument', message, { status: 400, fields: { ArgumentName: name, ArgumentValue: value } });
}

function headerValue(h: HeaderMap, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Parses an HTTP date or ISO-8601 timestamp; undefined when it is neither. */
export function parseTimestamp(s: string): Date | undefined {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A scalar from a header or query value. Timestamps that do not parse are dropped (HTTP ignores bad dates). */
function scalar(shape: Shape, raw: string, wireName: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const t = raw.trim();
      if (!/^-?\d+$/.test(t)) throw invalidArgument(`Provided ${wireName} not an integer or within integer range`, wireName, raw);
      return Number(t);
    }
    case 'float':
    case 'double': {
      const n = Number(raw);
      if (Number.isNaN(n)) throw invalidArgument(`Provided ${wireName} is not a number`, wireName, raw);
      return n;
    }
    case 'boolean':
      return raw.trim().toLowerCase() === 'true';
    case 'timestamp':
      return parseTimestamp(raw);
    case 'blob':
      return Buffer.from(raw, 'base64');
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return raw;
  }
}

/** Decodes everything but the payload. */
export function decodeLocations(input: Shape, req: WireRequest, address: S3Address, query: QueryMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(input.members ?? {})) {
    const wire = m.locationName ?? name;
    switch (m.location) {
      case 'uri':
        if (wire === 'Bucket' && address.bucket !== undefined) out[name] = address.bucket;
        else if ((wire === 'Key' || wire === 'Key+') && address.key !== undefined) out[name] = address.key;
        break;
      case 'querystring': {
        if (m.type === 'map') break;
        const v = query.get(wire);
        if (v !== undefined) {
          const s = scalar(m, v, wire);
          if (s !== undefined) out[name] = s;
        }
        break;
      }
      case 'header': {
        const v = headerValue(req.headers, wire);
        if (v !== undefined) {
          const s = scalar(m, v, wire);
          if (s !== undefined) out[name] = s;
        }
        break;
      }
      case 'headers': {
        const prefix = wire.toLowerCase();
        const map: Record<string, string> = {};
        let any = false;
        for (const [h, v] of Object.entries(req.headers)) {
          if (h.startsWith(prefix) && v !== undefined) {
            map[h.slice(prefix.length)] = Array.isArray(v) ? v.join(',') : v;
            any = true;
          }
        }
        if (any) out[name] = map;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** Reads a whole (small) request body. Bounded: rest-xml documents are a few MB at most. */
export async function readSmallBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > limit) throw new AwsError('MaxMessageLengthExceeded', 'Your request was too big.', { status: 400 });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Decodes an XML element into the value of `shape`. */
export function fromXml(shape: Shape, el: XmlElement): unknown {
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, m] of Object.entries(shape.members ?? {})) {
        if (m.location) continue;
        const wire = m.locationName ?? name;
        if (m.xmlAttribute) {
          const a = el.attrs[wire] ?? el.attrs[localName(wire)];
          if (a !== undefined) out[name] = fromText(m, a);
          continue;
        }
        if (m.type === 'list' && m.flattened) {
          const itemName = wire;
          const items = el.children.filter((c) => localName(c.name) === itemName);
          if (items.length) out[name] = items.map((c) => fromXml(m.member!, c));
          continue;
        }
        const child = el.children.find((c) => localName(c.name) === wire);
        if (child) out[name] = fromXml(m, child);
      }
      return out;
    }
    case 'list': {
      const itemName = shape.member?.locationName ?? 'member';
      return el.children.filter((c) => localName(c.name) === itemName).map((c) => fromXml(shape.member!, c));
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      const keyName = shape.key?.locationName ?? 'key';
      const valueName = shape.value?.locationName ?? 'value';
      const entries = shape.flattened ? [el] : el.children.filter((c) => localName(c.name) === 'entry');
      for (const e of entries) {
        const k = e.children.find((c) => localName(c.name) === keyName);
        const v = e.children.find((c) => localName(c.name) === valueName);
        if (k && v) out[k.text] = fromXml(shape.value!, v);
      }
      return out;
    }
    default:
      return fromText(shape, el.text);
  }
}

function fromText(shape: Shape, text: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const t = text.trim();
      if (!/^-?\d+$/.test(t)) throw malformedXml();
      return Number(t);
    }
    case 'float':
    case 'double': {
      const n = Number(text.trim());
      if (Number.isNaN(n)) throw malformedXml();
      return n;
    }
    case 'boolean': {
      const t = text.trim();
      if (t !== 'true' && t !== 'false') throw malformedXml();
      return t === 'true';
    }
    case 'timestamp': {
      const d = parseTimestamp(text);
      if (!d) throw malformedXml();
      return d;
    }
    case 'blob':
      return Buffer.from(text, 'base64');
    default:
      return text;
  }
}

/** Parses an XML payload document into the payload member's shape. */
export function decodeXmlDocument(shape: Shape, bytes: Buffer): unknown {
  let root: XmlElement;
  try {
    root = parseXml(bytes.toString('utf8'));
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw malformedXml();
    throw e;
  }
  return fromXml(shape, root);
}
