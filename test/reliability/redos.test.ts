// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * ReDoS through the wire: patterns that make a backtracking engine run for hours (exponential
 * `(a+)+$`, polynomial `a*a*…a*b`, `...` fields and `*` wildcards that backtrack per field or per
 * character) sent to FilterLogEvents, TestMetricFilter, PutMetricFilter (run at ingestion) and
 * Logs Insights over events of 256 KiB, the largest PutLogEvents takes. Each answer must come with
 * well under a second of CPU. Constructs CloudWatch Logs' regex subset refuses — parentheses, a
 * symbol it does not list, multi-byte characters — are InvalidParameterException; lookaround or a
 * backreference in an Insights query is MalformedQueryException. The same for the `*` wildcards
 * of EC2 filter values and S3 bucket policy resources (CORS origins: one wildcard, as S3 allows).
 */
import t from 'tap';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  StartQueryCommand,
  GetQueryResultsCommand,
  TestMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client, DescribeImagesCommand, DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { S3Client, CreateBucketCommand, GetObjectCommand, PutBucketCorsCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestGateway } from '../../conformance/harness.js';
import { errorOf } from '../helpers/sdk-error.js';
import { cpuMs } from './proc.js';
import { outcome } from './sdk.js';

/** The CPU a catastrophic request may use: a backtracking engine needs hours for any of them. */
const CPU_BOUND_MS = 750;

t.test('catastrophic patterns over 256 KiB events answer at once', async (t) => {
  const gw = await startTestGateway(t);
  const logs = new CloudWatchLogsClient(gw.clientConfig);
  t.teardown(() => logs.destroy());
  const group = 'redos';
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
  // the largest event PutLogEvents accepts: 256 KiB with its 26 bytes of overhead
  const big = 'a'.repeat(256 * 1024 - 26 - 1) + '#';
  const fields = 'x '.repeat(100_000).trimEnd();
  const json = JSON.stringify({ m: 'a'.repeat(250_000) });
  const now = Date.now();
  // a metric filter with a catastrophic pattern runs on every event at ingestion
  await logs.send(new PutMetricFilterCommand({ logGroupName: group, filterName: 'slow', filterPattern: '%a*a*a*a*a*a*a*a*a*a*a*a*b%', metricTransformations: [{ metricName: 'M', metricNamespace: 'ReDoS', metricValue: '1' }] }));
  const put = await cpuMs(() => logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: [big, fields, json].map((message, k) => ({ timestamp: now + k, message })) })));
  t.ok(put.ms < CPU_BOUND_MS * 2, `PutLogEvents of 3 large events through a catastrophic metric filter: ${put.ms.toFixed(0)} ms CPU, ${put.wallMs.toFixed(0)} ms wall`);

  const filter = async (filterPattern: string) => {
    const r = await cpuMs(() => logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern })));
    return { ms: r.ms, wallMs: r.wallMs, messages: (r.value.events ?? []).map((e) => (e.message ?? '').slice(0, 12)) };
  };
  const cases: Array<[string, string[]]> = [
    ['%a*a*a*a*a*a*a*a*a*a*a*a*b%', []],
    ['%a+a+a+a+a+a+a+a+a+a+$%', []],
    ['%a{5}#$%', [big.slice(0, 12)]],
    ['%^[a-z]*.*.*.*.*.*.*@%', []],
    ['%\\w*\\w*\\w*\\w*\\w*\\w*\\w*\\w*\\w*z%', []],
    ['[..., a = x, ..., b = x, ..., c = x, ..., d = x, ..., e = y]', []],
    ['[..., a = x, ..., b = x, ..., c = x, ..., d = x]', [fields.slice(0, 12)]],
    ['{ $.m = "*a*a*a*a*a*a*a*a*a*a*b" }', []],
    ['{ $.m = %a*a*a*a*a*a*a*a*a*a*b% }', []],
  ];
  for (const [pattern, want] of cases) {
    const r = await filter(pattern);
    t.same(r.messages, want, `${pattern}: ${want.length} event(s)`);
    t.ok(r.ms < CPU_BOUND_MS, `${pattern}: ${r.ms.toFixed(0)} ms CPU, ${r.wallMs.toFixed(0)} ms wall`);
  }

  const tm = await cpuMs(() => logs.send(new TestMetricFilterCommand({ filterPattern: '%a*a*a*a*a*a*a*a*a*a*a*a*b%', logEventMessages: [big] })));
  t.same(tm.value.matches ?? [], [], 'TestMetricFilter: no match');
  t.ok(tm.ms < CPU_BOUND_MS, `TestMetricFilter over 256 KiB: ${tm.ms.toFixed(0)} ms CPU`);

  const query = async (queryString: string) =>
    cpuMs(async () => {
      const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: group, startTime: Math.floor(now / 1000) - 60, endTime: Math.floor(now / 1000) + 60, queryString }));
      return logs.send(new GetQueryResultsCommand({ queryId }));
    });
  for (const [q, rows] of [
    ['fields @message | filter @message like /(a+)+$/', 0],
    ['fields @message | filter @message =~ /(a|aa)+#/', 1],
    ['parse @message /(?<run>(a|aa)+)#/ | filter ispresent(run) | stats count(*) as n', 1],
    ['parse @message "*a*a*a*a*a*a*a*a*b" as p, q, r, s, u, v, w, x, y | filter ispresent(p)', 0],
    ['parse @message "*a*a*a*a*a*a*a*a*#" as p, q, r, s, u, v, w, x, y | filter ispresent(p) | stats count(*) as n', 1],
  ] as Array<[string, number]>) {
    const r = await query(q);
    t.equal(r.value.status, 'Complete', `${q}: Complete`);
    t.equal(r.value.results?.length, rows, `${q}: ${rows} row(s)`);
    t.ok(r.ms < CPU_BOUND_MS * 2, `${q}: ${r.ms.toFixed(0)} ms CPU, ${r.wallMs.toFixed(0)} ms wall`);
  }
});

t.test('regex outside CloudWatch Logs subset: AWS errors, with a request id', async (t) => {
  const gw = await startTestGateway(t);
  const logs = new CloudWatchLogsClient(gw.clientConfig);
  t.teardown(() => logs.destroy());
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
  for (const p of ['%(a+)+$%', '%something!%', '%caf\u00e9%', '%a\\1%', '{ $.m = %(x)% }', '[a = %b(c)%]']) {
    const e = await errorOf(logs.send(new FilterLogEventsCommand({ logGroupName: 'g', filterPattern: p })));
    const md = e.$metadata as { httpStatusCode?: number; requestId?: string };
    t.equal(e.name, 'InvalidParameterException', `${p}: ${e.message}`);
    t.equal(md.httpStatusCode, 400, `${p}: 400`);
    t.ok(md.requestId, `${p}: request id`);
  }
  for (const p of ['%[Ee]rror|[Ff]ail%', '%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', '%^[hc]at$%', '%colou?r%', '%a{3,5}%']) {
    await t.resolves(logs.send(new FilterLogEventsCommand({ logGroupName: 'g', filterPattern: p })), `${p}: accepted (AWS's documented examples)`);
  }
  const put = await errorOf(logs.send(new PutMetricFilterCommand({ logGroupName: 'g', filterName: 'f', filterPattern: '%(a|b)%', metricTransformations: [{ metricName: 'M', metricNamespace: 'N', metricValue: '1' }] })));
  t.equal(put.name, 'InvalidParameterException', `PutMetricFilter: ${put.message}`);
  // a metric filter stored before its pattern was refused (an older gateway took any V8 regex):
  // ingestion goes on, the filter matches nothing
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }));
  await gw.gateway.state.table('logs_metric_filters').put(`${gw.accountId}/${gw.region}/g:old`, { filterName: 'old', filterPattern: '%(a|b)%', metricTransformations: [{ metricName: 'M', metricNamespace: 'N', metricValue: '1' }], creationTime: Date.now(), logGroupName: 'g' });
  const ingest = await outcome(logs.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'a b' }] })));
  t.equal(ingest.name, 'success', `PutLogEvents with a stored filter whose pattern is now refused: ${ingest.name}`);
  for (const q of ['fields @message | filter @message like /(?=a)b/', 'fields @message | filter @message like /(a)\\1/', 'parse @message /(?<x>a)(?<x>b)/']) {
    const e = await errorOf(logs.send(new StartQueryCommand({ logGroupName: 'g', startTime: 0, endTime: 10, queryString: q })));
    t.equal(e.name, 'MalformedQueryException', `${q}: ${e.message}`);
  }
});

t.test('wildcards in EC2 filters, S3 bucket policies and CORS rules: linear too', async (t) => {
  const gw = await startTestGateway(t);
  const ec2 = new EC2Client(gw.clientConfig);
  const s3 = new S3Client(gw.clientConfig);
  t.teardown(() => {
    ec2.destroy();
    s3.destroy();
  });
  const slow = '*a*a*a*a*a*a*a*a*a*a*a*a*b';
  // EC2: a tag value of 255 characters against a filter value with many stars (V8: minutes)
  const ami = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images![0].ImageId!;
  const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'a'.repeat(255) }] }] }));
  t.ok(run.Instances?.[0]?.InstanceId, 'an instance tagged with 255 a');
  for (const [value, want] of [[slow, 0], ['*a*a*a*a*a*a*a*a*a*a*a*a*a', 1]] as Array<[string, number]>) {
    const r = await cpuMs(() => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [value] }] })));
    t.equal(r.value.Reservations?.length ?? 0, want, `DescribeInstances tag:Name=${value}: ${want} reservation(s)`);
    t.ok(r.ms < CPU_BOUND_MS, `DescribeInstances tag:Name=${value}: ${r.ms.toFixed(0)} ms CPU`);
  }
  // S3: a Deny statement whose Resource has many stars, evaluated against a 1,000-character key
  await s3.send(new CreateBucketCommand({ Bucket: 'redos' }));
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::redos/${slow}` }] };
  await s3.send(new PutBucketPolicyCommand({ Bucket: 'redos', Policy: JSON.stringify(policy) }));
  const key = 'a'.repeat(1000);
  await s3.send(new PutObjectCommand({ Bucket: 'redos', Key: key, Body: 'x' }));
  const got = await cpuMs(() => s3.send(new GetObjectCommand({ Bucket: 'redos', Key: key })).then((r) => r.Body!.transformToString()));
  t.equal(got.value, 'x', 'GetObject: the Deny does not apply (no b in the key)');
  t.ok(got.ms < CPU_BOUND_MS, `GetObject through the policy: ${got.ms.toFixed(0)} ms CPU`);
  // CORS: S3 allows one wildcard per AllowedOrigin (which bounds the work); one against a long Origin
  const cors = await errorOf(s3.send(new PutBucketCorsCommand({ Bucket: 'redos', CORSConfiguration: { CORSRules: [{ AllowedOrigins: [`http://${slow}`], AllowedMethods: ['GET'] }] } })));
  t.equal(cors.$metadata?.httpStatusCode, 400, `an origin with several wildcards is refused: ${cors.name}`);
  await s3.send(new PutBucketCorsCommand({ Bucket: 'redos', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://*b'], AllowedMethods: ['GET'] }] } }));
  const pre = await cpuMs(() => fetch(`${gw.url}/redos/k`, { method: 'OPTIONS', headers: { origin: `http://${'a'.repeat(4000)}`, 'access-control-request-method': 'GET' } }));
  t.equal(pre.value.status, 403, 'preflight from an origin no rule allows: 403');
  t.ok(pre.ms < CPU_BOUND_MS, `CORS preflight: ${pre.ms.toFixed(0)} ms CPU`);
});
