// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CreateImage (snapshots of an instance's volumes), RegisterImage, CopyImage, DeregisterImage,
 * DescribeImageAttribute and ModifyImageAttribute (launch permissions per account, or public).
 */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, incorrectInstanceState, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { checkIds, newId } from '../core/ids.js';
import { permissionChange } from '../core/shares.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { ImageSpec } from '../backend.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { ImageDeviceRec, ImageRec, SnapshotRec, VolumeRec } from '../records.js';
import { checkDeviceName } from '../volume-params.js';
import { findImage, imageShares } from './images.js';
import { loadInstances } from './instances.js';
import { snapshotVolume } from './snapshots.js';

function checkName(name: string | undefined): string {
  if (!name) throw missingParameter('Name');
  if (name.length < 3 || name.length > 128 || !/^[a-zA-Z0-9()[\] ./\-'@_]+$/.test(name)) {
    throw invalidParameter(`AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`);
  }
  return name;
}

async function checkUnique(env: Ec2Env, accountId: string, name: string): Promise<void> {
  const clash = (await env.store.list<ImageRec>(accountId, 'image')).find((i) => i.Name === name);
  if (clash) throw new AwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${clash.id}`);
}

async function ownImage(env: Ec2Env, accountId: string, imageId: string | undefined): Promise<ImageRec> {
  if (!imageId) throw missingParameter('ImageId');
  checkIds('ami', [imageId]);
  const img = await env.store.get<ImageRec>(accountId, 'image', imageId);
  if (!img) {
    if (await findImage(env, accountId, imageId)) throw new AwsError('AuthFailure', `Not authorized for image:${imageId}`);
    throw notFound('image', [imageId]);
  }
  return img;
}

export const imageMutationOps: TypedOps = {
  async CreateImage(env, ctx, input: S.CreateImageInput) {
    if (!input.InstanceId) throw missingParameter('InstanceId');
    const name = checkName(input.Name);
    const [inst] = await loadInstances(env, ctx.accountId, [input.InstanceId]);
    if (inst.state !== 'running' && inst.state !== 'stopped') throw incorrectInstanceState(`The instance '${inst.id}' is not in a state from which it can be imaged.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['image', 'snapshot']);
    await checkUnique(env, ctx.accountId, name);
    if (input.DryRun) throw dryRunOk();
    // a backend that images the machine whole (createImage) stops and starts it itself
    const whole = env.backend.createImage !== undefined;
    if (!whole && !input.NoReboot && inst.state === 'running') await env.backend.reboot(ctx.accountId, inst.id);
    const id = newId('ami');
    const devices: ImageDeviceRec[] = [];
    const spec: ImageSpec = { imageId: id, instanceId: inst.id, noReboot: input.NoReboot === true || inst.state !== 'running', devices: [] };
    for (const b of inst.blockDevices) {
      const v = await env.store.get<VolumeRec>(ctx.accountId, 'volume', b.VolumeId);
      if (!v) continue;
      const s = await snapshotVolume(env, ctx.accountId, v, `Created by CreateImage(${inst.id}) for ${id}`, tags.get('snapshot'), !whole);
      devices.push({ DeviceName: b.DeviceName, SnapshotId: s.id, VolumeSize: v.Size, VolumeType: v.VolumeType, DeleteOnTermination: b.DeleteOnTermination, Encrypted: v.Encrypted });
      spec.devices.push({ deviceName: b.DeviceName, volumeId: v.id, snapshotId: s.id, root: b.DeviceName === inst.RootDeviceName });
    }
    const img: ImageRec = {
      id,
      Name: name,
      Description: input.Description,
      Architecture: inst.Architecture,
      RootDeviceName: inst.RootDeviceName,
      State: 'pending',
      CreationDate: env.now(),
      OwnerId: ctx.accountId,
      PlatformDetails: inst.PlatformDetails,
      BootMode: 'uefi-preferred',
      devices,
      launchPermissions: [],
      SourceInstanceId: inst.id,
      Tags: tags.get('image'),
    };
    await env.store.put(ctx.accountId, 'image', id, img);
    if (whole) await env.backend.createImage!(ctx.accountId, spec);
    return { ImageId: id };
  },

  async RegisterImage(env, ctx, input: S.RegisterImageInput) {
    const name = checkName(input.Name);
    if (input.ImageLocation) throw invalidParameter('Instance-store (S3-backed) images are not supported by this gateway; register EBS snapshots.');
    const root = input.RootDeviceName ?? '/dev/xvda';
    const arch = input.Architecture ?? 'x86_64';
    if (arch !== 'x86_64' && arch !== 'arm64') throw invalidParameter(`Value (${arch}) for parameter architecture is invalid. Valid values are: x86_64, arm64.`);
    const devices: ImageDeviceRec[] = [];
    for (const m of input.BlockDeviceMappings ?? []) {
      if (!m.DeviceName) throw missingParameter('BlockDeviceMapping.DeviceName');
      checkDeviceName(m.DeviceName);
      if (!m.Ebs) continue;
      let size = m.Ebs.VolumeSize;
      let encrypted = false;
      if (m.Ebs.SnapshotId) {
        checkIds('snap', [m.Ebs.SnapshotId]);
        const s = await env.store.get<SnapshotRec>(ctx.accountId, 'snapshot', m.Ebs.SnapshotId);
        if (!s) throw notFound('snapshot', [m.Ebs.SnapshotId]);
        if (size !== undefined && size < s.VolumeSize) throw new AwsError('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot '${s.id}', expect size >= ${s.VolumeSize}GB`);
        size = size ?? s.VolumeSize;
        encrypted = s.Encrypted;
      }
      if (size === undefined) throw missingParameter('BlockDeviceMapping.Ebs.VolumeSize');
      devices.push({ DeviceName: m.DeviceName, SnapshotId: m.Ebs.SnapshotId, VolumeSize: size, VolumeType: m.Ebs.VolumeType ?? 'gp3', DeleteOnTermination: m.Ebs.DeleteOnTermination ?? true, Encrypted: encrypted });
    }
    const rootDev = devices.find((d) => d.DeviceName === root);
    if (!rootDev?.SnapshotId) throw invalidParameter(`The root device ${root} must be mapped to an EBS snapshot.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['image']).get('image');
    await checkUnique(env, ctx.accountId, name);
    if (input.DryRun) throw dryRunOk();
    const id = newId('ami');
    const img: ImageRec = { id, Name: name, Description: input.Description, Architecture: arch, RootDeviceName: root, State: 'pending', CreationDate: env.now(), OwnerId: ctx.accountId, PlatformDetails: 'Linux/UNIX', BootMode: input.BootMode, devices, launchPermissions: [], Tags: tags };
    await env.store.put(ctx.accountId, 'image', id, img);
    return { ImageId: id };
  },

  async CopyImage(env, ctx, input: S.CopyImageInput) {
    if (!input.SourceImageId) throw missingParameter('SourceImageId');
    if (!input.SourceRegion) throw missingParameter('SourceRegion');
    if (input.SourceRegion !== ctx.region) throw invalidParameter(`Copying images between regions is not supported by this gateway (source region '${input.SourceRegion}').`);
    const name = checkName(input.Name);
    const saved = await env.idem.lookup<string>(ctx.accountId, 'CopyImage', input.ClientToken, input);
    if (saved) return { ImageId: saved };
    checkIds('ami', [input.SourceImageId]);
    const src = await findImage(env, ctx.accountId, input.SourceImageId);
    if (!src || src.State !== 'available') throw notFound('image', [input.SourceImageId]);
    if (src.alias) throw invalidParameter(`Catalogue images (${src.id}) are available to every account already and cannot be copied.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['image']).get('image');
    await checkUnique(env, ctx.accountId, name);
    if (input.DryRun) throw dryRunOk();
    const id = newId('ami');
    const devices: ImageDeviceRec[] = [];
    for (const d of src.devices) {
      if (!d.SnapshotId) {
        devices.push({ ...d });
        continue;
      }
      const orig = await env.store.get<SnapshotRec>(src.OwnerId, 'snapshot', d.SnapshotId);
      if (!orig) throw notFound('snapshot', [d.SnapshotId]);
      const copy: SnapshotRec = { ...orig, id: newId('snap'), OwnerId: ctx.accountId, Description: `Copied for DestinationAmi ${id} from SourceAmi ${src.id}`, StartTime: env.now(), State: 'pending', Progress: '0%', createVolumePermissions: [], Tags: undefined, copiedFrom: { accountId: src.OwnerId, snapshotId: orig.id } };
      await env.store.put(ctx.accountId, 'snapshot', copy.id, copy);
      await env.backend.copySnapshot(ctx.accountId, copy.id, { accountId: src.OwnerId, snapshotId: orig.id });
      devices.push({ ...d, SnapshotId: copy.id, Encrypted: d.Encrypted || input.Encrypted === true });
    }
    const img: ImageRec = {
      id,
      Name: name,
      Description: input.Description ?? src.Description,
      Architecture: src.Architecture,
      RootDeviceName: src.RootDeviceName,
      State: 'pending',
      CreationDate: env.now(),
      OwnerId: ctx.accountId,
      PlatformDetails: src.PlatformDetails,
      BootMode: src.BootMode,
      devices,
      launchPermissions: [],
      Tags: input.CopyImageTags && src.OwnerId === ctx.accountId ? [...(src.Tags ?? []), ...(tags ?? [])] : tags,
    };
    await env.store.transact(ctx.accountId, (tx) => {
      tx.put('image', id, img);
      env.idem.rememberIn(tx, 'CopyImage', input.ClientToken, input, id, env.now());
    });
    return { ImageId: id };
  },

  async DeregisterImage(env, ctx, input: S.DeregisterImageInput) {
    const img = await ownImage(env, ctx.accountId, input.ImageId);
    if (input.DryRun) throw dryRunOk();
    for (const g of img.launchPermissions) await imageShares(env).revoke(g, img.id);
    await env.store.delete(ctx.accountId, 'image', img.id);
    if (input.DeleteAssociatedSnapshots) {
      for (const d of img.devices) {
        if (!d.SnapshotId) continue;
        await env.store.delete(ctx.accountId, 'snapshot', d.SnapshotId);
        await env.backend.deleteSnapshot(ctx.accountId, d.SnapshotId);
      }
    }
    return {};
  },

  async DescribeImageAttribute(env, ctx, input: S.DescribeImageAttributeInput) {
    if (!input.ImageId) throw missingParameter('ImageId');
    checkIds('ami', [input.ImageId]);
    const img = await findImage(env, ctx.accountId, input.ImageId);
    if (!img) throw notFound('image', [input.ImageId]);
    const out: Record<string, unknown> = { ImageId: img.id };
    switch (input.Attribute) {
      case 'description': out.Description = img.Description === undefined ? {} : { Value: img.Description }; break;
      case 'launchPermission':
        if (img.OwnerId !== ctx.accountId) throw new AwsError('AuthFailure', `Not authorized for image:${img.id}`);
        out.LaunchPermissions = img.launchPermissions.map((g) => (g === 'all' ? { Group: 'all' } : { UserId: g }));
        break;
      case 'blockDeviceMapping':
        out.BlockDeviceMappings = img.devices.map((d) => ({ DeviceName: d.DeviceName, Ebs: { SnapshotId: d.SnapshotId, VolumeSize: d.VolumeSize, VolumeType: d.VolumeType, DeleteOnTermination: d.DeleteOnTermination, Encrypted: d.Encrypted } }));
        break;
      case 'productCodes': out.ProductCodes = []; break;
      case 'kernel': out.KernelId = {}; break;
      case 'ramdisk': out.RamdiskId = {}; break;
      case 'sriovNetSupport': out.SriovNetSupport = { Value: 'simple' }; break;
      case 'bootMode': out.BootMode = img.BootMode ? { Value: img.BootMode } : {}; break;
      case 'imdsSupport': out.ImdsSupport = { Value: 'v2.0' }; break;
      case 'deregistrationProtection': out.DeregistrationProtection = { Value: 'disabled' }; break;
      default:
        throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  },

  async ModifyImageAttribute(env, ctx, input: S.ModifyImageAttributeInput) {
    const img = await ownImage(env, ctx.accountId, input.ImageId);
    let add: string[] = [];
    let remove: string[] = [];
    let description: string | undefined;
    if (input.LaunchPermission || input.Attribute === 'launchPermission' || input.UserIds?.length || input.UserGroups?.length) {
      ({ add, remove } = permissionChange(input.LaunchPermission, { OperationType: input.OperationType, UserIds: input.UserIds, Groups: input.UserGroups }));
    } else if (input.Description?.Value !== undefined || input.Attribute === 'description') {
      description = input.Description?.Value ?? input.Value ?? '';
    } else {
      throw missingParameter('Attribute');
    }
    if (input.DryRun) throw dryRunOk();
    const shares = imageShares(env);
    for (const g of add) await shares.grant(g, img.id, ctx.accountId);
    for (const g of remove) await shares.revoke(g, img.id);
    await env.store.update<ImageRec>(ctx.accountId, 'image', img.id, (cur) => {
      if (!cur) return cur;
      const perms = [...cur.launchPermissions.filter((g) => !remove.includes(g)), ...add.filter((g) => !cur.launchPermissions.includes(g))];
      return { ...cur, launchPermissions: perms, Description: description ?? cur.Description };
    });
    return {};
  },
};
