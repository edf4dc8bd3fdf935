// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Account A's estate for the isolation matrix — one of everything each service serves, marked with
 * unique strings — and a snapshot of how A sees it, to compare after B has tried everything.
 */
import { createHash, randomBytes } from 'node:crypto';
import { S3Client, CreateBucketCommand, PutObjectCommand, PutBucketVersioningCommand, CreateMultipartUploadCommand, PutBucketTaggingCommand, GetObjectCommand, ListObjectVersionsCommand, GetBucketTaggingCommand, ListMultipartUploadsCommand, GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, DescribeStreamCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { EC2Client, DescribeImagesCommand, RunInstancesCommand, DescribeInstancesCommand, CreateVolumeCommand, CreateSnapshotCommand, CreateSecurityGroupCommand, CreateKeyPairCommand, AllocateAddressCommand, DescribeVpcsCommand, DescribeSubnetsCommand, CreateImageCommand, DescribeVolumesCommand, DescribeSnapshotsCommand, DescribeSecurityGroupsCommand, DescribeKeyPairsCommand, DescribeAddressesCommand, CreateRouteTableCommand, CreateInternetGatewayCommand, DescribeRouteTablesCommand, DescribeInternetGatewaysCommand, DescribeNetworkAclsCommand } from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricDataCommand, PutMetricAlarmCommand, PutDashboardCommand, DescribeAlarmsCommand, GetDashboardCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand, DescribeLogGroupsCommand, GetLogEventsCommand, PutMetricFilterCommand, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, CreateRoleCommand, ListUsersCommand, ListAccessKeysCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import type { ClientConfig } from '../../conformance/harness.js';
import type { Known } from './isolation-fill.js';

export interface Estate {
  /** member name → A's value, per service signing name */
  known: Record<string, Known>;
  /** A's ids and data: none may appear in an answer to B unless that very call sent it */
  secrets: string[];
  /** A's names (B may create its own of the same name): none may appear unless B ever sent it */
  names: string[];
  accountId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function buildEstate(cfg: ClientConfig, accountId: string, region: string): Promise<Estate> {
  const tag = randomBytes(4).toString('hex');
  const mark = (what: string) => `A-${what}-${tag}`;
  const s3 = new S3Client(cfg);
  const bucket = `iso-a-${tag}`;
  const key = 'private/a.txt';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: mark('object-body') }));
  const mpu = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'private/upload' }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'owner', Value: mark('bucket-tag') }] } }));

  const db = new DynamoDBClient(cfg);
  const table = `iso-a-${tag}`;
  const created = await db.send(new CreateTableCommand({
    TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  await db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a1' }, secret: { S: mark('item') } } }));
  const streamArn = created.TableDescription!.LatestStreamArn!;
  const streams = new DynamoDBStreamsClient(cfg);
  const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0].ShardId!;
  const iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;

  const ec2 = new EC2Client(cfg);
  const ami = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images!.find((i) => i.Architecture === 'x86_64')!.ImageId!;
  const inst = (await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: mark('instance') }] }] }))).Instances![0];
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: mark('volume') }] }] }));
  for (let i = 0; i < 50; i++) {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }))).Volumes![0];
    const s = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0].Instances![0];
    if (v.State === 'available' && s.State!.Name === 'running') break;
    await sleep(200);
  }
  const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId!, Description: mark('snapshot') }));
  const img = await ec2.send(new CreateImageCommand({ InstanceId: inst.InstanceId!, Name: mark('image') }));
  const vpc = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId!;
  const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets![0].SubnetId!;
  const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: mark('sg'), Description: mark('sg-desc'), VpcId: vpc }));
  const kp = await ec2.send(new CreateKeyPairCommand({ KeyName: mark('key') }));
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  const acl = (await ec2.send(new DescribeNetworkAclsCommand({}))).NetworkAcls![0].NetworkAclId!;
  const eni = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst.InstanceId!] }))).Reservations![0].Instances![0].NetworkInterfaces?.[0]?.NetworkInterfaceId;

  const cw = new CloudWatchClient(cfg);
  const ns = mark('ns');
  await cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: 'Secret', Value: 42, Dimensions: [{ Name: 'Host', Value: mark('dim') }] }] }));
  const alarm = mark('alarm');
  await cw.send(new PutMetricAlarmCommand({ AlarmName: alarm, AlarmDescription: mark('alarm-desc'), Namespace: ns, MetricName: 'Secret', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
  const dash = mark('dash');
  await cw.send(new PutDashboardCommand({ DashboardName: dash, DashboardBody: JSON.stringify({ widgets: [{ type: 'text', x: 0, y: 0, width: 6, height: 3, properties: { markdown: mark('dash-body') } }] }) }));

  const logs = new CloudWatchLogsClient(cfg);
  const group = `/iso/${mark('group')}`;
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'stream-a' }));
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'stream-a', logEvents: [{ timestamp: Date.now(), message: mark('log-line') }] }));
  await logs.send(new PutMetricFilterCommand({ logGroupName: group, filterName: mark('filter'), filterPattern: 'ERROR', metricTransformations: [{ metricName: 'Errs', metricNamespace: ns, metricValue: '1' }] }));

  const iam = new IAMClient(cfg);
  const user = mark('user');
  await iam.send(new CreateUserCommand({ UserName: user }));
  const ak = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  const role = mark('role');
  const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' }] }) }))).Role!.Arn!;

  for (const c of [s3, db, streams, ec2, cw, logs, iam]) c.destroy();
  const tableArn = `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
  const groupArn = `arn:aws:logs:${region}:${accountId}:log-group:${group}`;
  const alarmArn = `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarm}`;
  const ec2Ids = {
    InstanceId: inst.InstanceId, InstanceIds: [inst.InstanceId], VolumeId: vol.VolumeId, VolumeIds: [vol.VolumeId], SnapshotId: snap.SnapshotId, SnapshotIds: [snap.SnapshotId],
    SourceSnapshotId: snap.SnapshotId, ImageId: img.ImageId, ImageIds: [img.ImageId], SourceImageId: img.ImageId, GroupId: sg.GroupId, GroupIds: [sg.GroupId],
    KeyName: kp.KeyName, KeyNames: [kp.KeyName], KeyPairId: kp.KeyPairId, AllocationId: eip.AllocationId, AllocationIds: [eip.AllocationId], PublicIp: eip.PublicIp,
    PublicIps: [eip.PublicIp], RouteTableId: rtb, RouteTableIds: [rtb], InternetGatewayId: igw, InternetGatewayIds: [igw], NetworkInterfaceId: eni,
    NetworkInterfaceIds: eni ? [eni] : undefined, Resources: [inst.InstanceId, vol.VolumeId, snap.SnapshotId, img.ImageId, sg.GroupId],
    SourceRegion: region, VpcId: vpc, VpcIds: [vpc], SubnetId: subnet, SubnetIds: [subnet], NetworkAclIds: [acl], Device: '/dev/sdf',
    OwnerIds: [accountId], Owners: [accountId], UserIds: [accountId],
  };
  return {
    accountId,
    names: [tag],
    secrets: [accountId, mark('object-body'), mark('item'), mark('log-line'), mark('dash-body'), mark('alarm-desc'), mark('bucket-tag'), mark('dim'), mark('snapshot'), put.VersionId!, mpu.UploadId!, inst.InstanceId!, vol.VolumeId!, snap.SnapshotId!, img.ImageId!, sg.GroupId!, kp.KeyPairId!, eip.AllocationId!, rtb, igw, ak.AccessKeyId!, streamArn],
    known: {
      s3: { Bucket: bucket, Key: key, VersionId: put.VersionId, UploadId: mpu.UploadId, CopySource: `${bucket}/${key}`, ExpectedBucketOwner: undefined },
      dynamodb: { TableName: table, ResourceArn: tableArn, Key: { pk: { S: 'a1' } }, Item: { pk: { S: 'a1' }, secret: { S: 'B-overwrote' } }, Statement: `SELECT * FROM "${table}"`,
        RequestItems: undefined, TransactItems: undefined },
      'dynamodb:arn': { TableName: tableArn, ResourceArn: tableArn, Key: { pk: { S: 'a1' } }, Item: { pk: { S: 'a1' }, secret: { S: 'B-overwrote' } }, Statement: `SELECT * FROM "${tableArn}"` },
      'streams.dynamodb': { StreamArn: streamArn, ShardId: shard, ShardIterator: iterator, TableName: table },
      ec2: ec2Ids,
      monitoring: { AlarmName: alarm, AlarmNames: [alarm], DashboardName: dash, DashboardNames: [dash], ResourceARN: alarmArn, Namespace: ns, MetricName: 'Secret', AlarmRule: `ALARM("${alarmArn}")` },
      logs: { logGroupName: group, logGroupIdentifier: groupArn, logGroupIdentifiers: [groupArn], logGroupNames: [group], logStreamName: 'stream-a', resourceArn: groupArn, filterName: mark('filter') },
      iam: { UserName: user, AccessKeyId: ak.AccessKeyId, RoleName: role },
      sts: { RoleArn: roleArn, RoleSessionName: 'b-session' },
    },
  };
}

/** How A sees its estate: compared before and after B's attempts (must be equal). */
export async function viewOf(cfg: ClientConfig, e: Estate): Promise<unknown> {
  const k = e.known;
  const s3 = new S3Client(cfg);
  const db = new DynamoDBClient(cfg);
  const ec2 = new EC2Client(cfg);
  const cw = new CloudWatchClient(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  const iam = new IAMClient(cfg);
  const strip = (o: unknown) => JSON.parse(JSON.stringify(o, (key, v) => (key === '$metadata' ? undefined : v)));
  const Bucket = k.s3.Bucket as string;
  const obj = await s3.send(new GetObjectCommand({ Bucket, Key: k.s3.Key as string }));
  const view = {
    object: createHash('sha256').update(await obj.Body!.transformToByteArray()).digest('hex'),
    versions: strip(await s3.send(new ListObjectVersionsCommand({ Bucket }))),
    versioning: strip(await s3.send(new GetBucketVersioningCommand({ Bucket }))),
    tagging: strip(await s3.send(new GetBucketTaggingCommand({ Bucket }))),
    uploads: strip(await s3.send(new ListMultipartUploadsCommand({ Bucket }))),
    table: strip((await db.send(new DescribeTableCommand({ TableName: k.dynamodb.TableName as string }))).Table),
    items: strip((await db.send(new ScanCommand({ TableName: k.dynamodb.TableName as string }))).Items),
    instances: strip(await ec2.send(new DescribeInstancesCommand({}))),
    volumes: strip(await ec2.send(new DescribeVolumesCommand({}))),
    snapshots: strip(await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))),
    images: strip(await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))),
    groups: strip(await ec2.send(new DescribeSecurityGroupsCommand({}))),
    keys: strip(await ec2.send(new DescribeKeyPairsCommand({}))),
    addresses: strip(await ec2.send(new DescribeAddressesCommand({}))),
    routeTables: strip(await ec2.send(new DescribeRouteTablesCommand({}))),
    igws: strip(await ec2.send(new DescribeInternetGatewaysCommand({}))),
    alarms: strip(await cw.send(new DescribeAlarmsCommand({}))),
    dashboard: strip(await cw.send(new GetDashboardCommand({ DashboardName: k.monitoring.DashboardName as string }))),
    metrics: strip(await cw.send(new ListMetricsCommand({}))),
    groupsL: strip(await logs.send(new DescribeLogGroupsCommand({}))),
    events: strip((await logs.send(new GetLogEventsCommand({ logGroupName: k.logs.logGroupName as string, logStreamName: 'stream-a', startFromHead: true }))).events),
    filters: strip(await logs.send(new DescribeMetricFiltersCommand({}))),
    users: strip(await iam.send(new ListUsersCommand({}))),
    accessKeys: strip(await iam.send(new ListAccessKeysCommand({ UserName: k.iam.UserName as string }))),
    roles: strip(await iam.send(new ListRolesCommand({}))),
  };
  for (const c of [s3, db, ec2, cw, logs, iam]) c.destroy();
  return view;
}
