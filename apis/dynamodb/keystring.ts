// SPDX-License-Identifier: AGPL-3.0-or-later
/** A string identity of an item's primary key (duplicate detection in batches and transactions). */
import type { TableInfo } from './backend.js';
import { parseDec } from './numbers.js';
import type { AttributeValue, Item } from './types.js';

function part(v: AttributeValue | undefined): string {
  if (!v) return '';
  if (v.S !== undefined) return `S${v.S}`;
  if (v.N !== undefined) {
    const d = parseDec(v.N)!;
    return `N${d.neg ? '-' : ''}${d.digits}e${d.exp}`;
  }
  return `B${v.B!}`;
}

export function encodeKeyString(table: TableInfo, key: Item): string {
  return `${table.name}\u0000${part(key[table.hash.name])}\u0000${table.range ? part(key[table.range.name]) : ''}`;
}
