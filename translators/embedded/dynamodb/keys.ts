// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Ordered binary keys for the item engine. An item lives under
 *   [table id:4][segment:2][hash length:2][hash part][range part]
 * and an index entry under
 *   [index id:4][segment:2][hash length:2][hash part][escaped range part + 00 00][primary suffix].
 * The segment (16 bits of the partition key's CRC32) spreads partitions like DynamoDB's hash
 * space, so Scan's Segment/TotalSegments are key ranges. The range part sorts like DynamoDB: strings
 * by UTF-8 bytes, binary bytewise, numbers numerically (sign, exponent and digit encoding).
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { AttributeValue } from '../../../apis/dynamodb/types.js';
import { parseDec } from '../../../apis/dynamodb/numbers.js';

/** Hash parts longer than this are replaced by their SHA-256 (LMDB keys are at most 1978 bytes). */
const MAX_RAW_HASH = 512;

/** Order-preserving bytes of a number: 0x01 negative, 0x02 zero, 0x03 positive. */
export function encodeNumber(text: string): Buffer {
  const d = parseDec(text)!;
  if (d.digits === '') return Buffer.from([0x02]);
  const n = d.digits.length;
  const out = Buffer.allocUnsafe(n + (d.neg ? 3 : 2));
  const e = d.exp + 129; // exponent range -129..126 → 0..255
  if (!d.neg) {
    out[0] = 0x03;
    out[1] = e;
    for (let i = 0; i < n; i++) out[i + 2] = d.digits.charCodeAt(i) - 47; // '0'..'9' → 1..10
  } else {
    out[0] = 0x01;
    out[1] = 255 - e;
    for (let i = 0; i < n; i++) out[i + 2] = 11 - (d.digits.charCodeAt(i) - 47); // 10..1
    out[n + 2] = 0xff; // a longer negative mantissa is smaller
  }
  return out;
}

/** Raw order-preserving bytes of a scalar key value. */
export function rawKeyBytes(v: AttributeValue): Buffer {
  if (v.S !== undefined) return Buffer.from(v.S, 'utf8');
  if (v.N !== undefined) return encodeNumber(v.N);
  return Buffer.from(v.B!, 'base64');
}

/** Escapes 0x00 as 00 01 and terminates with 00 00, so the part can be followed by more bytes. */
export function escapeTerminated(raw: Buffer): Buffer {
  let zeros = 0;
  for (const b of raw) if (b === 0) zeros++;
  const out = Buffer.allocUnsafe(raw.length + zeros + 2);
  let j = 0;
  for (const b of raw) {
    out[j++] = b;
    if (b === 0) out[j++] = 1;
  }
  out[j++] = 0;
  out[j] = 0;
  return out;
}

/** Escapes without the terminator: a prefix of escapeTerminated(x) iff raw is a prefix of x. */
export function escapeOpen(raw: Buffer): Buffer {
  const t = escapeTerminated(raw);
  return t.subarray(0, t.length - 2);
}

export function hashPart(v: AttributeValue): Buffer {
  const raw = rawKeyBytes(v);
  if (raw.length <= MAX_RAW_HASH) return raw;
  return Buffer.concat([Buffer.from([0xff, 0xff]), createHash('sha256').update(raw).digest()]);
}

export function segmentOf(hash: Buffer): number {
  return crc32(hash) >>> 16;
}

/** [id:4][segment:2][hash length:2][hash]: the prefix shared by one partition. */
export function partitionPrefix(id: number, hash: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + hash.length);
  out.writeUInt32BE(id, 0);
  out.writeUInt16BE(segmentOf(hash), 4);
  out.writeUInt16BE(hash.length, 6);
  hash.copy(out, 8);
  return out;
}

export function idPrefix(id: number, segment?: number): Buffer {
  const out = Buffer.allocUnsafe(segment === undefined ? 4 : 6);
  out.writeUInt32BE(id, 0);
  if (segment !== undefined) out.writeUInt16BE(segment, 4);
  return out;
}

/** Index keys grow past LMDB's limit only with very long keys: the suffix then becomes a digest. */
const MAX_KEY = 1970;

export function indexKey(prefix: Buffer, rangeEscaped: Buffer | undefined, primarySuffix: Buffer): Buffer {
  const head = rangeEscaped ? Buffer.concat([prefix, rangeEscaped]) : prefix;
  const suffix = head.length + primarySuffix.length <= MAX_KEY ? primarySuffix : createHash('sha256').update(primarySuffix).digest();
  return Buffer.concat([head, suffix]);
}

/** Length of an escaped-and-terminated part starting at `from` (through its 00 00). */
export function escapedLength(key: Buffer, from: number): number {
  for (let i = from; i < key.length - 1; i++) {
    if (key[i] === 0) {
      if (key[i + 1] === 0) return i + 2 - from;
      i++;
    }
  }
  return key.length - from;
}
