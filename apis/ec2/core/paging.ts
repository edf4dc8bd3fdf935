// SPDX-License-Identifier: AGPL-3.0-or-later
/** MaxResults / NextToken over a key-ordered list, with EC2's range checks. */
import { invalidParameter } from './errors.js';

export interface PageOptions {
  maxResults?: number;
  nextToken?: string;
  /** Smallest and largest MaxResults the operation accepts (EC2: usually 5 and 1000). */
  min?: number;
  max?: number;
  /** The wire name of the parameter, for messages ('maxResults'). */
  param?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof v.k === 'string') return v.k;
  } catch {
    // fall through
  }
  throw invalidParameter(`Invalid value '${token}' for nextToken`);
}

/** `items` must already be in a stable order; `keyOf` gives the position key of each item. */
export function paginate<T>(items: T[], keyOf: (t: T) => string, o: PageOptions): Page<T> {
  const min = o.min ?? 5;
  const max = o.max ?? 1000;
  const param = o.param ?? 'maxResults';
  if (o.maxResults !== undefined) {
    if (o.maxResults < min) throw invalidParameter(`Value ( ${o.maxResults} ) for parameter ${param} is invalid. Expecting a value greater than ${min}.`);
    if (o.maxResults > max) throw invalidParameter(`Value ( ${o.maxResults} ) for parameter ${param} is invalid. Expecting a value less than ${max}.`);
  }
  let start = 0;
  if (o.nextToken) {
    const after = decodeToken(o.nextToken);
    start = items.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = items.length;
  }
  if (o.maxResults === undefined) return { items: items.slice(start) };
  const slice = items.slice(start, start + o.maxResults);
  const more = start + o.maxResults < items.length;
  return { items: slice, nextToken: more && slice.length ? encodeToken(keyOf(slice[slice.length - 1])) : undefined };
}
