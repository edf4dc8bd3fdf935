// SPDX-License-Identifier: AGPL-3.0-or-later
/** Loads one record named by a request parameter, with EC2's missing / malformed / not-found errors. */
import { missingParameter, notFound, type NotFoundKind } from './errors.js';
import { literalTagFilter, type Filter } from './filters.js';
import { checkIds, type IdPrefix } from './ids.js';
import type { Ec2Store, Kind } from './store.js';

export interface RecordKind {
  kind: Kind;
  prefix: IdPrefix;
  notFound: NotFoundKind;
  /** The request parameter naming it, for MissingParameter. */
  param: string;
}

export const VPC: RecordKind = { kind: 'vpc', prefix: 'vpc', notFound: 'vpc', param: 'VpcId' };
export const IGW: RecordKind = { kind: 'igw', prefix: 'igw', notFound: 'igw', param: 'InternetGatewayId' };
export const RTB: RecordKind = { kind: 'rtb', prefix: 'rtb', notFound: 'rtb', param: 'RouteTableId' };
export const VOLUME: RecordKind = { kind: 'volume', prefix: 'vol', notFound: 'volume', param: 'VolumeId' };

export async function loadRecord<T>(store: Ec2Store, accountId: string, k: RecordKind, id: string | undefined): Promise<T> {
  if (!id) throw missingParameter(k.param);
  checkIds(k.prefix, [id]);
  const rec = await store.get<T>(accountId, k.kind, id);
  if (!rec) throw notFound(k.notFound, [id]);
  return rec;
}

/**
 * The records of `kind` a Describe call has to look at: answered from the tag index when the
 * filters hold a literal tag:<key> filter, otherwise the account's whole list. The caller still
 * applies every filter.
 */
export async function candidates<T>(store: Ec2Store, accountId: string, kind: Kind, filters: Filter[] | undefined): Promise<T[]> {
  const byTag = literalTagFilter(filters);
  if (!byTag) return store.list<T>(accountId, kind);
  const ids = await store.idsByTag(accountId, kind, byTag.key, byTag.values);
  const out: T[] = [];
  for (const id of ids) {
    const rec = await store.get<T>(accountId, kind, id);
    if (rec !== undefined) out.push(rec);
  }
  return out;
}
