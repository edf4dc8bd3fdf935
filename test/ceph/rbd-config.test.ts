// SPDX-License-Identifier: AGPL-3.0-or-later
/** backends.ceph for RBD volumes: defaults and messages that name the key. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseRbdConfig } from '../../translators/ceph/rbd/config.js';
import { createVolumeDriver } from '../../translators/volumes/driver.js';
import { testGateway } from '../helpers/context.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-rbdcfg-'));
const conf = join(dir, 'ceph.conf');
writeFileSync(conf, '[global]\n');

t.test('defaults and values', async (t) => {
  const c = parseRbdConfig({ conf });
  t.same(c, { client: { conf, keyring: undefined, user: 'admin', pool: 'rbd', namespace: undefined, rbdPath: undefined, timeoutMs: 60_000, concurrency: 4 }, holderVmid: 99999 });
  const d = parseRbdConfig({ conf, keyring: conf, user: 'client.mcgw', pool: 'ebs', namespace: 'tenant1', holderVmid: 4242, timeoutMs: 5000, endpoint: 'http://rgw' });
  t.equal(d.client.user, 'mcgw', "the 'client.' prefix is dropped");
  t.equal(d.holderVmid, 4242);
  t.equal(d.client.namespace, 'tenant1');
});

t.test('refusals name the key', async (t) => {
  t.throws(() => parseRbdConfig(undefined), /^backends\.ceph: the section is required when ec2\.volumes is rbd/);
  t.throws(() => parseRbdConfig({}), { message: 'backends.ceph.conf: is required: the path of ceph.conf' });
  t.throws(() => parseRbdConfig({ conf: '/nonexistent/ceph.conf' }), { message: 'backends.ceph.conf: /nonexistent/ceph.conf does not exist' });
  t.throws(() => parseRbdConfig({ conf, keyring: '/nonexistent/k' }), { message: 'backends.ceph.keyring: /nonexistent/k does not exist' });
  t.throws(() => parseRbdConfig({ conf, pool: 'a/b' }), { message: "backends.ceph.pool: 'a/b' is not a pool name" });
  t.throws(() => parseRbdConfig({ conf, pool: 7 }), { message: 'backends.ceph.pool: must be a string, got number' });
  t.throws(() => parseRbdConfig({ conf, holderVmid: 99 }), { message: 'backends.ceph.holderVmid: must be an integer from 100 to 999999999, got 99' });
  t.throws(() => parseRbdConfig({ conf, holderVmid: '100' }), /holderVmid: must be an integer/);
});

t.test('ec2.volumes picks the driver', async (t) => {
  const files = await testGateway({ config: { ec2: { backend: 'embedded' } } });
  t.teardown(() => files.dispose());
  t.equal(createVolumeDriver(files).kind, 'files');
  const rbd = await testGateway({ config: { ec2: { backend: 'embedded', volumes: 'rbd' }, backends: { ceph: { conf, holderVmid: 555 } } } });
  t.teardown(() => rbd.dispose());
  const d = createVolumeDriver(rbd);
  t.equal(d.kind, 'rbd');
  t.same(d.locate('123456789012', 'vol-0123456789abcdef0'), { kind: 'rbd', pool: 'rbd', namespace: '', image: 'vm-555-vol-0123456789abcdef0' });
  const bad = await testGateway({ config: { ec2: { backend: 'embedded', volumes: 'nfs' } } });
  t.teardown(() => bad.dispose());
  t.throws(() => createVolumeDriver(bad), { message: "ec2.volumes must be one of files, rbd, got 'nfs'" });
});
