// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * STS: who am I, and temporary credentials (GetSessionToken, AssumeRole) usable on every
 * service until they expire. Temporary keys live in the identity store with their session token
 * and expiry; SigV4 refuses them after expiry. Expired ones are swept periodically.
 */
import type { Handler, RequestContext, ServiceDefinition, ServiceFactory } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { Gateway } from '../../src/gateway.js';
import { newAccessKeyId, newSecretAccessKey, newSessionToken, type KeyRecord } from '../../src/state/identity.js';
import { getRole, getUser, validationError } from '../iam/store.js';

const SWEEP_EVERY_MS = 10 * 60 * 1000;

const GetCallerIdentity: Handler = async (ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.accountId,
  Arn: ctx.principal.arn,
});

function duration(value: number | undefined, def: number, min: number, max: number, maxMessage?: string): number {
  const d = value ?? def;
  if (!Number.isInteger(d) || d < min) throw validationError(value, 'durationSeconds', `Member must have value greater than or equal to ${min}`);
  if (d > max) {
    if (maxMessage) throw new AwsError('ValidationError', maxMessage);
    throw validationError(value, 'durationSeconds', `Member must have value less than or equal to ${max}`);
  }
  return d;
}

function credentialsShape(k: KeyRecord) {
  return { AccessKeyId: k.accessKeyId, SecretAccessKey: k.secretAccessKey, SessionToken: k.sessionToken, Expiration: new Date(k.expiration ?? 0) };
}

const GetSessionToken: Handler = async (ctx, input: { DurationSeconds?: number }) => {
  const p = ctx.principal;
  if (p.temporary) throw new AwsError('AccessDenied', 'Cannot call GetSessionToken with session credentials', { status: 403 });
  const isRoot = p.kind === 'root';
  const secs = duration(input.DurationSeconds, isRoot ? 3600 : 43200, 900, isRoot ? 3600 : 129600);
  const now = ctx.gateway.clock.now();
  let user;
  if (p.kind === 'user' && p.userName) user = await getUser(ctx.gateway.state, ctx.accountId, p.userName);
  const key: KeyRecord = {
    accessKeyId: newAccessKeyId(true),
    secretAccessKey: newSecretAccessKey(),
    sessionToken: newSessionToken(),
    accountId: ctx.accountId,
    kind: 'session',
    status: 'Active',
    createDate: now,
    expiration: now + secs * 1000,
    userName: user?.userName,
    userId: user?.userId,
    userPath: user?.path,
  };
  await ctx.gateway.identity.addKey(key);
  return { Credentials: credentialsShape(key) };
};

const ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

const AssumeRole: Handler = async (ctx: RequestContext, input: { RoleArn?: string; RoleSessionName?: string; DurationSeconds?: number; Policy?: string; SourceIdentity?: string }) => {
  if (typeof input.RoleArn !== 'string' || input.RoleArn.length < 20 || input.RoleArn.length > 2048) {
    throw validationError(input.RoleArn, 'roleArn', 'Member must have length greater than or equal to 20');
  }
  if (typeof input.RoleSessionName !== 'string' || !SESSION_NAME_RE.test(input.RoleSessionName)) {
    throw validationError(input.RoleSessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  }
  const denied = () =>
    new AwsError('AccessDenied', `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, { status: 403 });
  const m = ROLE_ARN_RE.exec(input.RoleArn);
  if (!m) throw new AwsError('ValidationError', `${input.RoleArn} is invalid`);
  // cross-account trust is evaluated with IAM policies, which come later: refuse it plainly
  if (m[1] !== ctx.accountId) throw denied();
  let role;
  try {
    role = await getRole(ctx.gateway.state, ctx.accountId, m[2]);
  } catch {
    throw denied();
  }
  // role chaining is limited to one hour, like AWS
  const max = ctx.principal.kind === 'assumed-role' ? 3600 : role.maxSessionDuration;
  const secs = duration(
    input.DurationSeconds,
    3600,
    900,
    max,
    `The requested DurationSeconds exceeds the ${ctx.principal.kind === 'assumed-role' ? '1 hour session limit for roles assumed by role chaining' : 'MaxSessionDuration set for this role'}.`,
  );
  if (input.Policy !== undefined) {
    try {
      JSON.parse(input.Policy);
    } catch {
      throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
    }
  }
  const now = ctx.gateway.clock.now();
  const key: KeyRecord = {
    accessKeyId: newAccessKeyId(true),
    secretAccessKey: newSecretAccessKey(),
    sessionToken: newSessionToken(),
    accountId: ctx.accountId,
    kind: 'role-session',
    status: 'Active',
    createDate: now,
    expiration: now + secs * 1000,
    roleName: role.roleName,
    roleId: role.roleId,
    rolePath: role.path,
    sessionName: input.RoleSessionName,
  };
  await ctx.gateway.identity.addKey(key);
  return {
    Credentials: credentialsShape(key),
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${input.RoleSessionName}`,
      Arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${role.roleName}/${input.RoleSessionName}`,
    },
    PackedPolicySize: input.Policy !== undefined ? Math.min(100, Math.ceil((Buffer.byteLength(input.Policy) / 2048) * 100)) : undefined,
    SourceIdentity: input.SourceIdentity,
  };
};

/** Deletes temporary keys that expired (they are refused anyway; this keeps the store small). */
export async function sweepExpiredKeys(gw: Gateway): Promise<number> {
  const now = gw.clock.now();
  let n = 0;
  for (const k of await gw.identity.allKeys((k) => k.expiration !== undefined && k.expiration < now)) {
    if (await gw.identity.deleteKey(k.accessKeyId)) n++;
  }
  return n;
}

export const createService: ServiceFactory = (gw): ServiceDefinition => {
  const timer = setInterval(() => {
    sweepExpiredKeys(gw).catch((err) => gw.log.warn('sweeping expired session keys failed', { err }));
  }, SWEEP_EVERY_MS);
  timer.unref();
  gw.onClose(() => clearInterval(timer));
  return {
    name: 'sts',
    model: 'sts-2011-06-15',
    operations: { GetCallerIdentity, GetSessionToken, AssumeRole },
    health: () => ({ backend: 'embedded', state: 'ok' }),
  };
};
