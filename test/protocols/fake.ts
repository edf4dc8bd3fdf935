// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Model-driven sample values for round-trip tests: every member of a shape gets a deterministic
 * value of its type (lists and maps one element), recursion cut at a depth.
 */
import type { Shape } from '../../src/protocols/model.js';

export const SAMPLE_DATE = new Date('2026-05-06T07:08:09Z');

export function sample(shape: Shape, name: string, depth = 0): unknown {
  if (shape.rawJson) return { S: `${name}-s` };
  switch (shape.type) {
    case 'structure': {
      if (depth > 12 || shape.eventstream || shape.exception) return undefined;
      const out: Record<string, unknown> = {};
      for (const [n, m] of Object.entries(shape.members ?? {})) {
        if (m.streaming || m.eventstream || m.location) continue;
        const v = sample(m, n, depth + 1);
        if (v !== undefined) out[n] = v;
      }
      return out;
    }
    case 'list': {
      const v = sample(shape.member!, name, depth + 1);
      return v === undefined ? undefined : [v];
    }
    case 'map': {
      const v = sample(shape.value!, name, depth + 1);
      return v === undefined ? undefined : { [`${name}Key`]: v };
    }
    case 'integer':
    case 'long':
      return 7;
    case 'float':
    case 'double':
      return 2.5;
    case 'boolean':
      return true;
    case 'timestamp':
      return SAMPLE_DATE;
    case 'blob':
      return Buffer.from('blob');
    default:
      return `${name}-v`;
  }
}

/** Blobs as plain Uint8Array (Buffer and the SDK's Uint8ArrayBlobAdapter alike), for strict comparison. */
export function asSdk(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(asSdk);
  if (v instanceof Date) return v;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asSdk(x)]));
  return v;
}
