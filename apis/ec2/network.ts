// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Addressing: CIDR arithmetic, availability zones, the default VPC (one default subnet per zone,
 * a default security group) created on an account's first use, and private IPs taken from a
 * subnet's CIDR without clashes.
 */
import { AwsError } from '../../src/errors.js';
import { invalidParameter } from './core/errors.js';
import { newId } from './core/ids.js';
import type { Ec2Tx } from './core/store.js';
import type { Ec2Env } from './env.js';
import type { RouteTableRec, RuleRec, SecurityGroupRec, SubnetRec, VpcRec } from './records.js';

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const ip = ipToInt(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

export function cidrString(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

/** 'us-east-1' → 'use1', the prefix of AWS zone ids (use1-az1). */
export function regionAbbrev(region: string): string {
  const p = region.split('-');
  if (p.length < 3) return region.replace(/[^a-z0-9]/g, '');
  return p[0] + p.slice(1, -1).map((x) => x[0]).join('') + p[p.length - 1];
}

export interface Zone {
  ZoneName: string;
  ZoneId: string;
  State: string;
}

export async function zonesOf(env: Ec2Env, region: string): Promise<Zone[]> {
  const zs = await env.backend.zones();
  return zs.map((z, i) => ({ ZoneName: region + z.suffix, ZoneId: `${regionAbbrev(region)}-az${i + 1}`, State: z.state }));
}

/** Takes an address in the subnet (AWS reserves the first four and the last one). */
export function allocateIp(subnet: SubnetRec, holder: string, requested?: string): string {
  const c = parseCidr(subnet.CidrBlock)!;
  const first = c.base + 4;
  const last = c.base + cidrSize(c) - 2;
  if (requested !== undefined) {
    const n = ipToInt(requested);
    if (n === undefined) throw invalidParameter(`Invalid value '${requested}' for PrivateIpAddress.`);
    if (n < c.base || n > last + 1) throw invalidParameter(`Address ${requested} does not fall within the subnet's address range`);
    if (n < first || n > last) throw invalidParameter(`Address ${requested} is reserved by AWS and may not be used.`);
    if (subnet.used[requested]) throw new AwsError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
    subnet.used[requested] = holder;
    return requested;
  }
  for (let n = first; n <= last; n++) {
    const ip = intToIp(n);
    if (!subnet.used[ip]) {
      subnet.used[ip] = holder;
      return ip;
    }
  }
  throw new AwsError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.id}' to satisfy the requested number of instances.`);
}

export function freeIpCount(subnet: SubnetRec): number {
  const c = parseCidr(subnet.CidrBlock)!;
  return Math.max(0, cidrSize(c) - 5 - Object.keys(subnet.used).length);
}

function allowAll(egress: boolean, groupId?: string): RuleRec {
  return groupId
    ? { id: newId('sgr'), egress, IpProtocol: '-1', FromPort: -1, ToPort: -1, ReferencedGroupId: groupId }
    : { id: newId('sgr'), egress, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' };
}

/** A VPC's default security group: ingress from itself, egress to anywhere. */
export function defaultGroup(accountId: string, vpcId: string): SecurityGroupRec {
  const id = newId('sg');
  return {
    id,
    GroupName: 'default',
    Description: 'default VPC security group',
    VpcId: vpcId,
    OwnerId: accountId,
    rules: [{ ...allowAll(false, id), ReferencedUserId: accountId }, allowAll(true)],
  };
}

/** The default egress rule every new security group gets. */
export function defaultEgress(): RuleRec {
  return allowAll(true);
}

export function newVpc(accountId: string, cidr: string, isDefault: boolean, tenancy = 'default'): VpcRec {
  return {
    id: newId('vpc'),
    CidrBlock: cidr,
    cidrAssociationId: newId('vpc-cidr-assoc'),
    IsDefault: isDefault,
    State: 'available',
    DhcpOptionsId: 'dopt-' + '0'.repeat(17),
    InstanceTenancy: tenancy,
    OwnerId: accountId,
    EnableDnsSupport: true,
    EnableDnsHostnames: isDefault,
    EnableNetworkAddressUsageMetrics: false,
    defaultGroupId: '',
  };
}

/** Stores a VPC, its default security group and its main route table in one transaction. */
export function putVpc(tx: Ec2Tx, accountId: string, vpc: VpcRec): SecurityGroupRec {
  const sg = defaultGroup(accountId, vpc.id);
  vpc.defaultGroupId = sg.id;
  const rtb: RouteTableRec = {
    id: newId('rtb'),
    VpcId: vpc.id,
    OwnerId: accountId,
    routes: [{ DestinationCidrBlock: vpc.CidrBlock, GatewayId: 'local', Origin: 'CreateRouteTable' }],
    associations: [{ id: newId('rtbassoc'), Main: true }],
  };
  vpc.mainRouteTableId = rtb.id;
  tx.put('rtb', rtb.id, rtb);
  tx.put('meta', `rtbassoc/${rtb.associations[0].id}`, rtb.id);
  tx.put('vpc', vpc.id, vpc);
  tx.put('sg', sg.id, sg);
  for (const r of sg.rules) tx.put('meta', `sgr/${r.id}`, sg.id);
  return sg;
}

/** The account's default VPC id; throws when the account deleted it. */
export async function ensureDefaultVpc(env: Ec2Env, accountId: string, region: string): Promise<string> {
  const id = await defaultVpcId(env, accountId, region);
  if (!id) throw new AwsError('VPCIdNotSpecified', 'No default VPC for this user');
  return id;
}

/**
 * The account's default VPC id, created (172.31.0.0/16, a /20 per zone) on first use; '' once the
 * account has deleted it (EC2 does not bring it back by itself).
 */
export async function defaultVpcId(env: Ec2Env, accountId: string, region: string): Promise<string> {
  const known = await env.store.get<string>(accountId, 'meta', 'default-vpc');
  if (known !== undefined) return known;
  const zones = await zonesOf(env, region);
  return env.store.transact(accountId, (tx) => {
    const again = tx.get<string>('meta', 'default-vpc');
    if (again !== undefined) return again;
    const vpc = newVpc(accountId, '172.31.0.0/16', true);
    putVpc(tx, accountId, vpc);
    zones.slice(0, 16).forEach((z, i) => {
      const subnet: SubnetRec = {
        id: newId('subnet'),
        VpcId: vpc.id,
        CidrBlock: `172.31.${i * 16}.0/20`,
        AvailabilityZone: z.ZoneName,
        AvailabilityZoneId: z.ZoneId,
        DefaultForAz: true,
        MapPublicIpOnLaunch: false,
        OwnerId: accountId,
        State: 'available',
        used: {},
      };
      tx.put('subnet', subnet.id, subnet);
    });
    tx.put('meta', 'default-vpc', vpc.id);
    return vpc.id;
  });
}
