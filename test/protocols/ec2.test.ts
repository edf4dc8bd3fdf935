// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import {
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AwsError } from '../../src/errors.js';
import { loadModel } from '../../src/protocols/model.js';
import { ec2Codec } from '../../src/protocols/query.js';
import type { ResponseContext } from '../../src/protocols/types.js';
import { capture, sdkRead, toWire } from './sdk.js';

const ec2 = loadModel('ec2-2016-11-15');
const rc: ResponseContext = { requestId: 'ec2-req-1', service: 'ec2', region: 'us-east-1' };

t.test('EC2 requests: queryName / capitalized locationName, flattened lists', async (t) => {
  let req = await capture(
    EC2Client,
    new DescribeInstancesCommand({
      InstanceIds: ['i-1', 'i-2'],
      Filters: [{ Name: 'instance-state-name', Values: ['running', 'stopped'] }, { Name: 'tag:Name', Values: ['web'] }],
      MaxResults: 10,
      DryRun: false,
    }),
  );
  let p = await ec2Codec.parse(req, ec2);
  t.equal(p.operation, 'DescribeInstances');
  t.same(p.input, {
    Filters: [{ Name: 'instance-state-name', Values: ['running', 'stopped'] }, { Name: 'tag:Name', Values: ['web'] }],
    InstanceIds: ['i-1', 'i-2'],
    DryRun: false,
    MaxResults: 10,
  });

  req = await capture(
    EC2Client,
    new RunInstancesCommand({
      ImageId: 'ami-1',
      MinCount: 1,
      MaxCount: 2,
      InstanceType: 't3.micro',
      SecurityGroupIds: ['sg-1'],
      UserData: 'IyEvYmluL3NoCg==',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8, VolumeType: 'gp3', DeleteOnTermination: true } }],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }],
      ClientToken: 'tok',
    }),
  );
  p = await ec2Codec.parse(req, ec2);
  t.equal(p.operation, 'RunInstances');
  t.same(p.input, {
    BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, VolumeSize: 8, VolumeType: 'gp3' } }],
    ImageId: 'ami-1',
    InstanceType: 't3.micro',
    MaxCount: 2,
    MinCount: 1,
    SecurityGroupIds: ['sg-1'],
    UserData: 'IyEvYmluL3NoCg==',
    ClientToken: 'tok',
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }],
  });
});

t.test('EC2 bad requests', async (t) => {
  const form = (body: string) => toWire({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
  await t.rejects(ec2Codec.parse(form('Action=Frobnicate&Version=2016-11-15'), ec2), {
    code: 'InvalidAction',
    message: 'The action Frobnicate is not valid for this web service.',
  });
  await t.rejects(ec2Codec.parse(form('Action=TerminateInstances&Version=2016-11-15'), ec2), {
    code: 'MissingParameter',
    message: 'The request must contain the parameter InstanceId',
  });
  await t.rejects(ec2Codec.parse(form('Action=DescribeInstances&Version=2016-11-15&MaxResults=ten'), ec2), { code: 'InvalidParameterValue' });
});

t.test('EC2 outputs read back by the SDK', async (t) => {
  const launch = new Date('2026-02-03T04:05:06Z');
  let res = ec2Codec.serialize(
    ec2,
    'DescribeInstances',
    {
      Reservations: [
        {
          ReservationId: 'r-1',
          OwnerId: '123456789012',
          Groups: [],
          Instances: [
            {
              InstanceId: 'i-1',
              ImageId: 'ami-1',
              State: { Code: 16, Name: 'running' },
              InstanceType: 't3.micro',
              LaunchTime: launch,
              Tags: [{ Key: 'Name', Value: 'web & db' }],
              BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeId: 'vol-1', Status: 'attached', DeleteOnTermination: true } }],
              EbsOptimized: false,
            },
          ],
        },
      ],
    },
    rc,
  );
  const xml = String(res.body);
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>ec2-req-1<\/requestId><reservationSet><item><groupSet\/><instancesSet><item><imageId>ami-1<\/imageId>/, 'members in model order');
  t.match(xml, /<instanceState><code>16<\/code><name>running<\/name><\/instanceState>/);
  const r = await sdkRead(EC2Client, new DescribeInstancesCommand({}), res);
  t.notOk(r.error);
  const inst = (r.output!.Reservations as Array<{ Instances: Array<Record<string, unknown>>; Groups: unknown[] }>)[0]!;
  t.same(inst.Groups, []);
  t.equal(inst.Instances[0]!.InstanceId, 'i-1');
  t.same(inst.Instances[0]!.State, { Code: 16, Name: 'running' });
  t.same(inst.Instances[0]!.LaunchTime, launch);
  t.same(inst.Instances[0]!.Tags, [{ Key: 'Name', Value: 'web & db' }]);
  t.same(inst.Instances[0]!.BlockDeviceMappings, [{ DeviceName: '/dev/sda1', Ebs: { VolumeId: 'vol-1', Status: 'attached', DeleteOnTermination: true } }]);
  t.equal(inst.Instances[0]!.EbsOptimized, false);
  t.equal((r.output!.$metadata as { requestId: string }).requestId, 'ec2-req-1');

  res = ec2Codec.serialize(ec2, 'CreateVolume', { VolumeId: 'vol-9', Size: 8, AvailabilityZone: 'us-east-1a', State: 'creating', CreateTime: launch, Encrypted: false, VolumeType: 'gp3', Iops: 3000 }, rc);
  const v = await sdkRead(EC2Client, new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 8 }), res);
  t.same(
    { VolumeId: v.output!.VolumeId, Size: v.output!.Size, State: v.output!.State, CreateTime: v.output!.CreateTime, Iops: v.output!.Iops, Encrypted: v.output!.Encrypted },
    { VolumeId: 'vol-9', Size: 8, State: 'creating', CreateTime: launch, Iops: 3000, Encrypted: false },
  );

  res = ec2Codec.serialize(ec2, 'DescribeVolumes', { Volumes: [] }, rc);
  t.match(String(res.body), /<volumeSet\/>/);
  const d = await sdkRead(EC2Client, new DescribeVolumesCommand({}), res);
  t.same(d.output!.Volumes, []);
});

t.test('EC2 errors read back by the SDK', async (t) => {
  const res = ec2Codec.serializeError(ec2, new AwsError('InvalidInstanceID.NotFound', "The instance ID 'i-9' does not exist"), rc);
  t.equal(res.status, 400);
  t.equal(
    String(res.body),
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-9' does not exist</Message></Error></Errors><RequestID>ec2-req-1</RequestID></Response>`,
  );
  const r = await sdkRead(EC2Client, new TerminateInstancesCommand({ InstanceIds: ['i-9'] }), res);
  t.equal(r.error!.name, 'InvalidInstanceID.NotFound');
  t.equal(r.error!.message, "The instance ID 'i-9' does not exist");
  t.equal((r.error!.$metadata as { requestId: string }).requestId, 'ec2-req-1');
});
