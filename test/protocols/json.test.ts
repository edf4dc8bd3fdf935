// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { crc32 } from 'node:zlib';
import { DynamoDBClient, GetItemCommand, PutItemCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CloudWatchLogsClient, GetLogEventsCommand, PutLogEventsCommand, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand, DeleteDashboardsCommand, PutDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { AwsError } from '../../src/errors.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel } from '../../src/protocols/model.js';
import type { ResponseContext } from '../../src/protocols/types.js';
import { capture, sdkRead, toWire } from './sdk.js';

const ddb = loadModel('dynamodb-2012-08-10');
const logs = loadModel('logs-2014-03-28');
const cw = loadModel('monitoring-2010-08-01');
const rc = (service: string): ResponseContext => ({ requestId: 'json-req-1', service, region: 'us-east-1' });

t.test('DynamoDB requests: target, AttributeValues passed through', async (t) => {
  const req = await capture(
    DynamoDBClient,
    new PutItemCommand({
      TableName: 't',
      Item: { pk: { S: 'a' }, n: { N: '1.5' }, b: { B: Buffer.from('hi') }, m: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValues: 'ALL_OLD',
    }),
  );
  t.equal(req.headers['x-amz-target'], 'DynamoDB_20120810.PutItem');
  const p = await jsonCodec.parse(req, ddb);
  t.equal(p.operation, 'PutItem');
  t.same(p.input, {
    TableName: 't',
    Item: { pk: { S: 'a' }, n: { N: '1.5' }, b: { B: 'aGk=' }, m: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } } },
    ConditionExpression: 'attribute_not_exists(pk)',
    ReturnValues: 'ALL_OLD',
  });
});

t.test('DynamoDB outputs and errors read back by the SDK', async (t) => {
  let res = jsonCodec.serialize(ddb, 'GetItem', { Item: { pk: { S: 'a' }, b: { B: 'aGk=' }, n: { N: '2' } } }, rc('dynamodb'));
  t.equal(res.headers['Content-Type'], 'application/x-amz-json-1.0');
  t.equal(res.headers['x-amz-crc32'], String(crc32(res.body as Buffer)));
  let r = await sdkRead(DynamoDBClient, new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }), res);
  t.notOk(r.error);
  t.same(r.output!.Item, { pk: { S: 'a' }, b: { B: new Uint8Array(Buffer.from('hi')) }, n: { N: '2' } });
  t.equal((r.output!.$metadata as { requestId: string }).requestId, 'json-req-1');

  const created = new Date('2026-01-01T00:00:00.250Z');
  res = jsonCodec.serialize(
    ddb,
    'DescribeTable',
    { Table: { TableName: 't', TableStatus: 'ACTIVE', CreationDateTime: created, ItemCount: 3, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], Unknown: 1 } },
    rc('dynamodb'),
  );
  t.match(String(res.body), /"CreationDateTime":1767225600.25/);
  t.notMatch(String(res.body), /Unknown/, 'members outside the model are not sent');
  r = await sdkRead(DynamoDBClient, new DescribeTableCommand({ TableName: 't' }), res);
  t.same(r.output!.Table, { TableName: 't', TableStatus: 'ACTIVE', CreationDateTime: created, ItemCount: 3, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });

  res = jsonCodec.serializeError(ddb, new AwsError('ResourceNotFoundException', 'Requested resource not found'), rc('dynamodb'));
  t.same(JSON.parse(String(res.body)), { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' });
  t.equal(res.headers['x-amz-crc32'], String(crc32(res.body as Buffer)));
  r = await sdkRead(DynamoDBClient, new GetItemCommand({ TableName: 't', Key: {} }), res);
  t.equal(r.error!.name, 'ResourceNotFoundException');
  t.equal(r.error!.message, 'Requested resource not found');
  t.equal((r.error!.$metadata as { requestId: string }).requestId, 'json-req-1');

  res = jsonCodec.serializeError(ddb, new AwsError('ValidationException', 'bad'), rc('dynamodb'));
  t.equal(JSON.parse(String(res.body)).__type, 'com.amazon.coral.validate#ValidationException');
});

t.test('DynamoDB bad requests', async (t) => {
  const post = (target: string | undefined, body: string) =>
    toWire({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.0', ...(target ? { 'x-amz-target': target } : {}) }, body });
  await t.rejects(jsonCodec.parse(post('DynamoDB_20120810.GetItem', '{"TableName":'), ddb), { code: 'SerializationException' });
  await t.rejects(jsonCodec.parse(post('DynamoDB_20120810.GetItem', ''), ddb), { code: 'SerializationException' });
  await t.rejects(jsonCodec.parse(post('DynamoDB_20120810.Frob', '{}'), ddb), { code: 'UnknownOperationException' });
  await t.rejects(jsonCodec.parse(post('Logs_20140328.GetItem', '{}'), ddb), { code: 'UnknownOperationException' });
  await t.rejects(jsonCodec.parse(post(undefined, '{}'), ddb), { code: 'UnknownOperationException' });
  await t.rejects(jsonCodec.parse(post('DynamoDB_20120810.GetItem', '{"TableName":{"a":1},"Key":{}}'), ddb), {
    code: 'SerializationException',
    message: 'Start of structure or map found where not expected',
  });
  await t.rejects(jsonCodec.parse(post('DynamoDB_20120810.GetItem', '{"Key":{"pk":{"S":"a"}}}'), ddb), {
    code: 'ValidationException',
    message: "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
  });
  const coral: Array<[string, string, string]> = [
    ['GetItem', '{"TableName":5,"Key":{}}', 'NUMBER_VALUE cannot be converted to String'],
    ['GetItem', '{"TableName":1.5,"Key":{}}', 'DECIMAL_VALUE cannot be converted to String'],
    ['GetItem', '{"TableName":true,"Key":{}}', 'TRUE_VALUE cannot be converted to String'],
    ['GetItem', '{"TableName":["t"],"Key":{}}', 'Unrecognized collection type class java.lang.String'],
    ['GetItem', '{"TableName":"t","Key":{},"ConsistentRead":"maybe"}', 'Unexpected token received from parser'],
    ['GetItem', '{"TableName":"t","Key":{},"ConsistentRead":1}', 'NUMBER_VALUE cannot be converted to Boolean'],
    ['GetItem', '{"TableName":"t","Key":[]}', 'Unrecognized collection type java.util.Map<java.lang.String, ?>'],
    ['GetItem', '{"TableName":"t","Key":"k"}', 'Unexpected field type'],
    ['ListTables', '{"Limit":"5"}', 'STRING_VALUE cannot be converted to Integer'],
    ['BatchGetItem', '{"RequestItems":{"t":{"Keys":{}}}}', 'Start of structure or map found where not expected'],
  ];
  for (const [op, body, message] of coral) {
    await t.rejects(jsonCodec.parse(post(`DynamoDB_20120810.${op}`, body), ddb), { code: 'SerializationException', message }, body);
  }
  t.same((await jsonCodec.parse(post('DynamoDB_20120810.GetItem', '{"TableName":"t","Key":{},"ConsistentRead":"yes"}'), ddb)).input.ConsistentRead, true);
  t.same((await jsonCodec.parse(post('DynamoDB_20120810.ListTables', '{"Limit":5.7}'), ddb)).input.Limit, 5);
  const p = await jsonCodec.parse(post('DynamoDB_20120810.ListTables', '{"Limit":5,"Bogus":true}'), ddb);
  t.same(p, { operation: 'ListTables', input: { Limit: 5 } }, 'unknown members ignored');
  const err = jsonCodec.serializeError(ddb, new AwsError('SerializationException', ''), rc('dynamodb'));
  t.equal(String(err.body), '{"__type":"com.amazon.coral.service#SerializationException"}');
  const r = await sdkRead(DynamoDBClient, new ListTablesCommand({}), err);
  t.equal(r.error!.name, 'SerializationException');
});

t.test('CloudWatch Logs (json 1.1)', async (t) => {
  const ts = 1767225600123;
  const req = await capture(
    CloudWatchLogsClient,
    new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: ts, message: 'hello' }] }),
  );
  t.equal(req.headers['x-amz-target'], 'Logs_20140328.PutLogEvents');
  t.same(await jsonCodec.parse(req, logs), {
    operation: 'PutLogEvents',
    input: { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: ts, message: 'hello' }] },
  });
  await t.rejects(jsonCodec.parse(await capture(CloudWatchLogsClient, new CreateLogGroupCommand({ logGroupName: undefined as unknown as string })), logs), {
    code: 'InvalidParameterException',
  });
  let res = jsonCodec.serialize(logs, 'GetLogEvents', { events: [{ timestamp: ts, message: 'hello', ingestionTime: ts + 1 }], nextForwardToken: 'f/1' }, rc('logs'));
  t.equal(res.headers['Content-Type'], 'application/x-amz-json-1.1');
  t.equal(res.headers['x-amz-crc32'], undefined);
  let r = await sdkRead(CloudWatchLogsClient, new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 's' }), res);
  t.same(r.output!.events, [{ timestamp: ts, message: 'hello', ingestionTime: ts + 1 }]);
  res = jsonCodec.serializeError(logs, new AwsError('ResourceNotFoundException', 'The specified log group does not exist.'), rc('logs'));
  t.same(JSON.parse(String(res.body)), { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  r = await sdkRead(CloudWatchLogsClient, new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 's' }), res);
  t.equal(r.error!.name, 'ResourceNotFoundException');
});

t.test('CloudWatch on awsJson1_0 (query compatible)', async (t) => {
  const ts = new Date('2026-01-02T03:04:05.500Z');
  const req = await capture(
    CloudWatchClient,
    new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5 }] }),
  );
  t.equal(req.headers['x-amz-target'], 'GraniteServiceVersion20100801.PutMetricData');
  t.same(await jsonCodec.parse(req, cw), {
    operation: 'PutMetricData',
    input: { Namespace: 'App', MetricData: [{ MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5 }] },
  });
  let res = jsonCodec.serialize(cw, 'GetMetricData', { MetricDataResults: [{ Id: 'm1', Timestamps: [ts], Values: [2.5], StatusCode: 'Complete' }] }, rc('monitoring'));
  let r = await sdkRead(CloudWatchClient, new GetMetricDataCommand({ MetricDataQueries: [], StartTime: ts, EndTime: ts }), res);
  t.same(r.output!.MetricDataResults, [{ Id: 'm1', Timestamps: [ts], Values: [2.5], StatusCode: 'Complete' }]);

  res = jsonCodec.serializeError(cw, new AwsError('DashboardNotFoundError', 'Dashboard d does not exist', { status: 404 }), rc('monitoring'));
  t.equal(res.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
  t.equal(JSON.parse(String(res.body)).__type, 'com.amazonaws.cloudwatch#DashboardNotFoundError');
  r = await sdkRead(CloudWatchClient, new DeleteDashboardsCommand({ DashboardNames: ['d'] }), res);
  t.equal(r.error!.name, 'ResourceNotFound', 'the SDK restores the query code from x-amzn-query-error');
  t.equal(r.error!.Code, 'ResourceNotFound');
  t.equal(r.error!.message, 'Dashboard d does not exist');

  res = jsonCodec.serializeError(
    cw,
    new AwsError('DashboardInvalidInputError', 'bad body', { queryCode: 'InvalidParameterInput', fields: { dashboardValidationMessages: [{ DataPath: '/w', Message: 'm' }] } }),
    rc('monitoring'),
  );
  r = await sdkRead(CloudWatchClient, new PutDashboardCommand({ DashboardName: 'd', DashboardBody: '{}' }), res);
  t.equal(r.error!.name, 'DashboardInvalidInputError');
  t.equal(r.error!.Code, 'InvalidParameterInput');
  t.same(r.error!.dashboardValidationMessages, [{ DataPath: '/w', Message: 'm' }]);

  await t.rejects(
    jsonCodec.parse(toWire({ method: 'POST', path: '/', headers: { 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData' }, body: '{"MetricData":[]}' }), cw),
    { code: 'MissingRequiredParameterException', queryCode: 'MissingParameter', message: 'The parameter Namespace is required.' },
  );
});
