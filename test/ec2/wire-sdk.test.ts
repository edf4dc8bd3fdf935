// SPDX-License-Identifier: AGPL-3.0-or-later
/** The SDK v3 client against the EC2 codec + handlers in process (see wire.ts): shapes and errors as the SDK parses them. */
import t from 'tap';
import {
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2';
import { ec2Fixture, imageId } from './helpers.js';
import { wireClient } from './wire.js';

const wait = { maxWaitTime: 5, minDelay: 1, maxDelay: 1 };

t.test('RunInstances → waiter → DescribeInstances → Terminate through the SDK', async (t) => {
  const f = await ec2Fixture(t);
  const ec2 = wireClient(f);
  const ami = await imageId(f);
  const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'a' }] }] }));
  const id = run.Instances![0].InstanceId!;
  t.equal(run.Instances![0].State?.Name, 'pending');
  t.ok(run.Instances![0].LaunchTime instanceof Date);
  t.same(run.Instances![0].Tags, [{ Key: 'Name', Value: 'a' }]);
  f.advance(1000);
  await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [id] });
  const d = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }));
  const i = d.Reservations![0].Instances![0];
  t.equal(i.InstanceId, id);
  t.equal(i.NetworkInterfaces?.[0].Attachment?.Status, 'attached');
  t.equal(i.BlockDeviceMappings?.[0].DeviceName, '/dev/xvda');
  t.equal(i.SecurityGroups?.[0].GroupName, 'default');
  const err = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000000'] })).catch((e) => e);
  t.equal(err.name, 'InvalidInstanceID.NotFound');
  t.equal(err.message, "The instance ID 'i-00000000000000000' does not exist");
  const dry = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id], DryRun: true })).catch((e) => e);
  t.equal(dry.name, 'DryRunOperation');
  t.equal(dry.$metadata.httpStatusCode, 412);
  const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  t.same(term.TerminatingInstances?.[0].CurrentState, { Code: 32, Name: 'shutting-down' });
  f.advance(1000);
  await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: [id] });
  const sg = await ec2.send(new DescribeSecurityGroupsCommand({}));
  t.same(sg.SecurityGroups?.[0].IpPermissionsEgress?.[0].IpRanges, [{ CidrIp: '0.0.0.0/0' }]);
  t.equal(sg.SecurityGroups?.[0].IpPermissions?.[0].UserIdGroupPairs?.[0].GroupId, sg.SecurityGroups?.[0].GroupId);
});
