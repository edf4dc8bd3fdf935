// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Snapshot sharing: Describe/Modify/ResetSnapshotAttribute (createVolumePermission per account or
 * public) and the lookup of a snapshot the caller may use (its own or one shared with it).
 */
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { checkIds } from '../core/ids.js';
import { permissionChange, Shares } from '../core/shares.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { SnapshotRec } from '../records.js';

export const snapshotShares = (env: Ec2Env) => new Shares(env.gw.state, 'ec2-snapshot-shares');

/** A snapshot the account may read: its own, or another account's shared with it. */
export async function findSnapshot(env: Ec2Env, accountId: string, id: string): Promise<SnapshotRec | undefined> {
  const own = await env.store.get<SnapshotRec>(accountId, 'snapshot', id);
  if (own) return own;
  const owner = await snapshotShares(env).ownerFor(accountId, id);
  return owner ? env.store.get<SnapshotRec>(owner, 'snapshot', id) : undefined;
}

/** Snapshots other accounts shared with this one (or made public). */
export async function sharedSnapshots(env: Ec2Env, accountId: string): Promise<SnapshotRec[]> {
  const out: SnapshotRec[] = [];
  for (const [id, owner] of await snapshotShares(env).sharedWith(accountId)) {
    const s = await env.store.get<SnapshotRec>(owner, 'snapshot', id);
    if (s) out.push(s);
  }
  return out;
}

async function ownSnapshot(env: Ec2Env, accountId: string, id: string | undefined): Promise<SnapshotRec> {
  if (!id) throw missingParameter('SnapshotId');
  checkIds('snap', [id]);
  const s = await env.store.get<SnapshotRec>(accountId, 'snapshot', id);
  if (!s) throw notFound('snapshot', [id]);
  return s;
}

function checkAttribute(a: string | undefined, allowed: string[]): string {
  if (!a || !allowed.includes(a)) throw invalidParameter(`Value (${a ?? ''}) for parameter attribute is invalid. Valid values are: ${allowed.join(', ')}.`);
  return a;
}

export const snapshotAttributeOps: TypedOps = {
  async DescribeSnapshotAttribute(env, ctx, input: S.DescribeSnapshotAttributeInput) {
    const s = await ownSnapshot(env, ctx.accountId, input.SnapshotId);
    const a = checkAttribute(input.Attribute, ['createVolumePermission', 'productCodes']);
    if (a === 'productCodes') return { SnapshotId: s.id, ProductCodes: [] };
    return { SnapshotId: s.id, CreateVolumePermissions: s.createVolumePermissions.map((g) => (g === 'all' ? { Group: 'all' } : { UserId: g })) };
  },

  async ModifySnapshotAttribute(env, ctx, input: S.ModifySnapshotAttributeInput) {
    const s = await ownSnapshot(env, ctx.accountId, input.SnapshotId);
    if (input.Attribute !== undefined) checkAttribute(input.Attribute, ['createVolumePermission']);
    const { add, remove } = permissionChange(input.CreateVolumePermission, { OperationType: input.OperationType, UserIds: input.UserIds, Groups: input.GroupNames });
    if (input.DryRun) throw dryRunOk();
    const shares = snapshotShares(env);
    for (const g of add) await shares.grant(g, s.id, ctx.accountId);
    for (const g of remove) await shares.revoke(g, s.id);
    await env.store.update<SnapshotRec>(ctx.accountId, 'snapshot', s.id, (cur) =>
      cur ? { ...cur, createVolumePermissions: [...cur.createVolumePermissions.filter((g) => !remove.includes(g)), ...add.filter((g) => !cur.createVolumePermissions.includes(g))] } : cur,
    );
    return {};
  },

  async ResetSnapshotAttribute(env, ctx, input: S.ResetSnapshotAttributeInput) {
    const s = await ownSnapshot(env, ctx.accountId, input.SnapshotId);
    checkAttribute(input.Attribute, ['createVolumePermission']);
    if (input.DryRun) throw dryRunOk();
    for (const g of s.createVolumePermissions) await snapshotShares(env).revoke(g, s.id);
    await env.store.update<SnapshotRec>(ctx.accountId, 'snapshot', s.id, (cur) => (cur ? { ...cur, createVolumePermissions: [] } : cur));
    return {};
  },
};
