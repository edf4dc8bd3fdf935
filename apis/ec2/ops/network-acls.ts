// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DescribeNetworkAcls: every VPC's default network ACL, which allows all traffic both ways (and,
 * as on EC2, is associated with every subnet that has no other ACL). Custom ACLs and entries are
 * not implemented: the gateway filters nothing at subnet level, and says so by not offering them.
 */
import { createHash } from 'node:crypto';
import { notFound } from '../core/errors.js';
import { compileFilters } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import type { TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { SubnetRec, VpcRec } from '../records.js';

/** Stable ids derived from the VPC (and subnet) ids: the default ACL needs no record of its own. */
function derived(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 17)}`;
}

interface Acl {
  id: string;
  vpc: VpcRec;
  subnets: SubnetRec[];
}

const entries = (egress: boolean) => [
  { CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 },
  { CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 },
];

export const networkAclOps: TypedOps = {
  async DescribeNetworkAcls(env, ctx, input: S.DescribeNetworkAclsInput) {
    const ids = checkIds('acl', input.NetworkAclIds ?? []);
    const vpcs = await env.store.list<VpcRec>(ctx.accountId, 'vpc');
    const subnets = await env.store.list<SubnetRec>(ctx.accountId, 'subnet');
    const acls: Acl[] = vpcs.map((vpc) => ({ id: derived('acl', vpc.id), vpc, subnets: subnets.filter((s) => s.VpcId === vpc.id) }));
    const missing = ids.filter((id) => !acls.some((a) => a.id === id));
    if (missing.length) throw notFound('acl', missing);
    const match = compileFilters<Acl>(input.Filters, {
      'network-acl-id': (a) => a.id,
      'vpc-id': (a) => a.vpc.id,
      default: () => true,
      'owner-id': (a) => a.vpc.OwnerId,
      'association.subnet-id': (a) => a.subnets.map((s) => s.id),
      'association.network-acl-id': (a) => (a.subnets.length ? a.id : undefined),
      'association.association-id': (a) => a.subnets.map((s) => derived('aclassoc', a.id, s.id)),
      'entry.rule-action': () => ['allow', 'deny'],
      'entry.protocol': () => '-1',
      'entry.cidr': () => '0.0.0.0/0',
      'entry.egress': () => [true, false],
      'entry.rule-number': () => [100, 32767],
    });
    const picked = acls.filter((a) => (!ids.length || ids.includes(a.id)) && match(a)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = paginate(picked, (a) => a.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return {
      NetworkAcls: page.items.map((a) => ({
        Associations: a.subnets.map((s) => ({ NetworkAclAssociationId: derived('aclassoc', a.id, s.id), NetworkAclId: a.id, SubnetId: s.id })),
        Entries: [...entries(true), ...entries(false)],
        IsDefault: true,
        NetworkAclId: a.id,
        Tags: [],
        VpcId: a.vpc.id,
        OwnerId: a.vpc.OwnerId,
      })),
      NextToken: page.nextToken,
    };
  },
};
