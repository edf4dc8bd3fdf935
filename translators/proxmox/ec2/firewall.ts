// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Security groups as PVE cluster firewall groups (proxmox-mapping.md, "Security groups"). A group
 * name is at most 18 chars of `[A-Za-z][A-Za-z0-9\-_]+`, so an sg- id (20 chars) gets a short
 * alias derived from the account and id. Each EC2 rule is one PVE rule whose comment is the rule
 * id (positions shift after every delete, so rules are found by comment and every delete passes
 * the group's current digest). A rule naming another group uses that group's cluster IPSet (same
 * alias), whose members are the private addresses of the instances in it. Edits go one at a time.
 */
import { createHash } from 'node:crypto';
import type { RuleRec, SecurityGroupRec } from '../../../apis/ec2/records.js';
import type { PveParams } from '../client/http.js';
import type { Pve } from '../client/pve.js';
import { isPveError } from '../client/errors.js';

export function groupAlias(accountId: string, groupId: string): string {
  return `sg-${createHash('sha256').update(`${accountId}/${groupId}`).digest('hex').slice(0, 12)}`;
}

/** The PVE rule parameters of one EC2 rule. */
export function ruleParams(accountId: string, r: RuleRec): PveParams {
  const p: PveParams = { type: r.egress ? 'out' : 'in', action: 'ACCEPT', enable: 1, comment: r.id };
  const proto = r.IpProtocol === '-1' || r.IpProtocol === 'all' ? undefined : r.IpProtocol;
  if (proto) p.proto = proto === '1' ? 'icmp' : proto === '6' ? 'tcp' : proto === '17' ? 'udp' : proto;
  if ((p.proto === 'tcp' || p.proto === 'udp') && r.FromPort !== -1 && !(r.FromPort === 0 && r.ToPort === 65535)) {
    p.dport = r.FromPort === r.ToPort ? String(r.FromPort) : `${r.FromPort}:${r.ToPort}`;
  }
  if (p.proto === 'icmp' && r.FromPort !== -1) p['icmp-type'] = String(r.FromPort);
  const peer = r.ReferencedGroupId ? `+dc/${groupAlias(accountId, r.ReferencedGroupId)}` : (r.CidrIpv4 ?? r.CidrIpv6);
  if (peer && peer !== '0.0.0.0/0' && peer !== '::/0') p[r.egress ? 'dest' : 'source'] = peer;
  return p;
}

/** A one-at-a-time queue for cluster-wide edits (firewall, SDN). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function digestOf(g: SecurityGroupRec, members: Map<string, string[]>): string {
  return createHash('sha256').update(JSON.stringify([g.rules, [...members.entries()].sort()])).digest('hex');
}

export class FirewallSync {
  private readonly serial = new Serial();
  /** alias -> digest of the state last written, so an unchanged group costs no call. */
  private readonly written = new Map<string, string>();

  constructor(private readonly pve: Pve) {}

  /** Makes the PVE group (and the IPSets its rules name) match the EC2 group. */
  sync(accountId: string, g: SecurityGroupRec, membersOf: (groupId: string) => string[]): Promise<string> {
    const alias = groupAlias(accountId, g.id);
    const referenced = [...new Set(g.rules.map((r) => r.ReferencedGroupId).filter((x): x is string => !!x))];
    const members = new Map(referenced.map((id) => [id, membersOf(id).sort()]));
    const want = digestOf(g, members);
    if (this.written.get(alias) === want) return Promise.resolve(alias);
    return this.serial.run(async () => {
      for (const [id, ips] of members) await this.syncIpset(groupAlias(accountId, id), `mcgw ${accountId} ${id}`, ips);
      const groups = await this.pve.groups();
      if (!groups.some((x) => x.group === alias)) await this.pve.createGroup(alias, `mcgw ${accountId} ${g.id}`);
      let rules = await this.pve.groupRules(alias);
      const wanted = new Map(g.rules.map((r) => [r.id, ruleParams(accountId, r)]));
      // delete from the highest position down, re-reading the digest after each delete
      for (;;) {
        const stale = rules.filter((r) => !r.comment || !wanted.has(r.comment) || !same(r, wanted.get(r.comment)!)).sort((a, b) => b.pos - a.pos)[0];
        if (!stale) break;
        await this.pve.deleteGroupRule(alias, stale.pos, stale.digest);
        rules = await this.pve.groupRules(alias);
      }
      for (const [id, p] of wanted) if (!rules.some((r) => r.comment === id)) await this.pve.addGroupRule(alias, p);
      this.written.set(alias, want);
      return alias;
    });
  }

  private async syncIpset(name: string, comment: string, ips: string[]): Promise<void> {
    const sets = await this.pve.ipsets();
    if (!sets.some((s) => s.name === name)) await this.pve.createIpset(name, comment);
    const have = (await this.pve.ipsetMembers(name)).map((m) => m.cidr.replace(/\/32$/, ''));
    for (const ip of ips) if (!have.includes(ip)) await this.pve.addIpsetMember(name, ip);
    for (const ip of have) if (!ips.includes(ip)) await this.pve.removeIpsetMember(name, ip).catch((e) => {
      if (!isPveError(e) || e.kind !== 'not-found') throw e;
    });
  }

  /** Removes a group that no longer exists on the EC2 side (no VM may reference it any more). */
  drop(accountId: string, groupId: string): Promise<void> {
    const alias = groupAlias(accountId, groupId);
    this.written.delete(alias);
    return this.serial.run(() => this.pve.deleteGroup(alias));
  }
}

function same(have: Record<string, unknown>, want: PveParams): boolean {
  for (const k of ['type', 'action', 'proto', 'dport', 'source', 'dest', 'icmp-type'] as const) {
    const a = have[k] === undefined || have[k] === '' ? undefined : String(have[k]);
    const b = want[k] === undefined ? undefined : String(want[k]);
    if (a !== b) return false;
  }
  return true;
}
