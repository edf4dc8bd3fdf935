// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Model-driven XML for awsQuery and EC2 responses. Element names are the members' `locationName`
 * (else the member name); lists are `<Name><member>…</member></Name>` (element name from the
 * list member's locationName: EC2 says `item`), or repeated elements when flattened; maps are
 * `<Name><entry><key/><value/></entry></Name>`. Timestamps ISO 8601, blobs base64, booleans
 * true/false. Absent members are omitted; an empty non-flattened list is an empty wrapper
 * (`<Users/>`, `<reservationSet/>`), as AWS sends it.
 */
import type { Shape } from './model.js';
import { isoTimestamp, numberText, parseTimestamp, toBuffer } from './common.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;' };

export function xmlEscape(s: string): string {
  return /[&<>"'\r\n]/.test(s) ? s.replace(/[&<>"'\r\n]/g, (c) => ESC[c]!) : s;
}

/** Text escaping for element content: newlines stay literal except CR. */
export function xmlText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(/[&<>\r]/g, (c) => ESC[c]!) : s;
}

function scalarText(shape: Shape, v: unknown): string | undefined {
  switch (shape.type) {
    case 'timestamp': {
      const d = parseTimestamp(v);
      return d ? isoTimestamp(d) : undefined;
    }
    case 'blob': {
      const b = toBuffer(v);
      return b ? b.toString('base64') : undefined;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return typeof v === 'number' ? numberText(v) : typeof v === 'bigint' ? v.toString() : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

/** Appends the XML of `value` as element `name` (or nothing when absent). */
export function writeXmlValue(out: string[], name: string, shape: Shape, value: unknown, depth = 0): void {
  if (value === undefined || value === null || depth > 64) return;
  switch (shape.type) {
    case 'structure': {
      out.push(`<${name}>`);
      writeXmlMembers(out, shape, value as Record<string, unknown>, depth + 1);
      out.push(`</${name}>`);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return;
      const member = shape.member!;
      if (shape.flattened) {
        const el = member.locationName ?? name;
        for (const v of value) writeXmlValue(out, el, member, v, depth + 1);
        return;
      }
      if (value.length === 0) {
        out.push(`<${name}/>`);
        return;
      }
      const el = member.locationName ?? 'member';
      out.push(`<${name}>`);
      for (const v of value) writeXmlValue(out, el, member, v, depth + 1);
      out.push(`</${name}>`);
      return;
    }
    case 'map': {
      if (typeof value !== 'object') return;
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
      const kName = shape.key?.locationName ?? 'key';
      const vName = shape.value?.locationName ?? 'value';
      const writeEntry = (k: unknown, v: unknown) => {
        out.push(`<${kName}>${xmlText(String(k))}</${kName}>`);
        writeXmlValue(out, vName, shape.value!, v, depth + 1);
      };
      if (shape.flattened) {
        for (const [k, v] of entries) {
          out.push(`<${name}>`);
          writeEntry(k, v);
          out.push(`</${name}>`);
        }
        return;
      }
      out.push(`<${name}>`);
      for (const [k, v] of entries) {
        out.push('<entry>');
        writeEntry(k, v);
        out.push('</entry>');
      }
      out.push(`</${name}>`);
      return;
    }
    default: {
      const t = scalarText(shape, value);
      if (t === undefined) return;
      out.push(t === '' ? `<${name}/>` : `<${name}>${xmlText(t)}</${name}>`);
    }
  }
}

/** Appends the members of a structure value, in model order. */
export function writeXmlMembers(out: string[], shape: Shape, value: Record<string, unknown>, depth = 0): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [name, m] of Object.entries(shape.members ?? {})) {
    writeXmlValue(out, m.locationName ?? name, m, value[name], depth);
  }
}
