// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Root credentials of the first account: from MCGW_ROOT_ACCESS_KEY_ID / MCGW_ROOT_SECRET_ACCESS_KEY
 * (and MCGW_ROOT_ACCOUNT_ID), or generated on first start, stored in <dataDir>/credentials.json
 * with mode 0600 and printed once.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityStore } from '../state/identity.js';

export interface RootCredentials {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const CREDENTIALS_FILE = 'credentials.json';

export function credentialsPath(dataDir: string): string {
  return join(dataDir, CREDENTIALS_FILE);
}

export function readCredentialsFile(dataDir: string): RootCredentials | undefined {
  const p = credentialsPath(dataDir);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as RootCredentials;
}

function writeCredentialsFile(dataDir: string, c: RootCredentials): void {
  const p = credentialsPath(dataDir);
  const tmp = `${p}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, p);
}

export interface BootstrapResult {
  root: RootCredentials;
  /** True when this start created the account. */
  created: boolean;
  /** True when this start generated the key pair (the caller prints the secret, once). */
  generated: boolean;
}

export async function bootstrapRoot(identity: IdentityStore, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  const envKey = env.MCGW_ROOT_ACCESS_KEY_ID;
  const envSecret = env.MCGW_ROOT_SECRET_ACCESS_KEY;
  const envAccount = env.MCGW_ROOT_ACCOUNT_ID;
  if ((envKey && !envSecret) || (!envKey && envSecret)) {
    throw new Error('set both MCGW_ROOT_ACCESS_KEY_ID and MCGW_ROOT_SECRET_ACCESS_KEY, or neither');
  }
  const accounts = (await identity.listAccounts()).sort((a, b) => a.createDate - b.createDate);
  if (accounts.length === 0) {
    const { account, key } = await identity.createAccount('root', { accountId: envAccount, accessKeyId: envKey, secretAccessKey: envSecret });
    const root = { accountId: account.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    writeCredentialsFile(dataDir, root);
    return { root, created: true, generated: !envKey };
  }
  const first = accounts[0];
  if (envAccount && envAccount !== first.accountId) {
    throw new Error(`MCGW_ROOT_ACCOUNT_ID=${envAccount} but the data dir's first account is ${first.accountId}; the account id is fixed at first start`);
  }
  if (envKey && envSecret) {
    const existing = await identity.getKey(envKey);
    if (existing && existing.accountId !== first.accountId) throw new Error(`MCGW_ROOT_ACCESS_KEY_ID belongs to another account`);
    if (!existing) {
      await identity.addKey({ accessKeyId: envKey, secretAccessKey: envSecret, accountId: first.accountId, kind: 'root', status: 'Active', createDate: Date.now() });
    } else if (existing.secretAccessKey !== envSecret) {
      await identity.updateKey(envKey, (k) => ({ ...k, secretAccessKey: envSecret }));
    }
    const root = { accountId: first.accountId, accessKeyId: envKey, secretAccessKey: envSecret };
    writeCredentialsFile(dataDir, root);
    return { root, created: false, generated: false };
  }
  const fromFile = readCredentialsFile(dataDir);
  if (fromFile) return { root: fromFile, created: false, generated: false };
  const key = await identity.rootKeyOf(first.accountId);
  if (!key) throw new Error(`the first account ${first.accountId} has no root key`);
  const root = { accountId: first.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  writeCredentialsFile(dataDir, root);
  return { root, created: false, generated: false };
}
