// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * One RGW user per gateway account, `<tenantPrefix><accountId>$mcgw`: an RGW tenant of its own, so
 * bucket names live in the account's namespace on RGW and no account's RGW user can reach another
 * account's buckets. Created on first use through the admin ops API (`/admin/user`, signed with the
 * admin keys of the config); its S3 keys are kept in the gateway's state store and never leave the
 * gateway. A user that already exists (another gateway sharing the state, or the same RGW) is
 * looked up, not created twice.
 */
import { AwsError } from '../../../src/errors.js';
import type { StateTable } from '../../../src/state/store.js';
import { rgwError, type RgwClient, type RgwCreds } from './client.js';
import type { RgwConfig } from './config.js';

export interface RgwUserRec {
  uid: string;
  tenant: string;
  accessKeyId: string;
  secretAccessKey: string;
}

interface AdminUser {
  user_id: string;
  tenant?: string;
  keys?: Array<{ user: string; access_key: string; secret_key: string }>;
}

export const RGW_USER_ID = 'mcgw';

export class RgwUsers {
  private readonly cache = new Map<string, Promise<RgwUserRec>>();
  private readonly admin: RgwCreds;

  constructor(
    private readonly client: RgwClient,
    private readonly cfg: RgwConfig,
    private readonly table: StateTable<RgwUserRec>,
  ) {
    this.admin = { accessKeyId: cfg.adminAccessKey, secretAccessKey: cfg.adminSecretKey };
  }

  tenantOf(accountId: string): string {
    return this.cfg.tenantPrefix + accountId;
  }

  /** The account's RGW user (created on first use). */
  userFor(accountId: string): Promise<RgwUserRec> {
    let p = this.cache.get(accountId);
    if (!p) {
      p = this.load(accountId);
      this.cache.set(accountId, p);
      p.catch(() => this.cache.delete(accountId));
    }
    return p;
  }

  private async load(accountId: string): Promise<RgwUserRec> {
    const key = `u/${accountId}`;
    const stored = await this.table.get(key);
    if (stored) return stored;
    const tenant = this.tenantOf(accountId);
    const uid = `${tenant}$${RGW_USER_ID}`;
    let user = await this.adminUser('GET', { uid });
    if (!user) {
      user = await this.adminUser('PUT', { uid, 'display-name': `mcgw account ${accountId}`, 'max-buckets': '10000' });
      // lost a race with another gateway creating the same user: read it
      user ??= await this.adminUser('GET', { uid });
    }
    const k = user?.keys?.find((x) => x.user === uid) ?? user?.keys?.[0];
    if (!k) throw new AwsError('InternalError', `Ceph RGW user ${uid} has no S3 key`, { status: 500 });
    const rec: RgwUserRec = { uid, tenant, accessKeyId: k.access_key, secretAccessKey: k.secret_key };
    await this.table.putIfAbsent(key, rec);
    return (await this.table.get(key)) ?? rec;
  }

  /** GET (info) or PUT (create) /admin/user; undefined for NoSuchUser / UserAlreadyExists. */
  private async adminUser(method: 'GET' | 'PUT', params: Record<string, string>): Promise<AdminUser | undefined> {
    const r = { method, path: '/admin/user', query: { ...params, format: 'json' } } as const;
    const res = await this.client.send(this.admin, r);
    if (res.statusCode === 200) return (await res.body.json()) as AdminUser;
    if ((method === 'GET' && res.statusCode === 404) || (method === 'PUT' && res.statusCode === 409)) {
      await res.body.dump();
      return undefined;
    }
    const e = await rgwError(res, r);
    if (res.statusCode === 403) throw new AwsError('InternalError', `Ceph RGW refused the admin ops API call ${method} /admin/user: check backends.ceph.rgw.adminAccessKey and the user's caps (users=*)`, { status: 500 });
    throw e;
  }
}
