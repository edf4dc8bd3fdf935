// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS volumes: Create/Describe/Delete, Attach/Detach (attaching → attached, detaching → gone),
 * ModifyVolume (grow only) + DescribeVolumesModifications, DescribeVolumeAttribute.
 */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, incorrectState, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { candidates, loadRecord, VOLUME } from '../core/load.js';
import { paginate } from '../core/paging.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import { date, type Ec2Env, type TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { zonesOf } from '../network.js';
import type { InstanceRec, SnapshotRec, VolumeModificationRec, VolumeRec } from '../records.js';
import { checkDeviceName, volumeParams } from '../volume-params.js';
import { loadInstances } from './instances.js';
import { findSnapshot } from './snapshot-attrs.js';

export function renderVolume(v: VolumeRec): Record<string, unknown> {
  return {
    Attachments: v.attachment
      ? [{ AttachTime: date(v.attachment.AttachTime), Device: v.attachment.Device, InstanceId: v.attachment.InstanceId, State: v.attachment.State, VolumeId: v.id, DeleteOnTermination: v.attachment.DeleteOnTermination }]
      : [],
    AvailabilityZone: v.AvailabilityZone,
    CreateTime: date(v.CreateTime),
    Encrypted: v.Encrypted,
    KmsKeyId: v.KmsKeyId,
    Size: v.Size,
    SnapshotId: v.SnapshotId,
    State: v.State,
    VolumeId: v.id,
    Iops: v.Iops,
    Tags: v.Tags?.length ? v.Tags : undefined,
    VolumeType: v.VolumeType,
    FastRestored: false,
    MultiAttachEnabled: v.MultiAttachEnabled,
    Throughput: v.Throughput,
  };
}

export function loadVolume(env: Ec2Env, accountId: string, id: string | undefined): Promise<VolumeRec> {
  return loadRecord<VolumeRec>(env.store, accountId, VOLUME, id);
}

function renderModification(m: VolumeModificationRec): Record<string, unknown> {
  const { id: _id, Tags: _t, StartTime, EndTime, ...rest } = m;
  return { ...rest, StartTime: date(StartTime), EndTime: EndTime === undefined ? undefined : date(EndTime) };
}

function attachmentOf(v: VolumeRec): Record<string, unknown> {
  const a = v.attachment!;
  return { AttachTime: date(a.AttachTime), Device: a.Device, InstanceId: a.InstanceId, State: a.State, VolumeId: v.id, DeleteOnTermination: a.DeleteOnTermination };
}

const volumeFilters = {
  'volume-id': (v: VolumeRec) => v.id,
  status: (v: VolumeRec) => v.State,
  size: (v: VolumeRec) => v.Size,
  'volume-type': (v: VolumeRec) => v.VolumeType,
  'availability-zone': (v: VolumeRec) => v.AvailabilityZone,
  'create-time': (v: VolumeRec) => new Date(v.CreateTime).toISOString(),
  'snapshot-id': (v: VolumeRec) => v.SnapshotId,
  encrypted: (v: VolumeRec) => v.Encrypted,
  'multi-attach-enabled': (v: VolumeRec) => v.MultiAttachEnabled,
  'fast-restored': () => false,
  'attachment.instance-id': (v: VolumeRec) => v.attachment?.InstanceId,
  'attachment.device': (v: VolumeRec) => v.attachment?.Device,
  'attachment.status': (v: VolumeRec) => v.attachment?.State,
  'attachment.attach-time': (v: VolumeRec) => (v.attachment ? new Date(v.attachment.AttachTime).toISOString() : undefined),
  'attachment.delete-on-termination': (v: VolumeRec) => v.attachment?.DeleteOnTermination,
};

interface CreateVolumeInput {
  AvailabilityZone?: string;
  Size?: number;
  SnapshotId?: string;
  VolumeType?: string;
  Iops?: number;
  Throughput?: number;
  Encrypted?: boolean;
  KmsKeyId?: string;
  MultiAttachEnabled?: boolean;
  TagSpecifications?: TagSpecification[];
  ClientToken?: string;
  DryRun?: boolean;
}

export const volumeOps: TypedOps = {
  async CreateVolume(env, ctx, input: CreateVolumeInput) {
    const acct = ctx.accountId;
    const saved = await env.idem.lookup<string>(acct, 'CreateVolume', input.ClientToken, input);
    if (saved) {
      const v = await env.store.get<VolumeRec>(acct, 'volume', saved);
      if (v) return renderVolume(v);
    }
    if (!input.AvailabilityZone) throw missingParameter('AvailabilityZone');
    const zones = await zonesOf(env, ctx.region);
    if (!zones.some((z) => z.ZoneName === input.AvailabilityZone)) throw invalidParameter(`Invalid availability zone: [${input.AvailabilityZone}]`);
    let snap: SnapshotRec | undefined;
    if (input.SnapshotId) {
      checkIds('snap', [input.SnapshotId]);
      snap = await findSnapshot(env, acct, input.SnapshotId);
      if (!snap) throw notFound('snapshot', [input.SnapshotId]);
      if (snap.State !== 'completed') throw incorrectState(`Snapshot '${snap.id}' is not 'completed'.`);
    }
    const p = volumeParams(input, snap?.VolumeSize);
    if (input.MultiAttachEnabled) throw invalidParameter('Multi-Attach is not supported by this gateway.');
    if (input.KmsKeyId && !input.Encrypted && !snap?.Encrypted) throw new AwsError('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.');
    const tags = tagsFromSpecs(input.TagSpecifications, ['volume']).get('volume');
    if (input.DryRun) throw dryRunOk();
    const encrypted = input.Encrypted === true || snap?.Encrypted === true;
    const v: VolumeRec = {
      id: newId('vol'),
      AvailabilityZone: input.AvailabilityZone,
      CreateTime: env.now(),
      Size: p.Size,
      SnapshotId: snap?.id ?? '',
      State: 'creating',
      VolumeType: p.VolumeType,
      Iops: p.Iops,
      Throughput: p.Throughput,
      Encrypted: encrypted,
      KmsKeyId: encrypted ? (input.KmsKeyId ?? `arn:aws:kms:${ctx.region}:${acct}:alias/aws/ebs`) : undefined,
      MultiAttachEnabled: false,
      Tags: tags,
      ClientToken: input.ClientToken,
    };
    await env.store.transact(acct, (tx) => {
      tx.put('volume', v.id, v);
      env.idem.rememberIn(tx, 'CreateVolume', input.ClientToken, input, v.id, env.now());
    });
    try {
      await env.backend.createVolume(acct, { volumeId: v.id, zone: v.AvailabilityZone, sizeGiB: v.Size, volumeType: v.VolumeType, iops: v.Iops, throughput: v.Throughput, fromSnapshot: snap?.id, fromSnapshotAccount: snap && snap.OwnerId !== acct ? snap.OwnerId : undefined });
    } catch (e) {
      env.gw.log.error('ec2 volume creation failed in the backend', { err: String(e), volumeId: v.id });
      await env.store.update<VolumeRec>(acct, 'volume', v.id, (c) => (c ? { ...c, State: 'error' } : c));
      return renderVolume({ ...v, State: 'error' });
    }
    return renderVolume(v);
  },

  async DescribeVolumes(env, ctx, input: S.DescribeVolumesInput) {
    const ids = checkIds('vol', input.VolumeIds ?? []);
    if (ids.length && input.MaxResults !== undefined) throw invalidParameter('The parameter volumeSet cannot be used with the parameter maxResults');
    const all = ids.length ? await env.store.list<VolumeRec>(ctx.accountId, 'volume') : await candidates<VolumeRec>(env.store, ctx.accountId, 'volume', input.Filters);
    const missing = ids.filter((id) => !all.some((v) => v.id === id));
    if (missing.length) throw notFound('volume', missing);
    const match = compileFilters<VolumeRec>(input.Filters, volumeFilters, (v) => v.Tags);
    const picked = all.filter((v) => (!ids.length || ids.includes(v.id)) && match(v));
    const page = paginate(picked, (v) => v.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 500 });
    return { Volumes: page.items.map(renderVolume), NextToken: page.nextToken };
  },

  async DeleteVolume(env, ctx, input: S.DeleteVolumeInput) {
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    const check = (cur: VolumeRec) => {
      if (cur.attachment) throw new AwsError('VolumeInUse', `Volume ${cur.id} is currently attached to ${cur.attachment.InstanceId}`);
      if (cur.State === 'deleting' || cur.State === 'deleted') throw incorrectState(`The volume '${cur.id}' is '${cur.State}'.`);
    };
    check(v);
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<VolumeRec>('volume', v.id);
      if (!cur) throw notFound('volume', [v.id]);
      check(cur);
      tx.put('volume', v.id, { ...cur, State: 'deleting' });
    });
    await env.backend.deleteVolume(ctx.accountId, v.id);
    return {};
  },

  async AttachVolume(env, ctx, input: S.AttachVolumeInput) {
    if (!input.Device) throw missingParameter('Device');
    if (!input.InstanceId) throw missingParameter('InstanceId');
    checkDeviceName(input.Device);
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    const [inst] = await loadInstances(env, ctx.accountId, [input.InstanceId]);
    const device = input.Device;
    const check = (vol: VolumeRec, i: InstanceRec) => {
      if (vol.attachment) throw new AwsError('VolumeInUse', `${vol.id} is already attached to an instance`);
      if (vol.State !== 'available') throw incorrectState(`${vol.id} is not 'available'.`);
      if (i.state !== 'running' && i.state !== 'stopped') throw incorrectInstanceStateMsg(i);
      if (vol.AvailabilityZone !== i.AvailabilityZone) throw new AwsError('InvalidVolume.ZoneMismatch', `The volume '${vol.id}' is not in the same availability zone as instance '${i.id}'`);
      if (i.blockDevices.some((b) => b.DeviceName === device)) throw invalidParameter(`Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`);
    };
    check(v, inst);
    if (input.DryRun) throw dryRunOk();
    const now = env.now();
    const updated = await env.store.transact(ctx.accountId, (tx) => {
      const vol = tx.get<VolumeRec>('volume', v.id);
      const i = tx.get<InstanceRec>('instance', inst.id);
      if (!vol) throw notFound('volume', [v.id]);
      if (!i) throw notFound('instance', [inst.id]);
      check(vol, i);
      const next: VolumeRec = { ...vol, State: 'in-use', attachment: { InstanceId: i.id, Device: device, State: 'attaching', AttachTime: now, DeleteOnTermination: false } };
      tx.put('volume', vol.id, next);
      tx.put('instance', i.id, { ...i, blockDevices: [...i.blockDevices, { DeviceName: device, VolumeId: vol.id, Status: 'attaching', AttachTime: now, DeleteOnTermination: false }] });
      return next;
    });
    await env.backend.attachVolume(ctx.accountId, v.id, inst.id, device);
    return attachmentOf(updated);
  },

  async DetachVolume(env, ctx, input: S.DetachVolumeInput) {
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    if (input.InstanceId) checkIds('i', [input.InstanceId]);
    const check = (vol: VolumeRec, i: InstanceRec | undefined) => {
      const a = vol.attachment;
      if (!a) throw incorrectState(`Volume '${vol.id}' is in the '${vol.State}' state.`);
      if ((input.InstanceId && a.InstanceId !== input.InstanceId) || (input.Device && a.Device !== input.Device)) {
        throw new AwsError('InvalidAttachment.NotFound', `The volume '${vol.id}' is not attached to instance '${input.InstanceId ?? a.InstanceId}' as device '${input.Device ?? a.Device}'`);
      }
      if (a.State === 'detaching' && !input.Force) throw incorrectState(`Volume '${vol.id}' is already detaching.`);
      if (i && i.RootDeviceName === a.Device && i.state !== 'stopped' && i.state !== 'terminated') {
        throw new AwsError('IncorrectState', `Unable to detach root volume '${vol.id}' from instance '${i.id}'`);
      }
    };
    const inst = v.attachment ? await env.store.get<InstanceRec>(ctx.accountId, 'instance', v.attachment.InstanceId) : undefined;
    check(v, inst);
    if (input.DryRun) throw dryRunOk();
    const updated = await env.store.transact(ctx.accountId, (tx) => {
      const vol = tx.get<VolumeRec>('volume', v.id);
      if (!vol) throw notFound('volume', [v.id]);
      const i = vol.attachment ? tx.get<InstanceRec>('instance', vol.attachment.InstanceId) : undefined;
      check(vol, i);
      const next: VolumeRec = { ...vol, attachment: { ...vol.attachment!, State: 'detaching' } };
      tx.put('volume', vol.id, next);
      if (i) tx.put('instance', i.id, { ...i, blockDevices: i.blockDevices.map((b) => (b.VolumeId === vol.id ? { ...b, Status: 'detaching' } : b)) });
      return next;
    });
    await env.backend.detachVolume(ctx.accountId, v.id, updated.attachment!.InstanceId, input.Force === true);
    return attachmentOf(updated);
  },

  async ModifyVolume(env, ctx, input: S.ModifyVolumeInput) {
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    if (v.State !== 'available' && v.State !== 'in-use') throw incorrectState(`The volume '${v.id}' is '${v.State}'.`);
    if (input.Size !== undefined && input.Size < v.Size) throw invalidParameter(`New size cannot be smaller than existing size`);
    if (input.MultiAttachEnabled) throw invalidParameter('Multi-Attach is not supported by this gateway.');
    const type = input.VolumeType ?? v.VolumeType;
    const keepPerf = type === v.VolumeType;
    const p = volumeParams({
      VolumeType: type,
      Size: input.Size ?? v.Size,
      Iops: input.Iops ?? (keepPerf && (type === 'gp3' || type === 'io1' || type === 'io2') ? v.Iops : undefined),
      Throughput: input.Throughput ?? (keepPerf && type === 'gp3' ? v.Throughput : undefined),
    });
    const prev = await env.store.get<VolumeModificationRec>(ctx.accountId, 'volmod', v.id);
    if (prev && (prev.ModificationState === 'modifying' || prev.ModificationState === 'optimizing')) {
      throw new AwsError('IncorrectModificationState', `Volume ${v.id} is already being modified.`);
    }
    if (input.DryRun) throw dryRunOk();
    const now = env.now();
    const mod: VolumeModificationRec = {
      id: v.id,
      VolumeId: v.id,
      ModificationState: 'modifying',
      TargetSize: p.Size,
      TargetIops: p.Iops,
      TargetVolumeType: p.VolumeType,
      TargetThroughput: p.Throughput,
      TargetMultiAttachEnabled: false,
      OriginalSize: v.Size,
      OriginalIops: v.Iops,
      OriginalVolumeType: v.VolumeType,
      OriginalThroughput: v.Throughput,
      OriginalMultiAttachEnabled: v.MultiAttachEnabled,
      Progress: 0,
      StartTime: now,
    };
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<VolumeRec>('volume', v.id);
      if (!cur) throw notFound('volume', [v.id]);
      tx.put('volume', v.id, { ...cur, Size: p.Size, VolumeType: p.VolumeType, Iops: p.Iops, Throughput: p.Throughput, modificationId: v.id });
      tx.put('volmod', v.id, mod);
    });
    await env.backend.modifyVolume(ctx.accountId, v.id, v.id, { sizeGiB: p.Size, iops: p.Iops, throughput: p.Throughput, volumeType: p.VolumeType });
    return { VolumeModification: renderModification(mod) };
  },

  async DescribeVolumesModifications(env, ctx, input: S.DescribeVolumesModificationsInput) {
    const ids = checkIds('vol', input.VolumeIds ?? []);
    const all = await env.store.list<VolumeModificationRec>(ctx.accountId, 'volmod');
    const missing = ids.filter((id) => !all.some((m) => m.id === id));
    if (missing.length) throw notFound('modification', missing);
    const match = compileFilters<VolumeModificationRec>(input.Filters, {
      'volume-id': (m) => m.VolumeId,
      'modification-state': (m) => m.ModificationState,
      'target-size': (m) => m.TargetSize,
      'target-iops': (m) => m.TargetIops,
      'target-volume-type': (m) => m.TargetVolumeType,
      'target-throughput': (m) => m.TargetThroughput,
      'original-size': (m) => m.OriginalSize,
      'original-iops': (m) => m.OriginalIops,
      'original-volume-type': (m) => m.OriginalVolumeType,
      'start-time': (m) => new Date(m.StartTime).toISOString(),
    });
    const picked = all.filter((m) => (!ids.length || ids.includes(m.id)) && match(m));
    const page = paginate(picked, (m) => m.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 500 });
    return { VolumesModifications: page.items.map(renderModification), NextToken: page.nextToken };
  },

  async DescribeVolumeAttribute(env, ctx, input: S.DescribeVolumeAttributeInput) {
    const v = await loadVolume(env, ctx.accountId, input.VolumeId);
    if (input.Attribute === 'autoEnableIO') return { VolumeId: v.id, AutoEnableIO: { Value: false } };
    if (input.Attribute === 'productCodes') return { VolumeId: v.id, ProductCodes: [] };
    throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Valid values are: autoEnableIO, productCodes.`);
  },
};

function incorrectInstanceStateMsg(i: InstanceRec): AwsError {
  return new AwsError('IncorrectState', `Instance '${i.id}' is not 'running'.`);
}
