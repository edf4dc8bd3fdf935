// SPDX-License-Identifier: AGPL-3.0-or-later
/** The Proxmox translator's pure parts: error kinds, UPIDs, guest config, firewall rules, config. */
import t from 'tap';
import { classify, fromResponse, toAwsError, PveError } from '../../translators/proxmox/client/errors.js';
import { encodeParams } from '../../translators/proxmox/client/http.js';
import { isUpid, parseUpid } from '../../translators/proxmox/client/tasks.js';
import { parseProxmoxConfig } from '../../translators/proxmox/config.js';
import { groupAlias, ruleParams } from '../../translators/proxmox/ec2/firewall.js';
import { encodeSshKeys, freeScsiSlot, ipConfig, launchConfig, pveTags, sizeOf, smbiosSeed, volidOf, volumeLine } from '../../translators/proxmox/ec2/guest.js';
import { holderVolumeName, volumeSerial } from '../../translators/proxmox/ec2/map.js';
import { firstHost, vnetId, zoneId } from '../../translators/proxmox/ec2/sdn.js';
import { ec2Datapoints } from '../../translators/proxmox/ec2/reconcile.js';

const req = { method: 'POST', path: '/nodes/pve1/qemu/101/clone' };

t.test('PVE failures are classified from status and message', async (t) => {
  t.equal(classify(400, 'Parameter verification failed.'), 'parameter');
  t.equal(classify(401, 'No ticket'), 'auth');
  t.equal(classify(403, 'Permission check failed (/vms/103, VM.PowerMgmt)'), 'permission');
  t.equal(classify(500, "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout"), 'lock-timeout');
  t.equal(classify(500, 'VM is locked (clone)'), 'locked');
  t.equal(classify(500, "Configuration file 'nodes/pve1/qemu-server/102.conf' does not exist"), 'not-found');
  t.equal(classify(500, 'VM 101 already running'), 'running');
  t.equal(classify(501, "Method 'GET /foo' not implemented"), 'not-implemented');
  t.equal(classify(595, 'Connection refused'), 'node-down');
  t.equal(classify(500, 'something else'), 'other');
  const e = fromResponse(400, 'Parameter verification failed.', { data: null, errors: { net0: 'invalid format - unknown key\n' }, message: 'Parameter verification failed.\n' }, req);
  t.equal(e.kind, 'parameter');
  t.same(e.errors, { net0: 'invalid format - unknown key' });
  t.equal(e.message, 'Parameter verification failed.');
  t.notOk(e.retryable);
  t.ok(fromResponse(500, "can't lock file 'x' - got timeout", undefined, req).retryable);
  t.ok(fromResponse(595, 'Errors during connection establishment, proxy handshake: No route to host', undefined, req).retryable);
});

t.test('PVE failures map to EC2 codes', async (t) => {
  const nf = new PveError('not-found', 500, 'does not exist', req);
  t.equal(toAwsError(nf, { kind: 'instance', id: 'i-0123456789abcdef0' }).code, 'InvalidInstanceID.NotFound');
  t.equal(toAwsError(nf, { kind: 'volume', id: 'vol-0123456789abcdef0' }).code, 'InvalidVolume.NotFound');
  t.equal(toAwsError(new PveError('locked', 500, 'VM is locked (clone)', req), { kind: 'instance', id: 'i-1' }).code, 'IncorrectInstanceState');
  t.equal(toAwsError(new PveError('permission', 403, 'Permission check failed', req)).code, 'UnauthorizedOperation');
  const p = toAwsError(new PveError('parameter', 400, 'Parameter verification failed.', req, { memory: 'value must have a minimum value of 16' }));
  t.equal(p.code, 'InvalidParameterValue');
  t.match(p.message, /memory: value must have a minimum value of 16/);
  t.equal(toAwsError(new PveError('node-down', 595, 'x', req)).status, 503);
  const internal = toAwsError(new Error('boom'));
  t.equal(internal.code, 'InternalError');
  t.notMatch(internal.message, /boom/);
});

t.test('UPIDs', async (t) => {
  const u = 'UPID:pve1:000A1B2C:0012D687:65A1B2C3:qmclone:9000:mcgw@pve!ec2:';
  t.ok(isUpid(u));
  t.same(parseUpid(u), { node: 'pve1', pid: 0xa1b2c, pstart: 0x12d687, starttime: 0x65a1b2c3, type: 'qmclone', id: '9000', user: 'mcgw@pve!ec2' });
  t.notOk(isUpid(u.slice(0, -1)), 'the trailing colon is part of a UPID');
  t.notOk(isUpid(null));
  t.equal(parseUpid('UPID:pve1:000206F6:00A6C73A:6B0590DB:imgdel:99999@rbd:root@pam!mcgw:').id, '99999@rbd', "imgdel's id: owner@storage");
  t.throws(() => parseUpid('UPID:pve1:zz'), /not a PVE task id/);
});

t.test('form encoding as pve-http-server reads it', async (t) => {
  t.equal(encodeParams({ a: true, b: false, c: 3, d: ['x', 'y'], e: undefined, f: null, g: 'a b&c' }).toString(), 'a=1&b=0&c=3&d=x&d=y&g=a+b%26c');
});

t.test('guest config of a launch', async (t) => {
  t.equal(ipConfig('10.0.1.23', '10.0.1.0/24'), 'ip=10.0.1.23/24,gw=10.0.1.1');
  t.equal(ipConfig('172.31.16.5', '172.31.16.0/20'), 'ip=172.31.16.5/20,gw=172.31.16.1');
  t.equal(encodeSshKeys(['ssh-ed25519 AAAA+/= me@host']), 'ssh-ed25519%20AAAA%2B%2F%3D%20me%40host');
  t.equal(encodeSshKeys(['a', 'b']), 'a%0Ab');
  const seed = smbiosSeed('http://10.0.0.1:4566/_mcgw/nocloud/i-0123456789abcdef0');
  const serial = /serial=([^,]+),base64=1$/.exec(seed)![1];
  t.equal(Buffer.from(serial, 'base64').toString(), 'ds=nocloud-net;s=http://10.0.0.1:4566/_mcgw/nocloud/i-0123456789abcdef0/');
  t.equal(pveTags(['mcgw', 'acct-123456789012', 'Bad Tag!']), 'mcgw;acct-123456789012;bad_tag_');
  const p = launchConfig({ instanceId: 'i-0123456789abcdef0', accountId: '123456789012', vcpus: 2, memoryMiB: 1024, bridge: 'n1234567', macAddress: '02:aa:bb:cc:dd:ee', privateIp: '10.0.1.5', subnetCidr: '10.0.1.0/24', sshPublicKey: 'ssh-ed25519 AAAA k\n', disableApiTermination: true });
  t.equal(p.net0, 'virtio=02:AA:BB:CC:DD:EE,bridge=n1234567,firewall=1');
  t.equal(p.ciupgrade, 0);
  t.equal(p.cores, 2);
  t.equal(p.memory, 1024);
  t.equal(p.protection, 1);
  t.equal(p.serial0, 'socket');
  t.equal(p.sshkeys, 'ssh-ed25519%20AAAA%20k');
  t.notOk('smbios1' in p, 'no seed without a guest URL');
  t.equal(volumeLine('rbd:vm-99999-vol-0123456789abcdef0', 'vol0123456789abcdef0', { iops: 3000, throughputMiBs: 125 }), 'rbd:vm-99999-vol-0123456789abcdef0,discard=on,ssd=1,serial=vol0123456789abcdef0,iops_rd=3000,iops_wr=3000,mbps_rd=125,mbps_wr=125');
  t.equal(volidOf('rbd:base-9000-disk-0/vm-101-disk-0,size=8G'), 'rbd:base-9000-disk-0/vm-101-disk-0');
  t.equal(volidOf('none,media=cdrom'), undefined);
  t.equal(sizeOf('rbd:vm-101-disk-0,discard=on,size=8G'), 8);
  t.equal(sizeOf('rbd:vm-101-disk-0,size=512M'), 0.5);
  t.equal(sizeOf('rbd:vm-101-disk-0'), undefined);
  t.equal(freeScsiSlot({ scsi0: 'x', scsi1: 'y' }), 'scsi2');
  t.equal(freeScsiSlot({ scsi0: 'x' }, ['scsi1']), 'scsi2');
  t.equal(volumeSerial('vol-0123456789abcdef0'), 'vol0123456789abcdef0');
  t.equal(volumeSerial('vol-0123456789abcdef0').length, 20);
  t.equal(holderVolumeName(99999, 'vol-0123456789abcdef0'), 'vm-99999-vol-0123456789abcdef0');
});

t.test('firewall rules and SDN ids follow PVE naming rules', async (t) => {
  const a = groupAlias('123456789012', 'sg-0123456789abcdef0');
  t.match(a, /^[A-Za-z][A-Za-z0-9\-_]+$/);
  t.ok(a.length <= 18);
  t.not(a, groupAlias('210987654321', 'sg-0123456789abcdef0'), 'aliases differ between accounts');
  const base = { id: 'sgr-0123456789abcdef0', egress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8' };
  t.same(ruleParams('1', base), { type: 'in', action: 'ACCEPT', enable: 1, comment: 'sgr-0123456789abcdef0', proto: 'tcp', dport: '22', source: '10.0.0.0/8' });
  t.same(ruleParams('1', { ...base, FromPort: 8000, ToPort: 8080 }).dport, '8000:8080');
  const all = ruleParams('1', { ...base, egress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' });
  t.same(all, { type: 'out', action: 'ACCEPT', enable: 1, comment: 'sgr-0123456789abcdef0' }, 'all traffic anywhere: no proto, no dest');
  t.equal(ruleParams('1', { ...base, CidrIpv4: undefined, ReferencedGroupId: 'sg-0aaaaaaaaaaaaaaaa' }).source, `+dc/${groupAlias('1', 'sg-0aaaaaaaaaaaaaaaa')}`);
  t.same(ruleParams('1', { ...base, IpProtocol: 'icmp', FromPort: 8, ToPort: -1 })['icmp-type'], '8');
  for (const id of [zoneId('123456789012', 'vpc-0123456789abcdef0'), vnetId('123456789012', 'subnet-0123456789abcdef0')]) {
    t.match(id, /^[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]$/);
    t.ok(id.length >= 2 && id.length <= 8);
  }
  t.equal(firstHost('10.0.1.0/24'), '10.0.1.1');
});

t.test('config section validation', async (t) => {
  const ok = { url: 'http://127.0.0.1:8006', tokenId: 'mcgw@pve!ec2', tokenSecret: '0a1b2c3d-0000-0000-0000-000000000000', nodes: { a: 'pve1' }, storage: 'rbd' };
  const c = parseProxmoxConfig(ok, {});
  t.equal(c.url.href, 'http://127.0.0.1:8006/');
  t.same(c.vmidRange, [100000, 199999]);
  t.equal(c.holderVmid, 99999);
  t.throws(() => parseProxmoxConfig(undefined, {}), /section is required/);
  t.throws(() => parseProxmoxConfig({ ...ok, url: 'https://pve.example:8006' }, {}), /backends\.proxmox\.ca: is required for https/);
  t.throws(() => parseProxmoxConfig({ ...ok, url: 'http://pve.example:8006' }, {}), /only accepted on loopback/);
  t.throws(() => parseProxmoxConfig({ ...ok, tokenId: 'root' }, {}), /tokenId: 'root' is not USER@REALM!TOKENID/);
  t.throws(() => parseProxmoxConfig({ ...ok, tokenSecret: undefined }, {}), /tokenSecret: is required/);
  t.equal(parseProxmoxConfig({ ...ok, tokenSecret: undefined }, { MCGW_PROXMOX_TOKEN_SECRET: 's' }).tokenSecret, 's');
  t.throws(() => parseProxmoxConfig({ ...ok, nodes: {} }, {}), /nodes: must map zone suffixes/);
  t.throws(() => parseProxmoxConfig({ ...ok, holderVmid: 150000 }, {}), /holderVmid: 150000 lies inside vmidRange/);
  t.throws(() => parseProxmoxConfig({ ...ok, vmidRange: [5, 10] }, {}), /vmidRange: must be/);
  t.throws(() => parseProxmoxConfig({ ...ok, sdn: { zoneType: 'evpn' } }, {}), /sdn\.controller: is required/);
  t.throws(() => parseProxmoxConfig({ ...ok, bogus: 1 }, {}), /backends\.proxmox\.bogus: unknown key/);
  t.throws(() => parseProxmoxConfig({ ...ok, fingerprint: 'zz' }, {}), /fingerprint: must be a SHA-256/);
  t.equal(parseProxmoxConfig({ ...ok, fingerprint: 'ab'.repeat(32) }, {}).fingerprint, Array(32).fill('AB').join(':'));
});

t.test('rrddata to AWS/EC2 data points', async (t) => {
  const pts = ec2Datapoints('i-0123456789abcdef0', { time: 1700000000, cpu: 0.25, netin: 1000, netout: 10, diskread: 4096, diskwrite: 0 }, 60);
  const by = Object.fromEntries(pts.map((p) => [p.MetricName, p]));
  t.same(Object.keys(by).sort(), ['CPUUtilization', 'DiskReadBytes', 'DiskWriteBytes', 'NetworkIn', 'NetworkOut']);
  t.same(by.CPUUtilization, { MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }], Timestamp: 1700000000000, Value: 25, Unit: 'Percent' });
  t.equal(by.NetworkIn.Value, 60000, 'bytes per second over the 60 s period');
  t.equal(by.DiskReadBytes.Unit, 'Bytes');
  t.same(ec2Datapoints('i-1', { time: 1, cpu: NaN }, 60), [], 'a sample without data publishes nothing');
});
