// SPDX-License-Identifier: AGPL-3.0-or-later
/** IAM's Marker/MaxItems paging over an in-memory list (MaxItems 1..1000, default 100). */
import { validationError } from './store.js';

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  marker?: string;
}

export function paginate<T>(all: T[], marker: string | undefined, maxItems: number | undefined): Page<T> {
  const max = maxItems ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw validationError(maxItems, 'maxItems', 'Member must have value between 1 and 1000');
  let start = 0;
  if (marker !== undefined) {
    const n = Number(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0) throw validationError(marker, 'marker', 'Member must be a marker returned by a previous call');
    start = n;
  }
  const items = all.slice(start, start + max);
  const next = start + items.length;
  const isTruncated = next < all.length;
  return { items, isTruncated, marker: isTruncated ? Buffer.from(String(next)).toString('base64url') : undefined };
}
