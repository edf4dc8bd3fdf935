// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CompleteMultipartUpload's rules, shared by every backend (backend.ts): which stored parts the
 * request names (InvalidPartOrder, InvalidPart, missing part checksums, EntityTooSmall), the
 * object's ETag (md5 of the part MD5s, "-N") and checksum (COMPOSITE: checksum of the part
 * checksums, "-N"; FULL_OBJECT: CRCs combined), and the paging of ListMultipartUploads.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../../src/errors.js';
import { compareKeys } from '../../src/state/store.js';
import { createChecksum } from '../../src/checksums.js';
import type { ChecksumAlgorithm, CompletedPart, UploadInfo } from './backend.js';
import { combineCrcs } from './crc-combine.js';

export interface StoredPart {
  n: number;
  etag: string;
  size: number;
  cs: Partial<Record<ChecksumAlgorithm, string>>;
}

export function invalidPart(uploadId: string, partNumber: number, etag: string): AwsError {
  return new AwsError(
    'InvalidPart',
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { status: 400, fields: { UploadId: uploadId, PartNumber: partNumber, ETag: etag } },
  );
}

export function bareEtag(e: string): string {
  return e.trim().replace(/^"|"$/g, '');
}

/** The stored parts a Complete request names, checked as S3 checks them. */
export function chooseParts<P extends StoredPart>(uploadId: string, alg: ChecksumAlgorithm | undefined, wanted: CompletedPart[], have: Map<number, P>, minPartSize: number): P[] {
  let prev = 0;
  const chosen: P[] = [];
  for (const w of wanted) {
    if (w.partNumber <= prev) {
      throw new AwsError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { status: 400, fields: { UploadId: uploadId } });
    }
    prev = w.partNumber;
    const p = have.get(w.partNumber);
    if (!p || bareEtag(p.etag) !== bareEtag(w.etag)) throw invalidPart(uploadId, w.partNumber, w.etag);
    for (const [a, v] of Object.entries(w.checksums ?? {}) as Array<[ChecksumAlgorithm, string]>) {
      if (p.cs[a] !== undefined && p.cs[a] !== v) throw invalidPart(uploadId, w.partNumber, w.etag);
    }
    if (alg && w.checksums && w.checksums[alg] === undefined) {
      throw new AwsError(
        'InvalidRequest',
        `The upload was created using a ${alg.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${w.partNumber} in the request.`,
        { status: 400 },
      );
    }
    chosen.push(p);
  }
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < minPartSize) {
      throw new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        status: 400,
        fields: { ProposedSize: p.size, MinSizeAllowed: minPartSize, PartNumber: p.n, ETag: bareEtag(p.etag) },
      });
    }
  });
  return chosen;
}

/** The completed object's ETag: md5 of the part MD5s, then "-N". */
export function multipartEtag(parts: StoredPart[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(bareEtag(p.etag), 'hex'));
  return `"${md5.digest('hex')}-${parts.length}"`;
}

/**
 * The completed object's checksum and checksum type, checked against the whole-object checksums
 * the request carried (BadDigest).
 */
export function multipartChecksums(
  alg: ChecksumAlgorithm | undefined,
  type: 'COMPOSITE' | 'FULL_OBJECT' | undefined,
  parts: StoredPart[],
  expected: Partial<Record<ChecksumAlgorithm, string>> | undefined,
): { cs: Partial<Record<ChecksumAlgorithm, string>>; ct?: 'COMPOSITE' | 'FULL_OBJECT' } {
  const cs: Partial<Record<ChecksumAlgorithm, string>> = {};
  const fullObject = type === 'FULL_OBJECT';
  if (alg && fullObject) cs[alg] = combineCrcs(alg, parts.map((p) => ({ crc: p.cs[alg] ?? '', size: p.size })));
  else if (alg) {
    const h = createChecksum(alg);
    for (const p of parts) h.update(Buffer.from(p.cs[alg] ?? '', 'base64'));
    cs[alg] = `${h.digest().toString('base64')}-${parts.length}`;
  }
  for (const [a, want] of Object.entries(expected ?? {}) as Array<[ChecksumAlgorithm, string]>) {
    const have = cs[a];
    if (have !== undefined && have.replace(/-\d+$/, '') !== want.replace(/-\d+$/, '')) {
      throw new AwsError('BadDigest', `The ${a} you specified did not match the calculated checksum.`, { status: 400 });
    }
  }
  return { cs, ct: alg ? (fullObject ? 'FULL_OBJECT' : 'COMPOSITE') : undefined };
}

/** Sorts a bucket's uploads in S3's order (key, then initiation) and takes one page after the markers. */
export function pageUploads(all: UploadInfo[], q: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit: number }): { uploads: UploadInfo[]; truncated: boolean } {
  let rows = all
    .filter((u) => q.prefix === undefined || u.key.startsWith(q.prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1));
  if (q.keyMarker) {
    const km = q.keyMarker;
    const idx = q.uploadIdMarker ? rows.findIndex((u) => u.key === km && u.uploadId === q.uploadIdMarker) : -1;
    rows = idx >= 0 ? rows.slice(idx + 1) : rows.filter((u) => compareKeys(u.key, km) > 0);
  }
  return { uploads: rows.slice(0, q.limit), truncated: rows.length > q.limit };
}
