// SPDX-License-Identifier: AGPL-3.0-or-later
/** CreateSnapshot(s), DescribeSnapshots, CopySnapshot, DeleteSnapshot: pending → completed. */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, incorrectState, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { candidates } from '../core/load.js';
import { paginate } from '../core/paging.js';
import type { Tag } from '../core/store.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import { date, type Ec2Env, type TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { ImageRec, SnapshotRec, VolumeRec } from '../records.js';
import { loadInstances } from './instances.js';
import { findSnapshot, sharedSnapshots, snapshotShares } from './snapshot-attrs.js';
import { loadVolume } from './volumes.js';

export function renderSnapshot(s: SnapshotRec): Record<string, unknown> {
  return {
    Description: s.Description,
    Encrypted: s.Encrypted,
    OwnerId: s.OwnerId,
    Progress: s.Progress,
    SnapshotId: s.id,
    StartTime: date(s.StartTime),
    State: s.State,
    VolumeId: s.VolumeId,
    VolumeSize: s.VolumeSize,
    Tags: s.Tags?.length ? s.Tags : undefined,
    StorageTier: s.StorageTier,
  };
}

/** Records a pending snapshot of `vol` and (unless `take` is false) asks the backend to copy its bytes. */
export async function snapshotVolume(env: Ec2Env, accountId: string, vol: VolumeRec, description: string, tags: Tag[] | undefined, take = true): Promise<SnapshotRec> {
  if (vol.State !== 'available' && vol.State !== 'in-use') throw incorrectState(`The volume '${vol.id}' is '${vol.State}'.`);
  const s: SnapshotRec = {
    id: newId('snap'),
    VolumeId: vol.id,
    VolumeSize: vol.Size,
    Description: description,
    StartTime: env.now(),
    State: 'pending',
    Progress: '0%',
    OwnerId: accountId,
    Encrypted: vol.Encrypted,
    StorageTier: 'standard',
    createVolumePermissions: [],
    Tags: tags,
  };
  await env.store.put(accountId, 'snapshot', s.id, s);
  if (take) await env.backend.createSnapshot(accountId, s.id, vol.id);
  return (await env.store.get<SnapshotRec>(accountId, 'snapshot', s.id)) ?? s;
}

export const snapshotOps: TypedOps = {
  async CreateSnapshot(env, ctx, input: S.CreateSnapshotInput) {
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    const tags = tagsFromSpecs(input.TagSpecifications, ['snapshot']).get('snapshot');
    if (v.State !== 'available' && v.State !== 'in-use') throw incorrectState(`The volume '${v.id}' is '${v.State}'.`);
    if ((input.Description ?? '').length > 255) throw invalidParameter('The snapshot description must be at most 255 characters.');
    if (input.DryRun) throw dryRunOk();
    return renderSnapshot(await snapshotVolume(env, ctx.accountId, v, input.Description ?? '', tags));
  },

  async CreateSnapshots(env, ctx, input: S.CreateSnapshotsInput) {
    const spec = input.InstanceSpecification;
    if (!spec?.InstanceId) throw missingParameter('InstanceSpecification.InstanceId');
    const [inst] = await loadInstances(env, ctx.accountId, [spec.InstanceId]);
    const exclude = checkIds('vol', spec.ExcludeDataVolumeIds ?? []);
    const tags = tagsFromSpecs(input.TagSpecifications, ['snapshot']).get('snapshot');
    const devices = inst.blockDevices.filter((b) => !(spec.ExcludeBootVolume && b.DeviceName === inst.RootDeviceName) && !exclude.includes(b.VolumeId));
    if (input.DryRun) throw dryRunOk();
    const out = [];
    for (const b of devices) {
      const v = await loadVolume(env, ctx.accountId, b.VolumeId);
      const t = input.CopyTagsFromSource === 'volume' ? [...(v.Tags ?? []), ...(tags ?? [])] : tags;
      const s = await snapshotVolume(env, ctx.accountId, v, input.Description ?? '', t);
      out.push({ Description: s.Description, Tags: s.Tags, Encrypted: s.Encrypted, VolumeId: s.VolumeId, State: s.State, VolumeSize: s.VolumeSize, StartTime: date(s.StartTime), Progress: s.Progress, OwnerId: s.OwnerId, SnapshotId: s.id });
    }
    return { Snapshots: out };
  },

  async DescribeSnapshots(env, ctx, input: S.DescribeSnapshotsInput) {
    const ids = checkIds('snap', input.SnapshotIds ?? []);
    if (ids.length && input.MaxResults !== undefined) throw invalidParameter('The parameter snapshotSet cannot be used with the parameter maxResults');
    const own = ids.length ? await env.store.list<SnapshotRec>(ctx.accountId, 'snapshot') : await candidates<SnapshotRec>(env.store, ctx.accountId, 'snapshot', input.Filters);
    const all = [...own, ...(await sharedSnapshots(env, ctx.accountId))];
    const missing = ids.filter((id) => !all.some((s) => s.id === id));
    if (missing.length) throw notFound('snapshot', missing);
    const owners = input.OwnerIds ?? [];
    const match = compileFilters<SnapshotRec>(
      input.Filters,
      {
        'snapshot-id': (s) => s.id,
        'volume-id': (s) => s.VolumeId,
        status: (s) => s.State,
        'owner-id': (s) => s.OwnerId,
        description: (s) => s.Description,
        progress: (s) => s.Progress,
        'start-time': (s) => new Date(s.StartTime).toISOString(),
        'volume-size': (s) => s.VolumeSize,
        encrypted: (s) => s.Encrypted,
        'storage-tier': (s) => s.StorageTier,
        'owner-alias': () => undefined,
      },
      (s) => s.Tags,
    );
    const restorable = (input.RestorableByUserIds ?? []).map((u) => (u === 'self' ? ctx.accountId : u));
    const picked = all
      .filter(
        (s) =>
          (!ids.length || ids.includes(s.id)) &&
          (!owners.length || owners.some((o) => (o === 'self' ? s.OwnerId === ctx.accountId : o === s.OwnerId))) &&
          (!restorable.length || restorable.some((u) => u === s.OwnerId || s.createVolumePermissions.includes(u) || s.createVolumePermissions.includes('all'))) &&
          match(s),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paginate(picked, (s) => s.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Snapshots: page.items.map(renderSnapshot), NextToken: page.nextToken };
  },

  async CopySnapshot(env, ctx, input: S.CopySnapshotInput) {
    if (!input.SourceSnapshotId) throw missingParameter('SourceSnapshotId');
    if (!input.SourceRegion) throw missingParameter('SourceRegion');
    if (input.SourceRegion !== ctx.region) throw invalidParameter(`Copying snapshots between regions is not supported by this gateway (source region '${input.SourceRegion}').`);
    checkIds('snap', [input.SourceSnapshotId]);
    const src = await findSnapshot(env, ctx.accountId, input.SourceSnapshotId);
    if (!src) throw notFound('snapshot', [input.SourceSnapshotId]);
    if (src.State !== 'completed') throw incorrectState(`Snapshot '${src.id}' is not 'completed'.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['snapshot']).get('snapshot');
    if (input.DryRun) throw dryRunOk();
    const s: SnapshotRec = {
      ...src,
      id: newId('snap'),
      OwnerId: ctx.accountId,
      Description: input.Description ?? `[Copied ${src.id} from ${ctx.region}]`,
      StartTime: env.now(),
      State: 'pending',
      Progress: '0%',
      Encrypted: src.Encrypted || input.Encrypted === true,
      createVolumePermissions: [],
      Tags: tags,
      copiedFrom: { accountId: src.OwnerId, snapshotId: src.id },
    };
    await env.store.put(ctx.accountId, 'snapshot', s.id, s);
    await env.backend.copySnapshot(ctx.accountId, s.id, s.copiedFrom!);
    return { SnapshotId: s.id, Tags: tags };
  },

  async DeleteSnapshot(env, ctx, input: S.DeleteSnapshotInput) {
    if (!input.SnapshotId) throw missingParameter('SnapshotId');
    checkIds('snap', [input.SnapshotId]);
    const s = await env.store.get<SnapshotRec>(ctx.accountId, 'snapshot', input.SnapshotId);
    if (!s) throw notFound('snapshot', [input.SnapshotId]);
    const images = await env.store.list<ImageRec>(ctx.accountId, 'image');
    const user = images.find((i) => i.devices.some((d) => d.SnapshotId === s.id));
    if (user) throw new AwsError('InvalidSnapshot.InUse', `The snapshot ${s.id} is currently in use by ${user.id}`);
    if (input.DryRun) throw dryRunOk();
    for (const g of s.createVolumePermissions) await snapshotShares(env).revoke(g, s.id);
    await env.store.delete(ctx.accountId, 'snapshot', s.id);
    await env.backend.deleteSnapshot(ctx.accountId, s.id);
    return {};
  },
};
