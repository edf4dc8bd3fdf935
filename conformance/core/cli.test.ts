// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `mcgw` command as users run it: first start prints a generated key pair once, `mcgw
 * credentials` prints it again, `mcgw accounts create` works while the gateway runs, health and
 * metrics answer, SIGTERM drains and exits cleanly, and secrets never reach the log.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { run } from '../harness.js';
import { BIN, serve, stop } from '../serve-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('first start generates, stores and prints the root key once', async (t) => {
  const s = await serve(['--data-dir', dir]);
  const key = /AWS_ACCESS_KEY_ID=(\S+)/.exec(s.stdout())?.[1];
  const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(s.stdout())?.[1];
  t.ok(key && secret, 'banner shows the generated pair');
  t.equal(statSync(join(dir, 'credentials.json')).mode & 0o777, 0o600, 'credentials file is private');

  const creds = await run(process.execPath, [BIN, 'credentials', '--data-dir', dir, '--json']);
  t.equal(creds.code, 0);
  const c = JSON.parse(creds.stdout);
  t.equal(c.accessKeyId, key);
  t.equal(c.secretAccessKey, secret);
  t.match(c.accountId, /^\d{12}$/);

  const sts = new STSClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: key!, secretAccessKey: secret! } });
  t.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, c.accountId);

  const acct = await run(process.execPath, [BIN, 'accounts', 'create', 'tenant-b', '--data-dir', dir, '--json']);
  t.equal(acct.code, 0, acct.stderr);
  const b = JSON.parse(acct.stdout);
  t.match(b.accountId, /^\d{12}$/);
  t.not(b.accountId, c.accountId);
  const stsB = new STSClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey } });
  t.equal((await stsB.send(new GetCallerIdentityCommand({}))).Account, b.accountId, 'a key created by the CLI works at once on the running gateway');

  const health = await fetch(`${s.url}/_mcgw/health`);
  t.equal(health.status, 200);
  const h = (await health.json()) as { services: Record<string, { backend: string; state: string }> };
  for (const svc of ['s3', 'ec2', 'dynamodb', 'monitoring', 'logs', 'sts', 'iam']) t.ok(h.services[svc], `health names ${svc}`);
  t.equal(h.services.sts.state, 'ok');

  const metrics = await (await fetch(`${s.url}/_mcgw/metrics`)).text();
  t.match(metrics, /mcgw_requests_total\{service="sts",operation="GetCallerIdentity",status="200"\} 2/);
  t.match(metrics, /mcgw_request_duration_seconds_bucket\{service="sts",operation="GetCallerIdentity",le="\+Inf"\} 2/);

  t.equal(await stop(s), 0, 'SIGTERM exits cleanly');
  t.notMatch(s.stderr(), secret!, 'the secret never reaches the log');
  t.notMatch(s.stderr(), b.secretAccessKey, "a tenant's secret never reaches the log");

  const again = await serve(['--data-dir', dir]);
  t.notMatch(again.stdout(), secret!, 'a later start does not print the secret');
  t.match(again.stdout(), key!, 'but names the key id');
  t.equal(await stop(again), 0);
});

t.test('root credentials and account id from the environment', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'mcgw-cli-env-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const env = { MCGW_ROOT_ACCESS_KEY_ID: 'AKIAMCGWTESTKEY00001', MCGW_ROOT_SECRET_ACCESS_KEY: 'x'.repeat(40), MCGW_ROOT_ACCOUNT_ID: '210987654321' };
  const s = await serve(['--data-dir', d], env);
  t.notMatch(s.stdout(), 'x'.repeat(40), 'a given secret is not printed');
  const sts = new STSClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: env.MCGW_ROOT_ACCESS_KEY_ID, secretAccessKey: env.MCGW_ROOT_SECRET_ACCESS_KEY } });
  const who = await sts.send(new GetCallerIdentityCommand({}));
  t.equal(who.Account, '210987654321');
  t.equal(who.Arn, 'arn:aws:iam::210987654321:root');
  t.equal(await stop(s), 0);
});

t.test('--dev accepts test/test and says so loudly', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'mcgw-cli-dev-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const s = await serve(['--data-dir', d, '--dev']);
  t.match(s.stderr(), /DEV MODE/);
  const sts = new STSClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  t.match((await sts.send(new GetCallerIdentityCommand({}))).Arn, /^arn:aws:iam::\d{12}:root$/);
  t.equal(await stop(s), 0);

  const strict = await serve(['--data-dir', d]);
  const sts2 = new STSClient({ endpoint: strict.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  await t.rejects(sts2.send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' }, 'without --dev test/test is refused');
  t.equal(await stop(strict), 0);
});

t.test('a bad config file is refused with a clear message', async (t) => {
  const r = await run(process.execPath, [BIN, 'serve', '--config', '/nonexistent/mcgw.yaml']);
  t.equal(r.code, 2);
  t.match(r.stderr, /cannot read config file/);
  const h = await run(process.execPath, [BIN, 'help', 'serve']);
  t.match(h.stdout, /--data-dir/);
});
