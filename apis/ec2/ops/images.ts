// SPDX-License-Identifier: AGPL-3.0-or-later
/** DescribeImages over the backend's public catalogue and the account's own images; image lookup. */
import type { RequestContext } from '../../../src/context.js';
import { invalidParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import { Shares } from '../core/shares.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { ImageRec, SnapshotRec } from '../records.js';

/** The owner id shown for the backend's catalogue images (alias 'amazon'). */
export const CATALOGUE_OWNER = '000000000000';

export interface ImageView extends ImageRec {
  public: boolean;
  alias?: string;
}

export async function catalogue(env: Ec2Env): Promise<ImageView[]> {
  return (await env.backend.publicImages()).map((p) => ({
    id: p.imageId,
    Name: p.name,
    Description: p.description,
    Architecture: p.architecture,
    RootDeviceName: p.rootDeviceName,
    State: 'available' as const,
    CreationDate: p.creationDate,
    OwnerId: CATALOGUE_OWNER,
    PlatformDetails: p.platformDetails,
    BootMode: p.bootMode,
    devices: [{ DeviceName: p.rootDeviceName, VolumeSize: p.rootSizeGiB, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: false }],
    launchPermissions: ['all'],
    public: true,
    alias: 'amazon',
  }));
}

/** Launch permissions across accounts. */
export const imageShares = (env: Ec2Env) => new Shares(env.gw.state, 'ec2-image-shares');

/** Images pending on their snapshots become available (or failed) once those finish. */
async function settleImage(env: Ec2Env, owner: string, img: ImageRec): Promise<ImageRec> {
  if (img.State !== 'pending') return img;
  const snaps = await Promise.all(img.devices.map((d) => (d.SnapshotId ? env.store.get<SnapshotRec>(owner, 'snapshot', d.SnapshotId) : undefined)));
  const state = snaps.some((s) => !s || s.State === 'error') ? 'failed' : snaps.every((s) => s!.State === 'completed') ? 'available' : 'pending';
  if (state === 'pending') return img;
  return (await env.store.update<ImageRec>(owner, 'image', img.id, (cur) => (cur && cur.State === 'pending' ? { ...cur, State: state } : cur))) ?? img;
}

function view(img: ImageRec): ImageView {
  return { ...img, public: img.launchPermissions.includes('all') };
}

/** The account's own images and those other accounts shared with it (or made public). */
export async function visibleImages(env: Ec2Env, accountId: string): Promise<ImageView[]> {
  const out: ImageView[] = [];
  for (const img of await env.store.list<ImageRec>(accountId, 'image')) out.push(view(await settleImage(env, accountId, img)));
  for (const [id, owner] of await imageShares(env).sharedWith(accountId)) {
    if (out.some((i) => i.id === id)) continue;
    const img = await env.store.get<ImageRec>(owner, 'image', id);
    if (img) out.push(view(await settleImage(env, owner, img)));
  }
  return out;
}

/** An image the account may launch: its own, the catalogue's, or one shared with it. */
export async function findImage(env: Ec2Env, accountId: string, imageId: string): Promise<ImageView | undefined> {
  const own = await env.store.get<ImageRec>(accountId, 'image', imageId);
  if (own) return view(await settleImage(env, accountId, own));
  const owner = await imageShares(env).ownerFor(accountId, imageId);
  if (owner) {
    const img = await env.store.get<ImageRec>(owner, 'image', imageId);
    if (img) return view(await settleImage(env, owner, img));
  }
  return (await catalogue(env)).find((i) => i.id === imageId);
}

export function renderImage(i: ImageView): Record<string, unknown> {
  return {
    Architecture: i.Architecture,
    CreationDate: new Date(i.CreationDate).toISOString(),
    ImageId: i.id,
    ImageLocation: i.alias ? `${i.alias}/${i.Name}` : `${i.OwnerId}/${i.Name}`,
    ImageType: 'machine',
    Public: i.public,
    OwnerId: i.OwnerId,
    PlatformDetails: i.PlatformDetails,
    UsageOperation: 'RunInstances',
    ProductCodes: [],
    State: i.State,
    BlockDeviceMappings: i.devices.map((d) => ({
      DeviceName: d.DeviceName,
      Ebs: { DeleteOnTermination: d.DeleteOnTermination, SnapshotId: d.SnapshotId, VolumeSize: d.VolumeSize, VolumeType: d.VolumeType, Encrypted: d.Encrypted },
    })),
    Description: i.Description,
    EnaSupport: true,
    Hypervisor: 'xen',
    ImageOwnerAlias: i.alias,
    Name: i.Name,
    RootDeviceName: i.RootDeviceName,
    RootDeviceType: 'ebs',
    SriovNetSupport: 'simple',
    Tags: i.Tags?.length ? i.Tags : undefined,
    VirtualizationType: 'hvm',
    BootMode: i.BootMode,
    ImdsSupport: 'v2.0',
    SourceInstanceId: i.SourceInstanceId,
  };
}

function imageFilters() {
  return {
    'image-id': (i: ImageView) => i.id,
    name: (i: ImageView) => i.Name,
    description: (i: ImageView) => i.Description,
    architecture: (i: ImageView) => i.Architecture,
    'owner-id': (i: ImageView) => i.OwnerId,
    'owner-alias': (i: ImageView) => i.alias,
    state: (i: ImageView) => i.State,
    'is-public': (i: ImageView) => i.public,
    'image-type': () => 'machine',
    'root-device-type': () => 'ebs',
    'root-device-name': (i: ImageView) => i.RootDeviceName,
    'virtualization-type': () => 'hvm',
    hypervisor: () => 'xen',
    'platform-details': (i: ImageView) => i.PlatformDetails,
    'ena-support': () => true,
    'creation-date': (i: ImageView) => new Date(i.CreationDate).toISOString(),
    'block-device-mapping.device-name': (i: ImageView) => i.devices.map((d) => d.DeviceName),
    'block-device-mapping.snapshot-id': (i: ImageView) => i.devices.map((d) => d.SnapshotId),
    'block-device-mapping.volume-size': (i: ImageView) => i.devices.map((d) => d.VolumeSize),
    'block-device-mapping.volume-type': (i: ImageView) => i.devices.map((d) => d.VolumeType),
    'boot-mode': (i: ImageView) => i.BootMode,
  };
}

function ownerMatches(i: ImageView, owners: string[], ctx: RequestContext): boolean {
  return owners.some((o) => (o === 'self' ? i.OwnerId === ctx.accountId : o === i.OwnerId || (i.alias !== undefined && o === i.alias)));
}

export const imageOps: TypedOps = {
  async DescribeImages(env, ctx, input: S.DescribeImagesInput) {
    const ids = checkIds('ami', input.ImageIds ?? []);
    if (ids.length && input.MaxResults !== undefined) throw invalidParameter('The parameter imagesSet cannot be used with the parameter maxResults');
    const all: ImageView[] = [...(await visibleImages(env, ctx.accountId)), ...(await catalogue(env))];
    if (ids.length) {
      const missing = ids.filter((id) => !all.some((i) => i.id === id));
      if (missing.length) throw notFound('image', missing);
    }
    const match = compileFilters(input.Filters, imageFilters(), (i: ImageView) => i.Tags);
    const owners = input.Owners ?? [];
    const users = input.ExecutableUsers ?? [];
    const picked = all.filter(
      (i) =>
        (!ids.length || ids.includes(i.id)) &&
        (!owners.length || ownerMatches(i, owners, ctx)) &&
        (!users.length || users.some((u) => (u === 'all' ? i.public : i.launchPermissions.includes(u === 'self' ? ctx.accountId : u)))) &&
        match(i),
    );
    picked.sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paginate(picked, (i) => i.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Images: page.items.map(renderImage), NextToken: page.nextToken };
  },
};
