// SPDX-License-Identifier: AGPL-3.0-or-later
/** GetObjectAttributes: ETag, Checksum, ObjectParts, StorageClass, ObjectSize of one version. */
import type { Handler } from '../../src/context.js';
import { bucketFor, invalidArgument, maxOf, type S3Env } from './common.js';
import { findVersion } from './objects.js';
import { ALGORITHMS } from './objmeta.js';
import type * as S from './shapes.gen.js';

const ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

export function attributesOps(env: S3Env): Record<string, Handler> {
  const GetObjectAttributes: Handler<S.GetObjectAttributesInput, S.GetObjectAttributesOutput> = async (ctx, input) => {
    const bucket = await bucketFor(ctx, input.Bucket, 'read', { key: input.Key, action: 's3:GetObject' });
    const wanted = new Set(input.ObjectAttributes ?? []);
    if (wanted.size === 0) throw invalidArgument('Object attributes must be specified', 'x-amz-object-attributes', '');
    for (const a of wanted) if (!ATTRIBUTES.has(a)) throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', a);
    const info = await findVersion(env, bucket, input.Key, input.VersionId);
    const out: S.GetObjectAttributesOutput = {
      LastModified: new Date(info.lastModified),
      VersionId: bucket.versioning ? info.versionId : undefined,
    };
    if (wanted.has('ETag')) out.ETag = info.etag.replace(/^"|"$/g, '');
    if (wanted.has('StorageClass')) out.StorageClass = info.storageClass ?? 'STANDARD';
    if (wanted.has('ObjectSize')) out.ObjectSize = info.size;
    if (wanted.has('Checksum') && Object.keys(info.checksums).length) {
      const c: NonNullable<S.GetObjectAttributesOutput['Checksum']> = { ChecksumType: info.checksumType };
      for (const a of ALGORITHMS) {
        const v = info.checksums[a];
        // composite checksums are listed without their -N suffix, as S3 does
        if (v !== undefined) (c as Record<string, string>)[`Checksum${a}`] = v.replace(/-\d+$/, '');
      }
      out.Checksum = c;
    }
    if (wanted.has('ObjectParts') && info.partSizes) {
      const max = maxOf(input.MaxParts, 'max-parts');
      const marker = input.PartNumberMarker ?? 0;
      const all = info.partSizes.map((size, i) => ({ PartNumber: i + 1, Size: size })).filter((p) => p.PartNumber > marker);
      const parts = all.slice(0, max);
      out.ObjectParts = {
        TotalPartsCount: info.partSizes.length,
        PartNumberMarker: marker,
        NextPartNumberMarker: parts.length ? parts[parts.length - 1].PartNumber : marker,
        MaxParts: max,
        IsTruncated: all.length > parts.length,
        Parts: parts,
      };
    }
    return out;
  };
  return { GetObjectAttributes };
}
