// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What a handler's output may carry besides the output shape (see Handler in src/context.ts).
 * Codecs read and strip these before serializing.
 */
import type { Readable } from 'node:stream';

export interface OutputExtras {
  /** An HTTP status other than the model's (S3 206/304…). */
  $status?: number;
  /** Extra raw response headers. */
  $headers?: Record<string, string>;
  /**
   * The body already in the protocol's wire form (a pass-through translator forwarding a backend
   * that speaks the same protocol): sent as is instead of serializing the output shape. Only the
   * json codec honours it.
   */
  $raw?: Buffer | Readable;
}

/** Splits the extras off an output object. */
export function splitExtras(output: unknown): { body: Record<string, unknown>; status?: number; headers?: Record<string, string>; raw?: Buffer | Readable } {
  if (output === null || output === undefined || typeof output !== 'object') return { body: {} };
  const o = output as Record<string, unknown> & OutputExtras;
  if (o.$status === undefined && o.$headers === undefined && o.$raw === undefined) return { body: o };
  const { $status, $headers, $raw, ...body } = o;
  return { body, status: $status, headers: $headers, raw: $raw };
}
