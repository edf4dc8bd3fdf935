// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { GetCallerIdentityCommand, AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateUserCommand, GetUserCommand, IAMClient, ListUsersCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudWatchClient, GetMetricDataCommand, PutDashboardCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { AwsError } from '../../src/errors.js';
import { loadModel } from '../../src/protocols/model.js';
import { queryCodec } from '../../src/protocols/query.js';
import type { ResponseContext } from '../../src/protocols/types.js';
import { capture, sdkRead, toWire } from './sdk.js';

const sts = loadModel('sts-2011-06-15');
const iam = loadModel('iam-2010-05-08');
const cw = loadModel('monitoring-2010-08-01');
const rc = (service: string): ResponseContext => ({ requestId: 'req-1234', service, region: 'us-east-1' });
const cwQuery = { protocol: AwsQueryProtocol };

t.test('STS requests from the SDK parse into operation and input', async (t) => {
  let req = await capture(STSClient, new GetCallerIdentityCommand({}));
  t.same(await queryCodec.parse(req, sts), { operation: 'GetCallerIdentity', input: {} });

  req = await capture(
    STSClient,
    new AssumeRoleCommand({
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      RoleSessionName: 's1',
      DurationSeconds: 900,
      Tags: [{ Key: 'a', Value: 'x&y' }, { Key: 'b', Value: '' }],
      PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      TransitiveTagKeys: [],
    }),
  );
  const p = await queryCodec.parse(req, sts);
  t.equal(p.operation, 'AssumeRole');
  t.same(p.input, {
    RoleArn: 'arn:aws:iam::123456789012:role/r',
    RoleSessionName: 's1',
    PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    DurationSeconds: 900,
    Tags: [{ Key: 'a', Value: 'x&y' }, { Key: 'b', Value: '' }],
    TransitiveTagKeys: [],
  });
});

t.test('IAM and CloudWatch (query) requests', async (t) => {
  let req = await capture(IAMClient, new CreateUserCommand({ UserName: 'alice', Path: '/eng/', Tags: [{ Key: 'team', Value: 'db' }] }));
  t.same(await queryCodec.parse(req, iam), {
    operation: 'CreateUser',
    input: { Path: '/eng/', UserName: 'alice', Tags: [{ Key: 'team', Value: 'db' }] },
  });
  req = await capture(IAMClient, new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'p', PolicyDocument: '{"Version":"2012-10-17"}' }));
  t.same((await queryCodec.parse(req, iam)).input, { UserName: 'alice', PolicyName: 'p', PolicyDocument: '{"Version":"2012-10-17"}' });

  const ts = new Date('2026-01-02T03:04:05.500Z');
  req = await capture(
    CloudWatchClient,
    new PutMetricDataCommand({
      Namespace: 'App',
      MetricData: [
        { MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5, Unit: 'Seconds' },
        { MetricName: 'Hits', Values: [1, 2], Counts: [3, 4], StorageResolution: 1 },
      ],
    }),
    cwQuery,
  );
  t.match(req.headers['content-type'], /x-www-form-urlencoded/);
  const p = await queryCodec.parse(req, cw);
  t.equal(p.operation, 'PutMetricData');
  t.same(p.input, {
    Namespace: 'App',
    MetricData: [
      { MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5, Unit: 'Seconds' },
      { MetricName: 'Hits', Values: [1, 2], Counts: [3, 4], StorageResolution: 1 },
    ],
  });
  t.ok((p.input.MetricData as Array<{ Timestamp?: Date }>)[0]!.Timestamp instanceof Date);
});

t.test('GET with parameters in the query string', async (t) => {
  const req = toWire({ method: 'GET', path: '/', query: { Action: 'GetUser', Version: '2010-05-08', UserName: 'bob' }, headers: { host: 'x' } });
  t.same(await queryCodec.parse(req, iam), { operation: 'GetUser', input: { UserName: 'bob' } });
});

t.test('bad requests get AWS errors', async (t) => {
  const form = (body: string) =>
    toWire({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  await t.rejects(queryCodec.parse(form('Action=Nope&Version=2011-06-15'), sts), {
    code: 'InvalidAction',
    message: 'Could not find operation Nope for version 2011-06-15',
  });
  await t.rejects(queryCodec.parse(form('Action=AssumeRole&Version=2011-06-15&RoleArn=a'), sts), {
    code: 'ValidationError',
    message: "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
  });
  await t.rejects(queryCodec.parse(form('Action=AssumeRole&Version=2011-06-15'), sts), {
    message: /^2 validation errors detected: Value null at 'roleArn'.*; Value null at 'roleSessionName'/,
  });
  await t.rejects(queryCodec.parse(form('Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=b&DurationSeconds=x'), sts), {
    code: 'InvalidParameterValue',
  });
  await t.rejects(queryCodec.parse(form('Action=PutMetricData&Version=2010-08-01&MetricData.member.1.MetricName=m'), cw), {
    code: 'MissingParameter',
    message: 'The parameter Namespace is required.',
  });
  await t.rejects(queryCodec.parse(form('Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.Value=1'), cw), {
    code: 'MissingParameter',
    message: 'The parameter MetricData.member.1.MetricName is required.',
  });
  await t.rejects(queryCodec.parse(form('Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=b&Tags.member.1.Key=k'), sts), {
    code: 'ValidationError',
    message: "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
  });
  await t.rejects(queryCodec.parse(form('Version=2010-08-01'), cw), { code: 'MissingAction' });
});

t.test('outputs read back by the SDK', async (t) => {
  const exp = new Date('2026-03-04T05:06:07Z');
  let res = queryCodec.serialize(
    sts,
    'AssumeRole',
    {
      Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's<&>', SessionToken: 'tok', Expiration: exp },
      AssumedRoleUser: { AssumedRoleId: 'AROA1:s1', Arn: 'arn:aws:sts::123456789012:assumed-role/r/s1' },
      PackedPolicySize: 6,
    },
    rc('sts'),
  );
  t.equal(res.headers['Content-Type'], 'text/xml');
  t.equal(res.headers['x-amzn-RequestId'], 'req-1234');
  t.match(String(res.body), /^<AssumeRoleResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><AssumeRoleResult>/);
  let r = await sdkRead(STSClient, new AssumeRoleCommand({ RoleArn: 'a', RoleSessionName: 'b' }), res);
  t.notOk(r.error);
  t.same(r.output!.Credentials, { AccessKeyId: 'ASIA1', SecretAccessKey: 's<&>', SessionToken: 'tok', Expiration: exp });
  t.equal((r.output!.AssumedRoleUser as { Arn: string }).Arn, 'arn:aws:sts::123456789012:assumed-role/r/s1');
  t.equal(r.output!.PackedPolicySize, 6);
  t.equal((r.output!.$metadata as { requestId: string }).requestId, 'req-1234');

  const created = new Date('2025-01-01T00:00:00Z');
  res = queryCodec.serialize(
    iam,
    'ListUsers',
    { Users: [{ Path: '/', UserName: 'alice', UserId: 'AIDA1', Arn: 'arn:aws:iam::1:user/alice', CreateDate: created, Tags: [{ Key: 'k', Value: 'v' }] }], IsTruncated: false },
    rc('iam'),
  );
  r = await sdkRead(IAMClient, new ListUsersCommand({}), res);
  t.same(r.output!.Users, [{ Path: '/', UserName: 'alice', UserId: 'AIDA1', Arn: 'arn:aws:iam::1:user/alice', CreateDate: created, Tags: [{ Key: 'k', Value: 'v' }] }]);
  t.equal(r.output!.IsTruncated, false);

  res = queryCodec.serialize(iam, 'ListUsers', { Users: [], IsTruncated: false }, rc('iam'));
  t.match(String(res.body), /<Users\/>/, 'empty list is an empty wrapper');
  r = await sdkRead(IAMClient, new ListUsersCommand({}), res);
  t.same(r.output!.Users, []);

  // Operation without output: only ResponseMetadata.
  res = queryCodec.serialize(iam, 'PutUserPolicy', {}, rc('iam'));
  t.equal(String(res.body), '<PutUserPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>req-1234</RequestId></ResponseMetadata></PutUserPolicyResponse>');
  r = await sdkRead(IAMClient, new PutUserPolicyCommand({ UserName: 'a', PolicyName: 'b', PolicyDocument: 'c' }), res);
  t.notOk(r.error);

  const t1 = new Date('2026-01-01T00:01:00Z');
  res = queryCodec.serialize(
    cw,
    'GetMetricData',
    { MetricDataResults: [{ Id: 'm1', Label: 'L', Timestamps: [t1], Values: [2.25], StatusCode: 'Complete' }], Messages: [] },
    rc('monitoring'),
  );
  r = await sdkRead(CloudWatchClient, new GetMetricDataCommand({ MetricDataQueries: [], StartTime: t1, EndTime: t1 }), res, cwQuery);
  t.same(r.output!.MetricDataResults, [{ Id: 'm1', Label: 'L', Timestamps: [t1], Values: [2.25], StatusCode: 'Complete' }]);
});

t.test('errors read back by the SDK', async (t) => {
  let res = queryCodec.serializeError(iam, new AwsError('NoSuchEntity', 'The user with name bob cannot be found.', { status: 404 }), rc('iam'));
  t.equal(res.status, 404);
  t.match(String(res.body), /<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code>/);
  let r = await sdkRead(IAMClient, new GetUserCommand({ UserName: 'bob' }), res);
  t.equal(r.error!.name, 'NoSuchEntityException', 'the SDK maps the code to its modeled exception');
  t.equal(r.error!.message, 'The user with name bob cannot be found.');
  t.equal((r.error!.$metadata as { requestId: string; httpStatusCode: number }).requestId, 'req-1234');

  res = queryCodec.serializeError(sts, new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', { status: 403 }), rc('sts'));
  r = await sdkRead(STSClient, new GetCallerIdentityCommand({}), res);
  t.equal(r.error!.name, 'InvalidClientTokenId');
  t.equal(r.error!.$fault, 'client');

  // CloudWatch: a handler may throw the json-era name; the query response uses the legacy code.
  res = queryCodec.serializeError(cw, new AwsError('InvalidParameterValueException', 'bad'), rc('monitoring'));
  t.match(String(res.body), /<Code>InvalidParameterValue<\/Code>/);
  res = queryCodec.serializeError(cw, new AwsError('InternalServiceFault', 'oops', { status: 500 }), rc('monitoring'));
  t.match(String(res.body), /<Type>Receiver<\/Type><Code>InternalServiceError<\/Code>/);
  r = await sdkRead(CloudWatchClient, new PutMetricDataCommand({ Namespace: 'n', MetricData: [] }), res, cwQuery);
  t.equal(r.error!.$fault, 'server');

  // Structured error fields (PutDashboard's validation messages).
  res = queryCodec.serializeError(
    cw,
    new AwsError('DashboardInvalidInputError', 'The field DashboardBody must be a valid JSON object', {
      queryCode: 'InvalidParameterInput',
      fields: { dashboardValidationMessages: [{ DataPath: '/widgets', Message: 'Should be <array>' }] },
    }),
    rc('monitoring'),
  );
  t.match(String(res.body), /<dashboardValidationMessages><member><DataPath>\/widgets<\/DataPath><Message>Should be &lt;array&gt;<\/Message><\/member><\/dashboardValidationMessages>/);
  r = await sdkRead(CloudWatchClient, new PutDashboardCommand({ DashboardName: 'd', DashboardBody: '{}' }), res, cwQuery);
  t.equal(r.error!.name, 'DashboardInvalidInputError', 'the SDK maps the query code to the modeled error');
  t.same(r.error!.dashboardValidationMessages, [{ DataPath: '/widgets', Message: 'Should be <array>' }]);
});
