// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Network interfaces: each instance has one primary interface (eni-), listed by
 * DescribeNetworkInterfaces; its groups and source/dest check change through
 * ModifyNetworkInterfaceAttribute (what Terraform does when vpc_security_group_ids change).
 */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidCombination, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { InstanceRec, SecurityGroupRec } from '../records.js';
import { renderEni } from '../render.js';
import { liveInstances } from './instances.js';

async function byEni(env: Ec2Env, accountId: string, eniId: string | undefined): Promise<InstanceRec> {
  if (!eniId) throw missingParameter('NetworkInterfaceId');
  checkIds('eni', [eniId]);
  const i = (await liveInstances(env, accountId)).find((x) => x.eniId === eniId && x.state !== 'terminated');
  if (!i) throw notFound('eni', [eniId]);
  return i;
}

export const eniOps: TypedOps = {
  async DescribeNetworkInterfaces(env, ctx, input: S.DescribeNetworkInterfacesInput) {
    const ids = checkIds('eni', input.NetworkInterfaceIds ?? []);
    const live = (await liveInstances(env, ctx.accountId)).filter((i) => i.state !== 'terminated');
    const missing = ids.filter((id) => !live.some((i) => i.eniId === id));
    if (missing.length) throw notFound('eni', missing);
    const match = compileFilters<InstanceRec>(input.Filters, {
      'network-interface-id': (i) => i.eniId,
      'subnet-id': (i) => i.SubnetId,
      'vpc-id': (i) => i.VpcId,
      'group-id': (i) => i.groups.map((g) => g.GroupId),
      'group-name': (i) => i.groups.map((g) => g.GroupName),
      'attachment.instance-id': (i) => i.id,
      'attachment.attachment-id': (i) => i.eniAttachmentId,
      'attachment.status': () => 'attached',
      'private-ip-address': (i) => i.PrivateIpAddress,
      'addresses.private-ip-address': (i) => i.PrivateIpAddress,
      'mac-address': (i) => i.MacAddress,
      'availability-zone': (i) => i.AvailabilityZone,
      status: () => 'in-use',
      'owner-id': (i) => i.ownerId,
      'interface-type': () => 'interface',
      'source-dest-check': (i) => i.SourceDestCheck,
    });
    const picked = live.filter((i) => (!ids.length || ids.includes(i.eniId)) && match(i)).sort((a, b) => (a.eniId < b.eniId ? -1 : 1));
    const page = paginate(picked, (i) => i.eniId, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return {
      NetworkInterfaces: page.items.map((i) => renderEni(i, ctx.region, true)),
      NextToken: page.nextToken,
    };
  },

  async DescribeNetworkInterfaceAttribute(env, ctx, input: S.DescribeNetworkInterfaceAttributeInput) {
    const i = await byEni(env, ctx.accountId, input.NetworkInterfaceId);
    const out: Record<string, unknown> = { NetworkInterfaceId: i.eniId };
    switch (input.Attribute) {
      case 'description': out.Description = { Value: '' }; break;
      case 'groupSet': out.Groups = i.groups; break;
      case 'sourceDestCheck': out.SourceDestCheck = { Value: i.SourceDestCheck }; break;
      case 'attachment': out.Attachment = (renderEni(i, ctx.region, true) as { Attachment: unknown }).Attachment; break;
      case 'associatePublicIpAddress': out.AssociatePublicIpAddress = i.PublicIpAddress !== undefined; break;
      default:
        throw invalidParameter(`Value (${input.Attribute}) for parameter attribute is invalid. Valid values are: description, groupSet, sourceDestCheck, attachment, associatePublicIpAddress.`);
    }
    return out;
  },

  async ModifyNetworkInterfaceAttribute(env, ctx, input: S.ModifyNetworkInterfaceAttributeInput) {
    const i = await byEni(env, ctx.accountId, input.NetworkInterfaceId);
    const given = [input.Groups?.length ? 'groupSet' : '', input.SourceDestCheck ? 'sourceDestCheck' : '', input.Description ? 'description' : '', input.Attachment ? 'attachment' : ''].filter(Boolean);
    if (given.length === 0) throw missingParameter('Attribute');
    if (given.length > 1) throw invalidCombination(`Fields for multiple attribute types specified: ${given.join(', ')}`);
    let patch: Partial<InstanceRec> = {};
    if (input.Groups?.length) {
      const groups: Array<{ GroupId: string; GroupName: string }> = [];
      for (const id of checkIds('sg', input.Groups)) {
        const g = await env.store.get<SecurityGroupRec>(ctx.accountId, 'sg', id);
        if (!g) throw notFound('group', [id]);
        if (g.VpcId !== i.VpcId) throw invalidParameter(`Security group ${id} and interface ${i.eniId} belong to different networks.`);
        if (!groups.some((x) => x.GroupId === g.id)) groups.push({ GroupId: g.id, GroupName: g.GroupName });
      }
      patch = { groups };
    } else if (input.SourceDestCheck) {
      patch = { SourceDestCheck: input.SourceDestCheck.Value === true };
    } else if (input.Description) {
      if ((input.Description.Value ?? '') !== '') throw invalidParameter('Descriptions of primary network interfaces are not supported by this gateway.');
    } else if (input.Attachment) {
      if (input.Attachment.AttachmentId !== i.eniAttachmentId) throw new AwsError('InvalidAttachmentID.NotFound', `The attachment ID '${input.Attachment.AttachmentId ?? ''}' does not exist`);
      if (input.Attachment.DeleteOnTermination === false) throw invalidParameter('The primary network interface of an instance is always deleted with it.');
    }
    if (input.DryRun) throw dryRunOk();
    await env.store.update<InstanceRec>(ctx.accountId, 'instance', i.id, (cur) => (cur ? { ...cur, ...patch } : cur));
    return {};
  },
};
