// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VPCs and subnets (Create/Describe/Delete, attributes) and DescribeNetworkInterfaces (each
 * instance's primary interface). Address space is checked like EC2: /16../28, subnets inside their
 * VPC and never overlapping.
 */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { candidates } from '../core/load.js';
import { paginate } from '../core/paging.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { cidrContains, cidrOverlaps, cidrString, freeIpCount, newVpc, parseCidr, putVpc, zonesOf } from '../network.js';
import type { InternetGatewayRec, RouteTableRec, SecurityGroupRec, SubnetRec, VpcRec } from '../records.js';

function renderVpc(v: VpcRec): Record<string, unknown> {
  return {
    CidrBlock: v.CidrBlock,
    DhcpOptionsId: v.DhcpOptionsId,
    State: v.State,
    VpcId: v.id,
    OwnerId: v.OwnerId,
    InstanceTenancy: v.InstanceTenancy,
    Ipv6CidrBlockAssociationSet: [],
    CidrBlockAssociationSet: [{ AssociationId: v.cidrAssociationId, CidrBlock: v.CidrBlock, CidrBlockState: { State: 'associated' } }],
    IsDefault: v.IsDefault,
    Tags: v.Tags?.length ? v.Tags : undefined,
  };
}

function renderSubnet(s: SubnetRec, region: string): Record<string, unknown> {
  return {
    AvailabilityZone: s.AvailabilityZone,
    AvailabilityZoneId: s.AvailabilityZoneId,
    AvailableIpAddressCount: freeIpCount(s),
    CidrBlock: s.CidrBlock,
    DefaultForAz: s.DefaultForAz,
    MapPublicIpOnLaunch: s.MapPublicIpOnLaunch,
    MapCustomerOwnedIpOnLaunch: false,
    State: s.State,
    SubnetId: s.id,
    VpcId: s.VpcId,
    OwnerId: s.OwnerId,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Tags: s.Tags?.length ? s.Tags : undefined,
    SubnetArn: `arn:aws:ec2:${region}:${s.OwnerId}:subnet/${s.id}`,
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
  };
}

const VPC_ATTRS = ['enableDnsSupport', 'enableDnsHostnames', 'enableNetworkAddressUsageMetrics'] as const;
const ATTR_FIELD = { enableDnsSupport: 'EnableDnsSupport', enableDnsHostnames: 'EnableDnsHostnames', enableNetworkAddressUsageMetrics: 'EnableNetworkAddressUsageMetrics' } as const;

export const vpcOps: TypedOps = {
  async CreateVpc(env, ctx, input: S.CreateVpcInput) {
    if (!input.CidrBlock) throw missingParameter('CidrBlock');
    const c = parseCidr(input.CidrBlock);
    if (!c) throw invalidParameter(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    if (c.prefix < 16 || c.prefix > 28) throw new AwsError('InvalidVpc.Range', `The CIDR '${input.CidrBlock}' is invalid.`);
    if (input.AmazonProvidedIpv6CidrBlock) throw invalidParameter('IPv6 CIDR blocks are not supported by this gateway.');
    const tenancy = input.InstanceTenancy ?? 'default';
    if (tenancy !== 'default') throw invalidParameter(`The tenancy '${tenancy}' is not supported by this gateway.`);
    const tags = tagsFromSpecs(input.TagSpecifications, ['vpc']).get('vpc');
    if (input.DryRun) throw dryRunOk();
    const vpc = newVpc(ctx.accountId, cidrString(c), false);
    vpc.Tags = tags;
    await env.store.transact(ctx.accountId, (tx) => void putVpc(tx, ctx.accountId, vpc));
    return { Vpc: renderVpc(vpc) };
  },

  async DescribeVpcs(env, ctx, input: S.DescribeVpcsInput) {
    const ids = checkIds('vpc', input.VpcIds ?? []);
    const all = ids.length ? await env.store.list<VpcRec>(ctx.accountId, 'vpc') : await candidates<VpcRec>(env.store, ctx.accountId, 'vpc', input.Filters);
    const missing = ids.filter((id) => !all.some((v) => v.id === id));
    if (missing.length) throw notFound('vpc', missing);
    const match = compileFilters<VpcRec>(
      input.Filters,
      {
        'vpc-id': (v) => v.id,
        cidr: (v) => v.CidrBlock,
        'cidr-block-association.cidr-block': (v) => v.CidrBlock,
        'cidr-block-association.association-id': (v) => v.cidrAssociationId,
        'cidr-block-association.state': () => 'associated',
        'is-default': (v) => v.IsDefault,
        isDefault: (v) => v.IsDefault,
        state: (v) => v.State,
        'owner-id': (v) => v.OwnerId,
        'dhcp-options-id': (v) => v.DhcpOptionsId,
      },
      (v) => v.Tags,
    );
    const picked = all.filter((v) => (!ids.length || ids.includes(v.id)) && match(v));
    const page = paginate(picked, (v) => v.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Vpcs: page.items.map(renderVpc), NextToken: page.nextToken };
  },

  async DeleteVpc(env, ctx, input: S.DeleteVpcInput) {
    if (!input.VpcId) throw missingParameter('VpcId');
    const id = checkIds('vpc', [input.VpcId])[0];
    const vpc = await env.store.get<VpcRec>(ctx.accountId, 'vpc', id);
    if (!vpc) throw notFound('vpc', [id]);
    const subnets = (await env.store.list<SubnetRec>(ctx.accountId, 'subnet')).filter((s) => s.VpcId === id);
    const groups = (await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg')).filter((g) => g.VpcId === id);
    const tables = (await env.store.list<RouteTableRec>(ctx.accountId, 'rtb')).filter((r) => r.VpcId === id);
    const igws = (await env.store.list<InternetGatewayRec>(ctx.accountId, 'igw')).filter((g) => g.VpcId === id);
    if (subnets.length || igws.length || tables.some((r) => !r.associations.some((a) => a.Main)) || groups.some((g) => g.GroupName !== 'default')) {
      throw new AwsError('DependencyViolation', `The vpc '${id}' has dependencies and cannot be deleted.`);
    }
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      for (const g of groups) {
        for (const r of g.rules) tx.delete('meta', `sgr/${r.id}`);
        tx.delete('meta', `sgname/${id}/${g.GroupName}`);
        tx.delete('sg', g.id);
      }
      for (const r of tables) {
        for (const a of r.associations) tx.delete('meta', `rtbassoc/${a.id}`);
        tx.delete('rtb', r.id);
      }
      tx.delete('vpc', id);
      if (vpc.IsDefault) tx.put('meta', 'default-vpc', '');
    });
    return {};
  },

  async DescribeVpcAttribute(env, ctx, input: S.DescribeVpcAttributeInput) {
    if (!input.VpcId) throw missingParameter('VpcId');
    const id = checkIds('vpc', [input.VpcId])[0];
    const attr = input.Attribute as (typeof VPC_ATTRS)[number];
    if (!VPC_ATTRS.includes(attr)) throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Valid values are: ${VPC_ATTRS.join(', ')}.`);
    const vpc = await env.store.get<VpcRec>(ctx.accountId, 'vpc', id);
    if (!vpc) throw notFound('vpc', [id]);
    return { VpcId: id, [ATTR_FIELD[attr]]: { Value: vpc[ATTR_FIELD[attr]] } };
  },

  async ModifyVpcAttribute(env, ctx, input: S.ModifyVpcAttributeInput) {
    if (!input.VpcId) throw missingParameter('VpcId');
    const id = checkIds('vpc', [input.VpcId])[0];
    const set = Object.values(ATTR_FIELD).filter((f) => input[f]?.Value !== undefined);
    if (set.length !== 1) throw invalidParameter('Exactly one attribute must be specified per request.');
    const vpc = await env.store.get<VpcRec>(ctx.accountId, 'vpc', id);
    if (!vpc) throw notFound('vpc', [id]);
    const f = set[0];
    const value = input[f]!.Value!;
    if (f === 'EnableDnsHostnames' && value && !vpc.EnableDnsSupport) throw invalidParameter('Cannot enable DNS hostnames while DNS support is disabled.');
    await env.store.update<VpcRec>(ctx.accountId, 'vpc', id, (cur) => (cur ? { ...cur, [f]: value } : cur));
    return {};
  },

  async CreateSubnet(env, ctx, input: S.CreateSubnetInput) {
    if (!input.VpcId) throw missingParameter('VpcId');
    if (!input.CidrBlock) throw missingParameter('CidrBlock');
    const vpcId = checkIds('vpc', [input.VpcId])[0];
    const vpc = await env.store.get<VpcRec>(ctx.accountId, 'vpc', vpcId);
    if (!vpc) throw notFound('vpc', [vpcId]);
    const c = parseCidr(input.CidrBlock);
    if (!c) throw invalidParameter(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    if (c.prefix > 28 || !cidrContains(parseCidr(vpc.CidrBlock)!, c)) throw new AwsError('InvalidSubnet.Range', `The CIDR '${input.CidrBlock}' is invalid.`);
    const zones = await zonesOf(env, ctx.region);
    const zone = input.AvailabilityZone ? zones.find((z) => z.ZoneName === input.AvailabilityZone) : input.AvailabilityZoneId ? zones.find((z) => z.ZoneId === input.AvailabilityZoneId) : zones[0];
    if (!zone) {
      throw invalidParameter(`Value (${input.AvailabilityZone ?? input.AvailabilityZoneId}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((z) => z.ZoneName).join(', ')}.`);
    }
    const tags = tagsFromSpecs(input.TagSpecifications, ['subnet']).get('subnet');
    const others = (await env.store.list<SubnetRec>(ctx.accountId, 'subnet')).filter((s) => s.VpcId === vpcId);
    const clash = () => {
      if (others.some((s) => cidrOverlaps(parseCidr(s.CidrBlock)!, c))) throw new AwsError('InvalidSubnet.Conflict', `The CIDR '${input.CidrBlock}' conflicts with another subnet`);
    };
    clash();
    if (input.DryRun) throw dryRunOk();
    const s: SubnetRec = {
      id: newId('subnet'),
      VpcId: vpcId,
      CidrBlock: cidrString(c),
      AvailabilityZone: zone.ZoneName,
      AvailabilityZoneId: zone.ZoneId,
      DefaultForAz: false,
      MapPublicIpOnLaunch: false,
      OwnerId: ctx.accountId,
      State: 'available',
      used: {},
      Tags: tags,
    };
    await env.store.transact(ctx.accountId, (tx) => {
      if (!tx.get('vpc', vpcId)) throw notFound('vpc', [vpcId]);
      tx.put('subnet', s.id, s);
    });
    return { Subnet: renderSubnet(s, ctx.region) };
  },

  async DescribeSubnets(env, ctx, input: S.DescribeSubnetsInput) {
    const ids = checkIds('subnet', input.SubnetIds ?? []);
    const all = ids.length ? await env.store.list<SubnetRec>(ctx.accountId, 'subnet') : await candidates<SubnetRec>(env.store, ctx.accountId, 'subnet', input.Filters);
    const missing = ids.filter((id) => !all.some((s) => s.id === id));
    if (missing.length) throw notFound('subnet', missing);
    const match = compileFilters<SubnetRec>(
      input.Filters,
      {
        'subnet-id': (s) => s.id,
        'vpc-id': (s) => s.VpcId,
        'availability-zone': (s) => s.AvailabilityZone,
        availabilityZone: (s) => s.AvailabilityZone,
        'availability-zone-id': (s) => s.AvailabilityZoneId,
        'cidr-block': (s) => s.CidrBlock,
        cidr: (s) => s.CidrBlock,
        cidrBlock: (s) => s.CidrBlock,
        'default-for-az': (s) => s.DefaultForAz,
        defaultForAz: (s) => s.DefaultForAz,
        'map-public-ip-on-launch': (s) => s.MapPublicIpOnLaunch,
        state: (s) => s.State,
        'owner-id': (s) => s.OwnerId,
        'available-ip-address-count': (s) => freeIpCount(s),
        'subnet-arn': (s) => `arn:aws:ec2:${ctx.region}:${s.OwnerId}:subnet/${s.id}`,
      },
      (s) => s.Tags,
    );
    const picked = all.filter((s) => (!ids.length || ids.includes(s.id)) && match(s));
    const page = paginate(picked, (s) => s.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Subnets: page.items.map((s) => renderSubnet(s, ctx.region)), NextToken: page.nextToken };
  },

  async DeleteSubnet(env, ctx, input: S.DeleteSubnetInput) {
    if (!input.SubnetId) throw missingParameter('SubnetId');
    const id = checkIds('subnet', [input.SubnetId])[0];
    const s = await env.store.get<SubnetRec>(ctx.accountId, 'subnet', id);
    if (!s) throw notFound('subnet', [id]);
    if (Object.keys(s.used).length) throw new AwsError('DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`);
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<SubnetRec>('subnet', id);
      if (cur && Object.keys(cur.used).length) throw new AwsError('DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`);
      const assoc = tx.get<string>('meta', `rtbsubnet/${id}`);
      if (assoc) {
        const rtbId = tx.get<string>('meta', `rtbassoc/${assoc}`);
        const rtb = rtbId ? tx.get<RouteTableRec>('rtb', rtbId) : undefined;
        if (rtb) tx.put('rtb', rtb.id, { ...rtb, associations: rtb.associations.filter((a) => a.id !== assoc) });
        tx.delete('meta', `rtbassoc/${assoc}`);
        tx.delete('meta', `rtbsubnet/${id}`);
      }
      tx.delete('subnet', id);
    });
    return {};
  },

  async ModifySubnetAttribute(env, ctx, input: S.ModifySubnetAttributeInput) {
    if (!input.SubnetId) throw missingParameter('SubnetId');
    const id = checkIds('subnet', [input.SubnetId])[0];
    const s = await env.store.get<SubnetRec>(ctx.accountId, 'subnet', id);
    if (!s) throw notFound('subnet', [id]);
    const given = input as unknown as Record<string, unknown>;
    const others = Object.keys(given).filter((k) => !['SubnetId', 'MapPublicIpOnLaunch'].includes(k) && given[k] !== undefined);
    if (others.length) throw invalidParameter(`The subnet attribute ${others[0]} is not supported by this gateway.`);
    if (input.MapPublicIpOnLaunch?.Value === true) throw invalidParameter('Public IP addresses on launch are not supported by this gateway (no public address pool for subnets).');
    await env.store.update<SubnetRec>(ctx.accountId, 'subnet', id, (cur) => (cur ? { ...cur, MapPublicIpOnLaunch: input.MapPublicIpOnLaunch?.Value ?? cur.MapPublicIpOnLaunch } : cur));
    return {};
  },
};
