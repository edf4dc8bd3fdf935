// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Readers for a free-form `backends.<name>` config section, whose errors name the key
 * (`backends.ceph.pool: must be a string, got number`). Each translator validates its own section
 * with these at start-up.
 */
export interface SectionReader {
  fail(key: string, msg: string): never;
  /** A string value, `dflt` when absent or empty. */
  str(key: string, dflt?: string): string | undefined;
  /** An integer in [min, max], `dflt` when absent. */
  int(key: string, dflt: number, min: number, max: number): number;
}

export function sectionReader(section: string, raw: Record<string, unknown>): SectionReader {
  const fail = (key: string, msg: string): never => {
    throw new Error(`${section}.${key}: ${msg}`);
  };
  return {
    fail,
    str(key, dflt) {
      const v = raw[key];
      if (v === undefined || v === null || v === '') return dflt;
      if (typeof v !== 'string') fail(key, `must be a string, got ${typeof v}`);
      return v as string;
    },
    int(key, dflt, min, max) {
      const v = raw[key] ?? dflt;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return v as number;
    },
  };
}
