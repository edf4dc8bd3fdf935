// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2's Filter engine: a request carries Filters [{Name, Values[]}]; a resource matches when every
 * filter matches (AND) and, within a filter, any value matches (OR). Values may use the wildcards
 * '*' and '?' ('\' escapes them). tag:<key>, tag-key and tag-value work for every taggable kind.
 */
import { invalidParameter } from './errors.js';
import type { Tag } from './store.js';
import { compileGlob, type LinearRegex } from '../../../src/util/regex.js';

export interface Filter {
  Name?: string;
  Values?: string[];
}

type Scalar = string | number | boolean | undefined | null;
/** Extracts the values a filter compares against; an array matches when any element matches. */
export type Extractor<T> = (r: T) => Scalar | Scalar[];
export type FilterSpec<T> = Record<string, Extractor<T>>;

const patternCache = new Map<string, LinearRegex | string>();

function compile(v: string): LinearRegex | string {
  let cached = patternCache.get(v);
  if (cached !== undefined) return cached;
  if (!/[*?]/.test(v)) {
    cached = v.replace(/\\(.)/g, '$1');
  } else {
    // linear time (src/util/regex.ts): on V8's RegExp, `*a*a*a*a*b` against a long tag value backtracks for minutes
    cached = compileGlob(v, { escapes: true });
  }
  if (patternCache.size > 10_000) patternCache.clear();
  patternCache.set(v, cached);
  return cached;
}

function matchOne(pattern: LinearRegex | string, value: Scalar): boolean {
  if (value === undefined || value === null) return false;
  const s = String(value);
  return typeof pattern === 'string' ? pattern === s : pattern.test(s);
}

interface Compiled<T> {
  extract: Extractor<T>;
  patterns: Array<LinearRegex | string>;
}

/**
 * Returns a predicate for `filters` over resources described by `spec`. `tagsOf` enables the tag
 * filters. Unknown filter names fail like EC2 does.
 */
export function compileFilters<T>(filters: Filter[] | undefined, spec: FilterSpec<T>, tagsOf?: (r: T) => Tag[] | undefined): (r: T) => boolean {
  if (!filters || filters.length === 0) return () => true;
  const compiled: Compiled<T>[] = [];
  for (const f of filters) {
    const name = f.Name ?? '';
    if (!name) throw invalidParameter('The filter name must not be empty.');
    const values = f.Values ?? [];
    let extract: Extractor<T> | undefined = spec[name];
    if (!extract && tagsOf) {
      if (name.startsWith('tag:')) {
        const key = name.slice(4);
        extract = (r) => (tagsOf(r) ?? []).filter((t) => t.Key === key).map((t) => t.Value);
      } else if (name === 'tag-key') {
        extract = (r) => (tagsOf(r) ?? []).map((t) => t.Key);
      } else if (name === 'tag-value') {
        extract = (r) => (tagsOf(r) ?? []).map((t) => t.Value);
      }
    }
    if (!extract) throw invalidParameter(`The filter '${name}' is invalid`);
    compiled.push({ extract, patterns: values.map(compile) });
  }
  return (r: T) => {
    for (const c of compiled) {
      const got = c.extract(r);
      const vals = Array.isArray(got) ? got : [got];
      let ok = false;
      for (const v of vals) {
        for (const p of c.patterns) {
          if (matchOne(p, v)) {
            ok = true;
            break;
          }
        }
        if (ok) break;
      }
      if (!ok) return false;
    }
    return true;
  };
}

/**
 * The first `tag:<key>` filter whose values are all literal (no wildcard, no escape): such a
 * filter can be answered from the tag index before the other filters run.
 */
export function literalTagFilter(filters: Filter[] | undefined): { key: string; values: string[] } | undefined {
  for (const f of filters ?? []) {
    if (!f.Name?.startsWith('tag:')) continue;
    const values = f.Values ?? [];
    if (values.every((v) => !/[*?\\]/.test(v))) return { key: f.Name.slice(4), values };
  }
  return undefined;
}
