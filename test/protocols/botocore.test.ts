// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { AwsError } from '../../src/errors.js';
import { cborCodec } from '../../src/protocols/cbor.js';
import { selectCodec } from '../../src/protocols/index.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel } from '../../src/protocols/model.js';
import { ec2Codec, queryCodec } from '../../src/protocols/query.js';
import type { ResponseContext } from '../../src/protocols/types.js';
import { botocore, botocorePython, botoRequest, parseJob, type BotoJob } from './botocore.js';
import { asSdk, sample } from './fake.js';
import type { Codec } from '../../src/protocols/types.js';

const rc: ResponseContext = { requestId: 'boto-req-1', service: 'x', region: 'us-east-1' };
const opts = { s3BaseDomains: ['localhost'] };
const ts = new Date('2026-01-02T03:04:05.500Z');
/** botocore sends whole seconds over json and cbor. */
const tsWhole = new Date('2026-01-02T03:04:05Z');
const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000';
const SHARD = 'shardId-00000001767225600000-abcdef01';
const date = (d: Date) => ({ $date: d.getTime() / 1000 });

if (!botocorePython()) {
  t.test('botocore cross-check', { skip: 'no python3 with botocore on this machine (pyenv python3 or Debian python3-botocore)' }, async () => {});
} else {
  const sts = loadModel('sts-2011-06-15');
  const iam = loadModel('iam-2010-05-08');
  const ec2 = loadModel('ec2-2016-11-15');
  const ddb = loadModel('dynamodb-2012-08-10');
  const streams = loadModel('streams.dynamodb-2012-08-10');
  const cw = loadModel('monitoring-2010-08-01');
  const logs = loadModel('logs-2014-03-28');

  const serializeJobs: BotoJob[] = [
    { kind: 'serialize', service: 'sts', operation: 'AssumeRole', params: { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 'sess', DurationSeconds: 900, Tags: [{ Key: 'k', Value: 'v' }] } },
    { kind: 'serialize', service: 'iam', operation: 'CreateUser', params: { UserName: 'alice', Tags: [{ Key: 'k', Value: 'v' }] } },
    { kind: 'serialize', service: 'ec2', operation: 'DescribeInstances', params: { InstanceIds: ['i-1'], Filters: [{ Name: 'n', Values: ['a', 'b'] }] } },
    { kind: 'serialize', service: 'dynamodb', operation: 'GetItem', params: { TableName: 't', Key: { pk: { B: Buffer.from('hi') } } } },
    { kind: 'serialize', service: 'dynamodbstreams', operation: 'GetShardIterator', params: { StreamArn: STREAM, ShardId: SHARD, ShardIteratorType: 'LATEST' } },
    { kind: 'serialize', service: 'logs', operation: 'PutLogEvents', params: { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: 5, message: 'm' }] } },
    { kind: 'serialize', service: 'cloudwatch', operation: 'PutMetricData', params: { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: tsWhole, Value: 1.5 }] } },
    { kind: 'serialize', service: 'cloudwatch', operation: 'PutMetricData', protocol: 'smithy-rpc-v2-cbor', params: { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: tsWhole, Value: 1.5 }] } },
    { kind: 'serialize', service: 'cloudwatch', operation: 'PutMetricData', protocol: 'query', params: { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: ts, Value: 1.5 }] } },
  ];
  const expected = [
    [sts, 'AssumeRole', { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 'sess', DurationSeconds: 900, Tags: [{ Key: 'k', Value: 'v' }] }],
    [iam, 'CreateUser', { UserName: 'alice', Tags: [{ Key: 'k', Value: 'v' }] }],
    [ec2, 'DescribeInstances', { InstanceIds: ['i-1'], Filters: [{ Name: 'n', Values: ['a', 'b'] }] }],
    [ddb, 'GetItem', { TableName: 't', Key: { pk: { B: 'aGk=' } } }],
    [streams, 'GetShardIterator', { StreamArn: STREAM, ShardId: SHARD, ShardIteratorType: 'LATEST' }],
    [logs, 'PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: 5, message: 'm' }] }],
    [cw, 'PutMetricData', { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: tsWhole, Value: 1.5 }] }, 'json'],
    [cw, 'PutMetricData', { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: tsWhole, Value: 1.5 }] }, 'smithy-rpc-v2-cbor'],
    [cw, 'PutMetricData', { Namespace: 'n', MetricData: [{ MetricName: 'm', Timestamp: ts, Value: 1.5 }] }, 'query'],
  ] as const;

  t.test('requests botocore builds parse into the same input', async (t) => {
    const got = botocore(serializeJobs);
    for (let i = 0; i < expected.length; i++) {
      const [model, op, input, protocol] = expected[i]!;
      t.notOk(got[i]!.exception, String(got[i]!.exception ?? ''));
      const req = botoRequest(got[i]!);
      const codec = selectCodec(model, req, opts);
      if (protocol) t.equal(codec.protocol, protocol, `${op} over ${protocol}`);
      t.same(await codec.parse(req, model), { operation: op, input }, `${model.stem} ${op}`);
    }
  });

  t.test('responses botocore parses', async (t) => {
    const cases: Array<[BotoJob, unknown]> = [
      [
        parseJob('sts', 'GetCallerIdentity', queryCodec.serialize(sts, 'GetCallerIdentity', { UserId: 'AIDA', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/a' }, rc)),
        { UserId: 'AIDA', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/a', ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('iam', 'ListUsers', queryCodec.serialize(iam, 'ListUsers', { Users: [{ Path: '/', UserName: 'a', UserId: 'U', Arn: 'arn', CreateDate: ts }], IsTruncated: false }, rc)),
        { Users: [{ Path: '/', UserName: 'a', UserId: 'U', Arn: 'arn', CreateDate: date(ts) }], IsTruncated: false, ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('iam', 'GetUser', queryCodec.serializeError(iam, new AwsError('NoSuchEntity', 'no such user', { status: 404 }), rc)),
        { Error: { Type: 'Sender', Code: 'NoSuchEntity', Message: 'no such user' }, ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('ec2', 'DescribeVolumes', ec2Codec.serialize(ec2, 'DescribeVolumes', { Volumes: [{ VolumeId: 'vol-1', Size: 8, CreateTime: ts, Attachments: [] }] }, rc)),
        { Volumes: [{ VolumeId: 'vol-1', Size: 8, CreateTime: date(ts), Attachments: [] }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('ec2', 'DescribeVolumes', ec2Codec.serializeError(ec2, new AwsError('InvalidVolume.NotFound', "The volume 'vol-9' does not exist."), rc)),
        { Error: { Code: 'InvalidVolume.NotFound', Message: "The volume 'vol-9' does not exist." }, ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('dynamodb', 'GetItem', jsonCodec.serialize(ddb, 'GetItem', { Item: { pk: { S: 'a' }, b: { B: 'aGk=' } } }, rc)),
        { Item: { pk: { S: 'a' }, b: { B: { $bytes: 'aGk=' } } }, ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('dynamodb', 'GetItem', jsonCodec.serializeError(ddb, new AwsError('ResourceNotFoundException', 'Requested resource not found'), rc)),
        { Error: { Code: 'ResourceNotFoundException', Message: 'Requested resource not found' }, ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('dynamodbstreams', 'GetRecords', jsonCodec.serialize(streams, 'GetRecords', { Records: [{ eventID: 'e1', eventName: 'INSERT', dynamodb: { ApproximateCreationDateTime: ts, Keys: { pk: { S: 'a' } }, SequenceNumber: '1' } }] }, rc)),
        { Records: [{ eventID: 'e1', eventName: 'INSERT', dynamodb: { ApproximateCreationDateTime: date(ts), Keys: { pk: { S: 'a' } }, SequenceNumber: '1' } }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('logs', 'DescribeLogGroups', jsonCodec.serialize(logs, 'DescribeLogGroups', { logGroups: [{ logGroupName: 'g', creationTime: 5, storedBytes: 0 }] }, rc)),
        { logGroups: [{ logGroupName: 'g', creationTime: 5, storedBytes: 0 }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('cloudwatch', 'GetMetricData', jsonCodec.serialize(cw, 'GetMetricData', { MetricDataResults: [{ Id: 'm', Timestamps: [ts], Values: [1] }] }, rc), 'json'),
        { MetricDataResults: [{ Id: 'm', Timestamps: [date(ts)], Values: [1] }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('cloudwatch', 'GetMetricData', cborCodec.serialize(cw, 'GetMetricData', { MetricDataResults: [{ Id: 'm', Timestamps: [ts], Values: [1.5] }] }, rc), 'smithy-rpc-v2-cbor'),
        { MetricDataResults: [{ Id: 'm', Timestamps: [date(ts)], Values: [1.5] }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('cloudwatch', 'GetMetricData', queryCodec.serialize(cw, 'GetMetricData', { MetricDataResults: [{ Id: 'm', Timestamps: [ts], Values: [1.5] }] }, rc), 'query'),
        { MetricDataResults: [{ Id: 'm', Timestamps: [date(ts)], Values: [1.5] }], ResponseMetadata: { RequestId: 'boto-req-1' } },
      ],
      [
        parseJob('cloudwatch', 'DeleteDashboards', jsonCodec.serializeError(cw, new AwsError('DashboardNotFoundError', 'nope', { status: 404 }), rc), 'json'),
        { Error: { Code: 'ResourceNotFound', Message: 'nope', Type: 'Sender' } },
      ],
      [
        parseJob('cloudwatch', 'DeleteDashboards', cborCodec.serializeError(cw, new AwsError('DashboardNotFoundError', 'nope', { status: 404 }), rc), 'smithy-rpc-v2-cbor'),
        { Error: { Code: 'ResourceNotFound', Message: 'nope', Type: 'Sender' } },
      ],
    ];
    const got = botocore(cases.map((c) => c[0]));
    cases.forEach(([job, want], i) => {
      const g = got[i]!;
      t.notOk(g.exception, `${job.service} ${job.operation}: ${String(g.exception ?? '')}`);
      const parsed = g.parsed as Record<string, unknown>;
      const md = parsed?.ResponseMetadata as Record<string, unknown> | undefined;
      if (md) parsed.ResponseMetadata = { RequestId: md.RequestId };
      t.match(parsed, want, `${job.service} ${job.operation} ${job.protocol ?? ''}`);
    });
  });

  t.test('every output shape, filled with samples, parses in botocore as it went in', async (t) => {
    const suites: Array<[string, string, Codec, string, number]> = [
      ['sts', 'sts-2011-06-15', queryCodec, 'query', 1],
      ['iam', 'iam-2010-05-08', queryCodec, 'query', 1],
      ['cloudwatch', 'monitoring-2010-08-01', queryCodec, 'query', 1],
      ['cloudwatch', 'monitoring-2010-08-01', jsonCodec, 'json', 1],
      ['cloudwatch', 'monitoring-2010-08-01', cborCodec, 'smithy-rpc-v2-cbor', 1],
      ['logs', 'logs-2014-03-28', jsonCodec, 'json', 1],
      ['dynamodb', 'dynamodb-2012-08-10', jsonCodec, 'json', 1],
      ['dynamodbstreams', 'streams.dynamodb-2012-08-10', jsonCodec, 'json', 1],
      ['ec2', 'ec2-2016-11-15', ec2Codec, 'ec2', 5],
    ];
    const jobs: BotoJob[] = [];
    const want: unknown[] = [];
    for (const [service, stem, codec, protocol, every] of suites) {
      const model = loadModel(stem);
      let i = 0;
      for (const [name, op] of model.operations) {
        if (i++ % every !== 0 || !op.output || Object.values(op.output.members ?? {}).some((m) => m.eventstream || m.streaming)) continue;
        const value = sample(op.output, name);
        jobs.push(parseJob(service, name, codec.serialize(model, name, value, rc), protocol));
        want.push(value);
      }
    }
    const got = botocore(jobs);
    const norm = (v: unknown): unknown => {
      if (v instanceof Date) return date(v);
      if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
      if (Array.isArray(v)) return v.map(norm);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
      return v;
    };
    got.forEach((g, i) => {
      const job = jobs[i] as BotoJob & { protocol: string };
      const parsed = { ...(g.parsed as Record<string, unknown>) };
      delete parsed.ResponseMetadata;
      t.strictSame(parsed, norm(want[i]), `${job.service} ${job.operation} (${job.protocol})`);
    });
    t.ok(jobs.length > 300, `${jobs.length} outputs checked`);
  });

  t.test('every input shape, filled with samples and serialized by botocore, parses as it went in', async (t) => {
    const suites: Array<[string, string, Codec, string, number]> = [
      ['sts', 'sts-2011-06-15', queryCodec, 'query', 1],
      ['iam', 'iam-2010-05-08', queryCodec, 'query', 1],
      ['cloudwatch', 'monitoring-2010-08-01', queryCodec, 'query', 1],
      ['cloudwatch', 'monitoring-2010-08-01', jsonCodec, 'json', 1],
      ['cloudwatch', 'monitoring-2010-08-01', cborCodec, 'smithy-rpc-v2-cbor', 1],
      ['logs', 'logs-2014-03-28', jsonCodec, 'json', 1],
      ['dynamodb', 'dynamodb-2012-08-10', jsonCodec, 'json', 1],
      ['dynamodbstreams', 'streams.dynamodb-2012-08-10', jsonCodec, 'json', 1],
      ['ec2', 'ec2-2016-11-15', ec2Codec, 'ec2', 5],
    ];
    const jobs: BotoJob[] = [];
    const want: Array<[ReturnType<typeof loadModel>, Codec, string, unknown]> = [];
    for (const [service, stem, codec, protocol, every] of suites) {
      const model = loadModel(stem);
      let i = 0;
      for (const [name, op] of model.operations) {
        if (i++ % every !== 0 || !op.input || Object.values(op.input.members ?? {}).some((m) => m.eventstream || m.streaming)) continue;
        const value = sample(op.input, name);
        jobs.push({ kind: 'serialize', service, operation: name, protocol, params: value, validate: false });
        want.push([model, codec, name, value]);
      }
    }
    const got = botocore(jobs);
    for (let i = 0; i < got.length; i++) {
      const [model, codec, name, value] = want[i]!;
      const g = got[i]!;
      if (g.exception) {
        t.fail(`${model.stem} ${name}: botocore: ${String(g.exception)}`);
        continue;
      }
      const parsed = await codec.parse(botoRequest(g), model);
      t.equal(parsed.operation, name);
      t.strictSame(asSdk(parsed.input), asSdk(value), `${model.stem} ${name} (${codec.protocol})`);
    }
    t.ok(jobs.length > 400, `${jobs.length} inputs checked`);
  });
}
