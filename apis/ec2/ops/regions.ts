// SPDX-License-Identifier: AGPL-3.0-or-later
/** DescribeRegions, DescribeAvailabilityZones, DescribeAccountAttributes, DescribeInstanceTypes(/Offerings). */
import { AwsError } from '../../../src/errors.js';
import { instanceTypeInfo, type InstanceTypeDef } from '../catalog.js';
import { invalidParameter } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { paginate } from '../core/paging.js';
import type { TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { defaultVpcId, zonesOf, type Zone } from '../network.js';

interface Region {
  RegionName: string;
  Endpoint: string;
  OptInStatus: string;
}

const typeFilters = {
  'instance-type': (d: InstanceTypeDef) => d.name,
  'vcpu-info.default-vcpus': (d: InstanceTypeDef) => d.vcpus,
  'memory-info.size-in-mib': (d: InstanceTypeDef) => d.memoryMiB,
  'current-generation': () => true,
  'burstable-performance-supported': (d: InstanceTypeDef) => d.burstable,
  'free-tier-eligible': (d: InstanceTypeDef) => d.name === 't3.micro',
  'processor-info.supported-architecture': (d: InstanceTypeDef) => d.architectures,
  'supported-usage-class': () => 'on-demand',
  'supported-root-device-type': () => 'ebs',
  'supported-virtualization-type': () => 'hvm',
  hypervisor: () => 'kvm',
  'bare-metal': () => false,
};

export const regionOps: TypedOps = {
  async DescribeRegions(env, ctx, input: S.DescribeRegionsInput) {
    const region = ctx.region;
    const all: Region[] = [{ RegionName: region, Endpoint: `ec2.${region}.amazonaws.com`, OptInStatus: 'opt-in-not-required' }];
    for (const n of input.RegionNames ?? []) {
      if (!all.some((r) => r.RegionName === n)) throw new AwsError('InvalidParameterValue', `Invalid region: ${n}`);
    }
    const match = compileFilters<Region>(input.Filters, { 'region-name': (r) => r.RegionName, endpoint: (r) => r.Endpoint, 'opt-in-status': (r) => r.OptInStatus });
    return { Regions: all.filter((r) => (!input.RegionNames?.length || input.RegionNames.includes(r.RegionName)) && match(r)) };
  },

  async DescribeAvailabilityZones(env, ctx, input: S.DescribeAvailabilityZonesInput) {
    const zones = await zonesOf(env, ctx.region);
    for (const n of input.ZoneNames ?? []) if (!zones.some((z) => z.ZoneName === n)) throw invalidParameter(`Invalid availability zone: [${n}]`);
    for (const n of input.ZoneIds ?? []) if (!zones.some((z) => z.ZoneId === n)) throw invalidParameter(`Invalid availability zone: [${n}]`);
    const match = compileFilters<Zone>(input.Filters, {
      'zone-name': (z) => z.ZoneName,
      'zone-id': (z) => z.ZoneId,
      state: (z) => z.State,
      'region-name': () => ctx.region,
      'group-name': () => ctx.region,
      'network-border-group': () => ctx.region,
      'opt-in-status': () => 'opt-in-not-required',
      'zone-type': () => 'availability-zone',
      'message': () => [],
    });
    const picked = zones.filter(
      (z) => (!input.ZoneNames?.length || input.ZoneNames.includes(z.ZoneName)) && (!input.ZoneIds?.length || input.ZoneIds.includes(z.ZoneId)) && match(z),
    );
    return {
      AvailabilityZones: picked.map((z) => ({
        State: z.State,
        OptInStatus: 'opt-in-not-required',
        Messages: [],
        RegionName: ctx.region,
        ZoneName: z.ZoneName,
        ZoneId: z.ZoneId,
        GroupName: ctx.region,
        NetworkBorderGroup: ctx.region,
        ZoneType: 'availability-zone',
      })),
    };
  },

  async DescribeAccountAttributes(env, ctx, input: S.DescribeAccountAttributesInput) {
    const vpcId = (await defaultVpcId(env, ctx.accountId, ctx.region)) || 'none';
    const attrs: Record<string, string[]> = {
      'supported-platforms': ['VPC'],
      'default-vpc': [vpcId],
      'max-instances': ['1000'],
      'vpc-max-security-groups-per-interface': ['5'],
      'max-elastic-ips': ['5'],
      'vpc-max-elastic-ips': ['5'],
    };
    const names = input.AttributeNames?.length ? input.AttributeNames : Object.keys(attrs);
    for (const n of names) if (!attrs[n]) throw invalidParameter(`Value (${n}) for parameter attributeName is invalid. Unknown attribute name.`);
    return { AccountAttributes: names.map((n) => ({ AttributeName: n, AttributeValues: attrs[n].map((v) => ({ AttributeValue: v })) })) };
  },

  async DescribeInstanceTypes(env, _ctx, input: { InstanceTypes?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string }) {
    const missing = (input.InstanceTypes ?? []).filter((n) => !env.types.get(n));
    if (missing.length) throw new AwsError('InvalidInstanceType', `The following supplied instance types do not exist: [${missing.join(', ')}]`);
    const match = compileFilters<InstanceTypeDef>(input.Filters, typeFilters);
    const all = env.types.all().filter((d) => (!input.InstanceTypes?.length || input.InstanceTypes.includes(d.name)) && match(d));
    const page = paginate(all, (d) => d.name, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 100 });
    return { InstanceTypes: page.items.map(instanceTypeInfo), NextToken: page.nextToken };
  },

  async DescribeInstanceTypeOfferings(env, ctx, input: S.DescribeInstanceTypeOfferingsInput) {
    const lt = input.LocationType ?? 'region';
    if (!['region', 'availability-zone', 'availability-zone-id'].includes(lt)) {
      throw invalidParameter(`Value (${lt}) for parameter locationType is invalid. Valid values are: region, availability-zone, availability-zone-id.`);
    }
    const zones = await zonesOf(env, ctx.region);
    const locations = lt === 'region' ? [ctx.region] : zones.map((z) => (lt === 'availability-zone' ? z.ZoneName : z.ZoneId));
    type Offering = { InstanceType: string; LocationType: string; Location: string };
    const offers: Offering[] = [];
    for (const loc of locations) for (const d of env.types.all()) offers.push({ InstanceType: d.name, LocationType: lt, Location: loc });
    const match = compileFilters<Offering>(input.Filters, { location: (o) => o.Location, 'instance-type': (o) => o.InstanceType });
    const page = paginate(offers.filter(match), (o) => `${o.Location}/${o.InstanceType}`, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { InstanceTypeOfferings: page.items, NextToken: page.nextToken };
  },
};
