// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Malformed input never escapes as anything but an AwsError (the server turns other exceptions
 * into 500s): seeded random mutations of real requests for every codec, a few hundred each.
 */
import t, { type Test } from 'tap';
import { encode } from 'cbor-x';
import { isAwsError } from '../../src/errors.js';
import { cborCodec } from '../../src/protocols/cbor.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel } from '../../src/protocols/model.js';
import { ec2Codec, queryCodec } from '../../src/protocols/query.js';
import type { Codec } from '../../src/protocols/types.js';
import type { ServiceModel } from '../../src/protocols/model.js';
import { toWire } from './sdk.js';

let seed = 12345;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return (seed >>> 12) % n;
}

const JSON_VALUES = ['null', 'true', '1e999', '-1', '1.5', '"x"', '"AAA="', '[]', '{}', '[1,[2]]', '{"S":1}', '"2026-13-45"', '9007199254740993', '"__proto__"'];

function jsonDoc(depth: number): string {
  if (depth > 3 || rnd(3) === 0) return JSON_VALUES[rnd(JSON_VALUES.length)]!;
  if (rnd(2) === 0) return `[${Array.from({ length: rnd(3) }, () => jsonDoc(depth + 1)).join(',')}]`;
  const keys = ['TableName', 'Key', 'Item', 'Limit', 'MetricData', 'Namespace', 'Timestamp', 'StartTime', 'logEvents', 'B', 'M', 'L', '__proto__', 'Value', 'Values'];
  return `{${Array.from({ length: rnd(4) }, () => `"${keys[rnd(keys.length)]}":${jsonDoc(depth + 1)}`).join(',')}}`;
}

async function expectAwsOrOk(t: Test, codec: Codec, model: ServiceModel, make: () => ReturnType<typeof toWire>, n: number): Promise<void> {
  let aws = 0;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const req = make();
    try {
      const p = await codec.parse(req, model);
      // What parses must also serialize back without throwing.
      codec.serialize(model, p.operation, {}, { requestId: 'f', service: 'x', region: 'r' });
      ok++;
    } catch (e) {
      if (!isAwsError(e)) {
        t.fail(`non-AwsError ${String(e)} for ${req.headers['x-amz-target'] ?? req.path} ${req.bodyBuffer?.toString('utf8').slice(0, 200)}`);
        return;
      }
      aws++;
    }
  }
  t.equal(aws + ok, n, `${ok} parsed, ${aws} AWS errors`);
}

/** A valid document with one member (at any depth) replaced by a random value, or random. */
function mutate(base: unknown): string {
  if (rnd(4) === 0) return jsonDoc(0);
  const doc = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const paths: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (paths.push([v, i]), walk(x)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths.push([v as Record<string, unknown>, k]), walk((v as Record<string, unknown>)[k]);
  };
  walk(doc);
  const [holder, key] = paths[rnd(paths.length)]!;
  (holder as Record<string | number, unknown>)[key] = JSON.parse(JSON_VALUES[rnd(JSON_VALUES.length)]!.replace('1e999', '1e308'));
  return JSON.stringify(doc);
}

const DDB_BASES: Record<string, unknown> = {
  GetItem: { TableName: 't', Key: { pk: { S: 'a' } }, ConsistentRead: true },
  PutItem: { TableName: 't', Item: { pk: { S: 'a' }, n: { N: '1' } }, ExpressionAttributeNames: { '#a': 'a' } },
  Query: { TableName: 't', KeyConditionExpression: 'pk = :v', ExpressionAttributeValues: { ':v': { S: 'a' } }, Limit: 5, ExclusiveStartKey: { pk: { S: 'a' } } },
  CreateTable: { TableName: 't', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' },
};
const CW_BASES: Record<string, unknown> = {
  PutMetricData: { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: 1767225600.5, Value: 1.5, Dimensions: [{ Name: 'a', Value: 'b' }], Values: [1, 2] }] },
  GetMetricData: { MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'n', MetricName: 'm' }, Period: 60, Stat: 'Sum' } }], StartTime: 1767225600, EndTime: 1767229200 },
  GetMetricStatistics: { Namespace: 'n', MetricName: 'm', StartTime: 1767225600, EndTime: 1767229200, Period: 60, Statistics: ['Sum'] },
};

t.test('json', async (t) => {
  const ddb = loadModel('dynamodb-2012-08-10');
  const cw = loadModel('monitoring-2010-08-01');
  const pick = (bases: Record<string, unknown>) => {
    const ops = Object.keys(bases);
    const op = ops[rnd(ops.length)]!;
    return [op, mutate(bases[op])] as const;
  };
  await expectAwsOrOk(t, jsonCodec, ddb, () => {
    const [op, body] = pick(DDB_BASES);
    return toWire({ method: 'POST', path: '/', headers: { 'x-amz-target': `DynamoDB_20120810.${op}` }, body });
  }, 300);
  await expectAwsOrOk(t, jsonCodec, cw, () => {
    const [op, body] = pick(CW_BASES);
    return toWire({ method: 'POST', path: '/', headers: { 'x-amz-target': `GraniteServiceVersion20100801.${op}` }, body });
  }, 300);
});

t.test('cbor', async (t) => {
  const cw = loadModel('monitoring-2010-08-01');
  const cwOps = ['PutMetricData', 'GetMetricData', 'GetMetricStatistics'];
  await expectAwsOrOk(
    t,
    cborCodec,
    cw,
    () => {
      let body: Buffer;
      const op = cwOps[rnd(cwOps.length)]!;
      if (rnd(4) === 0) body = Buffer.from(Array.from({ length: rnd(40) }, () => rnd(256)));
      else body = Buffer.from(encode(JSON.parse(mutate(CW_BASES[op] ?? {}))));
      return toWire({ method: 'POST', path: `/service/GraniteServiceVersion20100801/operation/${op}`, headers: { 'smithy-protocol': 'rpc-v2-cbor' }, body });
    },
    300,
  );
});

t.test('query and ec2', async (t) => {
  const keys = ['Action', 'Version', 'RoleArn', 'RoleSessionName', 'DurationSeconds', 'Tags.member.1.Key', 'Tags.member.99999999999999999999.Value', 'Tags', 'MetricData.member.1.Timestamp', 'MetricData.member.1.Value', 'Namespace', 'InstanceId.1', 'Filter.1.Value.1', 'MaxResults', 'DryRun', '..', '.member.', 'UserData'];
  const values = ['', 'x', '1', '-5', '1e400', 'true', 'maybe', '2026-01-01T00:00:00Z', '99999999999999999999999', '%', '\u0000', 'AssumeRole', 'PutMetricData', 'DescribeInstances', 'RunInstances', '2011-06-15', '2010-08-01', '2016-11-15'];
  const form = () => Array.from({ length: rnd(8) }, () => `${encodeURIComponent(keys[rnd(keys.length)]!)}=${encodeURIComponent(values[rnd(values.length)]!)}`).join('&');
  const post = (body: string) => toWire({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  await expectAwsOrOk(t, queryCodec, loadModel('sts-2011-06-15'), () => post(`${form()}&Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s&${form()}`), 200);
  await expectAwsOrOk(t, queryCodec, loadModel('monitoring-2010-08-01'), () => post(`${form()}&Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.MetricName=m&${form()}`), 200);
  const ec2Ops = ['DescribeInstances', 'RunInstances', 'CreateVolume', 'TerminateInstances'];
  await expectAwsOrOk(t, ec2Codec, loadModel('ec2-2016-11-15'), () => post(`Action=${ec2Ops[rnd(ec2Ops.length)]}&Version=2016-11-15&${form()}`), 200);
});
