// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Permissions one account gives others on its images (launch) and snapshots (create volume): a
 * state table per kind, keys '<grantee account or all>/<resource id>' → owner account.
 */
import { AwsError } from '../../../src/errors.js';
import { ACCOUNT_ID_RE } from '../../../src/state/identity.js';
import type { StateStore } from '../../../src/state/store.js';
import { invalidParameter } from './errors.js';

export class Shares {
  constructor(
    private readonly state: StateStore,
    private readonly tableName: 'ec2-image-shares' | 'ec2-snapshot-shares',
  ) {}

  private get t() {
    return this.state.table<string>(this.tableName);
  }

  async grant(grantee: string, id: string, owner: string): Promise<void> {
    await this.t.put(`${grantee}/${id}`, owner);
  }

  async revoke(grantee: string, id: string): Promise<void> {
    await this.t.delete(`${grantee}/${id}`);
  }

  /** The owner of `id` when it is shared with `accountId` (or public). */
  async ownerFor(accountId: string, id: string): Promise<string | undefined> {
    return (await this.t.get(`${accountId}/${id}`)) ?? (await this.t.get(`all/${id}`));
  }

  /** [id, owner] of everything shared with `accountId` or public, other accounts' only. */
  async sharedWith(accountId: string): Promise<Array<[string, string]>> {
    const out = new Map<string, string>();
    for (const prefix of [`${accountId}/`, 'all/']) {
      for (const [key, owner] of await this.t.range({ prefix })) if (owner !== accountId) out.set(key.slice(prefix.length), owner);
    }
    return [...out];
  }
}

/** A permission entry (UserId or Group 'all') → the grantee key. */
export function grantee(p: { UserId?: string; Group?: string }): string {
  if (p.Group !== undefined) {
    if (p.Group !== 'all') throw invalidParameter(`Value (${p.Group}) for parameter group is invalid. Only 'all' is supported.`);
    return 'all';
  }
  if (!p.UserId || !ACCOUNT_ID_RE.test(p.UserId)) throw new AwsError('InvalidParameterValue', `Invalid user id: '${p.UserId ?? ''}'`);
  return p.UserId;
}

export interface PermissionChange {
  add: string[];
  remove: string[];
}

/** The grants a Modify*Attribute call asks for, in either of EC2's two forms. */
export function permissionChange(
  structured: { Add?: Array<{ UserId?: string; Group?: string }>; Remove?: Array<{ UserId?: string; Group?: string }> } | undefined,
  flat: { OperationType?: string; UserIds?: string[]; Groups?: string[] },
): PermissionChange {
  if (structured) return { add: (structured.Add ?? []).map(grantee), remove: (structured.Remove ?? []).map(grantee) };
  const list = [...(flat.UserIds ?? []).map((u) => grantee({ UserId: u })), ...(flat.Groups ?? []).map((g) => grantee({ Group: g }))];
  if (flat.OperationType === 'add') return { add: list, remove: [] };
  if (flat.OperationType === 'remove') return { add: [], remove: list };
  throw invalidParameter(`Value (${flat.OperationType ?? ''}) for parameter operationType is invalid. Valid values are: add, remove.`);
}
