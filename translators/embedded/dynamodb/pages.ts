// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * One page of a Query or Scan over ordered keys: where to start, which keys are in the window
 * (partition prefix + sort key condition, or a segment's key range), Limit and the 1 MB page
 * size, and the LastEvaluatedKey.
 */
import type { Page, PageRequest, RangeCondition } from '../../../apis/dynamodb/backend.js';
import { itemSize, type Item } from '../../../apis/dynamodb/types.js';
import { escapedLength, escapeOpen, escapeTerminated, rawKeyBytes } from './keys.js';

export type KeyWindow =
  | { prefix: Buffer; escaped: boolean; range?: RangeCondition; forward: boolean; lo?: undefined }
  | { lo: Buffer; hi: Buffer; forward: true; prefix?: undefined };

type Source = (start: Buffer | undefined, reverse: boolean) => Iterable<{ key: Buffer; value: unknown }>;

/** The smallest key greater than every key starting with `b`; undefined if none. */
export function successor(b: Buffer): Buffer | undefined {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(b.subarray(0, end));
  out[end - 1]!++;
  return out;
}

interface Compiled {
  position(key: Buffer): number;
  initial: Buffer | undefined;
}

function compile(win: KeyWindow): Compiled {
  if (win.lo) {
    const { lo, hi } = win;
    return { initial: lo, position: (k) => (Buffer.compare(k, lo) < 0 ? -1 : Buffer.compare(k, hi) >= 0 ? 1 : 0) };
  }
  const { prefix, escaped, range, forward } = win;
  const enc = (v: Parameters<typeof rawKeyBytes>[0]) => (escaped ? escapeTerminated(rawKeyBytes(v)) : rawKeyBytes(v));
  const plen = prefix.length;
  const rangeOf = (k: Buffer) => (escaped ? k.subarray(plen, plen + escapedLength(k, plen)) : k.subarray(plen));
  let test: (r: Buffer) => number = () => 0;
  let low: Buffer | undefined;
  let high: Buffer | undefined;
  if (range) {
    if (range.op === 'BEGINS_WITH') {
      const raw = rawKeyBytes(range.value);
      const open = escaped ? escapeOpen(raw) : raw;
      low = high = open;
      test = (r) => (r.subarray(0, open.length).equals(open) ? 0 : Buffer.compare(r, open) < 0 ? -1 : 1);
    } else if (range.op === 'BETWEEN') {
      const a = enc(range.value);
      const b = enc(range.value2);
      low = a;
      high = b;
      test = (r) => (Buffer.compare(r, a) < 0 ? -1 : Buffer.compare(r, b) > 0 ? 1 : 0);
    } else {
      const e = enc(range.value);
      switch (range.op) {
        case 'EQ':
          low = high = e;
          test = (r) => Buffer.compare(r, e);
          break;
        case 'LT':
          high = e;
          test = (r) => (Buffer.compare(r, e) < 0 ? 0 : 1);
          break;
        case 'LE':
          high = e;
          test = (r) => (Buffer.compare(r, e) <= 0 ? 0 : 1);
          break;
        case 'GT':
          low = e;
          test = (r) => (Buffer.compare(r, e) > 0 ? 0 : -1);
          break;
        case 'GE':
          low = e;
          test = (r) => (Buffer.compare(r, e) >= 0 ? 0 : -1);
          break;
      }
    }
  }
  const initial = forward
    ? low
      ? Buffer.concat([prefix, low])
      : prefix
    : successor(high ? Buffer.concat([prefix, high]) : prefix);
  return {
    initial,
    position(k) {
      const c = Buffer.compare(k.subarray(0, plen), prefix);
      if (c !== 0) return c;
      return range ? test(rangeOf(k)) : 0;
    },
  };
}

export function iteratePage(
  win: KeyWindow,
  start: Buffer | undefined,
  req: PageRequest,
  source: Source,
  resolve: (key: Buffer, value: unknown) => Item | undefined,
  keyOf: (item: Item) => Item,
): Page {
  const { position, initial } = compile(win);
  const forward = win.forward;
  const items: Item[] = [];
  const limit = req.limit ?? Infinity;
  let bytes = 0;
  let lastEvaluatedKey: Item | undefined;
  for (const { key, value } of source(start ?? initial, !forward)) {
    if (start && key.equals(start)) continue;
    const pos = position(key);
    if (pos !== 0) {
      if (pos > 0 === forward) break;
      continue;
    }
    const item = resolve(key, value);
    if (!item) continue;
    items.push(item);
    bytes += itemSize(item);
    if (items.length >= limit || bytes >= req.maxBytes) {
      lastEvaluatedKey = keyOf(item);
      break;
    }
  }
  return lastEvaluatedKey ? { items, lastEvaluatedKey } : { items };
}
