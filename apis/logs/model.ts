// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Log group and stream metadata in the gateway state store.
 *   logs_groups   <acct>/<region>/<group>             → GroupRecord
 *   logs_streams  <acct>/<region>/<group>:<stream>    → StreamRecord  (group names cannot hold ':')
 *   logs_tags     <group ARN without :*>              → Record<string, string>
 */
import type { RequestContext } from '../../src/context.js';
import type { StateStore } from '../../src/state/store.js';
import { constraint, groupNotFound, invalidParameter, required } from './errors.js';

export const GROUPS = 'logs_groups';
export const STREAMS = 'logs_streams';
export const TAGS = 'logs_tags';

export interface GroupRecord {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  storedBytes: number;
}

export interface StreamRecord {
  logStreamName: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  uploadSequenceToken: string;
}

const GROUP_RE = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_RE = /^[^:*]*$/;
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export const tenantOf = (ctx: RequestContext) => ({ accountId: ctx.accountId, region: ctx.region });
export const groupKey = (ctx: RequestContext, group: string) => `${ctx.accountId}/${ctx.region}/${group}`;
export const streamKey = (ctx: RequestContext, group: string, stream: string) => `${groupKey(ctx, group)}:${stream}`;
export const groupArn = (ctx: RequestContext, group: string) => `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${group}`;

export function checkGroupName(name: string | undefined, member = 'logGroupName'): string {
  const n = required(name, member);
  if (n.length < 1 || n.length > 512) throw constraint(n, member, 'Member must have length less than or equal to 512');
  if (!GROUP_RE.test(n)) throw constraint(n, member, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
  return n;
}

export function checkStreamName(name: string | undefined, member = 'logStreamName'): string {
  const n = required(name, member);
  if (n.length < 1 || n.length > 512) throw constraint(n, member, 'Member must have length less than or equal to 512');
  if (!STREAM_RE.test(n)) throw constraint(n, member, 'Member must satisfy regular expression pattern: [^:*]*');
  return n;
}

/** The group a request names by logGroupName or logGroupIdentifier (name or ARN), not both. */
export function groupFromInput(ctx: RequestContext, i: { logGroupName?: string; logGroupIdentifier?: string }): string {
  if (i.logGroupName !== undefined && i.logGroupIdentifier !== undefined) {
    throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (i.logGroupIdentifier !== undefined) {
    const id = i.logGroupIdentifier;
    if (!id.startsWith('arn:')) return checkGroupName(id, 'logGroupIdentifier');
    const m = /^arn:aws[a-z-]*:logs:([^:]+):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(id);
    if (!m) throw invalidParameter(`The value ${id} of logGroupIdentifier is not a valid log group name or ARN.`);
    if (m[1] !== ctx.region || m[2] !== ctx.accountId) throw groupNotFound();
    return m[3];
  }
  return checkGroupName(i.logGroupName);
}

export async function getGroup(state: StateStore, ctx: RequestContext, group: string): Promise<GroupRecord> {
  const g = await state.table<GroupRecord>(GROUPS).get(groupKey(ctx, group));
  if (!g) throw groupNotFound();
  return g;
}

/** Opaque page tokens over sorted keys. */
export function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeToken(token: string | undefined, prefix: string): string | undefined {
  if (token === undefined) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key.startsWith(prefix)) throw invalidParameter('The specified nextToken is invalid.');
  return key;
}
