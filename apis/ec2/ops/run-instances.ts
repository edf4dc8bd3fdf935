// SPDX-License-Identifier: AGPL-3.0-or-later
/** RunInstances: validation, placement, addresses, root and extra volumes, tags, idempotency. */
import type { RequestContext } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import type { LaunchSpec, VolumeSpec } from '../backend.js';
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { checkIds, newId, newMac } from '../core/ids.js';
import type { Tag } from '../core/store.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { Ec2Env, TypedOps } from '../env.js';
import { allocateIp, ensureDefaultVpc, zonesOf } from '../network.js';
import type { BlockDeviceRec, InstanceRec, KeyPairRec, SecurityGroupRec, SnapshotRec, SubnetRec, VolumeRec } from '../records.js';
import { renderInstance } from '../render.js';
import { checkDeviceName, volumeParams } from '../volume-params.js';
import { findImage, type ImageView } from './images.js';
import type { RunInstancesInput } from '../shapes.gen.js';

type RunInput = RunInstancesInput;
type EbsSpec = NonNullable<NonNullable<RunInput['BlockDeviceMappings']>[number]['Ebs']>;

interface VolumePlan {
  device: string;
  deleteOnTermination: boolean;
  params: ReturnType<typeof volumeParams>;
  snapshotId?: string;
  encrypted: boolean;
  root: boolean;
}

const USER_DATA_MAX = 16 * 1024;

function checkUserData(ud: string | undefined): void {
  if (ud === undefined) return;
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(ud)) throw invalidParameter('Invalid BASE64 encoding of user data.');
  if (Buffer.from(ud, 'base64').length > USER_DATA_MAX) throw invalidParameter(`User data is limited to ${USER_DATA_MAX} bytes`);
}

/**
 * The volumes of each instance: the image's block devices (root and data volumes, as CreateImage
 * recorded them) with the request's mappings laid over them — a mapping for an image device
 * changes its size, type or deletion flag, NoDevice leaves it out — plus the request's mappings
 * for devices the image does not have.
 */
function planVolumes(input: RunInput, image: ImageView, snapshots: Map<string, SnapshotRec>): VolumePlan[] {
  const root = image.devices.find((d) => d.DeviceName === image.RootDeviceName) ?? image.devices[0];
  const requested = new Map<string, NonNullable<RunInput['BlockDeviceMappings']>[number]>();
  for (const m of input.BlockDeviceMappings ?? []) {
    if (!m.DeviceName) throw missingParameter('BlockDeviceMapping.DeviceName');
    checkDeviceName(m.DeviceName);
    if (requested.has(m.DeviceName)) throw invalidParameter(`The device '${m.DeviceName}' is used in more than one block-device mapping`);
    requested.set(m.DeviceName, m);
  }
  const suppressed = (device: string) => {
    const m = requested.get(device);
    return m !== undefined && (m.NoDevice !== undefined || !!m.VirtualName);
  };
  const plans: VolumePlan[] = [];
  for (const d of image.devices) {
    if (d === root || suppressed(d.DeviceName)) continue;
    const ebs = requested.get(d.DeviceName)?.Ebs;
    const snap = ebs?.SnapshotId ? snapshots.get(ebs.SnapshotId) : undefined;
    if (ebs?.VolumeSize !== undefined && ebs.VolumeSize < d.VolumeSize && !snap) {
      throw new AwsError('InvalidBlockDeviceMapping', `Volume of size ${ebs.VolumeSize}GB is smaller than snapshot '${d.SnapshotId ?? image.id}', expect size >= ${d.VolumeSize}GB`);
    }
    plans.push({
      device: d.DeviceName,
      deleteOnTermination: ebs?.DeleteOnTermination ?? d.DeleteOnTermination,
      params: volumeParams({ VolumeType: ebs?.VolumeType ?? d.VolumeType, Size: ebs?.VolumeSize ?? d.VolumeSize, Iops: ebs?.Iops, Throughput: ebs?.Throughput }, snap?.VolumeSize ?? d.VolumeSize),
      snapshotId: snap?.id ?? d.SnapshotId,
      encrypted: (ebs?.Encrypted ?? d.Encrypted) || snap?.Encrypted === true,
      root: false,
    });
  }
  let rootSpec: EbsSpec | undefined;
  for (const m of requested.values()) {
    if (m.NoDevice !== undefined || m.VirtualName || !m.Ebs) continue;
    if (m.DeviceName === image.RootDeviceName) {
      rootSpec = m.Ebs;
      continue;
    }
    if (image.devices.some((d) => d.DeviceName === m.DeviceName)) continue;
    const snap = m.Ebs.SnapshotId ? snapshots.get(m.Ebs.SnapshotId) : undefined;
    plans.push({
      device: m.DeviceName!,
      deleteOnTermination: m.Ebs.DeleteOnTermination ?? true,
      params: volumeParams({ VolumeType: m.Ebs.VolumeType, Size: m.Ebs.VolumeSize, Iops: m.Ebs.Iops, Throughput: m.Ebs.Throughput }, snap?.VolumeSize),
      snapshotId: snap?.id,
      encrypted: (m.Ebs.Encrypted ?? false) || snap?.Encrypted === true,
      root: false,
    });
  }
  if (rootSpec?.VolumeSize !== undefined && rootSpec.VolumeSize < root.VolumeSize) {
    throw new AwsError('InvalidBlockDeviceMapping', `Volume of size ${rootSpec.VolumeSize}GB is smaller than snapshot '${root.SnapshotId ?? image.id}', expect size >= ${root.VolumeSize}GB`);
  }
  plans.unshift({
    device: image.RootDeviceName,
    deleteOnTermination: rootSpec?.DeleteOnTermination ?? root.DeleteOnTermination,
    params: volumeParams({ VolumeType: rootSpec?.VolumeType ?? root.VolumeType, Size: rootSpec?.VolumeSize ?? root.VolumeSize, Iops: rootSpec?.Iops, Throughput: rootSpec?.Throughput }),
    snapshotId: root.SnapshotId,
    encrypted: rootSpec?.Encrypted ?? root.Encrypted,
    root: true,
  });
  return plans;
}

/** Resolves the subnet: explicit, from the primary network interface, or the default one for the zone. */
async function pickSubnet(env: Ec2Env, ctx: RequestContext, input: RunInput): Promise<SubnetRec> {
  const nic = input.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0);
  const subnetId = input.SubnetId || nic?.SubnetId;
  const az = input.Placement?.AvailabilityZone || undefined;
  if (subnetId) {
    checkIds('subnet', [subnetId]);
    const s = await env.store.get<SubnetRec>(ctx.accountId, 'subnet', subnetId);
    if (!s) throw notFound('subnet', [subnetId]);
    if (az && az !== s.AvailabilityZone) throw invalidParameter(`The subnet ID '${subnetId}' is not in the availability zone '${az}'`);
    return s;
  }
  const vpcId = await ensureDefaultVpc(env, ctx.accountId, ctx.region);
  const zones = await zonesOf(env, ctx.region);
  if (az && !zones.some((z) => z.ZoneName === az)) throw invalidParameter(`Invalid availability zone: [${az}]`);
  const subnets = (await env.store.list<SubnetRec>(ctx.accountId, 'subnet')).filter((s) => s.VpcId === vpcId && s.DefaultForAz);
  const s = az ? subnets.find((x) => x.AvailabilityZone === az) : subnets.sort((a, b) => (a.AvailabilityZone < b.AvailabilityZone ? -1 : 1))[0];
  if (!s) throw new AwsError('MissingInput', 'No subnets found for the default VPC. Please specify a subnet.');
  return s;
}

async function pickGroups(env: Ec2Env, ctx: RequestContext, input: RunInput, subnet: SubnetRec): Promise<Array<{ GroupId: string; GroupName: string }>> {
  const nic = input.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0);
  const ids = [...(input.SecurityGroupIds ?? []), ...(nic?.Groups ?? [])];
  const names = input.SecurityGroups ?? [];
  checkIds('sg', ids);
  const all = (await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg')).filter((g) => g.VpcId === subnet.VpcId || ids.includes(g.id));
  const out: Array<{ GroupId: string; GroupName: string }> = [];
  for (const id of ids) {
    const g = all.find((x) => x.id === id);
    if (!g) throw notFound('group', [id]);
    if (g.VpcId !== subnet.VpcId) throw invalidParameter(`Security group ${id} and subnet ${subnet.id} belong to different networks.`);
    if (!out.some((o) => o.GroupId === id)) out.push({ GroupId: g.id, GroupName: g.GroupName });
  }
  for (const name of names) {
    const g = all.find((x) => x.GroupName === name && x.VpcId === subnet.VpcId);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${subnet.VpcId}'`);
    if (!out.some((o) => o.GroupId === g.id)) out.push({ GroupId: g.id, GroupName: g.GroupName });
  }
  if (out.length === 0) {
    const d = all.find((g) => g.GroupName === 'default' && g.VpcId === subnet.VpcId);
    if (d) out.push({ GroupId: d.id, GroupName: d.GroupName });
  }
  return out;
}

export const runOps: TypedOps = {
  async RunInstances(env, ctx, input: RunInput) {
    const acct = ctx.accountId;
    const saved = await env.idem.lookup<{ reservationId: string; ids: string[] }>(acct, 'RunInstances', input.ClientToken, input);
    if (saved) {
      const list = await Promise.all(saved.ids.map((id) => env.store.get<InstanceRec>(acct, 'instance', id)));
      const insts = list.filter((i): i is InstanceRec => !!i);
      return { ReservationId: saved.reservationId, OwnerId: acct, Groups: [], Instances: insts.map((i) => renderInstance(i, ctx.region)) };
    }
    if (input.LaunchTemplate) throw new AwsError('InvalidParameterValue', 'Launch templates are not supported by this gateway yet.');
    const min = input.MinCount;
    const max = input.MaxCount;
    if (min === undefined) throw missingParameter('MinCount');
    if (max === undefined) throw missingParameter('MaxCount');
    if (!Number.isInteger(min) || min < 1) throw invalidParameter(`Value (${min}) for parameter minCount is invalid. Expecting a value greater than 0.`);
    if (!Number.isInteger(max) || max < min) throw invalidParameter(`Value (${max}) for parameter maxCount is invalid. Expecting a value greater than or equal to minCount (${min}).`);
    if (max > 1000) throw new AwsError('InstanceLimitExceeded', `You have requested more instances (${max}) than your current instance limit of 1000 allows for the specified instance type.`);
    if (!input.ImageId) throw missingParameter('ImageId');
    checkIds('ami', [input.ImageId]);
    const image = await findImage(env, acct, input.ImageId);
    if (!image || image.State !== 'available') throw notFound('image', [input.ImageId]);
    const typeName = input.InstanceType ?? String((env.gw.config.ec2 as Record<string, unknown>).defaultInstanceType ?? 't3.micro');
    const type = env.types.get(typeName);
    if (!type) throw invalidParameter(`Invalid value '${typeName}' for InstanceType.`);
    if (!type.architectures.includes(image.Architecture)) {
      throw invalidParameter(`The architecture '${type.architectures[0]}' of the specified instance type does not match the architecture '${image.Architecture}' of the specified AMI.`);
    }
    let key: KeyPairRec | undefined;
    if (input.KeyName) {
      key = (await env.store.list<KeyPairRec>(acct, 'keypair')).find((k) => k.KeyName === input.KeyName);
      if (!key) throw notFound('keypair', [input.KeyName]);
    }
    checkUserData(input.UserData);
    const sdb = input.InstanceInitiatedShutdownBehavior ?? 'stop';
    if (sdb !== 'stop' && sdb !== 'terminate') throw invalidParameter(`Value (${sdb}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are: stop, terminate.`);
    const tenancy = input.Placement?.Tenancy || 'default';
    if (tenancy !== 'default') throw invalidParameter(`The requested tenancy '${tenancy}' is not supported by this gateway.`);
    const credits = input.CreditSpecification?.CpuCredits;
    if (credits !== undefined) {
      if (!type.burstable) throw new AwsError('InvalidParameterCombination', `The parameter CreditSpecification is not supported for ${type.name} instances.`);
      if (credits !== 'standard' && credits !== 'unlimited') throw invalidParameter(`Value (${credits}) for parameter cpuCredits is invalid. Valid values are: standard, unlimited.`);
    }
    const tags = tagsFromSpecs(input.TagSpecifications, ['instance', 'volume', 'network-interface']);
    const snapshots = new Map<string, SnapshotRec>();
    for (const m of input.BlockDeviceMappings ?? []) {
      const id = m.Ebs?.SnapshotId;
      if (!id || m.DeviceName === image.RootDeviceName) continue;
      checkIds('snap', [id]);
      const snap = await env.store.get<SnapshotRec>(acct, 'snapshot', id);
      if (!snap) throw notFound('snapshot', [id]);
      if (snap.State !== 'completed') throw new AwsError('IncorrectState', `Snapshot '${id}' is not 'completed'.`);
      snapshots.set(id, snap);
    }
    const volumes = planVolumes(input, image, snapshots);
    const subnet = await pickSubnet(env, ctx, input);
    const groups = await pickGroups(env, ctx, input, subnet);
    const nic = input.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0);
    const requestedIp = input.PrivateIpAddress ?? nic?.PrivateIpAddress;
    if (requestedIp && max > 1) throw invalidParameter('Cannot specify a private IP address when launching more than one instance.');
    if (input.DryRun) throw dryRunOk();

    const now = env.now();
    const reservationId = newId('r');
    const created = await env.store.transact(acct, (tx) => {
      const s = tx.get<SubnetRec>('subnet', subnet.id)!;
      const insts: InstanceRec[] = [];
      const vols: VolumeRec[] = [];
      for (let n = 0; n < max; n++) {
        const id = newId('i');
        let ip: string;
        try {
          ip = allocateIp(s, id, requestedIp);
        } catch (e) {
          if (n >= min && e instanceof AwsError && e.code === 'InsufficientFreeAddressesInSubnet') break;
          throw e;
        }
        const bds: BlockDeviceRec[] = [];
        for (const p of volumes) {
          const v: VolumeRec = {
            id: newId('vol'),
            AvailabilityZone: s.AvailabilityZone,
            CreateTime: now,
            Size: p.params.Size,
            SnapshotId: p.snapshotId ?? '',
            State: 'in-use',
            VolumeType: p.params.VolumeType,
            Iops: p.params.Iops,
            Throughput: p.params.Throughput,
            Encrypted: p.encrypted,
            MultiAttachEnabled: false,
            attachment: { InstanceId: id, Device: p.device, State: 'attached', AttachTime: now, DeleteOnTermination: p.deleteOnTermination },
            Tags: tags.get('volume'),
          };
          vols.push(v);
          bds.push({ DeviceName: p.device, VolumeId: v.id, Status: 'attached', AttachTime: now, DeleteOnTermination: p.deleteOnTermination });
        }
        insts.push({
          id,
          reservationId,
          ownerId: acct,
          ImageId: image.id,
          InstanceType: type.name,
          KeyName: key?.KeyName,
          LaunchTime: now,
          AmiLaunchIndex: n,
          state: 'pending',
          stateSince: now,
          StateTransitionReason: '',
          SubnetId: s.id,
          VpcId: s.VpcId,
          AvailabilityZone: s.AvailabilityZone,
          Tenancy: tenancy,
          PrivateIpAddress: ip,
          MacAddress: newMac(),
          eniId: newId('eni'),
          eniAttachmentId: newId('eni-attach'),
          groups,
          UserData: input.UserData,
          DisableApiTermination: input.DisableApiTermination ?? false,
          DisableApiStop: input.DisableApiStop ?? false,
          InstanceInitiatedShutdownBehavior: sdb,
          SourceDestCheck: true,
          EbsOptimized: input.EbsOptimized ?? false,
          Architecture: image.Architecture,
          PlatformDetails: image.PlatformDetails,
          RootDeviceName: image.RootDeviceName,
          blockDevices: bds,
          ClientToken: input.ClientToken,
          MetadataOptions: {
            HttpTokens: input.MetadataOptions?.HttpTokens ?? 'optional',
            HttpPutResponseHopLimit: input.MetadataOptions?.HttpPutResponseHopLimit ?? 1,
            HttpEndpoint: input.MetadataOptions?.HttpEndpoint ?? 'enabled',
            InstanceMetadataTags: input.MetadataOptions?.InstanceMetadataTags ?? 'disabled',
          },
          Monitoring: input.Monitoring?.Enabled ? 'enabled' : 'disabled',
          cpuCredits: type.burstable ? (credits ?? 'unlimited') : undefined,
          Tags: tags.get('instance') as Tag[] | undefined,
        });
      }
      tx.put('subnet', s.id, s);
      for (const i of insts) tx.put('instance', i.id, i);
      for (const v of vols) tx.put('volume', v.id, v);
      env.idem.rememberIn(tx, 'RunInstances', input.ClientToken, input, { reservationId, ids: insts.map((i) => i.id) }, now);
      return { insts, vols };
    });

    // the backend calls of all instances run concurrently (a store batches their writes)
    await Promise.all(created.insts.map(async (inst) => {
      try {
        for (const v of created.vols.filter((x) => x.attachment?.InstanceId === inst.id)) {
          const spec: VolumeSpec = { volumeId: v.id, zone: v.AvailabilityZone, sizeGiB: v.Size, volumeType: v.VolumeType, iops: v.Iops, throughput: v.Throughput };
          const root = v.attachment?.Device === image.RootDeviceName;
          if (v.SnapshotId) {
            spec.fromSnapshot = v.SnapshotId;
            // the image's own snapshots (root and data devices) belong to its owner
            if (image.OwnerId !== acct && image.devices.some((d) => d.SnapshotId === v.SnapshotId)) spec.fromSnapshotAccount = image.OwnerId;
          } else if (root) {
            spec.fromImage = image.id;
          }
          await env.backend.createVolume(acct, spec);
        }
        const launch: LaunchSpec = {
          instanceId: inst.id,
          imageId: image.id,
          instanceType: type.name,
          vcpus: type.vcpus,
          memoryMiB: type.memoryMiB,
          zone: inst.AvailabilityZone,
          privateIp: inst.PrivateIpAddress,
          macAddress: inst.MacAddress,
          subnetId: inst.SubnetId,
          securityGroupIds: groups.map((g) => g.GroupId),
          userData: inst.UserData,
          rootVolumeId: inst.blockDevices[0].VolumeId,
          sshPublicKey: key?.PublicKey,
        };
        await env.backend.launch(acct, launch);
      } catch (e) {
        env.gw.log.error('ec2 launch failed in the backend', { err: String(e), instanceId: inst.id });
        await env.store.update<InstanceRec>(acct, 'instance', inst.id, (i) =>
          i ? { ...i, state: 'shutting-down', stateSince: now, StateReason: { Code: 'Server.InternalError', Message: 'Server.InternalError: Internal error on launch' } } : i,
        );
        try {
          await env.backend.terminate(acct, inst.id, inst.blockDevices.filter((b) => !b.DeleteOnTermination).map((b) => b.VolumeId));
        } catch {
          // nothing to tear down in the backend: finish the record (address, volumes) ourselves
          await env.sink.emit({ kind: 'instance', accountId: acct, id: inst.id, state: 'terminated' });
        }
      }
    }));
    const fresh = await Promise.all(created.insts.map((i) => env.store.get<InstanceRec>(acct, 'instance', i.id)));
    return {
      ReservationId: reservationId,
      OwnerId: acct,
      Groups: [],
      Instances: fresh.filter((i): i is InstanceRec => !!i).map((i) => renderInstance(i, ctx.region)),
    };
  },
};
