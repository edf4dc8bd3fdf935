// SPDX-License-Identifier: AGPL-3.0-or-later
/** CreateTags, DeleteTags, DescribeTags over every taggable kind the gateway keeps. */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, missingParameter, notFound, type NotFoundKind } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { isId, type IdPrefix } from '../core/ids.js';
import { paginate } from '../core/paging.js';
import type { Ec2Tx, Kind, Rec, Tag } from '../core/store.js';
import { mergeTags, validateTags } from '../core/tags.js';
import type { TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import type { SecurityGroupRec } from '../records.js';

interface Taggable {
  prefix: IdPrefix;
  kind: Kind;
  resourceType: string;
  notFound: NotFoundKind;
}

const TAGGABLE: Taggable[] = [
  { prefix: 'i', kind: 'instance', resourceType: 'instance', notFound: 'instance' },
  { prefix: 'vol', kind: 'volume', resourceType: 'volume', notFound: 'volume' },
  { prefix: 'snap', kind: 'snapshot', resourceType: 'snapshot', notFound: 'snapshot' },
  { prefix: 'ami', kind: 'image', resourceType: 'image', notFound: 'image' },
  { prefix: 'sg', kind: 'sg', resourceType: 'security-group', notFound: 'group' },
  { prefix: 'vpc', kind: 'vpc', resourceType: 'vpc', notFound: 'vpc' },
  { prefix: 'subnet', kind: 'subnet', resourceType: 'subnet', notFound: 'subnet' },
  { prefix: 'key', kind: 'keypair', resourceType: 'key-pair', notFound: 'keypair' },
  { prefix: 'igw', kind: 'igw', resourceType: 'internet-gateway', notFound: 'igw' },
  { prefix: 'rtb', kind: 'rtb', resourceType: 'route-table', notFound: 'rtb' },
  { prefix: 'eipalloc', kind: 'eip', resourceType: 'elastic-ip', notFound: 'allocation' },
];

function taggableOf(id: string): Taggable | 'rule' {
  if (isId('sgr', id)) return 'rule';
  for (const t of TAGGABLE) if (isId(t.prefix, id)) return t;
  throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
}

/** Applies `fn` to the tags of one resource inside a transaction; false when it does not exist. */
function editTags(tx: Ec2Tx, id: string, fn: (tags: Tag[]) => Tag[]): boolean {
  const t = taggableOf(id);
  if (t === 'rule') {
    const sgId = tx.get<string>('meta', `sgr/${id}`);
    const g = sgId ? tx.get<SecurityGroupRec>('sg', sgId) : undefined;
    const r = g?.rules.find((x) => x.id === id);
    if (!g || !r) return false;
    r.Tags = fn(r.Tags ?? []);
    tx.put('sg', g.id, g);
    return true;
  }
  const rec = tx.get<Rec>(t.kind, id);
  if (!rec) return false;
  tx.put(t.kind, id, { ...rec, Tags: fn(rec.Tags ?? []) });
  return true;
}

function missing(id: string): AwsError {
  const t = taggableOf(id);
  return t === 'rule' ? notFound('rule', [id]) : notFound(t.notFound, [id]);
}

interface TagRow {
  Key: string;
  Value: string;
  ResourceId: string;
  ResourceType: string;
}

export const tagOps: TypedOps = {
  async CreateTags(env, ctx, input: S.CreateTagsInput) {
    const ids = input.Resources ?? [];
    if (!ids.length) throw missingParameter('ResourceId');
    if (!input.Tags?.length) throw missingParameter('Tag');
    const tags = validateTags(input.Tags);
    ids.forEach(taggableOf);
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      for (const id of ids) if (!editTags(tx, id, (cur) => mergeTags(cur, tags))) throw missing(id);
    });
    return {};
  },

  async DeleteTags(env, ctx, input: S.DeleteTagsInput) {
    const ids = input.Resources ?? [];
    if (!ids.length) throw missingParameter('ResourceId');
    ids.forEach(taggableOf);
    const spec = input.Tags;
    if (input.DryRun) throw dryRunOk();
    await env.store.transact(ctx.accountId, (tx) => {
      for (const id of ids) {
        const ok = editTags(tx, id, (cur) =>
          !spec?.length ? [] : cur.filter((t) => !spec.some((s) => s.Key === t.Key && (s.Value === undefined || s.Value === t.Value))),
        );
        if (!ok) throw missing(id);
      }
    });
    return {};
  },

  async DescribeTags(env, ctx, input: S.DescribeTagsInput) {
    const rows: TagRow[] = [];
    for (const t of TAGGABLE) {
      for (const r of await env.store.list<Rec>(ctx.accountId, t.kind)) {
        for (const tag of r.Tags ?? []) rows.push({ ...tag, ResourceId: r.id, ResourceType: t.resourceType });
      }
    }
    for (const g of await env.store.list<SecurityGroupRec>(ctx.accountId, 'sg')) {
      for (const r of g.rules) for (const tag of r.Tags ?? []) rows.push({ ...tag, ResourceId: r.id, ResourceType: 'security-group-rule' });
    }
    // tag:<key>, tag-key and tag-value select resources by their tags; the rest select rows
    const isTagFilter = (f: Filter) => f.Name?.startsWith('tag:') || f.Name === 'tag-key' || f.Name === 'tag-value';
    const byRes = new Map<string, Tag[]>();
    for (const r of rows) byRes.set(r.ResourceId, [...(byRes.get(r.ResourceId) ?? []), { Key: r.Key, Value: r.Value }]);
    const resMatch = compileFilters<string>((input.Filters ?? []).filter(isTagFilter), {}, (id) => byRes.get(id));
    const plainMatch = compileFilters<TagRow>((input.Filters ?? []).filter((f) => !isTagFilter(f)), {
      key: (r) => r.Key,
      value: (r) => r.Value,
      'resource-id': (r) => r.ResourceId,
      'resource-type': (r) => r.ResourceType,
    });
    const picked = rows.filter((r) => plainMatch(r) && resMatch(r.ResourceId)).sort((a, b) => (a.ResourceId < b.ResourceId ? -1 : a.ResourceId > b.ResourceId ? 1 : a.Key < b.Key ? -1 : 1));
    const page = paginate(picked, (r) => `${r.ResourceId}\u0000${r.Key}`, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Tags: page.items, NextToken: page.nextToken };
  },
};
