// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Internet gateways (Create/Describe/Delete, Attach/Detach) and route tables (Create/Describe/Delete,
 * Create/Replace/DeleteRoute, Associate/DisassociateRouteTable). Gateway-side state only: the
 * embedded backend has no data plane to program, a real backend can derive its NAT/routing from it.
 */
import type { RequestContext } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { IGW, loadRecord, RTB, VPC } from '../core/load.js';
import { paginate } from '../core/paging.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { cidrString, parseCidr } from '../network.js';
import type { InternetGatewayRec, RouteRec, RouteTableRec, SubnetRec, VpcRec } from '../records.js';

function renderIgw(g: InternetGatewayRec): Record<string, unknown> {
  return { Attachments: g.VpcId ? [{ State: 'available', VpcId: g.VpcId }] : [], InternetGatewayId: g.id, OwnerId: g.OwnerId, Tags: g.Tags ?? [] };
}

function renderRtb(r: RouteTableRec, igws: Set<string>): Record<string, unknown> {
  return {
    Associations: r.associations.map((a) => ({ Main: a.Main, RouteTableAssociationId: a.id, RouteTableId: r.id, SubnetId: a.SubnetId, AssociationState: { State: 'associated' } })),
    PropagatingVgws: [],
    RouteTableId: r.id,
    Routes: r.routes.map((x) => ({
      DestinationCidrBlock: x.DestinationCidrBlock,
      GatewayId: x.GatewayId,
      InstanceId: x.InstanceId,
      Origin: x.Origin,
      State: x.GatewayId && x.GatewayId !== 'local' && !igws.has(x.GatewayId) ? 'blackhole' : 'active',
    })),
    Tags: r.Tags ?? [],
    VpcId: r.VpcId,
    OwnerId: r.OwnerId,
  };
}

const loadVpc = (env: Ec2Env, ctx: RequestContext, id: string | undefined) => loadRecord<VpcRec>(env.store, ctx.accountId, VPC, id);
const loadIgw = (env: Ec2Env, ctx: RequestContext, id: string | undefined) => loadRecord<InternetGatewayRec>(env.store, ctx.accountId, IGW, id);
const loadRtb = (env: Ec2Env, ctx: RequestContext, id: string | undefined) => loadRecord<RouteTableRec>(env.store, ctx.accountId, RTB, id);

async function attachedIgws(env: Ec2Env, accountId: string): Promise<Set<string>> {
  return new Set((await env.store.list<InternetGatewayRec>(accountId, 'igw')).filter((g) => g.VpcId).map((g) => g.id));
}

interface RouteInput {
  RouteTableId?: string;
  DestinationCidrBlock?: string;
  GatewayId?: string;
  InstanceId?: string;
  DestinationIpv6CidrBlock?: string;
  NatGatewayId?: string;
  NetworkInterfaceId?: string;
  TransitGatewayId?: string;
  VpcPeeringConnectionId?: string;
  DryRun?: boolean;
}

/** Validates a route's target against the table's VPC. */
async function routeOf(env: Ec2Env, ctx: RequestContext, rtb: RouteTableRec, input: RouteInput): Promise<RouteRec> {
  if (input.DestinationIpv6CidrBlock) throw invalidParameter('IPv6 routes are not supported by this gateway.');
  for (const k of ['NatGatewayId', 'NetworkInterfaceId', 'TransitGatewayId', 'VpcPeeringConnectionId'] as const) {
    if (input[k]) throw invalidParameter(`Routes to ${k.replace(/Id$/, '')} targets are not supported by this gateway.`);
  }
  if (!input.DestinationCidrBlock) throw missingParameter('DestinationCidrBlock');
  const c = parseCidr(input.DestinationCidrBlock);
  if (!c) throw invalidParameter(`Value (${input.DestinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
  const dest = cidrString(c);
  if (input.GatewayId) {
    const g = await loadIgw(env, ctx, input.GatewayId);
    if (g.VpcId !== rtb.VpcId) throw invalidParameter(`route table ${rtb.id} and network gateway ${g.id} belong to different networks`);
    return { DestinationCidrBlock: dest, GatewayId: g.id, Origin: 'CreateRoute' };
  }
  if (input.InstanceId) {
    checkIds('i', [input.InstanceId]);
    const i = await env.store.get<{ VpcId: string }>(ctx.accountId, 'instance', input.InstanceId);
    if (!i) throw notFound('instance', [input.InstanceId]);
    if (i.VpcId !== rtb.VpcId) throw invalidParameter(`route table ${rtb.id} and instance ${input.InstanceId} belong to different networks`);
    return { DestinationCidrBlock: dest, InstanceId: input.InstanceId, Origin: 'CreateRoute' };
  }
  throw missingParameter('GatewayId');
}

export const routeOps: TypedOps = {
  async CreateInternetGateway(env, ctx, input: S.CreateInternetGatewayInput) {
    const tags = tagsFromSpecs(input.TagSpecifications, ['internet-gateway']).get('internet-gateway');
    if (input.DryRun) throw dryRunOk();
    const g: InternetGatewayRec = { id: newId('igw'), OwnerId: ctx.accountId, Tags: tags };
    await env.store.put(ctx.accountId, 'igw', g.id, g);
    return { InternetGateway: renderIgw(g) };
  },

  async AttachInternetGateway(env, ctx, input: S.AttachInternetGatewayInput) {
    const g = await loadIgw(env, ctx, input.InternetGatewayId);
    const vpc = await loadVpc(env, ctx, input.VpcId);
    if (g.VpcId) throw new AwsError('Resource.AlreadyAssociated', `resource ${g.id} is already attached to network ${g.VpcId}`);
    const others = (await env.store.list<InternetGatewayRec>(ctx.accountId, 'igw')).find((x) => x.VpcId === vpc.id);
    if (others) throw new AwsError('InvalidParameterValue', `Network ${vpc.id} already has an internet gateway attached`);
    if (input.DryRun) throw dryRunOk();
    await env.store.update<InternetGatewayRec>(ctx.accountId, 'igw', g.id, (cur) => {
      if (cur?.VpcId) throw new AwsError('Resource.AlreadyAssociated', `resource ${g.id} is already attached to network ${cur.VpcId}`);
      return cur ? { ...cur, VpcId: vpc.id } : cur;
    });
    return {};
  },

  async DetachInternetGateway(env, ctx, input: S.DetachInternetGatewayInput) {
    const g = await loadIgw(env, ctx, input.InternetGatewayId);
    const vpc = await loadVpc(env, ctx, input.VpcId);
    if (g.VpcId !== vpc.id) throw new AwsError('Gateway.NotAttached', `resource ${g.id} is not attached to network ${vpc.id}`);
    if (input.DryRun) throw dryRunOk();
    await env.store.update<InternetGatewayRec>(ctx.accountId, 'igw', g.id, (cur) => (cur ? { ...cur, VpcId: undefined } : cur));
    return {};
  },

  async DeleteInternetGateway(env, ctx, input: S.DeleteInternetGatewayInput) {
    const g = await loadIgw(env, ctx, input.InternetGatewayId);
    if (g.VpcId) throw new AwsError('DependencyViolation', `The internetGateway '${g.id}' has dependencies and cannot be deleted.`);
    if (input.DryRun) throw dryRunOk();
    await env.store.delete(ctx.accountId, 'igw', g.id);
    return {};
  },

  async DescribeInternetGateways(env, ctx, input: S.DescribeInternetGatewaysInput) {
    const ids = checkIds('igw', input.InternetGatewayIds ?? []);
    const all = await env.store.list<InternetGatewayRec>(ctx.accountId, 'igw');
    const missing = ids.filter((id) => !all.some((g) => g.id === id));
    if (missing.length) throw notFound('igw', missing);
    const match = compileFilters<InternetGatewayRec>(
      input.Filters,
      { 'internet-gateway-id': (g) => g.id, 'attachment.vpc-id': (g) => g.VpcId, 'attachment.state': (g) => (g.VpcId ? 'available' : undefined), 'owner-id': (g) => g.OwnerId },
      (g) => g.Tags,
    );
    const page = paginate(all.filter((g) => (!ids.length || ids.includes(g.id)) && match(g)), (g) => g.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { InternetGateways: page.items.map(renderIgw), NextToken: page.nextToken };
  },

  async CreateRouteTable(env, ctx, input: S.CreateRouteTableInput) {
    const vpc = await loadVpc(env, ctx, input.VpcId);
    const tags = tagsFromSpecs(input.TagSpecifications, ['route-table']).get('route-table');
    if (input.DryRun) throw dryRunOk();
    const r: RouteTableRec = { id: newId('rtb'), VpcId: vpc.id, OwnerId: ctx.accountId, routes: [{ DestinationCidrBlock: vpc.CidrBlock, GatewayId: 'local', Origin: 'CreateRouteTable' }], associations: [], Tags: tags };
    await env.store.put(ctx.accountId, 'rtb', r.id, r);
    return { RouteTable: renderRtb(r, new Set()) };
  },

  async DeleteRouteTable(env, ctx, input: S.DeleteRouteTableInput) {
    const r = await loadRtb(env, ctx, input.RouteTableId);
    if (r.associations.length) throw new AwsError('DependencyViolation', `The routeTable '${r.id}' has dependencies and cannot be deleted.`);
    if (input.DryRun) throw dryRunOk();
    await env.store.delete(ctx.accountId, 'rtb', r.id);
    return {};
  },

  async DescribeRouteTables(env, ctx, input: S.DescribeRouteTablesInput) {
    const ids = checkIds('rtb', input.RouteTableIds ?? []);
    const all = await env.store.list<RouteTableRec>(ctx.accountId, 'rtb');
    const missing = ids.filter((id) => !all.some((r) => r.id === id));
    if (missing.length) throw notFound('rtb', missing);
    const match = compileFilters<RouteTableRec>(
      input.Filters,
      {
        'route-table-id': (r) => r.id,
        'vpc-id': (r) => r.VpcId,
        'owner-id': (r) => r.OwnerId,
        'association.main': (r) => r.associations.some((a) => a.Main),
        'association.subnet-id': (r) => r.associations.map((a) => a.SubnetId),
        'association.route-table-association-id': (r) => r.associations.map((a) => a.id),
        'association.route-table-id': (r) => (r.associations.length ? r.id : undefined),
        'route.destination-cidr-block': (r) => r.routes.map((x) => x.DestinationCidrBlock),
        'route.gateway-id': (r) => r.routes.map((x) => x.GatewayId),
        'route.instance-id': (r) => r.routes.map((x) => x.InstanceId),
        'route.origin': (r) => r.routes.map((x) => x.Origin),
      },
      (r) => r.Tags,
    );
    const igws = await attachedIgws(env, ctx.accountId);
    const page = paginate(all.filter((r) => (!ids.length || ids.includes(r.id)) && match(r)), (r) => r.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 100 });
    return { RouteTables: page.items.map((r) => renderRtb(r, igws)), NextToken: page.nextToken };
  },

  async CreateRoute(env, ctx, input: RouteInput) {
    const rtb = await loadRtb(env, ctx, input.RouteTableId);
    const route = await routeOf(env, ctx, rtb, input);
    if (rtb.routes.some((x) => x.DestinationCidrBlock === route.DestinationCidrBlock)) throw new AwsError('RouteAlreadyExists', `The route identified by ${route.DestinationCidrBlock} already exists.`);
    if (input.DryRun) throw dryRunOk();
    await env.store.update<RouteTableRec>(ctx.accountId, 'rtb', rtb.id, (cur) => {
      if (!cur) throw notFound('rtb', [rtb.id]);
      if (cur.routes.some((x) => x.DestinationCidrBlock === route.DestinationCidrBlock)) throw new AwsError('RouteAlreadyExists', `The route identified by ${route.DestinationCidrBlock} already exists.`);
      return { ...cur, routes: [...cur.routes, route] };
    });
    return { Return: true };
  },

  async ReplaceRoute(env, ctx, input: RouteInput) {
    const rtb = await loadRtb(env, ctx, input.RouteTableId);
    const route = await routeOf(env, ctx, rtb, input);
    const at = rtb.routes.findIndex((x) => x.DestinationCidrBlock === route.DestinationCidrBlock);
    if (at < 0) throw new AwsError('InvalidRoute.NotFound', `no route with destination-cidr-block ${route.DestinationCidrBlock} in route table ${rtb.id}`);
    if (rtb.routes[at].GatewayId === 'local') throw invalidParameter(`cannot replace local route ${route.DestinationCidrBlock} in route table ${rtb.id}`);
    if (input.DryRun) throw dryRunOk();
    await env.store.update<RouteTableRec>(ctx.accountId, 'rtb', rtb.id, (cur) => (cur ? { ...cur, routes: cur.routes.map((x) => (x.DestinationCidrBlock === route.DestinationCidrBlock ? route : x)) } : cur));
    return {};
  },

  async DeleteRoute(env, ctx, input: S.DeleteRouteInput) {
    const rtb = await loadRtb(env, ctx, input.RouteTableId);
    if (!input.DestinationCidrBlock) throw missingParameter('DestinationCidrBlock');
    const c = parseCidr(input.DestinationCidrBlock);
    const dest = c ? cidrString(c) : input.DestinationCidrBlock;
    const route = rtb.routes.find((x) => x.DestinationCidrBlock === dest);
    if (!route) throw new AwsError('InvalidRoute.NotFound', `no route with destination-cidr-block ${dest} in route table ${rtb.id}`);
    if (route.GatewayId === 'local') throw invalidParameter(`cannot remove local route ${dest} in route table ${rtb.id}`);
    if (input.DryRun) throw dryRunOk();
    await env.store.update<RouteTableRec>(ctx.accountId, 'rtb', rtb.id, (cur) => (cur ? { ...cur, routes: cur.routes.filter((x) => x.DestinationCidrBlock !== dest) } : cur));
    return {};
  },

  async AssociateRouteTable(env, ctx, input: S.AssociateRouteTableInput) {
    const rtb = await loadRtb(env, ctx, input.RouteTableId);
    if (input.GatewayId) throw invalidParameter('Gateway route table associations are not supported by this gateway.');
    if (!input.SubnetId) throw missingParameter('SubnetId');
    checkIds('subnet', [input.SubnetId]);
    const subnet = await env.store.get<SubnetRec>(ctx.accountId, 'subnet', input.SubnetId);
    if (!subnet) throw notFound('subnet', [input.SubnetId]);
    if (subnet.VpcId !== rtb.VpcId) throw invalidParameter(`Route table ${rtb.id} and subnet ${subnet.id} belong to different networks`);
    if (input.DryRun) throw dryRunOk();
    const id = newId('rtbassoc');
    await env.store.transact(ctx.accountId, (tx) => {
      const held = tx.get<string>('meta', `rtbsubnet/${subnet.id}`);
      if (held) throw new AwsError('Resource.AlreadyAssociated', `the specified association for route table ${rtb.id} conflicts with an existing association`);
      const cur = tx.get<RouteTableRec>('rtb', rtb.id);
      if (!cur) throw notFound('rtb', [rtb.id]);
      cur.associations.push({ id, Main: false, SubnetId: subnet.id });
      tx.put('rtb', rtb.id, cur);
      tx.put('meta', `rtbsubnet/${subnet.id}`, id);
      tx.put('meta', `rtbassoc/${id}`, rtb.id);
    });
    return { AssociationId: id, AssociationState: { State: 'associated' } };
  },

  async DisassociateRouteTable(env, ctx, input: S.DisassociateRouteTableInput) {
    if (!input.AssociationId) throw missingParameter('AssociationId');
    const id = input.AssociationId;
    const rtbId = await env.store.get<string>(ctx.accountId, 'meta', `rtbassoc/${id}`);
    const rtb = rtbId ? await env.store.get<RouteTableRec>(ctx.accountId, 'rtb', rtbId) : undefined;
    const assoc = rtb?.associations.find((a) => a.id === id);
    if (!rtb || !assoc) throw new AwsError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
    if (assoc.Main) throw invalidParameter(`cannot disassociate the main route table association ${id}`);
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      const cur = tx.get<RouteTableRec>('rtb', rtb.id);
      if (!cur) return;
      cur.associations = cur.associations.filter((a) => a.id !== id);
      tx.put('rtb', rtb.id, cur);
      tx.delete('meta', `rtbassoc/${id}`);
      if (assoc.SubnetId) tx.delete('meta', `rtbsubnet/${assoc.SubnetId}`);
    });
    return {};
  },
};
