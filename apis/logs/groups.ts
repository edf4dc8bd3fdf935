// SPDX-License-Identifier: AGPL-3.0-or-later
/** Log groups: create, delete, describe, retention policies and tags. */
import type { Handler, RequestContext } from '../../src/context.js';
import type { LogsBackend } from './backend.js';
import { alreadyExists, constraint, groupNotFound, intInRange, invalidParameter, required, resourceNotFound } from './errors.js';
import {
  GROUPS,
  RETENTION_DAYS,
  STREAMS,
  TAGS,
  checkGroupName,
  decodeToken,
  encodeToken,
  getGroup,
  groupArn,
  groupFromInput,
  groupKey,
  tenantOf,
  type GroupRecord,
} from './model.js';

const CLASSES = new Set(['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']);
const MAX_TAGS = 50;

function checkTags(tags: Record<string, string> | undefined, member: string): Record<string, string> {
  const t = tags ?? {};
  const keys = Object.keys(t);
  if (keys.length > MAX_TAGS) throw constraint(`{${keys.length} tags}`, member, `Member must have length less than or equal to ${MAX_TAGS}`);
  for (const k of keys) {
    if (k.length < 1 || k.length > 128 || k.startsWith('aws:')) throw invalidParameter(`The tag key ${k} is invalid.`);
    if (String(t[k]).length > 256) throw invalidParameter(`The value of tag ${k} is longer than 256 characters.`);
  }
  return { ...t };
}

export function describeGroup(ctx: RequestContext, g: GroupRecord): Record<string, unknown> {
  const arn = groupArn(ctx, g.logGroupName);
  return {
    logGroupName: g.logGroupName,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: `${arn}:*`,
    storedBytes: g.storedBytes,
    ...(g.kmsKeyId ? { kmsKeyId: g.kmsKeyId } : {}),
    logGroupClass: g.logGroupClass,
    logGroupArn: arn,
  };
}

export function groupHandlers(backend: LogsBackend): Record<string, Handler> {
  const groups = (ctx: RequestContext) => ctx.gateway.state.table<GroupRecord>(GROUPS);
  const tags = (ctx: RequestContext) => ctx.gateway.state.table<Record<string, string>>(TAGS);

  /** The group named by a log-group ARN (with or without :*) of this account and region. */
  async function groupOfArn(ctx: RequestContext, arn: string | undefined): Promise<string> {
    const a = required(arn, 'resourceArn');
    const m = /^arn:aws[a-z-]*:logs:([^:]+):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(a);
    if (!m) throw invalidParameter(`The specified resource ARN ${a} is not valid or not supported.`);
    if (m[1] !== ctx.region || m[2] !== ctx.accountId || !(await groups(ctx).get(groupKey(ctx, m[3])))) {
      throw resourceNotFound(`The specified resource does not exist.`);
    }
    return m[3];
  }

  async function addTags(ctx: RequestContext, group: string, add: Record<string, string>) {
    let over = false;
    await tags(ctx).update(groupArn(ctx, group), (cur) => {
      const next = { ...cur, ...add };
      if (Object.keys(next).length > MAX_TAGS) {
        over = true;
        return cur;
      }
      return next;
    });
    if (over) throw invalidParameter(`A log group can have at most ${MAX_TAGS} tags.`);
  }

  async function removeTags(ctx: RequestContext, group: string, keys: string[]) {
    await tags(ctx).update(groupArn(ctx, group), (cur) => {
      const next = { ...cur };
      for (const k of keys) delete next[k];
      return next;
    });
  }

  return {
    async CreateLogGroup(ctx: RequestContext, i: { logGroupName?: string; kmsKeyId?: string; tags?: Record<string, string>; logGroupClass?: string }) {
      const name = checkGroupName(i.logGroupName);
      const cls = i.logGroupClass ?? 'STANDARD';
      if (!CLASSES.has(cls)) throw constraint(cls, 'logGroupClass', 'Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]');
      const t = checkTags(i.tags, 'tags');
      const rec: GroupRecord = { logGroupName: name, creationTime: ctx.gateway.clock.now(), logGroupClass: cls, storedBytes: 0, ...(i.kmsKeyId ? { kmsKeyId: i.kmsKeyId } : {}) };
      if (!(await groups(ctx).putIfAbsent(groupKey(ctx, name), rec))) throw alreadyExists('The specified log group already exists');
      if (Object.keys(t).length) await tags(ctx).put(groupArn(ctx, name), t);
      return {};
    },

    async DeleteLogGroup(ctx: RequestContext, i: { logGroupName?: string }) {
      const name = checkGroupName(i.logGroupName);
      if (!(await groups(ctx).delete(groupKey(ctx, name)))) throw groupNotFound();
      const st = ctx.gateway.state.table(STREAMS);
      for (const [k] of await st.range({ prefix: `${groupKey(ctx, name)}:` })) await st.delete(k);
      await tags(ctx).delete(groupArn(ctx, name));
      await backend.deleteGroup(tenantOf(ctx), name);
      return {};
    },

    async DescribeLogGroups(ctx: RequestContext, i: {
      logGroupNamePrefix?: string; logGroupNamePattern?: string; nextToken?: string; limit?: number; logGroupClass?: string;
      accountIdentifiers?: string[]; includeLinkedAccounts?: boolean; logGroupIdentifiers?: string[];
    }) {
      if (i.logGroupNamePrefix !== undefined && i.logGroupNamePattern !== undefined) {
        throw invalidParameter('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
      }
      const limit = intInRange(i.limit, 'limit', 1, 50, 50);
      if (i.logGroupNamePrefix !== undefined) checkGroupName(i.logGroupNamePrefix, 'logGroupNamePrefix');
      const base = `${ctx.accountId}/${ctx.region}/`;
      const prefix = base + (i.logGroupNamePrefix ?? '');
      const after = decodeToken(i.nextToken, base);
      const rows = await groups(ctx).range({ prefix, ...(after ? { start: after, exclusiveStart: true } : {}) });
      const ids = i.logGroupIdentifiers ? new Set(i.logGroupIdentifiers.map((id) => groupFromInput(ctx, { logGroupIdentifier: id }))) : undefined;
      const out: Array<Record<string, unknown>> = [];
      let last: string | undefined;
      for (const [k, g] of rows) {
        if (i.logGroupNamePattern !== undefined && !g.logGroupName.includes(i.logGroupNamePattern)) continue;
        if (i.logGroupClass !== undefined && g.logGroupClass !== i.logGroupClass) continue;
        if (ids && !ids.has(g.logGroupName)) continue;
        if (out.length === limit) return { logGroups: out, nextToken: encodeToken(last!) };
        out.push(describeGroup(ctx, g));
        last = k;
      }
      return { logGroups: out };
    },

    async PutRetentionPolicy(ctx: RequestContext, i: { logGroupName?: string; retentionInDays?: number }) {
      const name = checkGroupName(i.logGroupName);
      const days = required(i.retentionInDays, 'retentionInDays');
      if (!RETENTION_DAYS.includes(days)) {
        throw constraint(days, 'retentionInDays', `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
      }
      const next = await groups(ctx).update(groupKey(ctx, name), (g) => (g ? { ...g, retentionInDays: days } : g));
      if (!next) throw groupNotFound();
      return {};
    },

    async DeleteRetentionPolicy(ctx: RequestContext, i: { logGroupName?: string }) {
      const name = checkGroupName(i.logGroupName);
      const next = await groups(ctx).update(groupKey(ctx, name), (g) => {
        if (!g) return g;
        const { retentionInDays: _r, ...rest } = g;
        return rest;
      });
      if (!next) throw groupNotFound();
      return {};
    },

    async ListTagsForResource(ctx: RequestContext, i: { resourceArn?: string }) {
      const g = await groupOfArn(ctx, i.resourceArn);
      return { tags: (await tags(ctx).get(groupArn(ctx, g))) ?? {} };
    },
    async TagResource(ctx: RequestContext, i: { resourceArn?: string; tags?: Record<string, string> }) {
      const g = await groupOfArn(ctx, i.resourceArn);
      await addTags(ctx, g, checkTags(required(i.tags, 'tags'), 'tags'));
      return {};
    },
    async UntagResource(ctx: RequestContext, i: { resourceArn?: string; tagKeys?: string[] }) {
      const g = await groupOfArn(ctx, i.resourceArn);
      await removeTags(ctx, g, required(i.tagKeys, 'tagKeys'));
      return {};
    },
    async ListTagsLogGroup(ctx: RequestContext, i: { logGroupName?: string }) {
      const name = checkGroupName(i.logGroupName);
      await getGroup(ctx.gateway.state, ctx, name);
      return { tags: (await tags(ctx).get(groupArn(ctx, name))) ?? {} };
    },
    async TagLogGroup(ctx: RequestContext, i: { logGroupName?: string; tags?: Record<string, string> }) {
      const name = checkGroupName(i.logGroupName);
      await getGroup(ctx.gateway.state, ctx, name);
      await addTags(ctx, name, checkTags(required(i.tags, 'tags'), 'tags'));
      return {};
    },
    async UntagLogGroup(ctx: RequestContext, i: { logGroupName?: string; tags?: string[] }) {
      const name = checkGroupName(i.logGroupName);
      await getGroup(ctx.gateway.state, ctx, name);
      await removeTags(ctx, name, required(i.tags, 'tags'));
      return {};
    },
  };
}
