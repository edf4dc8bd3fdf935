// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Crash test of the gateway's transactions on Alternator: a gateway process (`mcgw serve` on the
 * Alternator translator, against the stand-in) is killed with SIGKILL while 100 concurrent
 * TransactWriteItems are in flight. After a restart, recovery completes the committed ones and
 * undoes the others; then every transaction is all-or-nothing: its marker item exists exactly
 * when both account items carry its id, and the balances still add up.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import { startAlternatorShim } from '../../test/fakes/alternator/shim.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const ACCOUNTS = 50;
const TXS = 100;
const LEASE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

t.test('SIGKILL during 100 concurrent TransactWriteItems, restart, recovery: all-or-nothing', async (t) => {
  const shim = await startAlternatorShim();
  t.teardown(() => shim.close());
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-alt-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    dynamodb: { backend: 'alternator' },
    backends: { alternator: { endpoints: [shim.endpoints[0]], accessKeyId: shim.accessKeyId, secretAccessKey: shim.secretAccessKey, txLeaseMs: LEASE_MS } },
  }));
  const creds = { accessKeyId: 'AKIACRASHTESTROOT000', secretAccessKey: 'crash-test-secret-key-0000000000000000000' };
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(process.execPath, [MAIN, 'serve', '--config', configFile, '--data-dir', join(dir, 'data'), '--port', String(port), '--host', '127.0.0.1'], {
      env: { PATH: process.env.PATH, MCGW_ROOT_ACCESS_KEY_ID: creds.accessKeyId, MCGW_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.resume();
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/_mcgw/health`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      await sleep(50);
    }
    throw new Error('gateway did not start');
  };
  t.teardown(() => void child?.kill('SIGKILL'));
  await start();
  const client = new ddb.DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  t.teardown(() => client.destroy());
  await client.send(new ddb.CreateTableCommand({ TableName: 'bank', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  for (let a = 0; a < ACCOUNTS; a++) await client.send(new ddb.PutItemCommand({ TableName: 'bank', Item: { pk: { S: `acct${a}` }, bal: { N: '100' } } }));

  // 100 transfers at once, each: marker Put + debit + credit, ids recorded on both accounts
  let answered = 0;
  const results = Array.from({ length: TXS }, (_, i) => {
    const from = i % ACCOUNTS;
    const to = (i * 7 + 3) % ACCOUNTS === from ? (from + 1) % ACCOUNTS : (i * 7 + 3) % ACCOUNTS;
    const upd = (acct: number, d: number) => ({ Update: { TableName: 'bank', Key: { pk: { S: `acct${acct}` } }, UpdateExpression: 'ADD bal :d, txs :id', ExpressionAttributeValues: { ':d': { N: String(d) }, ':id': { SS: [`t${i}`] } } } });
    return client
      .send(new ddb.TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'bank', Item: { pk: { S: `m${i}` } } } }, upd(from, -1), upd(to, 1)] }))
      .then(() => 'ok', (e: any) => e.name as string)
      .finally(() => answered++);
  });
  const t0 = Date.now();
  while (answered < 10) await sleep(2);
  t.comment(`kill after ${Date.now() - t0} ms`);
  child!.kill('SIGKILL');
  const outcomes = await Promise.all(results);
  t.comment(`before the kill: ${outcomes.filter((o) => o === 'ok').length} committed, ${outcomes.filter((o) => o === 'TransactionCanceledException').length} cancelled; ${outcomes.filter((o) => o !== 'ok' && o !== 'TransactionCanceledException').length} cut off`);

  const inner = new ddb.DynamoDBClient({ endpoint: shim.endpoints[1], region: 'us-east-1', credentials: { accessKeyId: shim.accessKeyId, secretAccessKey: shim.secretAccessKey }, maxAttempts: 1 });
  t.teardown(() => inner.destroy());
  const log = async () => (await inner.send(new ddb.ScanCommand({ TableName: 'mcgw_tx', ConsistentRead: true }))).Items?.filter((it) => /^[TL]#/.test(it.pk!.S!)) ?? [];
  const left = await log();
  t.ok(left.length > 0, `the crash left ${left.length} transaction records and locks behind`);

  await sleep(100);
  const t1 = Date.now();
  await start();
  t.comment(`restart took ${Date.now() - t1} ms`);
  // recovery at start finishes committed transactions; abandoned ones are undone once their lease ran out
  for (let i = 0; i < 300 && (await log()).length; i++) await sleep(100);
  t.comment(`recovered ${Date.now() - t1} ms after the restart began`);
  t.same(await log(), [], 'recovery emptied the transaction log and freed every lock');

  const items = new Map<string, Record<string, any>>();
  let next: Record<string, any> | undefined;
  do {
    const page = await client.send(new ddb.ScanCommand({ TableName: 'bank', ExclusiveStartKey: next }));
    for (const it of page.Items ?? []) items.set(it.pk!.S!, it);
    next = page.LastEvaluatedKey;
  } while (next);
  let total = 0;
  const recorded = new Map<string, number>();
  for (let a = 0; a < ACCOUNTS; a++) {
    const it = items.get(`acct${a}`)!;
    total += Number(it.bal.N);
    for (const id of it.txs?.SS ?? []) recorded.set(id, (recorded.get(id) ?? 0) + 1);
  }
  let whole = 0;
  const broken: string[] = [];
  for (let i = 0; i < TXS; i++) {
    const marker = items.has(`m${i}`);
    const n = recorded.get(`t${i}`) ?? 0;
    if ((marker && n === 2) || (!marker && n === 0)) whole += marker ? 1 : 0;
    else broken.push(`t${i}: marker ${marker}, on ${n} of 2 accounts`);
    if (outcomes[i] === 'ok' && !marker) broken.push(`t${i} was acknowledged but is missing`);
    if (outcomes[i] === 'TransactionCanceledException' && marker) broken.push(`t${i} was cancelled but applied`);
  }
  t.same(broken, [], 'every transaction all-or-nothing; acknowledged ones applied, cancelled ones not');
  t.equal(total, ACCOUNTS * 100, 'balances add up');
  t.comment(`${whole} transactions applied in the end`);
  child!.kill('SIGTERM');
});
