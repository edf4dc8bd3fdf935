// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 failures as each protocol's real clients see them: wrong secret, unknown key, inactive
 * key, clock skew — for STS (awsQuery), EC2 (ec2), DynamoDB (json 1.0), Logs (json 1.1),
 * CloudWatch (json 1.0, query-compatible) and S3 (rest-xml); and an expired presigned URL.
 */
import t, { type Test } from 'tap';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { EC2Client, DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client, ListBucketsCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { IAMClient, CreateAccessKeyCommand, UpdateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startTestGateway, type ClientConfig } from '../harness.js';

const gw = await startTestGateway(t);

interface Case {
  service: string;
  call: (cfg: ClientConfig & { systemClockOffset?: number }) => Promise<unknown>;
  badSig: [string, number];
  unknown: [string, number];
  skew: [string, number];
}

const opts = (c: ClientConfig & { systemClockOffset?: number }) => ({ ...c, maxAttempts: 1 });
const CASES: Case[] = [
  {
    service: 'sts (awsQuery)',
    call: (c) => new STSClient(opts(c)).send(new GetCallerIdentityCommand({})),
    badSig: ['SignatureDoesNotMatch', 403],
    unknown: ['InvalidClientTokenId', 403],
    skew: ['SignatureDoesNotMatch', 403],
  },
  {
    service: 'ec2 (ec2 query)',
    call: (c) => new EC2Client(opts(c)).send(new DescribeRegionsCommand({})),
    badSig: ['AuthFailure', 401],
    unknown: ['AuthFailure', 401],
    skew: ['RequestExpired', 400],
  },
  {
    service: 'dynamodb (json 1.0)',
    call: (c) => new DynamoDBClient(opts(c)).send(new ListTablesCommand({})),
    badSig: ['InvalidSignatureException', 400],
    unknown: ['UnrecognizedClientException', 400],
    skew: ['InvalidSignatureException', 400],
  },
  {
    service: 'logs (json 1.1)',
    call: (c) => new CloudWatchLogsClient(opts(c)).send(new DescribeLogGroupsCommand({})),
    badSig: ['InvalidSignatureException', 400],
    unknown: ['UnrecognizedClientException', 400],
    skew: ['InvalidSignatureException', 400],
  },
  {
    service: 'monitoring (json 1.0, query-compatible)',
    call: (c) => new CloudWatchClient(opts(c)).send(new ListMetricsCommand({})),
    badSig: ['SignatureDoesNotMatch', 403],
    unknown: ['InvalidClientTokenId', 403],
    skew: ['SignatureDoesNotMatch', 403],
  },
  {
    service: 's3 (rest-xml)',
    call: (c) => new S3Client(opts(c)).send(new ListBucketsCommand({})),
    badSig: ['SignatureDoesNotMatch', 403],
    unknown: ['InvalidAccessKeyId', 403],
    skew: ['RequestTimeTooSkewed', 403],
  },
];

async function expectError(t: Test, p: Promise<unknown>, [name, status]: [string, number], what: string) {
  try {
    await p;
    t.fail(`${what}: expected ${name}, got success`);
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    t.equal(err.name, name, `${what}: ${name}`);
    t.equal(err.$metadata?.httpStatusCode, status, `${what}: HTTP ${status}`);
    t.ok(err.$metadata?.requestId, `${what}: request id`);
  }
}

// an inactive IAM user key, to be refused by every service
const iam = new IAMClient({ ...gw.clientConfig, maxAttempts: 1 });
await iam.send(new CreateUserCommand({ UserName: 'inactive-user' }));
const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'inactive-user' }))).AccessKey!;
await iam.send(new UpdateAccessKeyCommand({ UserName: 'inactive-user', AccessKeyId: k.AccessKeyId!, Status: 'Inactive' }));
const inactive = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };

for (const c of CASES) {
  t.test(c.service, async (t) => {
    const good = gw.clientConfig;
    await expectError(t, c.call({ ...good, credentials: { ...good.credentials, secretAccessKey: 'wrong' + good.credentials.secretAccessKey.slice(5) } }), c.badSig, 'wrong secret');
    await expectError(t, c.call({ ...good, credentials: { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'x'.repeat(40) } }), c.unknown, 'unknown key');
    await expectError(t, c.call({ ...good, credentials: inactive }), c.unknown, 'inactive key');
    await expectError(t, c.call({ ...good, systemClockOffset: -20 * 60 * 1000 }), c.skew, 'clock 20 minutes behind');
    await expectError(t, c.call({ ...good, systemClockOffset: 20 * 60 * 1000 }), c.skew, 'clock 20 minutes ahead');
  });
}

t.test('an expired presigned URL is refused with AccessDenied "Request has expired"', async (t) => {
  const s3 = new S3Client(gw.clientConfig);
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) });
  const res = await fetch(url);
  t.equal(res.status, 403);
  const body = await res.text();
  t.match(body, /<Code>AccessDenied<\/Code>/);
  t.match(body, /<Message>Request has expired<\/Message>/);
  t.match(body, /<RequestId>\S+<\/RequestId>/);
  t.ok(res.headers.get('x-amz-request-id'));
});

t.test('a tampered presigned URL is refused', async (t) => {
  const s3 = new S3Client(gw.clientConfig);
  const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { expiresIn: 600 }));
  url.searchParams.set('X-Amz-Expires', '3600');
  const res = await fetch(url);
  t.equal(res.status, 403);
  t.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});
