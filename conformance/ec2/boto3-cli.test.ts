// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * boto3 (with its own waiters: instance_running, instance_stopped, volume_available,
 * snapshot_completed, instance_terminated) and aws-cli v2 against the real server.
 */
import t from 'tap';
import { AWS_CLI_V2, run, startTestGateway } from '../harness.js';
import { ec2Backend } from './backend.js';

const FAST = { boot: 300, stop: 300, terminate: 300, reboot: 100, volume: 100, attach: 100, detach: 100, snapshot: 200, modify: 100 };

const SCRIPT = String.raw`
import boto3, json, botocore, os
ec2 = boto3.client('ec2')
out = {}
fast = {'Delay': 1, 'MaxAttempts': 30}
ami = ec2.describe_images(Owners=['amazon'], Filters=[{'Name': 'name', 'Values': ['debian-12-amd64-*']}])['Images'][0]['ImageId']
r = ec2.run_instances(ImageId=ami, InstanceType='t3.micro', MinCount=1, MaxCount=1,
    TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'boto'}]}])
iid = r['Instances'][0]['InstanceId']
az = r['Instances'][0]['Placement']['AvailabilityZone']
ec2.get_waiter('instance_running').wait(InstanceIds=[iid], WaiterConfig=fast)
out['running'] = ec2.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]['State']['Name']
ec2.stop_instances(InstanceIds=[iid])
ec2.get_waiter('instance_stopped').wait(InstanceIds=[iid], WaiterConfig=fast)
out['stopped'] = True
v = ec2.create_volume(AvailabilityZone=az, Size=1, VolumeType='gp3')
ec2.get_waiter('volume_available').wait(VolumeIds=[v['VolumeId']], WaiterConfig=fast)
if os.environ.get('SNAPSHOTS') == '1':
    s = ec2.create_snapshot(VolumeId=v['VolumeId'], Description='boto')
    ec2.get_waiter('snapshot_completed').wait(SnapshotIds=[s['SnapshotId']], WaiterConfig=fast)
    out['snapshot'] = ec2.describe_snapshots(SnapshotIds=[s['SnapshotId']])['Snapshots'][0]['State']
else:
    out['snapshot'] = 'not supported'
try:
    ec2.describe_volumes(VolumeIds=['vol-0123456789abcdef0'])
except botocore.exceptions.ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
try:
    ec2.terminate_instances(InstanceIds=[iid], DryRun=True)
except botocore.exceptions.ClientError as e:
    out['dry'] = e.response['Error']['Code']
pages = ec2.get_paginator('describe_instances').paginate(Filters=[{'Name': 'tag:Name', 'Values': ['boto']}])
out['paged'] = sum(len(r['Instances']) for p in pages for r in p['Reservations'])
kp = ec2.create_key_pair(KeyName='boto', KeyType='ed25519')
out['key'] = kp['KeyFingerprint'] == ec2.describe_key_pairs(KeyNames=['boto'])['KeyPairs'][0]['KeyFingerprint']
ec2.terminate_instances(InstanceIds=[iid])
ec2.get_waiter('instance_terminated').wait(InstanceIds=[iid], WaiterConfig=fast)
out['terminated'] = True
print(json.dumps(out))
`;

t.test('boto3 with its waiters', async (t) => {
  const be = await ec2Backend(t, FAST);
  const gw = await startTestGateway(t, { config: be.config });
  const r = await run('python3', ['-c', SCRIPT], { env: { ...gw.env(), SNAPSHOTS: be.caps.volumeSnapshots ? '1' : '0' } });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout || '{}');
  if (!be.caps.volumeSnapshots) t.comment(`skipped: the snapshot waiter (${be.caps.why})`);
  t.same(out, {
    running: 'running',
    stopped: true,
    snapshot: be.caps.volumeSnapshots ? 'completed' : 'not supported',
    error: ['InvalidVolume.NotFound', "The volume 'vol-0123456789abcdef0' does not exist.", 400],
    dry: 'DryRunOperation',
    paged: 1,
    key: true,
    terminated: true,
  });
});

t.test('aws-cli v2', { skip: AWS_CLI_V2 ? false : 'aws-cli v2 (/usr/bin/aws) is not installed' }, async (t) => {
  const gw = await startTestGateway(t, { config: (await ec2Backend(t, FAST)).config });
  const aws = (...args: string[]) => run(AWS_CLI_V2!, [...args, '--endpoint-url', gw.url, '--output', 'json'], { env: gw.env() });
  const zones = await aws('ec2', 'describe-availability-zones');
  t.equal(zones.code, 0, zones.stderr);
  t.equal(JSON.parse(zones.stdout).AvailabilityZones.length, 3);
  const sg = await aws('ec2', 'create-security-group', '--group-name', 'cli', '--description', 'from the cli');
  t.equal(sg.code, 0, sg.stderr);
  const groupId = JSON.parse(sg.stdout).GroupId;
  const auth = await aws('ec2', 'authorize-security-group-ingress', '--group-id', groupId, '--protocol', 'tcp', '--port', '22', '--cidr', '10.0.0.0/8');
  t.equal(auth.code, 0, auth.stderr);
  t.equal(JSON.parse(auth.stdout).SecurityGroupRules[0].FromPort, 22);
  const missing = await aws('ec2', 'describe-instances', '--instance-ids', 'i-0123456789abcdef0');
  t.equal(missing.code, 254);
  t.match(missing.stderr, /InvalidInstanceID\.NotFound/);
  const dry = await aws('ec2', 'delete-security-group', '--group-id', groupId, '--dry-run');
  t.match(dry.stderr, /DryRunOperation/);
  const del = await aws('ec2', 'delete-security-group', '--group-id', groupId);
  t.equal(del.code, 0, del.stderr);

  const kp = await aws('ec2', 'create-key-pair', '--key-name', 'cli-key', '--key-type', 'ed25519', '--tag-specifications', 'ResourceType=key-pair,Tags=[{Key=team,Value=cli}]');
  t.equal(kp.code, 0, kp.stderr);
  t.match(JSON.parse(kp.stdout).KeyMaterial, /OPENSSH PRIVATE KEY/);
  const vol = await aws('ec2', 'create-volume', '--availability-zone', `${gw.region}b`, '--size', '1', '--volume-type', 'gp3', '--tag-specifications', 'ResourceType=volume,Tags=[{Key=team,Value=cli}]');
  t.equal(vol.code, 0, vol.stderr);
  const volumeId = JSON.parse(vol.stdout).VolumeId;
  const byTag = await aws('ec2', 'describe-volumes', '--filters', 'Name=tag:team,Values=cli', 'Name=size,Values=1');
  t.same(JSON.parse(byTag.stdout).Volumes.map((v: { VolumeId: string }) => v.VolumeId), [volumeId]);
  const tags = await aws('ec2', 'describe-tags', '--filters', 'Name=key,Values=team');
  t.same(JSON.parse(tags.stdout).Tags.map((x: { ResourceType: string }) => x.ResourceType).sort(), ['key-pair', 'volume']);
  const types = await aws('ec2', 'describe-instance-types', '--instance-types', 'm5.large', '--query', 'InstanceTypes[0].VCpuInfo.DefaultVCpus');
  t.equal(types.stdout.trim(), '2');
});
