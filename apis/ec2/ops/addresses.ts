// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Elastic IPs from a configured pool (`ec2.elasticIpPool`, a CIDR; default 198.51.100.0/24, a
 * documentation range, until an operator gives a routable one). An address belongs to one account
 * at a time: the pool table 'ec2-eip-pool' maps address → owner, written in one transaction.
 */
import type { RequestContext } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import { ec2Tx } from '../core/store.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { cidrSize, intToIp, parseCidr } from '../network.js';
import type { AddressRec, InstanceRec } from '../records.js';

export const EIP_POOL_TABLE = 'ec2-eip-pool';
const MAX_PER_ACCOUNT = 5;

function pool(env: Ec2Env): string[] {
  const cidr = String((env.gw.config.ec2 as Record<string, unknown>).elasticIpPool ?? '198.51.100.0/24');
  const c = parseCidr(cidr);
  if (!c) throw new AwsError('InternalError', `ec2.elasticIpPool '${cidr}' is not a CIDR block`, { status: 500 });
  const size = cidrSize(c);
  const out: string[] = [];
  const [first, last] = size <= 2 ? [0, size - 1] : [1, size - 2];
  for (let n = first; n <= last && out.length < 65536; n++) out.push(intToIp(c.base + n));
  return out;
}

function render(a: AddressRec, ownerId: string, region: string): Record<string, unknown> {
  return {
    InstanceId: a.InstanceId,
    PublicIp: a.PublicIp,
    AllocationId: a.id,
    AssociationId: a.associationId,
    Domain: 'vpc',
    NetworkInterfaceId: a.NetworkInterfaceId,
    NetworkInterfaceOwnerId: a.NetworkInterfaceId ? ownerId : undefined,
    PrivateIpAddress: a.PrivateIpAddress,
    Tags: a.Tags?.length ? a.Tags : undefined,
    PublicIpv4Pool: 'amazon',
    NetworkBorderGroup: region,
  };
}

async function find(env: Ec2Env, ctx: RequestContext, allocationId?: string, publicIp?: string): Promise<AddressRec> {
  if (allocationId) {
    checkIds('eipalloc', [allocationId]);
    const a = await env.store.get<AddressRec>(ctx.accountId, 'eip', allocationId);
    if (!a) throw notFound('allocation', [allocationId]);
    return a;
  }
  if (!publicIp) throw missingParameter('AllocationId');
  const a = (await env.store.list<AddressRec>(ctx.accountId, 'eip')).find((x) => x.PublicIp === publicIp);
  if (!a) throw new AwsError('InvalidAddress.NotFound', `Address '${publicIp}' not found.`);
  return a;
}

export const addressOps: TypedOps = {
  async AllocateAddress(env, ctx, input: S.AllocateAddressInput) {
    if (input.Domain && input.Domain !== 'vpc') throw invalidParameter(`Value (${input.Domain}) for parameter domain is invalid. Only 'vpc' is supported.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['elastic-ip']).get('elastic-ip');
    const addrs = pool(env);
    if (input.Address && !addrs.includes(input.Address)) throw new AwsError('InvalidAddress.NotFound', `Address '${input.Address}' not found.`);
    const mine = await env.store.list<AddressRec>(ctx.accountId, 'eip');
    if (mine.length >= MAX_PER_ACCOUNT) throw new AwsError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
    if (input.DryRun) throw dryRunOk();
    const rec: AddressRec = { id: newId('eipalloc'), PublicIp: '', Tags: tags };
    const ip = await env.gw.state.transact((tx) => {
      const candidates = input.Address ? [input.Address] : addrs;
      for (const a of candidates) {
        if (tx.get(EIP_POOL_TABLE, a) === undefined) {
          tx.put(EIP_POOL_TABLE, a, { accountId: ctx.accountId, allocationId: rec.id });
          ec2Tx(tx, ctx.accountId).put('eip', rec.id, { ...rec, PublicIp: a });
          return a;
        }
      }
      return undefined;
    });
    if (!ip) {
      if (input.Address) throw new AwsError('InvalidAddress.InUse', `Address '${input.Address}' is already allocated.`);
      throw new AwsError('AddressLimitExceeded', 'The Elastic IP pool of this gateway is exhausted.');
    }
    return { PublicIp: ip, AllocationId: rec.id, PublicIpv4Pool: 'amazon', NetworkBorderGroup: ctx.region, Domain: 'vpc' };
  },

  async AssociateAddress(env, ctx, input: S.AssociateAddressInput) {
    const a = await find(env, ctx, input.AllocationId, input.PublicIp);
    let inst: InstanceRec | undefined;
    if (input.InstanceId) {
      checkIds('i', [input.InstanceId]);
      inst = await env.store.get<InstanceRec>(ctx.accountId, 'instance', input.InstanceId);
      if (!inst || inst.state === 'terminated') throw notFound('instance', [input.InstanceId]);
    } else if (input.NetworkInterfaceId) {
      checkIds('eni', [input.NetworkInterfaceId]);
      inst = (await env.store.list<InstanceRec>(ctx.accountId, 'instance')).find((i) => i.eniId === input.NetworkInterfaceId && i.state !== 'terminated');
      if (!inst) throw notFound('eni', [input.NetworkInterfaceId]);
    } else {
      throw missingParameter('InstanceId');
    }
    if (inst.state !== 'running' && inst.state !== 'stopped' && inst.state !== 'pending') {
      throw new AwsError('IncorrectInstanceState', `The instance '${inst.id}' is not in a valid state for this operation.`);
    }
    if (input.PrivateIpAddress && input.PrivateIpAddress !== inst.PrivateIpAddress) throw invalidParameter(`The private IP address ${input.PrivateIpAddress} is not assigned to ${inst.eniId}.`);
    if (a.associationId && a.InstanceId !== inst.id && input.AllowReassociation === false) {
      throw new AwsError('Resource.AlreadyAssociated', `resource ${a.id} is already associated with associate-id ${a.associationId}`);
    }
    if (input.DryRun) throw dryRunOk();
    const associationId = newId('eipassoc');
    const target = inst;
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<AddressRec>('eip', a.id);
      const i = tx.get<InstanceRec>('instance', target.id);
      if (!cur) throw notFound('allocation', [a.id]);
      if (!i) throw notFound('instance', [target.id]);
      if (cur.InstanceId && cur.InstanceId !== i.id) {
        const prev = tx.get<InstanceRec>('instance', cur.InstanceId);
        if (prev) tx.put('instance', prev.id, { ...prev, PublicIpAddress: undefined, eipAllocationId: undefined });
      }
      if (i.eipAllocationId && i.eipAllocationId !== cur.id) {
        const old = tx.get<AddressRec>('eip', i.eipAllocationId);
        if (old) tx.put('eip', old.id, { ...old, associationId: undefined, InstanceId: undefined, PrivateIpAddress: undefined, NetworkInterfaceId: undefined });
      }
      tx.put('eip', cur.id, { ...cur, associationId, InstanceId: i.id, PrivateIpAddress: i.PrivateIpAddress, NetworkInterfaceId: i.eniId });
      tx.put('instance', i.id, { ...i, PublicIpAddress: cur.PublicIp, eipAllocationId: cur.id });
    });
    return { AssociationId: associationId };
  },

  async DisassociateAddress(env, ctx, input: S.DisassociateAddressInput) {
    let a: AddressRec | undefined;
    if (input.AssociationId) {
      a = (await env.store.list<AddressRec>(ctx.accountId, 'eip')).find((x) => x.associationId === input.AssociationId);
      if (!a) throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
    } else {
      a = await find(env, ctx, undefined, input.PublicIp);
      if (!a.associationId) throw new AwsError('InvalidAssociationID.NotFound', `The address '${input.PublicIp}' is not associated`);
    }
    if (input.DryRun) throw dryRunOk();
    const addr = a;
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<AddressRec>('eip', addr.id);
      if (!cur?.InstanceId) return;
      const i = tx.get<InstanceRec>('instance', cur.InstanceId);
      if (i && i.eipAllocationId === cur.id) tx.put('instance', i.id, { ...i, PublicIpAddress: undefined, eipAllocationId: undefined });
      tx.put('eip', cur.id, { ...cur, associationId: undefined, InstanceId: undefined, PrivateIpAddress: undefined, NetworkInterfaceId: undefined });
    });
    return {};
  },

  async ReleaseAddress(env, ctx, input: S.ReleaseAddressInput) {
    const a = await find(env, ctx, input.AllocationId, input.PublicIp);
    if (a.associationId) throw new AwsError('InvalidIPAddress.InUse', `The address with allocation id [${a.id}] is in use`);
    if (input.DryRun) throw dryRunOk();
    await env.gw.state.transact((tx) => {
      const etx = ec2Tx(tx, ctx.accountId);
      const cur = etx.get<AddressRec>('eip', a.id);
      if (cur?.associationId) throw new AwsError('InvalidIPAddress.InUse', `The address with allocation id [${a.id}] is in use`);
      etx.delete('eip', a.id);
      tx.delete(EIP_POOL_TABLE, a.PublicIp);
    });
    return {};
  },

  async DescribeAddresses(env, ctx, input: S.DescribeAddressesInput) {
    const ids = checkIds('eipalloc', input.AllocationIds ?? []);
    const ips = input.PublicIps ?? [];
    const all = await env.store.list<AddressRec>(ctx.accountId, 'eip');
    const missing = ids.filter((id) => !all.some((a) => a.id === id));
    if (missing.length) throw notFound('allocation', missing);
    const lost = ips.filter((ip) => !all.some((a) => a.PublicIp === ip));
    if (lost.length) throw new AwsError('InvalidAddress.NotFound', `Address '${lost[0]}' not found.`);
    const match = compileFilters<AddressRec>(
      input.Filters,
      {
        'allocation-id': (a) => a.id,
        'association-id': (a) => a.associationId,
        domain: () => 'vpc',
        'instance-id': (a) => a.InstanceId,
        'network-interface-id': (a) => a.NetworkInterfaceId,
        'network-interface-owner-id': (a) => (a.NetworkInterfaceId ? ctx.accountId : undefined),
        'private-ip-address': (a) => a.PrivateIpAddress,
        'public-ip': (a) => a.PublicIp,
        'network-border-group': () => ctx.region,
      },
      (a) => a.Tags,
    );
    const picked = all.filter((a) => (!ids.length || ids.includes(a.id)) && (!ips.length || ips.includes(a.PublicIp)) && match(a));
    return { Addresses: picked.map((a) => render(a, ctx.accountId, ctx.region)) };
  },

  async DescribeAddressesAttribute(env, ctx, input: S.DescribeAddressesAttributeInput) {
    if (input.Attribute !== undefined && input.Attribute !== 'domain-name') throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Valid values are: domain-name.`);
    const ids = checkIds('eipalloc', input.AllocationIds ?? []);
    const all = await env.store.list<AddressRec>(ctx.accountId, 'eip');
    const missing = ids.filter((id) => !all.some((a) => a.id === id));
    if (missing.length) throw notFound('allocation', missing);
    const picked = all.filter((a) => !ids.length || ids.includes(a.id));
    return { Addresses: picked.map((a) => ({ PublicIp: a.PublicIp, AllocationId: a.id })) };
  },
};
