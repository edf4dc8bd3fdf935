// SPDX-License-Identifier: AGPL-3.0-or-later
/** CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups. Names are unique per VPC. */
import type { RequestContext } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidCombination, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { candidates } from '../core/load.js';
import { paginate } from '../core/paging.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { defaultEgress, defaultVpcId, ensureDefaultVpc } from '../network.js';
import type { InstanceRec, RuleRec, SecurityGroupRec, VpcRec } from '../records.js';
import { permissionsOf } from '../sg-model.js';

export function renderGroup(g: SecurityGroupRec): Record<string, unknown> {
  return {
    Description: g.Description,
    GroupName: g.GroupName,
    IpPermissions: permissionsOf(g.rules, false),
    OwnerId: g.OwnerId,
    GroupId: g.id,
    IpPermissionsEgress: permissionsOf(g.rules, true),
    Tags: g.Tags?.length ? g.Tags : undefined,
    VpcId: g.VpcId,
    SecurityGroupArn: undefined,
  };
}

/** Finds a group by id, or by name in the default VPC (the only place EC2 resolves names). */
export async function findGroup(env: Ec2Env, ctx: RequestContext, groupId?: string, groupName?: string): Promise<SecurityGroupRec> {
  if (groupId) {
    checkIds('sg', [groupId]);
    const g = await env.store.get<SecurityGroupRec>(ctx.accountId, 'sg', groupId);
    if (!g) throw notFound('group', [groupId]);
    return g;
  }
  if (!groupName) throw missingParameter('GroupId');
  const vpcId = await ensureDefaultVpc(env, ctx.accountId, ctx.region);
  const id = await env.store.get<string>(ctx.accountId, 'meta', `sgname/${vpcId}/${groupName}`);
  const g = id ? await env.store.get<SecurityGroupRec>(ctx.accountId, 'sg', id) : undefined;
  if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupName}' does not exist in default VPC '${vpcId}'`);
  return g;
}

const ruleFilter = (egress: boolean, f: (r: RuleRec) => string | number | undefined) => (g: SecurityGroupRec) => g.rules.filter((r) => r.egress === egress).map(f);

function groupFilters() {
  const spec: Record<string, (g: SecurityGroupRec) => unknown> = {
    'group-id': (g) => g.id,
    'group-name': (g) => g.GroupName,
    description: (g) => g.Description,
    'vpc-id': (g) => g.VpcId,
    'owner-id': (g) => g.OwnerId,
  };
  for (const [prefix, egress] of [['ip-permission', false], ['egress.ip-permission', true]] as const) {
    spec[`${prefix}.cidr`] = ruleFilter(egress, (r) => r.CidrIpv4);
    spec[`${prefix}.ipv6-cidr`] = ruleFilter(egress, (r) => r.CidrIpv6);
    spec[`${prefix}.from-port`] = ruleFilter(egress, (r) => r.FromPort);
    spec[`${prefix}.to-port`] = ruleFilter(egress, (r) => r.ToPort);
    spec[`${prefix}.protocol`] = ruleFilter(egress, (r) => r.IpProtocol);
    spec[`${prefix}.group-id`] = ruleFilter(egress, (r) => r.ReferencedGroupId);
    spec[`${prefix}.user-id`] = ruleFilter(egress, (r) => r.ReferencedUserId);
    spec[`${prefix}.prefix-list-id`] = () => [];
  }
  return spec as Record<string, (g: SecurityGroupRec) => string | number | undefined | Array<string | number | undefined>>;
}

export const securityGroupOps: TypedOps = {
  async CreateSecurityGroup(env, ctx, input: S.CreateSecurityGroupInput) {
    const name = input.GroupName;
    if (!name) throw missingParameter('GroupName');
    if (input.Description === undefined || input.Description === '') throw missingParameter('GroupDescription');
    if (name.length > 255) throw invalidParameter(`Invalid security group name. Names must be at most 255 characters.`);
    if (/^sg-/i.test(name)) throw invalidParameter('Group names may not be in the format sg-*.');
    if (name === 'default') throw new AwsError('InvalidGroup.Reserved', `The security group 'default' is reserved`);
    if (input.Description.length > 255) throw invalidParameter('Invalid security group description. Descriptions must be at most 255 characters.');
    let vpcId = input.VpcId;
    if (vpcId) {
      checkIds('vpc', [vpcId]);
      if (!(await env.store.get<VpcRec>(ctx.accountId, 'vpc', vpcId))) throw notFound('vpc', [vpcId]);
    } else {
      vpcId = await ensureDefaultVpc(env, ctx.accountId, ctx.region);
    }
    const tags = tagsFromSpecs(input.TagSpecifications, ['security-group']).get('security-group');
    if (input.DryRun) throw dryRunOk();
    const egress = defaultEgress();
    const g: SecurityGroupRec = { id: newId('sg'), GroupName: name, Description: input.Description, VpcId: vpcId, OwnerId: ctx.accountId, rules: [egress], Tags: tags };
    const ok = await env.store.transact(ctx.accountId, (tx) => {
      if (tx.get('meta', `sgname/${vpcId}/${name}`)) return false;
      tx.put('meta', `sgname/${vpcId}/${name}`, g.id);
      tx.put('meta', `sgr/${egress.id}`, g.id);
      tx.put('sg', g.id, g);
      return true;
    });
    if (!ok) throw new AwsError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
    return { GroupId: g.id, Tags: tags };
  },

  async DeleteSecurityGroup(env, ctx, input: S.DeleteSecurityGroupInput) {
    const g = await findGroup(env, ctx, input.GroupId, input.GroupName);
    if (g.GroupName === 'default') {
      throw new AwsError('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
    }
    const users = (await env.store.list<InstanceRec>(ctx.accountId, 'instance')).filter((i) => i.state !== 'terminated' && i.groups.some((x) => x.GroupId === g.id));
    if (users.length) throw new AwsError('DependencyViolation', `resource ${g.id} has a dependent object`);
    const referrers = (await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg')).filter((o) => o.id !== g.id && o.rules.some((r) => r.ReferencedGroupId === g.id));
    if (referrers.length) throw new AwsError('DependencyViolation', `resource ${g.id} has a dependent object`);
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<SecurityGroupRec>('sg', g.id);
      if (!cur) return;
      for (const r of cur.rules) tx.delete('meta', `sgr/${r.id}`);
      tx.delete('meta', `sgname/${cur.VpcId}/${cur.GroupName}`);
      tx.delete('sg', g.id);
    });
    return {};
  },

  async DescribeSecurityGroups(env, ctx, input: S.DescribeSecurityGroupsInput) {
    const ids = checkIds('sg', input.GroupIds ?? []);
    const names = input.GroupNames ?? [];
    if ((ids.length || names.length) && input.MaxResults !== undefined) throw invalidCombination('The parameter groupIdSet cannot be used with the parameter maxResults');
    const defVpc = await defaultVpcId(env, ctx.accountId, ctx.region);
    const all = ids.length || names.length ? await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg') : await candidates<SecurityGroupRec>(env.store, ctx.accountId, 'sg', input.Filters);
    const missing = ids.filter((id) => !all.some((g) => g.id === id));
    if (missing.length) throw notFound('group', missing);
    if (names.length) {
      for (const n of names) {
        if (!all.some((g) => g.GroupName === n && g.VpcId === defVpc)) throw new AwsError('InvalidGroup.NotFound', `The security group '${n}' does not exist in default VPC '${defVpc}'`);
      }
    }
    const match = compileFilters(input.Filters, groupFilters(), (g: SecurityGroupRec) => g.Tags);
    const picked = all.filter((g) => (!ids.length || ids.includes(g.id)) && (!names.length || (names.includes(g.GroupName) && g.VpcId === defVpc)) && match(g));
    const page = paginate(picked, (g) => g.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { SecurityGroups: page.items.map(renderGroup), NextToken: page.nextToken };
  },
};
