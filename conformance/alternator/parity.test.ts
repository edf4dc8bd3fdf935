// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Same script, two gateways: one on the embedded engine, one on the Alternator translator (against
 * the stand-in of test/fakes/alternator). Every step's answer — output or error code and message —
 * must be the same once the parts that differ by nature are normalised (account ids in ARNs, table
 * ids, creation times, request ids). Covers what the translator computes itself: transactions,
 * PartiQL, DescribeContinuousBackups, deletion protection, ListTables paging over the prefix,
 * names in batch maps and error messages.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import { startTestGateway } from '../harness.js';

type Step = [string, Record<string, unknown>];

const table = (name: string, range = false, extra: Record<string, unknown> = {}) => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, ...(range ? [{ AttributeName: 'sk', AttributeType: 'N' }] : [])],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' }] : [])],
  BillingMode: 'PAY_PER_REQUEST',
  ...extra,
});
const S = (s: string) => ({ S: s });
const N = (n: number) => ({ N: String(n) });

const STEPS: Step[] = [
  ['CreateTable', table('alpha')],
  ['CreateTable', table('beta', true, { DeletionProtectionEnabled: true })],
  ['CreateTable', table('alpha')],
  ['CreateTable', table('ab')],
  ['CreateTable', table('gamma', false, { TableClass: 'STANDARD' })],
  ['ListTables', {}],
  ['ListTables', { Limit: 2 }],
  ['ListTables', { ExclusiveStartTableName: 'alpha', Limit: 1 }],
  ['ListTables', { ExclusiveStartTableName: 'beta' }],
  ['PutItem', { TableName: 'alpha', Item: { pk: S('a'), n: N(1) } }],
  ['PutItem', { TableName: 'alpha', Item: { pk: S('a'), n: N(2) }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }],
  ['PutItem', { TableName: 'missing', Item: { pk: S('a') } }],
  ['GetItem', { TableName: 'alpha', Key: { pk: S('a') }, ReturnConsumedCapacity: 'TOTAL' }],
  ['UpdateItem', { TableName: 'alpha', Key: { pk: S('a') }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) }, ReturnValues: 'ALL_NEW' }],
  ['BatchWriteItem', { RequestItems: { beta: [1, 2, 3].map((i) => ({ PutRequest: { Item: { pk: S('p'), sk: N(i), v: S(`v${i}`) } } })), alpha: [{ PutRequest: { Item: { pk: S('b') } } }] } }],
  ['BatchGetItem', { RequestItems: { beta: { Keys: [{ pk: S('p'), sk: N(1) }, { pk: S('p'), sk: N(9) }] }, alpha: { Keys: [{ pk: S('b') }] } }, ReturnConsumedCapacity: 'TOTAL' }],
  ['BatchGetItem', { RequestItems: { nothere: { Keys: [{ pk: S('x') }] } } }],
  ['Query', { TableName: 'beta', KeyConditionExpression: 'pk = :p AND sk > :s', ExpressionAttributeValues: { ':p': S('p'), ':s': N(1) }, ScanIndexForward: false }],
  ['Scan', { TableName: 'beta', Limit: 2 }],
  // transactions
  ['TransactWriteItems', { TransactItems: [
    { Put: { TableName: 'alpha', Item: { pk: S('t1'), v: N(1) } } },
    { Update: { TableName: 'beta', Key: { pk: S('p'), sk: N(1) }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': S('tx') } } },
    { ConditionCheck: { TableName: 'alpha', Key: { pk: S('a') }, ConditionExpression: 'n = :three', ExpressionAttributeValues: { ':three': N(3) } } },
  ] }],
  ['TransactWriteItems', { TransactItems: [
    { Put: { TableName: 'alpha', Item: { pk: S('t2') } } },
    { Delete: { TableName: 'beta', Key: { pk: S('p'), sk: N(2) }, ConditionExpression: 'v = :no', ExpressionAttributeValues: { ':no': S('no') }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
  ] }],
  ['TransactWriteItems', { TransactItems: [{ Put: { TableName: 'alpha', Item: { pk: S('t3') } } }, { Delete: { TableName: 'alpha', Key: { pk: S('t3') } } }] }],
  ['TransactWriteItems', { TransactItems: [{ Put: { TableName: 'zeta', Item: { pk: S('t3') } } }] }],
  ['TransactWriteItems', { ClientRequestToken: 'tok-1', TransactItems: [{ Update: { TableName: 'alpha', Key: { pk: S('ctr') }, UpdateExpression: 'ADD c :one', ExpressionAttributeValues: { ':one': N(1) } } }] }],
  ['TransactWriteItems', { ClientRequestToken: 'tok-1', TransactItems: [{ Update: { TableName: 'alpha', Key: { pk: S('ctr') }, UpdateExpression: 'ADD c :one', ExpressionAttributeValues: { ':one': N(1) } } }] }],
  ['TransactGetItems', { TransactItems: [{ Get: { TableName: 'alpha', Key: { pk: S('t1') } } }, { Get: { TableName: 'beta', Key: { pk: S('p'), sk: N(1) }, ProjectionExpression: 'v' } }, { Get: { TableName: 'alpha', Key: { pk: S('ctr') } } }, { Get: { TableName: 'alpha', Key: { pk: S('t2') } } }] }],
  // PartiQL
  ['ExecuteStatement', { Statement: `INSERT INTO alpha VALUE {'pk': 'q1', 'n': 5}` }],
  ['ExecuteStatement', { Statement: `INSERT INTO alpha VALUE {'pk': 'q1', 'n': 6}` }],
  ['ExecuteStatement', { Statement: `UPDATE alpha SET n = n + 1 WHERE pk = 'q1'` }],
  ['ExecuteStatement', { Statement: `SELECT * FROM alpha WHERE pk = ?`, Parameters: [S('q1')] }],
  ['ExecuteStatement', { Statement: `SELECT v FROM beta WHERE pk = 'p' AND sk >= 2` }],
  ['ExecuteStatement', { Statement: `DELETE FROM alpha WHERE pk = 'q1' AND n = 0` }],
  ['ExecuteStatement', { Statement: `SELECT * FROM nope WHERE pk = 'x'` }],
  ['BatchExecuteStatement', { Statements: [{ Statement: `INSERT INTO alpha VALUE {'pk': 'q2'}` }, { Statement: `INSERT INTO alpha VALUE {'pk': 'q1'}` }, { Statement: `SELECT * FROM alpha WHERE pk = 'a'` }] }],
  // table settings Terraform sends
  ['DescribeContinuousBackups', { TableName: 'alpha' }],
  ['DescribeContinuousBackups', { TableName: 'nope' }],
  ['DeleteTable', { TableName: 'beta' }],
  ['UpdateTable', { TableName: 'beta', DeletionProtectionEnabled: false }],
  ['DescribeTimeToLive', { TableName: 'alpha' }],
  ['UpdateTimeToLive', { TableName: 'alpha', TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }],
  ['DescribeTimeToLive', { TableName: 'alpha' }],
  ['DescribeTable', { TableName: 'nope' }],
  ['Scan', { TableName: 'alpha' }],
  ['DeleteTable', { TableName: 'beta' }],
  ['DeleteTable', { TableName: 'beta' }],
  ['ListTables', {}],
];

const DROP = new Set(['$metadata', 'TableId', 'CreationDateTime', 'LatestStreamLabel', 'LatestStreamArn', 'RequestId']);

function normalise(v: any): any {
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return 'date';
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (!DROP.has(k) && v[k] !== undefined) out[k] = normalise(v[k]);
    return out;
  }
  if (typeof v === 'string') return v.replace(/:\d{12}:/g, ':ACCOUNT:');
  return v;
}

async function runStep(client: ddb.DynamoDBClient, [op, input]: Step): Promise<unknown> {
  const Cmd = (ddb as any)[`${op}Command`];
  try {
    const out: any = await client.send(new Cmd(structuredClone(input)));
    if (op === 'Scan' || op === 'Query') out.Items?.sort((a: any, b: any) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return normalise(out);
  } catch (e: any) {
    return { error: e.name, message: String(e.message).replace(/:\d{12}:/g, ':ACCOUNT:'), reasons: normalise(e.CancellationReasons), item: normalise(e.Item) };
  }
}

t.test('embedded and alternator answer the same script the same way', async (t) => {
  const embedded = await startTestGateway(t, { dynamodbBackend: 'embedded' });
  const alternator = await startTestGateway(t, { dynamodbBackend: 'alternator' });
  const a = new ddb.DynamoDBClient({ ...embedded.clientConfig, maxAttempts: 1 });
  const b = new ddb.DynamoDBClient({ ...alternator.clientConfig, maxAttempts: 1 });
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  for (const [i, step] of STEPS.entries()) {
    const [ra, rb] = [await runStep(a, step), await runStep(b, step)];
    t.same(rb, ra, `step ${i + 1}: ${step[0]}`);
  }
  // the translator really served it: tables sit under the account prefix in the stand-in
  const inner = new ddb.DynamoDBClient({ endpoint: alternator.alternator!.endpoints[1], region: 'us-east-1', credentials: { accessKeyId: alternator.alternator!.accessKeyId, secretAccessKey: alternator.alternator!.secretAccessKey }, maxAttempts: 1 });
  t.teardown(() => inner.destroy());
  const listed = await inner.send(new ddb.ListTablesCommand({}));
  t.same(listed.TableNames?.sort(), [`a${alternator.accountId}_alpha`, `a${alternator.accountId}_gamma`, 'mcgw_tx'].sort(), 'tables live under the account prefix, beside the transaction log');
});
