// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Scale-out: two gateways (one in this process, one a separate `mcgw serve` process) keep their
 * state in one DynamoDB-API table (here served by a third gateway's embedded engine). An access
 * key created through one works on the other at once, a deleted one stops within the identity
 * cache time, an account made by `mcgw accounts create` against the table is seen by both, and
 * concurrent writers through both gateways lose nothing.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { run, startTestGateway, type Credentials } from '../harness.js';
import { BIN, serve, stop } from '../serve-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-scale-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const upstream = await startTestGateway(t);
const IDENTITY_CACHE_MS = 500;
const state = {
  backend: 'dynamodb' as const,
  endpoints: [upstream.url],
  region: upstream.region,
  table: 'mcgw-state',
  accessKeyId: upstream.credentials.accessKeyId,
  secretAccessKey: upstream.credentials.secretAccessKey,
  identityCacheMs: IDENTITY_CACHE_MS,
};
const configFile = join(dir, 'mcgw.json');
writeFileSync(configFile, JSON.stringify({ state }));

const a = await startTestGateway(t, { config: { state } });

const b = await serve(['--data-dir', join(dir, 'b'), '--config', configFile]);
t.teardown(() => stop(b));

const cfg = (url: string, credentials: Credentials) => ({ endpoint: url, region: a.region, credentials });
const whoAmI = (url: string, c: Credentials) => new STSClient(cfg(url, c)).send(new GetCallerIdentityCommand({}));

t.test('`mcgw accounts` refuses a state table no gateway has started on', async (t) => {
  const empty = join(dir, 'empty.json');
  writeFileSync(empty, JSON.stringify({ state: { ...state, table: 'mcgw-state-empty' } }));
  const r = await run(process.execPath, [BIN, 'accounts', 'create', 'early', '--config', empty], { env: { PATH: process.env.PATH } });
  t.equal(r.code, 1);
  t.match(r.stderr, /holds no gateway state yet \(run 'mcgw serve' on it once first\)/);
  await t.rejects(new DynamoDBClient(upstream.clientConfig).send(new DescribeTableCommand({ TableName: 'mcgw-state-empty' })), { name: 'ResourceNotFoundException' }, 'and does not create it');
});

t.test('both gateways serve the same first account', async (t) => {
  t.equal((await whoAmI(b.url, a.credentials)).Account, a.accountId, "gateway A's root key works on B");
});

t.test('an access key created through A works on B at once; deleted, it stops within the cache time', async (t) => {
  const iamA = new IAMClient(cfg(a.url, a.credentials));
  await iamA.send(new CreateUserCommand({ UserName: 'alice' }));
  const { AccessKey } = await iamA.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  const key = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  t.equal((await whoAmI(b.url, key)).Arn, `arn:aws:iam::${a.accountId}:user/alice`, 'first request on B with the new key');
  await iamA.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.accessKeyId }));
  await t.rejects(whoAmI(a.url, key), { name: 'InvalidClientTokenId' }, 'refused at once by the gateway that deleted it');
  await new Promise((r) => setTimeout(r, IDENTITY_CACHE_MS + 100));
  await t.rejects(whoAmI(b.url, key), { name: 'InvalidClientTokenId' }, `refused by B after ${IDENTITY_CACHE_MS} ms (state.identityCacheMs)`);
});

t.test('an account created by `mcgw accounts create` against the table is seen by both', async (t) => {
  const r = await run(process.execPath, [BIN, 'accounts', 'create', 'tenant-two', '--config', configFile, '--data-dir', join(dir, 'cli'), '--json'], { env: { PATH: process.env.PATH } });
  t.equal(r.code, 0, r.stderr);
  const acct = JSON.parse(r.stdout) as { accountId: string; accessKeyId: string; secretAccessKey: string };
  t.equal((await whoAmI(a.url, acct)).Account, acct.accountId, 'on A');
  t.equal((await whoAmI(b.url, acct)).Account, acct.accountId, 'on B');
  const list = await run(process.execPath, [BIN, 'accounts', 'list', '--config', configFile, '--json'], { env: { PATH: process.env.PATH } });
  t.same((JSON.parse(list.stdout) as Array<{ name: string }>).map((x) => x.name).sort(), ['root', 'tenant-two']);
});

t.test('concurrent writers through both gateways lose nothing', async (t) => {
  const iam = [new IAMClient(cfg(a.url, a.credentials)), new IAMClient(cfg(b.url, a.credentials))];
  const names = Array.from({ length: 16 }, (_, i) => `u${i}`);
  await Promise.all(names.map((n, i) => iam[i % 2]!.send(new CreateUserCommand({ UserName: n }))));
  const keys = await Promise.all(names.map(async (n, i) => (await iam[(i + 1) % 2]!.send(new CreateAccessKeyCommand({ UserName: n }))).AccessKey!));
  const users = (await iam[1]!.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName).sort();
  t.same(users, ['alice', ...names].sort(), 'every user created through either gateway is listed');
  const arns = await Promise.all(keys.map((k, i) => whoAmI([a.url, b.url][i % 2]!, { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }).then((r) => r.Arn)));
  t.same(arns, names.map((n) => `arn:aws:iam::${a.accountId}:user/${n}`), 'every key created concurrently works on either gateway');
  const same = await Promise.allSettled(iam.map((c) => c.send(new CreateUserCommand({ UserName: 'contended' }))));
  t.equal(same.filter((s) => s.status === 'fulfilled').length, 1, 'the same user created through both at once: exactly one wins');
  t.match(same.find((s) => s.status === 'rejected'), { reason: { name: 'EntityAlreadyExists' } });
});

t.test('health names the shared store', async (t) => {
  const h = (await (await fetch(`${b.url}/_mcgw/health`)).json()) as { status: string; state: { kind: string; state: string } };
  t.match(h, { status: 'ok', state: { kind: 'dynamodb', state: 'ok' } });
});
