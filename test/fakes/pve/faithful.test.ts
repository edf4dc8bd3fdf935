// SPDX-License-Identifier: AGPL-3.0-or-later
// The fake PVE against details of Proxmox's source: the imgdel task id, the root-only `arch`.
import t from 'tap';
import { parseUpid } from './tasks.js';
import { passwordClient, raw, tokenClient, waitTask } from './client.js';
import { startFakePve } from './index.js';

t.test('faithful details', async (t) => {
  const pve = await startFakePve({ unauthorizedDelayMs: 0, taskMs: 5 });
  t.teardown(() => pve.close());
  const api = tokenClient(pve);
  const n1 = api.nodes.$('pve1');

  t.test('imgdel: a valid UPID whose id is <owner vmid>@<storage> (Content.pm)', async (t) => {
    const volid = await n1.storage.$('rbd').content.$post({ vmid: 99999, filename: 'vm-99999-vol-0abc', size: '4M' });
    const upid = (await n1.storage.$('rbd').content.$(volid as string).$delete()) as string;
    t.match(parseUpid(upid), { node: 'pve1', type: 'imgdel', id: '99999@rbd', user: pve.tokenId });
    t.equal((await waitTask(api, upid)).exitstatus, 'OK');
    const status = (await n1.tasks.$(upid).status.$get()) as { id: string; type: string };
    t.match(status, { id: '99999@rbd', type: 'imgdel' });
  });

  t.test("arch: only root@pam itself may set it (check_vm_modify_config_perm)", async (t) => {
    const byToken = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu', { body: 'vmid=700&arch=aarch64' });
    t.equal(byToken.status, 500);
    t.equal(byToken.reason, "only root can set 'arch' config");
    const bad = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu', { body: 'vmid=700&arch=arm' });
    t.equal(bad.status, 400);
    t.match(bad.json!.errors, { arch: /value 'arm' does not have a value in the enumeration 'x86_64, aarch64'/ });
    const root = passwordClient(pve);
    await waitTask(api, (await root.nodes.$('pve1').qemu.$post({ vmid: 700, arch: 'aarch64' })) as string);
    t.equal(((await n1.qemu.$(700).config.$get()) as Record<string, string>).arch, 'aarch64');
    const change = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/700/config', { body: 'arch=x86_64' });
    t.equal(change.reason, "only root can set 'arch' config");
  });
});
