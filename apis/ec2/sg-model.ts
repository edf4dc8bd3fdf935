// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Security group rules: EC2 has two views of the same thing. IpPermissions (protocol + port range
 * + many sources) on Authorize/Revoke/DescribeSecurityGroups, and one rule per source with an
 * sgr- id on DescribeSecurityGroupRules. Rules are stored one per source (RuleRec).
 */
import { AwsError } from '../../src/errors.js';
import { invalidParameter } from './core/errors.js';
import { newId } from './core/ids.js';
import { parseCidr } from './network.js';
import type { RuleRec, SecurityGroupRec } from './records.js';

export interface IpPermission {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp?: string; Description?: string }>;
  Ipv6Ranges?: Array<{ CidrIpv6?: string; Description?: string }>;
  PrefixListIds?: Array<{ PrefixListId?: string; Description?: string }>;
  UserIdGroupPairs?: Array<{ GroupId?: string; GroupName?: string; UserId?: string; Description?: string; VpcId?: string }>;
}

const PROTO_NUM: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };

export function normProtocol(p: string | undefined): string {
  if (p === undefined || p === '') throw new AwsError('MissingParameter', 'The request must contain the parameter ipProtocol');
  const l = p.toLowerCase();
  const n = PROTO_NUM[l] ?? l;
  if (['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(n)) return n;
  if (/^\d+$/.test(n) && Number(n) <= 255) return n;
  throw invalidParameter(`Invalid value '${p}' for IP protocol. Unknown protocol.`);
}

function ports(proto: string, from: number | undefined, to: number | undefined): [number, number] {
  if (proto === '-1' || (/^\d+$/.test(proto))) return [-1, -1];
  if (proto === 'icmp' || proto === 'icmpv6') {
    const f = from ?? -1;
    const t = to ?? -1;
    if (f < -1 || f > 255 || t < -1 || t > 255) throw invalidParameter(`Invalid value '${f}' for icmp type / code. Must be between -1 and 255.`);
    return [f, t];
  }
  if (from === undefined || to === undefined) throw invalidParameter(`Invalid value for portRange. Must specify both from and to ports with TCP/UDP.`);
  if (from < 0 || from > 65535 || to < 0 || to > 65535) throw invalidParameter(`Invalid value for portRange. Must be between 0 and 65535.`);
  if (from > to) throw invalidParameter(`Invalid value for portRange. The from port (${from}) must not be greater than the to port (${to}).`);
  return [from, to];
}

function checkDescription(d: string | undefined): string | undefined {
  if (d === undefined) return undefined;
  if (d.length > 255 || !/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/.test(d)) {
    throw invalidParameter(`Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`);
  }
  return d;
}

export interface GroupResolver {
  byId(id: string): SecurityGroupRec | undefined;
  byName(name: string): SecurityGroupRec | undefined;
}

/** Expands IpPermissions into one rule per source (new sgr- ids, not yet stored). */
export function rulesFromPermissions(perms: IpPermission[], egress: boolean, accountId: string, groups: GroupResolver): RuleRec[] {
  const out: RuleRec[] = [];
  for (const p of perms) {
    const proto = normProtocol(p.IpProtocol);
    const [from, to] = ports(proto, p.FromPort, p.ToPort);
    const base = { egress, IpProtocol: proto, FromPort: from, ToPort: to };
    if (p.PrefixListIds?.length) throw invalidParameter('Prefix list ids are not supported by this gateway: managed prefix lists do not exist here.');
    for (const r of p.IpRanges ?? []) {
      const c = r.CidrIp ? parseCidr(r.CidrIp) : undefined;
      if (!c || r.CidrIp!.includes(':')) throw invalidParameter(`CIDR block ${r.CidrIp ?? ''} is malformed`);
      out.push({ id: newId('sgr'), ...base, CidrIpv4: r.CidrIp, Description: checkDescription(r.Description) });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (!r.CidrIpv6 || !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(r.CidrIpv6) || Number(r.CidrIpv6.split('/')[1]) > 128) throw invalidParameter(`CIDR block ${r.CidrIpv6 ?? ''} is malformed`);
      out.push({ id: newId('sgr'), ...base, CidrIpv6: r.CidrIpv6.toLowerCase(), Description: checkDescription(r.Description) });
    }
    for (const pair of p.UserIdGroupPairs ?? []) {
      if (pair.UserId && pair.UserId !== accountId) throw invalidParameter(`Referencing security groups of other accounts (${pair.UserId}) is not supported by this gateway.`);
      const g = pair.GroupId ? groups.byId(pair.GroupId) : pair.GroupName ? groups.byName(pair.GroupName) : undefined;
      if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${pair.GroupId ?? pair.GroupName ?? ''}' does not exist`);
      out.push({ id: newId('sgr'), ...base, ReferencedGroupId: g.id, ReferencedUserId: accountId, Description: checkDescription(pair.Description) });
    }
    if (!p.IpRanges?.length && !p.Ipv6Ranges?.length && !p.UserIdGroupPairs?.length) {
      throw new AwsError('MissingParameter', 'Either CidrIp, Ipv6Ranges, or a source security group must be specified.');
    }
  }
  return out;
}

/** Same rule (ignoring id, description and tags). */
export function sameRule(a: RuleRec, b: RuleRec): boolean {
  return (
    a.egress === b.egress &&
    a.IpProtocol === b.IpProtocol &&
    a.FromPort === b.FromPort &&
    a.ToPort === b.ToPort &&
    a.CidrIpv4 === b.CidrIpv4 &&
    a.CidrIpv6 === b.CidrIpv6 &&
    a.ReferencedGroupId === b.ReferencedGroupId
  );
}

export function describeRule(r: RuleRec): string {
  const peer = r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupId ?? '';
  const proto = r.IpProtocol === '-1' ? 'ALL' : r.IpProtocol.toUpperCase();
  return `peer: ${peer}, ${proto}, from port: ${r.FromPort}, to port: ${r.ToPort}, ALLOW`;
}

/** Groups rules back into IpPermissions, in first-seen order. */
export function permissionsOf(rules: RuleRec[], egress: boolean): Array<Record<string, unknown>> {
  const out = new Map<string, { IpProtocol: string; FromPort?: number; ToPort?: number; IpRanges: unknown[]; Ipv6Ranges: unknown[]; PrefixListIds: unknown[]; UserIdGroupPairs: unknown[] }>();
  for (const r of rules) {
    if (r.egress !== egress) continue;
    const k = `${r.IpProtocol}/${r.FromPort}/${r.ToPort}`;
    let p = out.get(k);
    if (!p) {
      p = { IpProtocol: r.IpProtocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      if (r.IpProtocol !== '-1' && !/^\d+$/.test(r.IpProtocol)) {
        p.FromPort = r.FromPort;
        p.ToPort = r.ToPort;
      }
      out.set(k, p);
    }
    if (r.CidrIpv4) p.IpRanges.push({ CidrIp: r.CidrIpv4, Description: r.Description });
    else if (r.CidrIpv6) p.Ipv6Ranges.push({ CidrIpv6: r.CidrIpv6, Description: r.Description });
    else if (r.ReferencedGroupId) p.UserIdGroupPairs.push({ GroupId: r.ReferencedGroupId, UserId: r.ReferencedUserId, Description: r.Description });
  }
  return [...out.values()];
}

export function renderRule(g: SecurityGroupRec, r: RuleRec): Record<string, unknown> {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: g.id,
    GroupOwnerId: g.OwnerId,
    IsEgress: r.egress,
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    CidrIpv4: r.CidrIpv4,
    CidrIpv6: r.CidrIpv6,
    ReferencedGroupInfo: r.ReferencedGroupId ? { GroupId: r.ReferencedGroupId, UserId: r.ReferencedUserId } : undefined,
    Description: r.Description,
    Tags: r.Tags ?? [],
  };
}
