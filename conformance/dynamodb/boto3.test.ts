// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * boto3 (resource and client APIs, Table.batch_writer, the conditions builder) and aws-cli v1
 * against the gateway: the Python side asserts and prints a JSON summary the test checks.
 */
import t from 'tap';
import { run, startTestGateway } from '../harness.js';

const SCRIPT = String.raw`
import json, decimal, boto3
from boto3.dynamodb.conditions import Key, Attr
from botocore.exceptions import ClientError
ddb = boto3.resource('dynamodb')
client = boto3.client('dynamodb')
table = ddb.create_table(
    TableName='people',
    KeySchema=[{'AttributeName': 'team', 'KeyType': 'HASH'}, {'AttributeName': 'name', 'KeyType': 'RANGE'}],
    AttributeDefinitions=[{'AttributeName': 'team', 'AttributeType': 'S'}, {'AttributeName': 'name', 'AttributeType': 'S'}],
    BillingMode='PAY_PER_REQUEST')
table.wait_until_exists()
with table.batch_writer() as bw:
    for i in range(60):
        bw.put_item(Item={'team': 't%d' % (i % 3), 'name': 'n%02d' % i, 'age': i, 'score': decimal.Decimal('0.1') * i, 'tags': {'a', 'b'}})
out = {}
out['count'] = table.item_count if False else len(table.scan()['Items'])
r = table.query(KeyConditionExpression=Key('team').eq('t1') & Key('name').begins_with('n1'), FilterExpression=Attr('age').gt(12))
out['query'] = [i['name'] for i in r['Items']]
out['score'] = str(table.get_item(Key={'team': 't0', 'name': 'n03'})['Item']['score'])
table.update_item(Key={'team': 't0', 'name': 'n03'}, UpdateExpression='SET age = age + :d REMOVE tags', ExpressionAttributeValues={':d': 100})
item = table.get_item(Key={'team': 't0', 'name': 'n03'}, ProjectionExpression='age, tags')['Item']
out['updated'] = int(item['age'])
out['tags_gone'] = 'tags' not in item
try:
    table.put_item(Item={'team': 't0', 'name': 'n03'}, ConditionExpression=Attr('team').not_exists())
    out['ccf'] = None
except ClientError as e:
    out['ccf'] = [e.response['Error']['Code'], e.response['Error']['Message']]
try:
    client.get_item(TableName='people', Key={'team': {'S': 't0'}})
except ClientError as e:
    out['bad_key'] = e.response['Error']['Message']
pages = client.get_paginator('scan').paginate(TableName='people', PaginationConfig={'PageSize': 25})
out['pages'] = [p['Count'] for p in pages]
print(json.dumps(out))
`;

t.test('boto3 resource and client', async (t) => {
  const gw = await startTestGateway(t);
  const r = await run('python3', ['-c', SCRIPT], { env: gw.env(), timeoutMs: 120_000 });
  t.equal(r.code, 0, r.stderr);
  if (r.code !== 0) return;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.equal(out.count, 60);
  t.same(out.query, ['n13', 'n16', 'n19']);
  t.equal(out.score, '0.3');
  t.equal(out.updated, 103);
  t.equal(out.tags_gone, true);
  t.same(out.ccf, ['ConditionalCheckFailedException', 'The conditional request failed']);
  t.equal(out.bad_key, 'The provided key element does not match the schema');
  t.same(out.pages, [25, 25, 10]);
});

t.test('aws-cli', async (t) => {
  const gw = await startTestGateway(t);
  const env = gw.env();
  const aws = (...args: string[]) => run('aws', ['dynamodb', ...args, '--output', 'json'], { env });
  const c = await aws('create-table', '--table-name', 'cli', '--attribute-definitions', 'AttributeName=id,AttributeType=N', '--key-schema', 'AttributeName=id,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST');
  t.equal(c.code, 0, c.stderr);
  t.equal((await aws('put-item', '--table-name', 'cli', '--item', '{"id":{"N":"7"},"b":{"B":"AAEC"}}')).code, 0);
  const g = await aws('get-item', '--table-name', 'cli', '--key', '{"id":{"N":"7.0"}}');
  t.equal(g.code, 0, g.stderr);
  // aws-cli v1 sends blob arguments as raw text (base64 of the bytes "AAEC" on the wire)
  t.same(JSON.parse(g.stdout).Item, { id: { N: '7' }, b: { B: Buffer.from('AAEC').toString('base64') } });
  const bad = await aws('get-item', '--table-name', 'nope', '--key', '{"id":{"N":"1"}}');
  t.not(bad.code, 0);
  t.match(bad.stderr, /ResourceNotFoundException.*Requested resource not found/);
});
