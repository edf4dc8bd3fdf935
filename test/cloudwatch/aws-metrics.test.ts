// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The AWS/* metrics the gateway publishes about what it serves, read back through CloudWatch's
 * own GetMetricStatistics: AWS/DynamoDB consumed capacity per minute, AWS/S3 daily storage,
 * AWS/EC2 status checks of running instances.
 */
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { createService as cloudwatch } from '../../apis/cloudwatch/index.js';
import { createService as dynamodb } from '../../apis/dynamodb/index.js';
import { capacityMeter } from '../../apis/dynamodb/capacity-metrics.js';
import { buildEc2Service } from '../../apis/ec2/index.js';
import { publishStatusChecks } from '../../apis/ec2/status-metrics.js';
import { createService as s3, type S3ServiceDefinition } from '../../apis/s3/index.js';
import { createEc2Backend } from '../../translators/embedded/ec2/index.js';
import type { Principal, ServiceDefinition } from '../../src/context.js';
import { TestClock, testGateway } from '../helpers/context.js';

const DAY = 86_400_000;

async function fixture(tt: Test) {
  const clock = new TestClock(Date.UTC(2026, 10, 24, 10, 0, 30));
  const gw = await testGateway({ clock });
  tt.teardown(() => gw.dispose());
  const cw = await gw.add(cloudwatch);
  const alice = await gw.account('alice');
  const bob = await gw.account('bob');
  const call = (def: ServiceDefinition, op: string, input: Record<string, unknown>, who: Principal = alice) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    def.operations[op]!(gw.context(who, def.name, op), input) as Promise<any>;
  const stats = (ns: string, name: string, dims: Array<{ Name: string; Value: string }>, start: number, end: number, period: number, who: Principal = alice) =>
    call(cw, 'GetMetricStatistics', {
      Namespace: ns,
      MetricName: name,
      Dimensions: dims,
      StartTime: new Date(start),
      EndTime: new Date(end),
      Period: period,
      Statistics: ['Sum', 'SampleCount', 'Maximum', 'Minimum'],
    }, who);
  return { gw, clock, cw, alice, bob, call, stats };
}

t.test('AWS/DynamoDB consumed capacity: one datapoint per table and minute', async (t) => {
  const f = await fixture(t);
  const ddb = await f.gw.add(dynamodb);
  await f.call(ddb, 'CreateTable', {
    TableName: 'orders',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const big = 'x'.repeat(2500); // 2.5 KB: 3 write units, 1 read unit (eventually consistent: 0.5)
  await f.call(ddb, 'PutItem', { TableName: 'orders', Item: { id: { S: 'a' } } });
  await f.call(ddb, 'PutItem', { TableName: 'orders', Item: { id: { S: 'b' }, blob: { S: big } } });
  await f.call(ddb, 'GetItem', { TableName: 'orders', Key: { id: { S: 'b' } }, ConsistentRead: true });
  await f.call(ddb, 'GetItem', { TableName: 'orders', Key: { id: { S: 'b' } } });
  const minute = Math.floor(f.clock.now() / 60_000) * 60_000;

  t.equal(await capacityMeter(f.gw).flush(), 0, 'the current minute is not published while it lasts');
  f.clock.advance(60_000);
  t.equal(await capacityMeter(f.gw).flush(), 2, 'one read and one write datapoint');

  const dims = [{ Name: 'TableName', Value: 'orders' }];
  const w = await f.stats('AWS/DynamoDB', 'ConsumedWriteCapacityUnits', dims, minute, minute + 60_000, 60);
  t.same(w.Datapoints.map((d: Record<string, unknown>) => [d.SampleCount, d.Sum, d.Minimum, d.Maximum, d.Unit]), [[2, 4, 1, 3, 'Count']]);
  const r = await f.stats('AWS/DynamoDB', 'ConsumedReadCapacityUnits', dims, minute, minute + 60_000, 60);
  t.same(r.Datapoints.map((d: Record<string, unknown>) => [d.SampleCount, d.Sum, d.Minimum, d.Maximum]), [[2, 1.5, 0.5, 1]]);
  const other = await f.stats('AWS/DynamoDB', 'ConsumedWriteCapacityUnits', dims, minute, minute + 60_000, 60, f.bob);
  t.same(other.Datapoints, [], 'another account sees none of it');
});

t.test('AWS/S3 storage metrics: daily, per storage type, all versions', async (t) => {
  const f = await fixture(t);
  const def = (await f.gw.add(s3)) as S3ServiceDefinition;
  const put = (bucket: string, key: string, body: string, extra: Record<string, unknown> = {}) =>
    f.call(def, 'PutObject', { Bucket: bucket, Key: key, Body: Readable.from([Buffer.from(body)]), ContentLength: body.length, ...extra });
  await f.call(def, 'CreateBucket', { Bucket: 'photos' });
  await f.call(def, 'PutBucketVersioning', { Bucket: 'photos', VersioningConfiguration: { Status: 'Enabled' } });
  await put('photos', 'a.jpg', '12345');
  await put('photos', 'a.jpg', '1234567890'); // a second version
  await put('photos', 'cold.bin', 'abc', { StorageClass: 'STANDARD_IA' });
  await f.call(def, 'DeleteObject', { Bucket: 'photos', Key: 'cold.bin' }); // a delete marker
  await f.call(def, 'CreateBucket', { Bucket: 'empty-one' });

  const day = Math.floor(f.clock.now() / DAY) * DAY;
  t.equal(await def.publishStorageMetrics(), 3, 'two storage types and the object count of the one bucket with data');
  t.equal(await def.publishStorageMetrics(), 0, 'a day is reported once');

  const size = (type: string) => f.stats('AWS/S3', 'BucketSizeBytes', [{ Name: 'BucketName', Value: 'photos' }, { Name: 'StorageType', Value: type }], day, day + DAY, 86400);
  t.same((await size('StandardStorage')).Datapoints.map((d: Record<string, unknown>) => [d.Maximum, d.Unit]), [[15, 'Bytes']]);
  t.same((await size('StandardIAStorage')).Datapoints.map((d: Record<string, unknown>) => d.Maximum), [3]);
  const count = await f.stats('AWS/S3', 'NumberOfObjects', [{ Name: 'BucketName', Value: 'photos' }, { Name: 'StorageType', Value: 'AllStorageTypes' }], day, day + DAY, 86400);
  t.same(count.Datapoints.map((d: Record<string, unknown>) => [d.Maximum, d.Unit]), [[4, 'Count']], 'three versions and one delete marker');
  const empty = await f.stats('AWS/S3', 'NumberOfObjects', [{ Name: 'BucketName', Value: 'empty-one' }, { Name: 'StorageType', Value: 'AllStorageTypes' }], day, day + DAY, 86400);
  t.same(empty.Datapoints, [], 'an empty bucket reports nothing');

  f.clock.advance(DAY);
  t.equal(await def.publishStorageMetrics(), 3, 'the next day is reported again');
});

t.test('AWS/EC2 status checks of running instances, AWS/EBS of their volumes', async (t) => {
  const f = await fixture(t);
  const { def, env } = buildEc2Service(f.gw, createEc2Backend);
  const call = (op: string, input: Record<string, unknown>, who: Principal = f.alice) => def.operations[op]!(f.gw.context(who, 'ec2', op), input);
  const images = await call('DescribeImages', { Filters: [{ Name: 'name', Values: ['debian-12-amd64-20250601'] }] });
  const run = await call('RunInstances', { ImageId: images.Images[0].ImageId, InstanceType: 't3.micro', MinCount: 2, MaxCount: 2 });
  const ids: string[] = run.Instances.map((i: { InstanceId: string }) => i.InstanceId);
  t.equal(await publishStatusChecks(env), 0, 'pending instances are not checked');
  f.clock.advance(5_000);
  await call('DescribeInstances', {});
  const minute = Math.floor(f.clock.now() / 60_000) * 60_000;
  t.equal(await publishStatusChecks(env), 8, 'three checks for each of two running instances, one for each root volume');
  for (const id of ids) {
    const s = await f.stats('AWS/EC2', 'StatusCheckFailed', [{ Name: 'InstanceId', Value: id }], minute, minute + 60_000, 60);
    t.same(s.Datapoints.map((d: Record<string, unknown>) => [d.Maximum, d.Unit]), [[0, 'Count']], `${id} passes`);
  }
  const vols = await call('DescribeVolumes', { Filters: [{ Name: 'attachment.instance-id', Values: [ids[0]] }] });
  const v = await f.stats('AWS/EBS', 'VolumeStalledIOCheck', [{ Name: 'VolumeId', Value: vols.Volumes[0].VolumeId }], minute, minute + 60_000, 60);
  t.same(v.Datapoints.map((d: Record<string, unknown>) => [d.Maximum, d.Unit]), [[0, 'Count']], 'the root volume of a running instance passes');
  await call('StopInstances', { InstanceIds: [ids[0]] });
  f.clock.advance(60_000);
  await call('DescribeInstances', {});
  t.equal(await publishStatusChecks(env), 4, 'a stopped instance and its volume are not checked');
});

