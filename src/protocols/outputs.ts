// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What a handler's output may carry besides the output shape (see Handler in src/context.ts).
 * Codecs read and strip these before serializing.
 */
export interface OutputExtras {
  /** An HTTP status other than the model's (S3 206/304…). */
  $status?: number;
  /** Extra raw response headers. */
  $headers?: Record<string, string>;
}

/** Splits the extras off an output object. */
export function splitExtras(output: unknown): { body: Record<string, unknown>; status?: number; headers?: Record<string, string> } {
  if (output === null || output === undefined || typeof output !== 'object') return { body: {} };
  const o = output as Record<string, unknown> & OutputExtras;
  if (o.$status === undefined && o.$headers === undefined) return { body: o };
  const { $status, $headers, ...body } = o;
  return { body, status: $status, headers: $headers };
}
