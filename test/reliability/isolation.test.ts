// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Tenant isolation matrix: account A owns one of everything (isolation-setup.ts); account B calls
 * every operation the gateway registers — the list comes from the running gateway, so a new
 * operation is in the matrix the day it is registered — aimed at A's resources by name, id and
 * ARN (DynamoDB twice: TableName as name and as ARN), and every listing also with no input at all.
 * Every answer must be an AWS error below 500 with a request id, or a success; neither may carry
 * any of A's ids, names or data that B did not send itself; and afterwards A's view of its estate
 * is exactly what it was.
 */
import t from 'tap';
import { startTestGateway, type ClientConfig } from '../../conformance/harness.js';
import { inputFor, takesEmptyInput, type Known } from './isolation-fill.js';
import { buildEstate, viewOf } from './isolation-setup.js';

t.test('tenant isolation matrix', async (t) => {
  const gw = await startTestGateway(t, { config: { ec2: { backend: 'embedded', lifecycleMs: { boot: 50, stop: 50, volume: 50, snapshot: 50, terminate: 50 } } } as never });
  const estate = await buildEstate(gw.clientConfig, gw.accountId, gw.region);
  await new Promise((r) => setTimeout(r, 500)); // snapshot and image complete
  const before = await viewOf(gw.clientConfig, estate);
  const B = await gw.newAccount('tenant-b');

  const CLIENTS: Record<string, [string, string]> = {
    s3: ['@aws-sdk/client-s3', 'S3Client'],
    ec2: ['@aws-sdk/client-ec2', 'EC2Client'],
    dynamodb: ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
    'streams.dynamodb': ['@aws-sdk/client-dynamodb-streams', 'DynamoDBStreamsClient'],
    monitoring: ['@aws-sdk/client-cloudwatch', 'CloudWatchClient'],
    logs: ['@aws-sdk/client-cloudwatch-logs', 'CloudWatchLogsClient'],
    iam: ['@aws-sdk/client-iam', 'IAMClient'],
    sts: ['@aws-sdk/client-sts', 'STSClient'],
  };

  /** Inputs the model's required members cannot express: batch and transaction shapes. */
  function overrides(service: string, op: string, k: Known): Record<string, unknown> | undefined {
    if (service !== 'dynamodb') return undefined;
    const TableName = k.TableName as string;
    const Key = k.Key;
    switch (op) {
      case 'Query':
        return { TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a1' } } };
      case 'BatchGetItem':
        return { RequestItems: { [TableName]: { Keys: [Key] } } };
      case 'BatchWriteItem':
        return { RequestItems: { [TableName]: [{ DeleteRequest: { Key } }, { PutRequest: { Item: k.Item } }] } };
      case 'TransactGetItems':
        return { TransactItems: [{ Get: { TableName, Key } }] };
      case 'TransactWriteItems':
        return { TransactItems: [{ Delete: { TableName, Key } }, { Update: { TableName, Key: { pk: { S: 'a2' } }, UpdateExpression: 'SET x = :x', ExpressionAttributeValues: { ':x': { S: 'B' } } } }] };
      default:
        return undefined;
    }
  }

  interface Outcome {
    service: string;
    op: string;
    variant: string;
    result: string;
  }

  const outcomes: Outcome[] = [];
  const problems: string[] = [];
  const clientSide: string[] = [];

  // ids and the account id are A's alone: in an answer to a call that did not send them they
  // leaked. Names B can also create for itself (the matrix makes B try A's names), so a name
  // leaked only when B never sent it in any call.
  let everSent = '';
  function leaks(text: string, sent: string): string[] {
    everSent += sent;
    const ids = estate.secrets.filter((s) => text.includes(s) && !sent.includes(s));
    const names = estate.names.filter((s) => text.includes(s) && !everSent.includes(s));
    return [...ids, ...names];
  }

  async function consume(out: Record<string, unknown>): Promise<string> {
    const body = out.Body as { transformToString?: () => Promise<string> } | undefined;
    const text = body?.transformToString ? await body.transformToString() : '';
    return JSON.stringify({ ...out, Body: undefined, $metadata: undefined }, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) + text;
  }

  async function attempt(client: { send(c: unknown): Promise<unknown> }, Cmd: new (i: unknown) => unknown, service: string, op: string, variant: string, input: Record<string, unknown>) {
    const sent = JSON.stringify(input);
    try {
      const out = (await client.send(new Cmd(input))) as Record<string, unknown>;
      const text = await consume(out);
      const l = leaks(text, sent);
      if (l.length) problems.push(`${service} ${op} (${variant}): success leaks ${l.join(', ')}: ${text.slice(0, 300)}`);
      outcomes.push({ service, op, variant, result: 'success' });
    if (process.env.MCGW_ISO_VERBOSE) t.comment(`${service} ${op} (${variant}): success ${sent.slice(0, 200)} -> ${text.slice(0, 300)}`);
    } catch (e) {
      const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number; requestId?: string }; $fault?: string };
      const status = err.$metadata?.httpStatusCode;
      if (!status) {
        clientSide.push(`${service} ${op} (${variant}): ${err.name}: ${err.message}`);
        return;
      }
      if (status >= 500) problems.push(`${service} ${op} (${variant}): ${status} ${err.name}: ${err.message}`);
      if (!err.$metadata?.requestId) problems.push(`${service} ${op} (${variant}): ${err.name} without a request id`);
      const l = leaks(`${err.name} ${err.message}`, sent);
      if (l.length) problems.push(`${service} ${op} (${variant}): error leaks ${l.join(', ')}: ${err.message}`);
      outcomes.push({ service, op, variant, result: err.name });
    if (process.env.MCGW_ISO_VERBOSE) t.comment(`${service} ${op} (${variant}): ${status} ${err.name} ${err.message}`);
    }
  }

  const services = [...gw.gateway.services.values()];
  t.ok(services.length >= 8, 'every service is in the matrix');
  for (const def of services) {
    const [pkg, clientName] = CLIENTS[def.name] ?? [];
    t.ok(pkg, `${def.name}: the matrix knows its client`);
    if (!pkg) continue;
    const mod = (await import(pkg)) as Record<string, unknown>;
    const Client = mod[clientName] as new (c: ClientConfig & { maxAttempts: number }) => { send(c: unknown): Promise<unknown>; destroy(): void };
    const client = new Client({ ...B.clientConfig, maxAttempts: 1 });
    const stem = def.model;
    const variants = def.name === 'dynamodb' ? ['dynamodb', 'dynamodb:arn'] : [def.name];
    for (const op of Object.keys(def.operations).sort()) {
      const Cmd = mod[`${op}Command`] as (new (i: unknown) => unknown) | undefined;
      if (!Cmd) {
        if (op === 'PreflightRequest') {
          // CORS preflight is unsigned by design: A's bucket has no CORS rules, so it is refused
          const r = await fetch(`${gw.url}/${estate.known.s3.Bucket}/${estate.known.s3.Key}`, { method: 'OPTIONS', headers: { origin: 'https://b.example', 'access-control-request-method': 'GET' } });
          const body = await r.text();
          t.equal(r.status, 403, 's3 PreflightRequest on A\'s bucket without CORS rules: 403');
          if (leaks(body, '').length) problems.push(`s3 PreflightRequest leaks ${leaks(body, '')}`);
          outcomes.push({ service: 's3', op, variant: 'raw', result: String(r.status) });
          continue;
        }
        problems.push(`${def.name} ${op}: no SDK command to drive it (add it to the matrix)`);
        continue;
      }
      for (const v of variants) {
        const k = estate.known[v];
        await attempt(client, Cmd, def.name, op, v, { ...inputFor(stem, op, k), ...overrides(def.name, op, k) });
      }
      if (takesEmptyInput(stem, op)) await attempt(client, Cmd, def.name, op, 'empty', {});
    }
    client.destroy();
  }

  const total = outcomes.length;
  t.ok(total > 250, `${total} attempts by B over ${services.reduce((n, d) => n + Object.keys(d.operations).length, 0)} operations`);
  t.same(problems, [], 'no 5xx, no answer without a request id, nothing of A in any answer');
  t.same(clientSide, [], 'every attempt reached the gateway (no SDK-side failure)');
  const byResult = new Map<string, number>();
  for (const o of outcomes) byResult.set(o.result, (byResult.get(o.result) ?? 0) + 1);
  t.comment(`answers: ${[...byResult].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);

  t.test('A sees its estate exactly as before', async (t) => {
    const after = await viewOf(gw.clientConfig, estate);
    const norm = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (/^State(Value|Reason|ReasonData|UpdatedTimestamp|TransitionedTimestamp)$/.test(k) ? undefined : x)));
    for (const part of Object.keys(before as object)) {
      t.same(norm((after as Record<string, unknown>)[part]), norm((before as Record<string, unknown>)[part]), part);
    }
  });
});
