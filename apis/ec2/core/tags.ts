// SPDX-License-Identifier: AGPL-3.0-or-later
/** Tag validation, and TagSpecifications as every create and run call accepts them. */
import { AwsError } from '../../../src/errors.js';
import { invalidParameter } from './errors.js';
import type { Tag } from './store.js';

export interface TagSpecification {
  ResourceType?: string;
  Tags?: Array<{ Key?: string; Value?: string }>;
}

const MAX_TAGS = 50;

export function validateTags(tags: Array<{ Key?: string; Value?: string }> | undefined): Tag[] {
  const out: Tag[] = [];
  for (const t of tags ?? []) {
    const key = t.Key;
    if (key === undefined || key === '') throw invalidParameter('Tag key must not be empty');
    if (key.length > 128) throw invalidParameter(`Tag key exceeds the maximum length of 128 characters`);
    if (key.toLowerCase().startsWith('aws:')) throw invalidParameter(`Tag keys starting with 'aws:' are reserved for internal use`);
    const value = t.Value ?? '';
    // control characters are never valid (and U+001F separates the tag index's key parts)
    if (/[\u0000-\u001f\u007f]/.test(key) || /[\u0000-\u001f\u007f]/.test(value)) throw invalidParameter('Tag keys and values may not contain control characters');
    if (value.length > 256) throw invalidParameter(`Tag value exceeds the maximum length of 256 characters`);
    const i = out.findIndex((x) => x.Key === key);
    if (i >= 0) out[i] = { Key: key, Value: value };
    else out.push({ Key: key, Value: value });
  }
  return out;
}

/** Merges `add` into `existing` (same key: value replaced), enforcing the 50-tag limit. */
export function mergeTags(existing: Tag[] | undefined, add: Tag[]): Tag[] {
  const out = [...(existing ?? [])];
  for (const t of add) {
    const i = out.findIndex((x) => x.Key === t.Key);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  if (out.length > MAX_TAGS) throw new AwsError('TagLimitExceeded', `The maximum number of tags for a resource is ${MAX_TAGS}.`);
  return out;
}

/**
 * The tags a create call must apply to each resource type it creates. `allowed` lists the
 * resource types this operation creates; anything else is refused like EC2 does.
 */
export function tagsFromSpecs(specs: TagSpecification[] | undefined, allowed: string[]): Map<string, Tag[]> {
  const out = new Map<string, Tag[]>();
  for (const s of specs ?? []) {
    const rt = s.ResourceType ?? '';
    if (!allowed.includes(rt)) throw invalidParameter(`'${rt}' is not a valid taggable resource type for this operation.`);
    if (out.has(rt)) throw invalidParameter(`The same resource type may not be specified more than once in tag specifications`);
    out.set(rt, mergeTags([], validateTags(s.Tags)));
  }
  return out;
}
