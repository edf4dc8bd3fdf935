// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * ListObjects and ListObjectVersions on RGW (v1 listings with encoding-type=url, so any key
 * survives XML), each entry joined with its sidecar for owner, storage class and checksums.
 */
import type { ListPage, ListQuery, ObjectInfo, VersionsPage, VersionsQuery } from '../../../apis/s3/backend.js';
import { compareKeys } from '../../../src/state/store.js';
import { objectPath, xml } from './client.js';
import type { BucketCtx, RgwCore } from './core.js';
import { sideKey, sidePrefix, toInfo, type SideRec } from './records.js';

interface Entry {
  Key: string;
  VersionId?: string;
  IsLatest?: string;
  LastModified: string;
  ETag?: string;
  Size?: string;
}

interface ListResult {
  IsTruncated?: string;
  Contents?: Entry[];
  CommonPrefixes?: Array<{ Prefix: string }>;
  NextKeyMarker?: string;
  NextVersionIdMarker?: string;
  Version?: Entry[];
  DeleteMarker?: Entry[];
}

/** encoding-type=url values (RGW escapes '+' itself, S3 writes spaces as '+'). */
function dec(s: string | undefined): string {
  return s === undefined ? '' : decodeURIComponent(s.replace(/\+/g, ' '));
}

const NO_META = { userMetadata: {} };

async function infoOf(core: RgwCore, b: BucketCtx, e: Entry, deleteMarker: boolean): Promise<ObjectInfo> {
  const key = dec(e.Key);
  const etag = e.ETag ?? '';
  let side: SideRec | undefined;
  if (!deleteMarker) {
    if (e.VersionId !== undefined) side = await core.get<SideRec>(sideKey(b.name, key, e.VersionId));
    else {
      // a listing of current objects has no version ids: the sidecar whose ETag matches
      const rows = await core.table.range({ prefix: sidePrefix(b.name, key) });
      for (const [, v] of rows) if ((v as SideRec).e === etag) side = v as SideRec;
    }
  }
  return toInfo(
    {
      key,
      versionId: e.VersionId ?? 'null',
      isLatest: e.IsLatest === undefined ? true : e.IsLatest === 'true',
      size: Number(e.Size ?? 0),
      etag,
      lastModified: Math.floor(Date.parse(e.LastModified) / 1000) * 1000,
      deleteMarker,
    },
    side,
    { meta: NO_META, owner: b.owner },
  );
}

export async function listObjects(core: RgwCore, bucket: string, q: ListQuery): Promise<ListPage> {
  const b = await core.bucket(bucket);
  const r = await core.client.xml<{ ListBucketResult?: ListResult }>(b.creds, {
    method: 'GET',
    path: objectPath(bucket),
    query: { 'encoding-type': 'url', prefix: q.prefix || undefined, delimiter: q.delimiter || undefined, marker: q.after, 'max-keys': String(q.limit) },
  });
  const l = r.ListBucketResult ?? {};
  const objects = await Promise.all((l.Contents ?? []).map((e) => infoOf(core, b, e, false)));
  const commonPrefixes = (l.CommonPrefixes ?? []).map((p) => dec(p.Prefix));
  const lastKey = objects.at(-1)?.key;
  const lastPrefix = commonPrefixes.at(-1);
  const last = lastKey === undefined ? lastPrefix : lastPrefix === undefined ? lastKey : compareKeys(lastKey, lastPrefix) > 0 ? lastKey : lastPrefix;
  return { objects, commonPrefixes, truncated: l.IsTruncated === 'true', last };
}

export async function listObjectVersions(core: RgwCore, bucket: string, q: VersionsQuery): Promise<VersionsPage> {
  const b = await core.bucket(bucket);
  const res = await core.expect(b, {
    method: 'GET',
    path: objectPath(bucket),
    query: {
      versions: '',
      'encoding-type': 'url',
      prefix: q.prefix || undefined,
      delimiter: q.delimiter || undefined,
      'key-marker': q.keyMarker || undefined,
      'version-id-marker': q.keyMarker ? q.versionIdMarker || undefined : undefined,
      'max-keys': String(q.limit),
    },
  }, [200]);
  const text = await res.body.text();
  const l = (xml.parse(text) as { ListVersionsResult?: ListResult }).ListVersionsResult ?? {};
  // versions and delete markers interleave in the document; the parser groups them by name
  const order = [...text.matchAll(/<(Version|DeleteMarker)>/g)].map((m) => m[1]);
  const vs = l.Version ?? [];
  const dms = l.DeleteMarker ?? [];
  let vi = 0;
  let di = 0;
  const versions = await Promise.all(order.map((kind) => (kind === 'Version' ? infoOf(core, b, vs[vi++]!, false) : infoOf(core, b, dms[di++]!, true))));
  const truncated = l.IsTruncated === 'true';
  return {
    versions,
    commonPrefixes: (l.CommonPrefixes ?? []).map((p) => dec(p.Prefix)),
    truncated,
    nextKeyMarker: truncated ? dec(l.NextKeyMarker) || versions.at(-1)?.key : undefined,
    nextVersionIdMarker: truncated ? l.NextVersionIdMarker || versions.at(-1)?.versionId : undefined,
  };
}
