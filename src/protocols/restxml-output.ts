// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * rest-xml output encoding, driven by the output shape: header members (RFC 822 timestamps,
 * `x-amz-meta-` maps), the status-code member, and the body — a stream for streaming blob
 * payloads, raw text for string payloads, or an XML document for structures.
 */
import type { Shape } from './model.js';
import { escapeXml } from './restxml-xml.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Root element names of outputs whose body members have no payload member: the Smithy model's
 * @xmlName on the output structures, which the aws-sdk v2 and botocore JSON models leave out.
 * `inline` marks the one output whose root element is its single member (GetBucketLocation).
 */
export const OUTPUT_ROOTS: Record<string, string> = {
  CompleteMultipartUpload: 'CompleteMultipartUploadResult',
  CreateMultipartUpload: 'InitiateMultipartUploadResult',
  DeleteObjects: 'DeleteResult',
  GetBucketAccelerateConfiguration: 'AccelerateConfiguration',
  GetBucketAcl: 'AccessControlPolicy',
  GetObjectAcl: 'AccessControlPolicy',
  GetBucketCors: 'CORSConfiguration',
  GetBucketLifecycleConfiguration: 'LifecycleConfiguration',
  GetBucketLogging: 'BucketLoggingStatus',
  GetBucketNotificationConfiguration: 'NotificationConfiguration',
  GetBucketRequestPayment: 'RequestPaymentConfiguration',
  GetBucketTagging: 'Tagging',
  GetObjectTagging: 'Tagging',
  GetBucketVersioning: 'VersioningConfiguration',
  GetBucketWebsite: 'WebsiteConfiguration',
  GetObjectAttributes: 'GetObjectAttributesResponse',
  ListBuckets: 'ListAllMyBucketsResult',
  ListMultipartUploads: 'ListMultipartUploadsResult',
  ListObjectVersions: 'ListVersionsResult',
  ListObjects: 'ListBucketResult',
  ListObjectsV2: 'ListBucketResult',
  ListParts: 'ListPartsResult',
  ListBucketAnalyticsConfigurations: 'ListBucketAnalyticsConfigurationResult',
  ListBucketIntelligentTieringConfigurations: 'ListBucketIntelligentTieringConfigurationsOutput',
  ListBucketInventoryConfigurations: 'ListInventoryConfigurationsResult',
  ListBucketMetricsConfigurations: 'ListMetricsConfigurationsResult',
};
export const INLINE_ROOT = new Set(['GetBucketLocation']);

export function iso8601(d: Date): string {
  return d.toISOString();
}

export function rfc822(d: Date): string {
  return d.toUTCString();
}

function asDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === 'number') return new Date(v);
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

function formatTimestamp(shape: Shape, v: unknown, inHeader: boolean): string | undefined {
  const d = asDate(v);
  if (!d) return typeof v === 'string' ? v : undefined;
  const fmt = shape.timestampFormat ?? (inHeader ? 'rfc822' : 'iso8601');
  if (fmt === 'rfc822') return rfc822(d);
  if (fmt === 'unixTimestamp') return String(Math.floor(d.getTime() / 1000));
  return iso8601(d);
}

export function scalarText(shape: Shape, v: unknown, inHeader = false): string | undefined {
  if (v === undefined || v === null) return undefined;
  switch (shape.type) {
    case 'timestamp':
      return formatTimestamp(shape, v, inHeader);
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'list':
      return Array.isArray(v) ? v.join(', ') : String(v);
    default:
      return String(v);
  }
}

/**
 * A header value Node can send: request headers arrive as latin1 (one char per byte), so stored
 * values round-trip as they are; values with characters above U+00FF (from query overrides or
 * XML) are sent as their UTF-8 bytes, as S3 does.
 */
export function headerSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** Header members of an output (and `headers` maps) as response headers. */
export function encodeHeaders(shape: Shape, out: Record<string, unknown>): { headers: Record<string, string>; status?: number } {
  const headers: Record<string, string> = {};
  let status: number | undefined;
  for (const [name, m] of Object.entries(shape.members ?? {})) {
    const v = out[name];
    if (v === undefined || v === null) continue;
    if (m.location === 'header') {
      const s = scalarText(m, v, true);
      if (s !== undefined) headers[m.locationName ?? name] = headerSafe(s);
    } else if (m.location === 'headers' && typeof v === 'object') {
      const prefix = m.locationName ?? '';
      for (const [k, hv] of Object.entries(v as Record<string, unknown>)) if (hv !== undefined) headers[headerSafe(prefix + k)] = headerSafe(String(hv));
    } else if (m.location === 'statusCode' && typeof v === 'number') {
      status = v;
    }
  }
  return { headers, status };
}

/** Serializes `value` as element `name` of shape `shape`, appending to `parts`. */
export function toXml(shape: Shape, value: unknown, name: string, parts: string[], ns?: string): void {
  if (value === undefined || value === null) return;
  const nsAttr = ns ? ` xmlns="${ns}"` : '';
  switch (shape.type) {
    case 'structure': {
      const attrs: string[] = [];
      const body: string[] = [];
      const v = value as Record<string, unknown>;
      const members = Object.entries(shape.members ?? {});
      if (shape.xmlNamespace?.prefix) attrs.push(` xmlns:${shape.xmlNamespace.prefix}="${escapeXml(shape.xmlNamespace.uri)}"`);
      for (const [mn, m] of members) {
        if (m.location) continue;
        const mv = v[mn];
        if (mv === undefined || mv === null) continue;
        const wire = m.locationName ?? mn;
        if (m.xmlAttribute) {
          if (m.xmlNamespace?.prefix && !shape.xmlNamespace?.prefix) attrs.push(` xmlns:${m.xmlNamespace.prefix}="${escapeXml(m.xmlNamespace.uri)}"`);
          attrs.push(` ${wire}="${escapeXml(scalarText(m, mv) ?? '')}"`);
          continue;
        }
        if (m.type === 'list' && m.flattened) {
          for (const item of mv as unknown[]) toXml(m.member!, item, wire, body);
          continue;
        }
        toXml(m, mv, wire, body);
      }
      parts.push(`<${name}${nsAttr}${attrs.join('')}>`, ...body, `</${name}>`);
      return;
    }
    case 'list': {
      const itemName = shape.member?.locationName ?? 'member';
      parts.push(`<${name}${nsAttr}>`);
      for (const item of value as unknown[]) toXml(shape.member!, item, itemName, parts);
      parts.push(`</${name}>`);
      return;
    }
    case 'map': {
      const keyName = shape.key?.locationName ?? 'key';
      const valueName = shape.value?.locationName ?? 'value';
      parts.push(`<${name}${nsAttr}>`);
      for (const [k, mv] of Object.entries(value as Record<string, unknown>)) {
        parts.push('<entry>', `<${keyName}>${escapeXml(k)}</${keyName}>`);
        toXml(shape.value!, mv, valueName, parts);
        parts.push('</entry>');
      }
      parts.push(`</${name}>`);
      return;
    }
    default: {
      const s = scalarText(shape, value);
      if (s !== undefined) parts.push(`<${name}${nsAttr}>${escapeXml(s)}</${name}>`);
    }
  }
}
