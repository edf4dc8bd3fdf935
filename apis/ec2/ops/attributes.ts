// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DescribeInstanceAttribute / ModifyInstanceAttribute, GetConsoleOutput and
 * DescribeInstanceCreditSpecifications.
 */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, incorrectInstanceState, invalidCombination, invalidParameter, missingParameter, notFound, unsupported } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import { date, type TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { InstanceRec, SecurityGroupRec } from '../records.js';
import { liveInstances, loadInstances } from './instances.js';

const ATTRIBUTES = [
  'instanceType', 'kernel', 'ramdisk', 'userData', 'disableApiTermination', 'instanceInitiatedShutdownBehavior', 'rootDeviceName',
  'blockDeviceMapping', 'productCodes', 'sourceDestCheck', 'groupSet', 'ebsOptimized', 'sriovNetSupport', 'enaSupport', 'enclaveOptions', 'disableApiStop',
];

type Val<T> = { Value?: T };

interface ModifyInput {
  InstanceId?: string;
  Attribute?: string;
  Value?: string;
  InstanceType?: Val<string>;
  UserData?: Val<Buffer | string>;
  DisableApiTermination?: Val<boolean>;
  DisableApiStop?: Val<boolean>;
  InstanceInitiatedShutdownBehavior?: Val<string>;
  SourceDestCheck?: Val<boolean>;
  EbsOptimized?: Val<boolean>;
  Groups?: string[];
  BlockDeviceMappings?: Array<{ DeviceName?: string; Ebs?: { VolumeId?: string; DeleteOnTermination?: boolean } }>;
  EnaSupport?: Val<boolean>;
  SriovNetSupport?: Val<string>;
  Kernel?: Val<string>;
  Ramdisk?: Val<string>;
  DryRun?: boolean;
}

const STRUCT_FIELDS: Array<[keyof ModifyInput, string]> = [
  ['InstanceType', 'instanceType'],
  ['UserData', 'userData'],
  ['DisableApiTermination', 'disableApiTermination'],
  ['DisableApiStop', 'disableApiStop'],
  ['InstanceInitiatedShutdownBehavior', 'instanceInitiatedShutdownBehavior'],
  ['SourceDestCheck', 'sourceDestCheck'],
  ['EbsOptimized', 'ebsOptimized'],
  ['Groups', 'groupSet'],
  ['BlockDeviceMappings', 'blockDeviceMapping'],
  ['EnaSupport', 'enaSupport'],
  ['SriovNetSupport', 'sriovNetSupport'],
  ['Kernel', 'kernel'],
  ['Ramdisk', 'ramdisk'],
];

function bool(v: string, attr: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidParameter(`Value (${v}) for parameter ${attr} is invalid. Expecting true or false.`);
}

/** The one attribute a ModifyInstanceAttribute call changes, as [name, value]. */
function pickChange(input: ModifyInput): [string, unknown] {
  const given = STRUCT_FIELDS.filter(([f]) => {
    const v = input[f];
    return Array.isArray(v) ? v.length > 0 : v !== undefined;
  });
  if (input.Attribute !== undefined) given.push(['Attribute', input.Attribute]);
  if (given.length === 0) throw missingParameter('Attribute');
  if (given.length > 1) throw invalidCombination(`Fields for multiple attribute types specified: ${given.map(([, a]) => a).join(', ')}`);
  const [field, attr] = given[0];
  if (field !== 'Attribute') {
    const v = input[field] as Val<unknown> | unknown[];
    return [attr, Array.isArray(v) ? v : (v as Val<unknown>).Value];
  }
  if (!ATTRIBUTES.includes(input.Attribute!)) throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
  const raw = input.Value;
  if (raw === undefined) throw missingParameter('Value');
  const a = input.Attribute!;
  if (['disableApiTermination', 'disableApiStop', 'sourceDestCheck', 'ebsOptimized', 'enaSupport'].includes(a)) return [a, bool(raw, a)];
  return [a, raw];
}

export const attributeOps: TypedOps = {
  async DescribeInstanceAttribute(env, ctx, input: S.DescribeInstanceAttributeInput) {
    if (!input.InstanceId) throw missingParameter('InstanceId');
    if (!input.Attribute) throw missingParameter('Attribute');
    if (!ATTRIBUTES.includes(input.Attribute)) throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
    const [i] = await loadInstances(env, ctx.accountId, [input.InstanceId]);
    const out: Record<string, unknown> = { InstanceId: i.id };
    switch (input.Attribute) {
      case 'instanceType': out.InstanceType = { Value: i.InstanceType }; break;
      case 'kernel': out.KernelId = {}; break;
      case 'ramdisk': out.RamdiskId = {}; break;
      case 'userData': out.UserData = i.UserData ? { Value: i.UserData } : {}; break;
      case 'disableApiTermination': out.DisableApiTermination = { Value: i.DisableApiTermination }; break;
      case 'disableApiStop': out.DisableApiStop = { Value: i.DisableApiStop }; break;
      case 'instanceInitiatedShutdownBehavior': out.InstanceInitiatedShutdownBehavior = { Value: i.InstanceInitiatedShutdownBehavior }; break;
      case 'rootDeviceName': out.RootDeviceName = { Value: i.RootDeviceName }; break;
      case 'blockDeviceMapping':
        out.BlockDeviceMappings = i.blockDevices.map((b) => ({ DeviceName: b.DeviceName, Ebs: { AttachTime: date(b.AttachTime), DeleteOnTermination: b.DeleteOnTermination, Status: b.Status, VolumeId: b.VolumeId } }));
        break;
      case 'productCodes': out.ProductCodes = []; break;
      case 'sourceDestCheck': out.SourceDestCheck = { Value: i.SourceDestCheck }; break;
      case 'groupSet': out.Groups = i.groups; break;
      case 'ebsOptimized': out.EbsOptimized = { Value: i.EbsOptimized }; break;
      case 'sriovNetSupport': out.SriovNetSupport = { Value: 'simple' }; break;
      case 'enaSupport': out.EnaSupport = { Value: true }; break;
      case 'enclaveOptions': out.EnclaveOptions = { Enabled: false }; break;
    }
    return out;
  },

  async ModifyInstanceAttribute(env, ctx, input: ModifyInput) {
    if (!input.InstanceId) throw missingParameter('InstanceId');
    const [inst] = await loadInstances(env, ctx.accountId, [input.InstanceId]);
    const [attr, value] = pickChange(input);
    let patch: Partial<InstanceRec> = {};
    let resize: { instanceType: string; vcpus: number; memoryMiB: number } | undefined;
    const needStopped = () => {
      if (inst.state !== 'stopped') throw incorrectInstanceState(`The instance '${inst.id}' is not in the 'stopped' state.`);
    };
    switch (attr) {
      case 'instanceType': {
        const t = env.types.get(String(value));
        if (!t) throw invalidParameter(`Invalid value '${String(value)}' for InstanceType.`);
        needStopped();
        patch = { InstanceType: t.name, cpuCredits: t.burstable ? (inst.cpuCredits ?? 'unlimited') : undefined };
        resize = { instanceType: t.name, vcpus: t.vcpus, memoryMiB: t.memoryMiB };
        break;
      }
      case 'userData': {
        needStopped();
        const b64 = Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value ?? ''), 'utf8').toString('base64');
        if (Buffer.from(b64, 'base64').length > 16 * 1024) throw invalidParameter('User data is limited to 16384 bytes');
        patch = { UserData: b64 || undefined };
        break;
      }
      case 'disableApiTermination': patch = { DisableApiTermination: value === true }; break;
      case 'disableApiStop': patch = { DisableApiStop: value === true }; break;
      case 'sourceDestCheck': patch = { SourceDestCheck: value === true }; break;
      case 'ebsOptimized': needStopped(); patch = { EbsOptimized: value === true }; break;
      case 'instanceInitiatedShutdownBehavior':
        if (value !== 'stop' && value !== 'terminate') throw invalidParameter(`Value (${String(value)}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are: stop, terminate.`);
        patch = { InstanceInitiatedShutdownBehavior: value };
        break;
      case 'groupSet': {
        const ids = checkIds('sg', value as string[]);
        const groups: Array<{ GroupId: string; GroupName: string }> = [];
        for (const id of ids) {
          const g = await env.store.get<SecurityGroupRec>(ctx.accountId, 'sg', id);
          if (!g) throw notFound('group', [id]);
          if (g.VpcId !== inst.VpcId) throw invalidParameter(`Security group ${id} and instance ${inst.id} belong to different networks.`);
          groups.push({ GroupId: g.id, GroupName: g.GroupName });
        }
        patch = { groups };
        break;
      }
      case 'blockDeviceMapping': {
        const maps = value as NonNullable<ModifyInput['BlockDeviceMappings']>;
        const bds = inst.blockDevices.map((b) => ({ ...b }));
        for (const m of maps) {
          const b = bds.find((x) => x.DeviceName === m.DeviceName);
          if (!b) throw invalidParameter(`The device '${m.DeviceName ?? ''}' is not mapped on instance '${inst.id}'`);
          if (m.Ebs?.DeleteOnTermination !== undefined) b.DeleteOnTermination = m.Ebs.DeleteOnTermination;
        }
        patch = { blockDevices: bds };
        break;
      }
      default:
        throw unsupported(`Modifying the instance attribute '${attr}' is not supported by this gateway.`);
    }
    if (inst.state === 'terminated' || inst.state === 'shutting-down') throw incorrectInstanceState(`The instance '${inst.id}' is not in a state from which it can be modified.`);
    if (input.DryRun) throw dryRunOk();
    if (resize) await env.backend.resize(ctx.accountId, inst.id, resize);
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<InstanceRec>('instance', inst.id);
      if (!cur) throw notFound('instance', [inst.id]);
      if (resize && cur.state !== 'stopped') throw incorrectInstanceState(`The instance '${inst.id}' is not in the 'stopped' state.`);
      tx.put('instance', inst.id, { ...cur, ...patch });
      if (patch.blockDevices) {
        for (const b of patch.blockDevices) {
          const v = tx.get<{ attachment?: { DeleteOnTermination: boolean } }>('volume', b.VolumeId);
          if (v?.attachment) tx.put('volume', b.VolumeId, { ...v, attachment: { ...v.attachment, DeleteOnTermination: b.DeleteOnTermination } });
        }
      }
    });
    return {};
  },

  async GetConsoleOutput(env, ctx, input: S.GetConsoleOutputInput) {
    if (!input.InstanceId) throw missingParameter('InstanceId');
    const [i] = await loadInstances(env, ctx.accountId, [input.InstanceId]);
    const text = await env.backend.consoleOutput(ctx.accountId, i.id);
    return { InstanceId: i.id, Output: text === undefined ? undefined : Buffer.from(text, 'utf8').toString('base64'), Timestamp: date(env.now()) };
  },

  async ModifyInstanceCreditSpecification(env, ctx, input: S.ModifyInstanceCreditSpecificationInput) {
    const specs = input.InstanceCreditSpecifications ?? [];
    if (!specs.length) throw missingParameter('InstanceCreditSpecifications');
    for (const s of specs) {
      if (s.CpuCredits !== 'standard' && s.CpuCredits !== 'unlimited') throw invalidParameter(`Value (${s.CpuCredits ?? ''}) for parameter cpuCredits is invalid. Valid values are: standard, unlimited.`);
    }
    if (input.DryRun) throw dryRunOk();
    const ok: Array<{ InstanceId: string }> = [];
    const failed: Array<{ InstanceId: string; Error: { Code: string; Message: string } }> = [];
    for (const s of specs) {
      const id = s.InstanceId ?? '';
      const i = /^i-[0-9a-f]{8,17}$/.test(id) ? await env.store.get<InstanceRec>(ctx.accountId, 'instance', id) : undefined;
      if (!i || i.state === 'terminated') {
        failed.push({ InstanceId: id, Error: { Code: 'InvalidInstanceID.NotFound', Message: `The instance ID '${id}' does not exist` } });
      } else if (!env.types.get(i.InstanceType)?.burstable) {
        failed.push({ InstanceId: id, Error: { Code: 'InvalidInstanceType', Message: `The instance type ${i.InstanceType} does not support credit specifications.` } });
      } else {
        await env.store.update<InstanceRec>(ctx.accountId, 'instance', id, (cur) => (cur ? { ...cur, cpuCredits: s.CpuCredits } : cur));
        ok.push({ InstanceId: id });
      }
    }
    return { SuccessfulInstanceCreditSpecifications: ok, UnsuccessfulInstanceCreditSpecifications: failed };
  },

  async DescribeInstanceCreditSpecifications(env, ctx, input: S.DescribeInstanceCreditSpecificationsInput) {
    const ids = input.InstanceIds ?? [];
    const list = ids.length ? await loadInstances(env, ctx.accountId, ids) : await liveInstances(env, ctx.accountId);
    for (const i of list) {
      if (ids.length && !env.types.get(i.InstanceType)?.burstable) {
        throw new AwsError('UnsupportedOperation', `The instance '${i.id}' is not a burstable performance instance.`);
      }
    }
    const match = compileFilters<InstanceRec>(input.Filters, { 'instance-id': (i) => i.id });
    const picked = list.filter((i) => env.types.get(i.InstanceType)?.burstable && i.state !== 'terminated' && match(i));
    const page = paginate(picked, (i) => i.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { InstanceCreditSpecifications: page.items.map((i) => ({ InstanceId: i.id, CpuCredits: i.cpuCredits ?? 'unlimited' })), NextToken: page.nextToken };
  },
};
