// SPDX-License-Identifier: AGPL-3.0-or-later
/** TagResource, UntagResource, ListTagsForResource for alarms (tags kept by resource ARN). */
import type { Handler, RequestContext } from '../../src/context.js';
import { ALARMS, TAGS, alarmKey, type AlarmRecord } from './alarm-model.js';
import { invalidValue, resourceNotFoundException } from './errors.js';
import { checkLength, required } from './validate.js';

export interface Tag {
  Key: string;
  Value: string;
}

const MAX_TAGS = 50;

export function checkTags(tags: Tag[] | undefined, name: string): Tag[] {
  const list = tags ?? [];
  list.forEach((t, i) => {
    checkLength(required(t?.Key, `${name}.member.${i + 1}.Key`), `${name}.member.${i + 1}.Key`, 1, 128);
    checkLength(required(t.Value ?? undefined, `${name}.member.${i + 1}.Value`), `${name}.member.${i + 1}.Value`, 0, 256);
  });
  if (list.length > MAX_TAGS) throw invalidValue(`The collection ${name} must not have a size greater than ${MAX_TAGS}.`);
  return list.map((t) => ({ Key: t.Key, Value: t.Value }));
}

/** The alarm an ARN of this account and region names, or ResourceNotFoundException. */
async function resolve(ctx: RequestContext, arn: string | undefined): Promise<string> {
  const a = required(arn, 'ResourceARN');
  const prefix = `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:`;
  const rec = a.startsWith(prefix) ? await ctx.gateway.state.table<AlarmRecord>(ALARMS).get(alarmKey(ctx.accountId, ctx.region, a.slice(prefix.length))) : undefined;
  if (!rec) throw resourceNotFoundException(`The resource ${a} does not exist.`);
  return a;
}

export function tagHandlers(): Record<string, Handler> {
  const tags = (ctx: RequestContext) => ctx.gateway.state.table<Tag[]>(TAGS);
  return {
    async ListTagsForResource(ctx: RequestContext, i: { ResourceARN?: string }) {
      const arn = await resolve(ctx, i.ResourceARN);
      return { Tags: (await tags(ctx).get(arn)) ?? [] };
    },
    async TagResource(ctx: RequestContext, i: { ResourceARN?: string; Tags?: Tag[] }) {
      const arn = await resolve(ctx, i.ResourceARN);
      const add = checkTags(required(i.Tags, 'Tags'), 'Tags');
      let over = false;
      await tags(ctx).update(arn, (cur) => {
        const m = new Map((cur ?? []).map((t) => [t.Key, t.Value]));
        for (const t of add) m.set(t.Key, t.Value);
        if (m.size > MAX_TAGS) {
          over = true;
          return cur;
        }
        return [...m].map(([Key, Value]) => ({ Key, Value }));
      });
      if (over) throw invalidValue(`A resource can have at most ${MAX_TAGS} tags.`);
      return {};
    },
    async UntagResource(ctx: RequestContext, i: { ResourceARN?: string; TagKeys?: string[] }) {
      const arn = await resolve(ctx, i.ResourceARN);
      const keys = new Set(required(i.TagKeys, 'TagKeys'));
      await tags(ctx).update(arn, (cur) => (cur ?? []).filter((t) => !keys.has(t.Key)));
      return {};
    },
  };
}
