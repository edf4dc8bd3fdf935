// SPDX-License-Identifier: AGPL-3.0-or-later
/** IAM access keys: Create/List/Update/Delete, on the identity store SigV4 reads. */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { KeyRecord } from '../../src/state/identity.js';
import { keyOwner, newLongTermKey } from './owners.js';
import { paginate } from './paging.js';
import { validationError, type UserRecord } from './store.js';

const KEYS_PER_USER = 2;

function belongsTo(k: KeyRecord, owner: UserRecord | undefined): boolean {
  return owner ? k.kind === 'user' && k.userId === owner.userId : k.kind === 'root';
}

async function ownedKey(ctx: RequestContext, owner: UserRecord | undefined, id: unknown): Promise<KeyRecord> {
  if (typeof id !== 'string' || id.length < 16 || id.length > 128) throw validationError(id, 'accessKeyId', 'Member must have length between 16 and 128');
  const k = await ctx.gateway.identity.getKey(id);
  if (!k || k.accountId !== ctx.accountId || !belongsTo(k, owner)) {
    throw new AwsError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`, { status: 404 });
  }
  return k;
}

const CreateAccessKey: Handler = async (ctx, input: { UserName?: string }) => {
  const owner = await keyOwner(ctx, input.UserName);
  const existing = await ctx.gateway.identity.keysOf(ctx.accountId, (k) => belongsTo(k, owner));
  if (existing.length >= KEYS_PER_USER) throw new AwsError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${KEYS_PER_USER}`, { status: 409 });
  const key = newLongTermKey(ctx.accountId, owner, ctx.gateway.clock.now());
  await ctx.gateway.identity.addKey(key);
  return {
    AccessKey: { UserName: owner?.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: new Date(key.createDate) },
  };
};

const ListAccessKeys: Handler = async (ctx, input: { UserName?: string; Marker?: string; MaxItems?: number }) => {
  const owner = await keyOwner(ctx, input.UserName);
  const keys = (await ctx.gateway.identity.keysOf(ctx.accountId, (k) => belongsTo(k, owner))).sort((a, b) => a.createDate - b.createDate);
  const page = paginate(keys, input.Marker, input.MaxItems);
  return {
    AccessKeyMetadata: page.items.map((k) => ({ UserName: owner?.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: new Date(k.createDate) })),
    IsTruncated: page.isTruncated,
    Marker: page.marker,
  };
};

const UpdateAccessKey: Handler = async (ctx, input: { UserName?: string; AccessKeyId?: string; Status?: string }) => {
  if (input.Status !== 'Active' && input.Status !== 'Inactive') {
    throw validationError(input.Status, 'status', 'Member must satisfy enum value set: [Active, Inactive]');
  }
  const owner = await keyOwner(ctx, input.UserName);
  const key = await ownedKey(ctx, owner, input.AccessKeyId);
  const status = input.Status;
  await ctx.gateway.identity.updateKey(key.accessKeyId, (k) => ({ ...k, status }));
  return {};
};

const DeleteAccessKey: Handler = async (ctx, input: { UserName?: string; AccessKeyId?: string }) => {
  const owner = await keyOwner(ctx, input.UserName);
  const key = await ownedKey(ctx, owner, input.AccessKeyId);
  await ctx.gateway.identity.deleteKey(key.accessKeyId);
  return {};
};

export const keyOperations = { CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey };
