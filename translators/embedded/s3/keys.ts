// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Binary LMDB keys of the embedded object store. Everything sorts by UTF-8 bytes, as S3 lists.
 *   objects   <bucket>/<key>                              current (non-deleted) version
 *   versions  <bucket>/<escaped key>\0<~seq: 8 bytes BE>    every version, newest first per key
 *   uploads   <bucket>/<uploadId>
 *   parts     <bucket>/<uploadId>/<partNumber: 4 bytes BE>
 * Bucket names cannot contain '/', so `<bucket>/` is an unambiguous prefix. In version keys the
 * object key is escaped (0x00 → 01 01, 0x01 → 01 02) and ended by 0x00, which keeps the byte
 * order of keys and separates the key from the sequence number.
 */

/** LMDB's key size limit, minus room for the bucket name, separators and the sequence number. */
const MAX_ESCAPED_KEY = 1978 - 64 - 9;

/** True when a key fits the version index (only keys made mostly of 0x00/0x01 bytes do not). */
export function keyFits(key: string): boolean {
  const raw = Buffer.from(key, 'utf8');
  let n = raw.length;
  for (const b of raw) if (b <= 1) n++;
  return n <= MAX_ESCAPED_KEY;
}

export function bucketPrefix(bucket: string): Buffer {
  return Buffer.from(bucket + '/', 'utf8');
}

export function objectKey(bucket: string, key: string): Buffer {
  return Buffer.from(`${bucket}/${key}`, 'utf8');
}

/** The S3 key of an `objects` entry. */
export function keyOfObjectKey(bucket: string, k: Buffer): string {
  return k.subarray(Buffer.byteLength(bucket) + 1).toString('utf8');
}

function escapeKey(key: string): Buffer {
  const raw = Buffer.from(key, 'utf8');
  let extra = 0;
  for (const b of raw) if (b <= 1) extra++;
  const out = Buffer.allocUnsafe(raw.length + extra + 1);
  let j = 0;
  for (const b of raw) {
    if (b === 0) {
      out[j++] = 1;
      out[j++] = 1;
    } else if (b === 1) {
      out[j++] = 1;
      out[j++] = 2;
    } else out[j++] = b;
  }
  out[j] = 0;
  return out;
}

/** `<bucket>/<escaped key>\0`: the prefix of every version of one key. */
export function versionKeyPrefix(bucket: string, key: string): Buffer {
  return Buffer.concat([bucketPrefix(bucket), escapeKey(key)]);
}

export function versionKey(bucket: string, key: string, seq: number): Buffer {
  const tail = Buffer.alloc(8);
  // newest first: store the complement of the sequence number
  tail.writeBigUInt64BE(0xffffffffffffffffn - BigInt(seq));
  return Buffer.concat([versionKeyPrefix(bucket, key), tail]);
}

/** The prefix of every version key whose object key starts with `prefix` (escaped, unterminated). */
export function versionScanPrefix(bucket: string, prefix: string): Buffer {
  const e = escapeKey(prefix);
  return Buffer.concat([bucketPrefix(bucket), e.subarray(0, e.length - 1)]);
}

export function uploadKey(bucket: string, uploadId: string): Buffer {
  return Buffer.from(`${bucket}/${uploadId}`, 'utf8');
}

export function partKey(bucket: string, uploadId: string, partNumber: number): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(partNumber);
  return Buffer.concat([Buffer.from(`${bucket}/${uploadId}/`, 'utf8'), tail]);
}

export function partPrefix(bucket: string, uploadId: string): Buffer {
  return Buffer.from(`${bucket}/${uploadId}/`, 'utf8');
}

/** The smallest key greater than every key starting with `p` (UTF-8 never holds 0xff). */
export function afterPrefix(p: Buffer): Buffer {
  return Buffer.concat([p, Buffer.from([0xff])]);
}

/** The smallest key strictly greater than `k`. */
export function successor(k: Buffer): Buffer {
  return Buffer.concat([k, Buffer.from([0])]);
}

export function startsWith(k: Buffer, p: Buffer): boolean {
  return k.length >= p.length && k.subarray(0, p.length).equals(p);
}
