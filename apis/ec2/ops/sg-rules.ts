// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Authorize/Revoke SecurityGroup Ingress/Egress, DescribeSecurityGroupRules, ModifySecurityGroupRules
 * and UpdateSecurityGroupRuleDescriptions{Ingress,Egress}. Every change to a group is one atomic
 * read-modify-write of its record.
 */
import type { RequestContext } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import { mergeTags, tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { RuleRec, SecurityGroupRec } from '../records.js';
import { describeRule, permissionsOf, renderRule, rulesFromPermissions, sameRule, type GroupResolver, type IpPermission } from '../sg-model.js';
import { findGroup } from './security-groups.js';

interface RuleInput {
  GroupId?: string;
  GroupName?: string;
  IpPermissions?: IpPermission[];
  CidrIp?: string;
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
  SecurityGroupRuleIds?: string[];
  TagSpecifications?: TagSpecification[];
  DryRun?: boolean;
}

/** IpPermissions, or the legacy flat parameters turned into one permission. */
function permissionsFrom(input: RuleInput): IpPermission[] {
  if (input.IpPermissions?.length) return input.IpPermissions;
  if (input.CidrIp || input.SourceSecurityGroupName) {
    return [
      {
        IpProtocol: input.IpProtocol ?? '-1',
        FromPort: input.FromPort,
        ToPort: input.ToPort,
        IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : undefined,
        UserIdGroupPairs: input.SourceSecurityGroupName ? [{ GroupName: input.SourceSecurityGroupName, UserId: input.SourceSecurityGroupOwnerId }] : undefined,
      },
    ];
  }
  return [];
}

async function resolver(env: Ec2Env, ctx: RequestContext, vpcId: string): Promise<GroupResolver> {
  const all = await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg');
  return { byId: (id) => all.find((g) => g.id === id), byName: (n) => all.find((g) => g.GroupName === n && g.VpcId === vpcId) };
}

async function authorize(env: Ec2Env, ctx: RequestContext, input: RuleInput, egress: boolean) {
  if (egress && !input.GroupId) throw missingParameter('GroupId');
  const g = await findGroup(env, ctx, input.GroupId, input.GroupName);
  const perms = permissionsFrom(input);
  if (!perms.length) throw missingParameter('IpPermissions');
  const fresh = rulesFromPermissions(perms, egress, ctx.accountId, await resolver(env, ctx, g.VpcId));
  const tags = tagsFromSpecs(input.TagSpecifications, ['security-group-rule']).get('security-group-rule');
  for (const r of fresh) if (tags) r.Tags = mergeTags([], tags);
  const check = (cur: SecurityGroupRec) => {
    fresh.forEach((r, n) => {
      if (cur.rules.some((x) => sameRule(x, r)) || fresh.slice(0, n).some((x) => sameRule(x, r))) {
        throw new AwsError('InvalidPermission.Duplicate', `the specified rule "${describeRule(r)}" already exists`);
      }
    });
    if (cur.rules.filter((x) => x.egress === egress).length + fresh.length > 60) {
      throw new AwsError('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
    }
  };
  check(g);
  if (input.DryRun) throw dryRunOk();
  await env.store.transact(ctx.accountId, (tx) => {
    const cur = tx.get<SecurityGroupRec>('sg', g.id);
    if (!cur) throw notFound('group', [g.id]);
    check(cur);
    cur.rules.push(...fresh);
    tx.put('sg', g.id, cur);
    for (const r of fresh) tx.put('meta', `sgr/${r.id}`, g.id);
  });
  return { Return: true, SecurityGroupRules: fresh.map((r) => renderRule(g, r)) };
}

async function revoke(env: Ec2Env, ctx: RequestContext, input: RuleInput, egress: boolean) {
  if (egress && !input.GroupId) throw missingParameter('GroupId');
  const g = await findGroup(env, ctx, input.GroupId, input.GroupName);
  const ruleIds = checkIds('sgr', input.SecurityGroupRuleIds ?? []);
  const perms = permissionsFrom(input);
  if (!ruleIds.length && !perms.length) throw missingParameter('IpPermissions');
  const wanted = perms.length ? rulesFromPermissions(perms, egress, ctx.accountId, await resolver(env, ctx, g.VpcId)) : [];
  const plan = (cur: SecurityGroupRec) => {
    const missingIds = ruleIds.filter((id) => !cur.rules.some((r) => r.id === id && r.egress === egress));
    if (missingIds.length) throw notFound('rule', missingIds);
    const unknown = wanted.filter((w) => !cur.rules.some((r) => sameRule(r, w)));
    if (!ruleIds.length && unknown.length === wanted.length) {
      throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
    }
    const drop = cur.rules.filter((r) => ruleIds.includes(r.id) || wanted.some((w) => sameRule(r, w)));
    return { unknown, drop };
  };
  plan(g);
  if (input.DryRun) throw dryRunOk();
  const { unknown } = await env.store.transact(ctx.accountId, (tx) => {
    const cur = tx.get<SecurityGroupRec>('sg', g.id);
    if (!cur) throw notFound('group', [g.id]);
    const p = plan(cur);
    cur.rules = cur.rules.filter((r) => !p.drop.includes(r));
    tx.put('sg', g.id, cur);
    for (const r of p.drop) tx.delete('meta', `sgr/${r.id}`);
    return p;
  });
  return { Return: true, UnknownIpPermissions: unknown.length ? permissionsOf(unknown, egress) : undefined };
}

async function updateDescriptions(env: Ec2Env, ctx: RequestContext, input: RuleInput & { SecurityGroupRuleDescriptions?: Array<{ SecurityGroupRuleId?: string; Description?: string }> }, egress: boolean) {
  const g = await findGroup(env, ctx, input.GroupId, input.GroupName);
  const byId = input.SecurityGroupRuleDescriptions ?? [];
  const wanted = input.IpPermissions?.length ? rulesFromPermissions(input.IpPermissions, egress, ctx.accountId, await resolver(env, ctx, g.VpcId)) : [];
  if (input.DryRun) throw dryRunOk();
  await env.store.transact(ctx.accountId, (tx) => {
    const cur = tx.get<SecurityGroupRec>('sg', g.id);
    if (!cur) throw notFound('group', [g.id]);
    for (const w of wanted) {
      const r = cur.rules.find((x) => sameRule(x, w));
      if (!r) throw new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
      r.Description = w.Description;
    }
    for (const d of byId) {
      const r = cur.rules.find((x) => x.id === d.SecurityGroupRuleId && x.egress === egress);
      if (!r) throw notFound('rule', [d.SecurityGroupRuleId ?? '']);
      r.Description = d.Description;
    }
    tx.put('sg', g.id, cur);
  });
  return { Return: true };
}

export const ruleOps: TypedOps = {
  AuthorizeSecurityGroupIngress: (env, ctx, input: RuleInput) => authorize(env, ctx, input, false),
  AuthorizeSecurityGroupEgress: (env, ctx, input: RuleInput) => authorize(env, ctx, input, true),
  RevokeSecurityGroupIngress: (env, ctx, input: RuleInput) => revoke(env, ctx, input, false),
  RevokeSecurityGroupEgress: (env, ctx, input: RuleInput) => revoke(env, ctx, input, true),
  UpdateSecurityGroupRuleDescriptionsIngress: (env, ctx, input) => updateDescriptions(env, ctx, input, false),
  UpdateSecurityGroupRuleDescriptionsEgress: (env, ctx, input) => updateDescriptions(env, ctx, input, true),

  async DescribeSecurityGroupRules(env, ctx, input: S.DescribeSecurityGroupRulesInput) {
    const ids = checkIds('sgr', input.SecurityGroupRuleIds ?? []);
    const groups = await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg');
    const all: Array<{ g: SecurityGroupRec; r: RuleRec }> = [];
    for (const g of groups) for (const r of g.rules) all.push({ g, r });
    const missing = ids.filter((id) => !all.some((x) => x.r.id === id));
    if (missing.length) throw notFound('rule', missing);
    const match = compileFilters<{ g: SecurityGroupRec; r: RuleRec }>(
      input.Filters,
      { 'group-id': (x) => x.g.id, 'security-group-rule-id': (x) => x.r.id },
      (x) => x.r.Tags,
    );
    const picked = all.filter((x) => (!ids.length || ids.includes(x.r.id)) && match(x)).sort((a, b) => (a.r.id < b.r.id ? -1 : 1));
    const page = paginate(picked, (x) => x.r.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { SecurityGroupRules: page.items.map((x) => renderRule(x.g, x.r)), NextToken: page.nextToken };
  },

  async ModifySecurityGroupRules(env, ctx, input: S.ModifySecurityGroupRulesInput) {
    if (!input.GroupId) throw missingParameter('GroupId');
    const g = await findGroup(env, ctx, input.GroupId);
    const res = await resolver(env, ctx, g.VpcId);
    const updates = (input.SecurityGroupRules ?? []).map((u) => {
      const id = checkIds('sgr', [u.SecurityGroupRuleId])[0];
      const s = (u.SecurityGroupRule ?? {}) as { IpProtocol?: string; FromPort?: number; ToPort?: number; CidrIpv4?: string; CidrIpv6?: string; PrefixListId?: string; ReferencedGroupId?: string; Description?: string };
      const perm: IpPermission = {
        IpProtocol: s.IpProtocol,
        FromPort: s.FromPort,
        ToPort: s.ToPort,
        IpRanges: s.CidrIpv4 ? [{ CidrIp: s.CidrIpv4, Description: s.Description }] : undefined,
        Ipv6Ranges: s.CidrIpv6 ? [{ CidrIpv6: s.CidrIpv6, Description: s.Description }] : undefined,
        PrefixListIds: s.PrefixListId ? [{ PrefixListId: s.PrefixListId }] : undefined,
        UserIdGroupPairs: s.ReferencedGroupId ? [{ GroupId: s.ReferencedGroupId, Description: s.Description }] : undefined,
      };
      return { id, perm };
    });
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<SecurityGroupRec>('sg', g.id);
      if (!cur) throw notFound('group', [g.id]);
      for (const u of updates) {
        const at = cur.rules.findIndex((r) => r.id === u.id);
        if (at < 0) throw notFound('rule', [u.id]);
        const [next] = rulesFromPermissions([u.perm], cur.rules[at].egress, ctx.accountId, res);
        cur.rules[at] = { ...next, id: u.id, Tags: cur.rules[at].Tags };
      }
      tx.put('sg', g.id, cur);
    });
    return { Return: true };
  },
};
