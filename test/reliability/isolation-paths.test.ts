// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The indirect ways into another tenant the isolation matrix cannot express as one call:
 * presigned URLs signed by another account, copy sources, snapshot/AMI sharing with a third
 * account, alarms and metric queries naming another account's metrics or alarms, and keys
 * that are deleted or deactivated while in use (refused on the very next request).
 */
import t from 'tap';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, CopyObjectCommand, UploadPartCopyCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { EC2Client, DescribeImagesCommand, RunInstancesCommand, DescribeInstancesCommand, CreateVolumeCommand, DescribeVolumesCommand, CreateSnapshotCommand, DescribeSnapshotsCommand, ModifySnapshotAttributeCommand, CreateImageCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { CloudWatchClient, PutMetricDataCommand, PutMetricAlarmCommand, GetMetricDataCommand, GetMetricStatisticsCommand, SetAlarmStateCommand, PutCompositeAlarmCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, DeleteAccessKeyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startTestGateway } from '../../conformance/harness.js';
import { outcome } from './sdk.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('indirect paths into another tenant', async (t) => {
  const gw = await startTestGateway(t, { config: { ec2: { backend: 'embedded', lifecycleMs: { boot: 50, volume: 50, snapshot: 50 } } } as never });
  const A = gw.clientConfig;
  const B = (await gw.newAccount('b')).clientConfig;
  const cAcct = await gw.newAccount('c');
  const C = cAcct.clientConfig;
  const opt = { maxAttempts: 1 };

  await t.test('S3: presigned URLs signed by B, copy sources', async (t) => {
    const s3a = new S3Client(A);
    const s3b = new S3Client({ ...B, ...opt });
    await s3a.send(new CreateBucketCommand({ Bucket: 'paths-a' }));
    await s3a.send(new PutObjectCommand({ Bucket: 'paths-a', Key: 'k', Body: 'A-secret-body' }));
    await s3b.send(new CreateBucketCommand({ Bucket: 'paths-b' }));
    const own = await fetch(await getSignedUrl(s3a, new GetObjectCommand({ Bucket: 'paths-a', Key: 'k' }), { expiresIn: 300 }));
    t.equal(await own.text(), 'A-secret-body', "A's own presigned URL works");
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const cmd = method === 'GET' ? new GetObjectCommand({ Bucket: 'paths-a', Key: 'k' }) : method === 'PUT' ? new PutObjectCommand({ Bucket: 'paths-a', Key: 'k' }) : new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({ Bucket: 'paths-a', Key: 'k' });
      const url = await getSignedUrl(s3b, cmd, { expiresIn: 300 });
      const r = await fetch(url, { method, body: method === 'PUT' ? 'B-overwrite' : undefined });
      const body = await r.text();
      t.equal(r.status, 403, `${method} presigned by B on A's object: 403`);
      t.match(body, /<Code>AccessDenied<\/Code>/);
      t.notMatch(body, /A-secret-body/);
    }
    const copy = await outcome(s3b.send(new CopyObjectCommand({ Bucket: 'paths-b', Key: 'stolen', CopySource: 'paths-a/k' })));
    t.same([copy.name, copy.status], ['AccessDenied', 403], 'CopyObject from A into B: AccessDenied');
    const up = await s3b.send(new CreateMultipartUploadCommand({ Bucket: 'paths-b', Key: 'stolen' }));
    const part = await outcome(s3b.send(new UploadPartCopyCommand({ Bucket: 'paths-b', Key: 'stolen', UploadId: up.UploadId, PartNumber: 1, CopySource: 'paths-a/k' })));
    t.same([part.name, part.status], ['AccessDenied', 403], 'UploadPartCopy from A into B: AccessDenied');
    const still = await s3a.send(new GetObjectCommand({ Bucket: 'paths-a', Key: 'k' }));
    t.equal(await still.Body!.transformToString(), 'A-secret-body', "A's object unchanged");
  });

  await t.test('EC2: snapshots and AMIs shared with C only', async (t) => {
    const ec2a = new EC2Client(A);
    const ec2b = new EC2Client({ ...B, ...opt });
    const ec2c = new EC2Client({ ...C, ...opt });
    const ami = (await ec2a.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images![0].ImageId!;
    const inst = (await ec2a.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
    const vol = (await ec2a.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, Size: 1 }))).VolumeId!;
    for (let i = 0; i < 50; i++) {
      const v = (await ec2a.send(new DescribeVolumesCommand({ VolumeIds: [vol] }))).Volumes![0].State;
      const s = (await ec2a.send(new DescribeInstancesCommand({ InstanceIds: [inst] }))).Reservations![0].Instances![0].State!.Name;
      if (v === 'available' && s === 'running') break;
      await sleep(100);
    }
    const snap = (await ec2a.send(new CreateSnapshotCommand({ VolumeId: vol }))).SnapshotId!;
    const img = (await ec2a.send(new CreateImageCommand({ InstanceId: inst, Name: 'a-private-image' }))).ImageId!;
    for (let i = 0; i < 50; i++) {
      const s = (await ec2a.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap] }))).Snapshots![0].State;
      const im = (await ec2a.send(new DescribeImagesCommand({ ImageIds: [img] }))).Images![0].State;
      if (s === 'completed' && im === 'available') break;
      await sleep(100);
    }
    await ec2a.send(new ModifySnapshotAttributeCommand({ SnapshotId: snap, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [cAcct.accountId] }));
    await ec2a.send(new ModifyImageAttributeCommand({ ImageId: img, LaunchPermission: { Add: [{ UserId: cAcct.accountId }] } }));
    // C, to whom they are shared, sees and uses them: the refusals below are not for lack of a feature
    t.equal((await ec2c.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap] }))).Snapshots?.length, 1, 'C sees the shared snapshot');
    t.ok((await ec2c.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, SnapshotId: snap }))).VolumeId, 'C restores it');
    t.ok((await ec2c.send(new RunInstancesCommand({ ImageId: img, MinCount: 1, MaxCount: 1 }))).Instances?.[0].InstanceId, 'C launches the shared AMI');
    t.same((await ec2b.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ['self'] }))).Snapshots ?? [], [], 'B lists no snapshot restorable by it');
    t.same((await ec2b.send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }))).Images ?? [], [], 'B lists no image executable by it');
    t.match(await outcome(ec2b.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap] }))), { name: 'InvalidSnapshot.NotFound', status: 400 }, 'B describes the snapshot by id: NotFound');
    t.match(await outcome(ec2b.send(new CreateVolumeCommand({ AvailabilityZone: `${gw.region}a`, SnapshotId: snap }))), { name: 'InvalidSnapshot.NotFound', status: 400 }, 'B restores it: NotFound');
    t.match(await outcome(ec2b.send(new RunInstancesCommand({ ImageId: img, MinCount: 1, MaxCount: 1 }))), { name: 'InvalidAMIID.NotFound', status: 400 }, 'B launches the AMI: NotFound');
    t.match(await outcome(ec2b.send(new ModifyImageAttributeCommand({ ImageId: img, LaunchPermission: { Add: [{ Group: 'all' }] } }))), { status: 400 }, 'B cannot make A\'s AMI public');
    t.match(await outcome(ec2c.send(new ModifySnapshotAttributeCommand({ SnapshotId: snap, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [(await gw.newAccount('d')).accountId] }))), { status: 400 }, 'C, shared with, cannot re-share');
  });

  await t.test('CloudWatch: metric queries and alarms naming A\'s metrics and alarms', async (t) => {
    const cwa = new CloudWatchClient(A);
    const cwb = new CloudWatchClient({ ...B, ...opt });
    const now = new Date();
    await cwa.send(new PutMetricDataCommand({ Namespace: 'PathsA', MetricData: [{ MetricName: 'Load', Value: 99, Timestamp: now }] }));
    const q = { StartTime: new Date(now.getTime() - 600_000), EndTime: new Date(now.getTime() + 60_000) };
    const own = await cwa.send(new GetMetricStatisticsCommand({ Namespace: 'PathsA', MetricName: 'Load', Period: 60, Statistics: ['Maximum'], ...q }));
    t.equal(own.Datapoints?.length, 1, 'A reads its datapoint');
    const stats = await cwb.send(new GetMetricStatisticsCommand({ Namespace: 'PathsA', MetricName: 'Load', Period: 60, Statistics: ['Maximum'], ...q }));
    t.same(stats.Datapoints ?? [], [], 'B reads no datapoint of A\'s metric');
    const data = await cwb.send(new GetMetricDataCommand({ ...q, MetricDataQueries: [
      { Id: 'm', MetricStat: { Metric: { Namespace: 'PathsA', MetricName: 'Load' }, Period: 60, Stat: 'Maximum' } },
      { Id: 's', Expression: `SEARCH('{PathsA} Load', 'Maximum', 60)` },
      { Id: 'i', Expression: `SELECT MAX(Load) FROM PathsA`, Period: 60 },
    ] }));
    for (const r of data.MetricDataResults ?? []) t.same(r.Values ?? [], [], `GetMetricData ${r.Id} as B: no value of A's`);
    await cwa.send(new PutMetricAlarmCommand({ AlarmName: 'a-high', Namespace: 'PathsA', MetricName: 'Load', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    await cwa.send(new SetAlarmStateCommand({ AlarmName: 'a-high', StateValue: 'ALARM', StateReason: 'A says so' }));
    const aArn = `arn:aws:cloudwatch:${gw.region}:${gw.accountId}:alarm:a-high`;
    const comp = await outcome(cwb.send(new PutCompositeAlarmCommand({ AlarmName: 'b-follows-a', AlarmRule: `ALARM("${aArn}")` })));
    if (comp.name === 'success') {
      await sleep(300);
      const b = await cwb.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'] }));
      t.not(b.CompositeAlarms?.[0]?.StateValue, 'ALARM', "B's composite alarm does not follow A's alarm state");
    } else t.ok(comp.status && comp.status < 500, `PutCompositeAlarm on A's alarm ARN refused (${comp.name})`);
    await cwb.send(new PutMetricAlarmCommand({ AlarmName: 'b-on-a', Namespace: 'PathsA', MetricName: 'Load', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    await sleep(300);
    const mine = (await cwb.send(new DescribeAlarmsCommand({ AlarmNames: ['b-on-a'] }))).MetricAlarms?.[0];
    t.not(mine?.StateValue, 'ALARM', "B's alarm on A's metric name sees none of A's data");
  });

  await t.test('a key deleted or deactivated while in use is refused on the next request', async (t) => {
    const iam = new IAMClient(B);
    await iam.send(new CreateUserCommand({ UserName: 'short-lived' }));
    for (const how of ['delete', 'deactivate'] as const) {
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'short-lived' }))).AccessKey!;
      const creds = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
      const db = new DynamoDBClient({ ...B, credentials: creds, ...opt });
      const s3 = new S3Client({ ...B, credentials: creds, ...opt });
      await db.send(new ListTablesCommand({}));
      await s3.send(new (await import('@aws-sdk/client-s3')).ListBucketsCommand({}));
      t.pass(`the key works before (${how})`);
      if (how === 'delete') await iam.send(new DeleteAccessKeyCommand({ UserName: 'short-lived', AccessKeyId: k.AccessKeyId! }));
      else await iam.send(new UpdateAccessKeyCommand({ UserName: 'short-lived', AccessKeyId: k.AccessKeyId!, Status: 'Inactive' }));
      t.match(await outcome(db.send(new ListTablesCommand({}))), { name: 'UnrecognizedClientException', status: 400 }, `DynamoDB refuses the ${how}d key at once`);
      t.match(await outcome(s3.send(new (await import('@aws-sdk/client-s3')).ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 }, `S3 refuses the ${how}d key at once`);
    }
  });
});
