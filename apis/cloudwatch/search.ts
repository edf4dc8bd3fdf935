// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The SEARCH() query language of metric math:
 *   {Namespace,DimName1,DimName2} MetricName="CPUUtilization" NOT InstanceId=i-1 (web OR api)
 * A schema in braces restricts to metrics of that namespace with exactly those dimension names;
 * `Key=Value` / `Key="Value"` match a property exactly (Namespace, MetricName or a dimension name);
 * bare terms and quoted phrases match case-insensitively inside the namespace, metric name,
 * dimension names or values. Terms combine with AND (implicit), OR, NOT and parentheses.
 */
import { stickyTokens } from './lex.js';
import type { MetricId } from './backend.js';
import { MathSyntaxError } from './math-parse.js';

type Cond =
  | { k: 'exact'; key: string; value: string }
  | { k: 'term'; text: string }
  | { k: 'and' | 'or'; a: Cond; b: Cond }
  | { k: 'not'; a: Cond }
  | { k: 'true' };

export interface SearchQuery {
  namespace?: string;
  /** Exact dimension-name set required by the schema. */
  schemaDims?: string[];
  cond: Cond;
}

function tokens(src: string): string[] {
  const out = stickyTokens(src, /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[(){},=]|[^\s(){},="']+)/y);
  if (!out) throw new MathSyntaxError(`Invalid search expression: ${src}`);
  return out;
}

const unquote = (t: string) => (/^["']/.test(t) ? t.slice(1, -1).replace(/\\(.)/g, '$1') : t);

export function parseSearch(src: string): SearchQuery {
  const toks = tokens(src);
  let p = 0;
  const q: SearchQuery = { cond: { k: 'true' } };
  if (toks[0] === '{') {
    const parts: string[] = [];
    p = 1;
    while (p < toks.length && toks[p] !== '}') {
      if (toks[p] !== ',') parts.push(unquote(toks[p]));
      p++;
    }
    if (toks[p] !== '}' || parts.length === 0) throw new MathSyntaxError(`Invalid search schema in: ${src}`);
    p++;
    q.namespace = parts[0];
    q.schemaDims = parts.slice(1).sort();
  }
  const atom = (): Cond => {
    const t = toks[p++];
    if (t === undefined) throw new MathSyntaxError(`Incomplete search expression: ${src}`);
    if (t === '(') {
      const c = or();
      if (toks[p++] !== ')') throw new MathSyntaxError(`Missing ')' in search expression: ${src}`);
      return c;
    }
    if (t === 'NOT') return { k: 'not', a: atom() };
    if (toks[p] === '=') {
      p++;
      const v = toks[p++];
      if (v === undefined) throw new MathSyntaxError(`Missing value after '=' in search expression: ${src}`);
      return { k: 'exact', key: unquote(t), value: unquote(v) };
    }
    return { k: 'term', text: unquote(t).toLowerCase() };
  };
  const and = (): Cond => {
    let c = atom();
    while (p < toks.length && toks[p] !== ')' && toks[p] !== 'OR') {
      if (toks[p] === 'AND') p++;
      c = { k: 'and', a: c, b: atom() };
    }
    return c;
  };
  const or = (): Cond => {
    let c = and();
    while (toks[p] === 'OR') {
      p++;
      c = { k: 'or', a: c, b: and() };
    }
    return c;
  };
  if (p < toks.length) q.cond = or();
  if (p < toks.length) throw new MathSyntaxError(`Unexpected '${toks[p]}' in search expression: ${src}`);
  return q;
}

function test(c: Cond, m: MetricId): boolean {
  switch (c.k) {
    case 'true':
      return true;
    case 'and':
      return test(c.a, m) && test(c.b, m);
    case 'or':
      return test(c.a, m) || test(c.b, m);
    case 'not':
      return !test(c.a, m);
    case 'exact':
      if (c.key === 'Namespace') return m.namespace === c.value;
      if (c.key === 'MetricName') return m.metricName === c.value;
      return m.dimensions.some((d) => d.Name === c.key && d.Value === c.value);
    case 'term': {
      const hay = [m.namespace, m.metricName, ...m.dimensions.flatMap((d) => [d.Name, d.Value])];
      return hay.some((h) => h.toLowerCase().includes(c.text));
    }
  }
}

export function searchMatches(q: SearchQuery, m: MetricId): boolean {
  if (q.namespace !== undefined && m.namespace !== q.namespace) return false;
  if (q.schemaDims !== undefined) {
    const names = m.dimensions.map((d) => d.Name).sort();
    if (names.length !== q.schemaDims.length || names.some((n, i) => n !== q.schemaDims![i])) return false;
  }
  return test(q.cond, m);
}

/** The label CloudWatch-style search results get: dimension values, then the metric name. */
export function searchLabel(m: MetricId): string {
  return [...m.dimensions.map((d) => d.Value), m.metricName].join(' ');
}
