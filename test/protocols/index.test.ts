// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { PutMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cborCodec } from '../../src/protocols/cbor.js';
import { guessService, QUERY_VERSIONS, selectCodec, serviceForTarget, TARGET_SERVICES } from '../../src/protocols/index.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel } from '../../src/protocols/model.js';
import { ec2Codec, queryCodec } from '../../src/protocols/query.js';
import { capture, toWire } from './sdk.js';
import type { Shape } from '../../src/protocols/model.js';
import { QueryParams, decodeQueryStructure } from '../../src/protocols/query-input.js';

const opts = { s3BaseDomains: ['localhost'] };
const wire = (headers: Record<string, string>, body = '', path = '/', query?: Record<string, string>) =>
  toWire({ method: 'POST', path, headers, body, query });

t.test('routing tables agree with the models', async (t) => {
  const stems: Record<string, string> = {
    dynamodb: 'dynamodb-2012-08-10',
    'streams.dynamodb': 'streams.dynamodb-2012-08-10',
    logs: 'logs-2014-03-28',
    monitoring: 'monitoring-2010-08-01',
    sts: 'sts-2011-06-15',
    iam: 'iam-2010-05-08',
    ec2: 'ec2-2016-11-15',
  };
  for (const [prefix, svc] of Object.entries(TARGET_SERVICES)) t.equal(loadModel(stems[svc]!).metadata.targetPrefix, prefix);
  for (const [version, svc] of Object.entries(QUERY_VERSIONS)) t.equal(loadModel(stems[svc]!).metadata.apiVersion, version);
});

t.test('guessService', async (t) => {
  t.equal(guessService(wire({ 'x-amz-target': 'DynamoDB_20120810.GetItem' })), 'dynamodb');
  t.equal(guessService(wire({ 'x-amz-target': 'DynamoDBStreams_20120810.GetRecords' })), 'streams.dynamodb');
  t.equal(guessService(wire({ 'x-amz-target': 'Logs_20140328.PutLogEvents' })), 'logs');
  t.equal(guessService(wire({}, '', '/service/GraniteServiceVersion20100801/operation/ListMetrics')), 'monitoring');
  t.equal(guessService(wire({ 'content-type': 'application/x-www-form-urlencoded' }, 'Action=GetCallerIdentity&Version=2011-06-15')), 'sts');
  t.equal(guessService(wire({}, '', '/', { Action: 'DescribeInstances', Version: '2016-11-15' })), 'ec2');
  t.equal(guessService(wire({}, '', '/bucket/key')), 's3');
  t.equal(guessService(wire({})), 's3');
});

t.test('serviceForTarget: DynamoDB Streams shares the signing name', async (t) => {
  t.equal(serviceForTarget('dynamodb', wire({ 'x-amz-target': 'DynamoDBStreams_20120810.GetRecords' })), 'streams.dynamodb');
  t.equal(serviceForTarget('dynamodb', wire({ 'x-amz-target': 'DynamoDB_20120810.GetItem' })), 'dynamodb');
  t.equal(serviceForTarget('logs', wire({ 'x-amz-target': 'DynamoDBStreams_20120810.GetRecords' })), 'logs');
});

t.test('selectCodec', async (t) => {
  const cw = loadModel('monitoring-2010-08-01');
  t.equal(selectCodec(cw, wire({ 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' }), opts), jsonCodec);
  t.equal(selectCodec(cw, wire({ 'smithy-protocol': 'rpc-v2-cbor' }, '', '/service/GraniteServiceVersion20100801/operation/ListMetrics'), opts), cborCodec);
  t.equal(selectCodec(cw, wire({ 'content-type': 'application/x-www-form-urlencoded' }, 'Action=ListMetrics'), opts), queryCodec);
  t.equal(selectCodec(cw, wire({}), opts), queryCodec, 'no hints: the query protocol');
  t.equal(selectCodec(loadModel('ec2-2016-11-15'), wire({}), opts), ec2Codec);
  t.equal(selectCodec(loadModel('sts-2011-06-15'), wire({}), opts), queryCodec);
  t.equal(selectCodec(loadModel('dynamodb-2012-08-10'), wire({}), opts), jsonCodec);
  t.equal(selectCodec(loadModel('s3-2006-03-01'), wire({}), opts).protocol, 'rest-xml');
});

t.test('gzip-compressed bodies (CloudWatch requestcompression)', async (t) => {
  const cw = loadModel('monitoring-2010-08-01');
  const req = await capture(CloudWatchClient, new PutMetricDataCommand({ Namespace: 'n', MetricData: [{ MetricName: 'm', Value: 1 }] }));
  const zipped = { ...req, headers: { ...req.headers, 'content-encoding': 'gzip' }, bodyBuffer: gzipSync(req.bodyBuffer!) };
  t.same(await jsonCodec.parse(zipped, cw), { operation: 'PutMetricData', input: { Namespace: 'n', MetricData: [{ MetricName: 'm', Value: 1 }] } });
  await t.rejects(jsonCodec.parse({ ...zipped, bodyBuffer: Buffer.from('nope') }, cw), { code: 'SerializationException' });
  const chunked = { ...req, headers: { ...req.headers, 'content-encoding': 'aws-chunked' } };
  t.equal((await jsonCodec.parse(chunked, cw)).operation, 'PutMetricData', 'aws-chunked (already decoded by auth) is ignored');
  await t.rejects(jsonCodec.parse({ ...req, headers: { ...req.headers, 'content-encoding': 'br' } }, cw), { code: 'UnsupportedMediaType', status: 415 });
});

t.test('map keys named __proto__ stay plain data', async (t) => {
  const ddb = loadModel('dynamodb-2012-08-10');
  const req = wire(
    { 'x-amz-target': 'DynamoDB_20120810.Query', 'content-type': 'application/x-amz-json-1.0' },
    '{"TableName":"t","ExpressionAttributeNames":{"__proto__":"x","#a":"a"},"ExpressionAttributeValues":{"__proto__":{"S":"v"}}}',
  );
  const p = await jsonCodec.parse(req, ddb);
  const names = p.input.ExpressionAttributeNames as Record<string, string>;
  t.same(Object.keys(names), ['__proto__', '#a']);
  t.equal(Object.getPrototypeOf(names), Object.prototype);
  const values = p.input.ExpressionAttributeValues as Record<string, unknown>;
  t.same(Object.getOwnPropertyDescriptor(values, '__proto__')?.value, { S: 'v' });
  t.equal(Object.getPrototypeOf(values), Object.prototype);


  // awsQuery maps (none of our query models has one at the top level: a synthetic shape).
  const map: Shape = { type: 'map', key: { type: 'string' }, value: { type: 'integer' } };
  const shape: Shape = { type: 'structure', members: { Attrs: map, Flat: { ...map, flattened: true, key: { type: 'string', locationName: 'Name' } } } };
  const params = QueryParams.parse('Attrs.entry.1.key=__proto__&Attrs.entry.1.value=1&Attrs.entry.2.key=b&Attrs.entry.2.value=2&Flat.1.Name=x&Flat.1.value=3');
  const decoded = decodeQueryStructure(params, shape, '', 'query');
  t.same(Object.keys(decoded.Attrs as object), ['__proto__', 'b']);
  t.equal(Object.getPrototypeOf(decoded.Attrs), Object.prototype);
  t.same(decoded.Flat, { x: 3 });
});
