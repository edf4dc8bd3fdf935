// SPDX-License-Identifier: AGPL-3.0-or-later
/** The NoCloud seed and instance-metadata endpoints: answers only the instance owning the source address. */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { Ec2Store } from '../../apis/ec2/core/store.js';
import type { InstanceRec } from '../../apis/ec2/records.js';
import { MemoryStateStore } from '../../src/state/memory.js';
import { ApiView } from '../../translators/proxmox/ec2/api-view.js';
import type { PveCtx } from '../../translators/proxmox/ec2/context.js';
import { CONSOLE_TABLE, GuestEndpoints, nocloudMetaData } from '../../translators/proxmox/ec2/guest-http.js';
import { PveMap, type InstanceMap } from '../../translators/proxmox/ec2/map.js';

const state = new MemoryStateStore();
const map = new PveMap(state);
const acct = '123456789012';
const inst: InstanceMap = {
  accountId: acct, instanceId: 'i-0123456789abcdef0', vmid: 100001, node: 'pve1', zone: 'us-east-1a', privateIp: '127.0.0.1', macAddress: '02:00:00:00:00:01',
  subnetId: 'subnet-0123456789abcdef0', imageId: 'ami-0123456789abcdef0', instanceType: 't3.micro', rootVolumeId: 'vol-0123456789abcdef0',
  userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@host',
};
await map.putInstance(inst);
const rec = {
  id: inst.instanceId, reservationId: 'r-0123456789abcdef0', ownerId: acct, ImageId: inst.imageId, InstanceType: 't3.micro', KeyName: 'k1', LaunchTime: Date.UTC(2026, 0, 1), AmiLaunchIndex: 0,
  state: 'running', stateSince: 0, StateTransitionReason: '', SubnetId: inst.subnetId, VpcId: 'vpc-0123456789abcdef0', AvailabilityZone: 'us-east-1a', PrivateIpAddress: '127.0.0.1',
  groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'default' }], Architecture: 'x86_64', MetadataOptions: { HttpTokens: 'optional', HttpEndpoint: 'enabled' }, blockDevices: [],
} as unknown as InstanceRec;
await new Ec2Store(state).put(acct, 'instance', inst.instanceId, rec);
const ctx = { map, gw: { state, config: { region: 'us-east-1' } }, cfg: { guestUrl: 'http://10.0.0.1:4566' } } as unknown as PveCtx;
const eps = new GuestEndpoints(ctx, new ApiView(state)).endpoints();

const server = createServer(async (req, res) => {
  const ep = eps.find((e) => (req.url ?? '').startsWith(e.prefix));
  if (!ep || !(await ep.handle(req, res))) {
    res.writeHead(599);
    res.end('fell through');
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
t.teardown(() => server.close());
const port = (server.address() as AddressInfo).port;

function call(path: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

t.test('NoCloud seed', async (t) => {
  const md = await call(`/_mcgw/nocloud/${inst.instanceId}/meta-data`);
  t.equal(md.status, 200);
  t.equal(md.body, nocloudMetaData(inst));
  t.match(md.body, /^instance-id: i-0123456789abcdef0\nlocal-hostname: ip-127-0-0-1\npublic-keys:\n  - "ssh-ed25519 AAAAC3Nza me@host"\n$/);
  t.equal((await call(`/_mcgw/nocloud/${inst.instanceId}/user-data`)).body, '#!/bin/sh\necho hi\n');
  t.match((await call(`/_mcgw/nocloud/${inst.instanceId}/vendor-data`)).body, /^#cloud-config\n[\s\S]*http:\/\/10\.0\.0\.1:4566\/_mcgw\/nocloud\/i-0123456789abcdef0\/console/);
  t.equal((await call('/_mcgw/nocloud/i-0fedcba9876543210/meta-data')).status, 404, "another instance's seed is not served to this address");
  const post = await call(`/_mcgw/nocloud/${inst.instanceId}/console`, 'POST', { 'Content-Type': 'text/plain' }, 'Cloud-init v. 24.1 finished\n');
  t.equal(post.status, 204);
  t.equal(await state.table<string>(CONSOLE_TABLE).get(`${acct}/${inst.instanceId}`), 'Cloud-init v. 24.1 finished\n');
});

t.test('instance metadata with IMDSv1 and v2', async (t) => {
  t.equal((await call('/latest/meta-data/instance-id')).body, inst.instanceId);
  t.equal((await call('/latest/meta-data/local-ipv4')).body, '127.0.0.1');
  t.equal((await call('/latest/meta-data/placement/availability-zone')).body, 'us-east-1a');
  t.equal((await call('/latest/meta-data/public-keys/0/openssh-key')).body, 'ssh-ed25519 AAAAC3Nza me@host\n');
  t.match((await call('/latest/meta-data/')).body, /^ami-id\nami-launch-index\nhostname\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nplacement\/\npublic-keys\/\nreservation-id\nsecurity-groups$/);
  t.equal((await call('/latest/meta-data/placement/')).body, 'availability-zone\nregion');
  t.equal((await call('/latest/user-data')).body, '#!/bin/sh\necho hi\n');
  t.equal((await call('/latest/meta-data/nothing')).status, 404);
  t.same(JSON.parse((await call('/latest/dynamic/instance-identity/document')).body).instanceId, inst.instanceId);
  t.equal((await call('/latest/api/token', 'PUT')).status, 400, 'a token needs its TTL header');
  t.equal((await call('/latest/api/token', 'PUT', { 'X-aws-ec2-metadata-token-ttl-seconds': '21601' })).status, 400);
  const tok = await call('/latest/api/token', 'PUT', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' });
  t.equal(tok.status, 200);
  t.equal(tok.headers['x-aws-ec2-metadata-token-ttl-seconds'], '60');
  t.equal((await call('/latest/meta-data/instance-id', 'GET', { 'X-aws-ec2-metadata-token': tok.body })).body, inst.instanceId);
  t.equal((await call('/latest/meta-data/instance-id', 'GET', { 'X-aws-ec2-metadata-token': 'forged' })).status, 401);
  await new Ec2Store(state).update<InstanceRec>(acct, 'instance', inst.instanceId, (r) => ({ ...r!, MetadataOptions: { ...r!.MetadataOptions, HttpTokens: 'required' } }));
  t.equal((await call('/latest/meta-data/instance-id')).status, 401, 'HttpTokens=required refuses IMDSv1');
});

t.test('an address owning no instance falls through (a bucket may be called latest)', async (t) => {
  await map.dropInstance(inst);
  const r = await call('/latest/meta-data/instance-id');
  t.equal(r.status, 599);
  t.equal(r.body, 'fell through');
  t.equal((await call(`/_mcgw/nocloud/${inst.instanceId}/meta-data`)).status, 404);
});
