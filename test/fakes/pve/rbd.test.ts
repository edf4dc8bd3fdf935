// SPDX-License-Identifier: AGPL-3.0-or-later
// The fake PVE's RBD storage on the scratch Ceph of conformance/backends/ceph/up.sh: real images,
// real bytes through template and linked clone, and nothing left behind.
import { Readable } from 'node:stream';
import t from 'tap';
import { RbdClient } from '../../../translators/ceph/rbd/client.js';
import { cephStorage } from './ceph.js';
import { tokenClient, waitTask } from './client.js';
import { startFakePve } from './index.js';

t.test('rbd storage', async (t) => {
  const pve = await startFakePve({ unauthorizedDelayMs: 0, taskMs: 5, storage: await cephStorage() });
  let closed = false;
  t.teardown(() => (closed ? undefined : pve.close()));
  const api = tokenClient(pve);
  const n1 = api.nodes.$('pve1');
  const rbd = new RbdClient(pve.rbd!);
  const ok = async (upid: string) => t.equal((await waitTask(api, upid, 60_000)).exitstatus, 'OK');

  await ok(await n1.qemu.$post({ vmid: 9000, scsi0: 'rbd:0.0078125', ide2: 'rbd:cloudinit' }));
  t.same((await rbd.list()).sort(), ['vm-9000-cloudinit', 'vm-9000-disk-0']);
  const payload = Buffer.from('hello from the template disk');
  await rbd.writeAt('vm-9000-disk-0', 4096, payload.length, payload);

  await ok(await n1.qemu.$(9000).template.$post());
  await ok(await n1.qemu.$(9000).clone.$post({ newid: 101 }));
  const info = await rbd.info('vm-101-disk-0');
  t.equal(info.parent?.image, 'base-9000-disk-0');
  t.equal(info.parent?.snapshot, '__base__');

  const chunks: Buffer[] = [];
  for await (const c of rbd.exportStream('vm-101-disk-0') as Readable) chunks.push(c as Buffer);
  const bytes = Buffer.concat(chunks);
  t.equal(bytes.length, 8 * 2 ** 20);
  t.equal(bytes.subarray(4096, 4096 + payload.length).toString(), payload.toString(), 'the clone reads the template bytes');

  await ok(await n1.qemu.$(101).resize.$put({ disk: 'scsi0', size: '+8M' }));
  t.equal((await rbd.info('vm-101-disk-0')).size, 16 * 2 ** 20);
  t.match(((await n1.qemu.$(101).config.$get()) as Record<string, string>).scsi0, /size=16M$/);

  await ok(await n1.qemu.$(101).snapshot.$post({ snapname: 'snap1' }));
  t.ok((await rbd.snapList('vm-101-disk-0')).some((s) => s.name === 'snap1'), 'VM snapshot = RBD snapshot');
  await ok(await n1.qemu.$(101).snapshot.$('snap1').rollback.$post());
  await ok(await n1.qemu.$(101).snapshot.$('snap1').$delete());
  t.notOk((await rbd.snapList('vm-101-disk-0')).some((s) => s.name === 'snap1'));

  const volid = await n1.storage.$('rbd').content.$post({ vmid: 999999, filename: 'vm-999999-vol-0abc', size: '4M' });
  t.equal(volid, 'rbd:vm-999999-vol-0abc');
  t.ok((await rbd.list()).includes('vm-999999-vol-0abc'));

  // images made on Ceph behind PVE's back (the gateway's RBD volume driver) are listed, and attach
  await rbd.create('vm-999999-vol-0def', 2 * 2 ** 20);
  await rbd.clone('base-9000-disk-0', '__base__', 'vm-999999-vol-0cln');
  const listed = (await n1.storage.$('rbd').content.$get({ content: 'images' })) as Array<{ volid: string; size: number; parent?: string }>;
  t.match(listed.find((x) => x.volid === 'rbd:vm-999999-vol-0def'), { size: 2 * 2 ** 20 }, 'an image created on Ceph is listed');
  t.match(listed.find((x) => x.volid === 'rbd:base-9000-disk-0/vm-999999-vol-0cln'), { parent: 'base-9000-disk-0@__base__' }, 'a clone made on Ceph is a linked clone');
  await rbd.rename('vm-999999-vol-0def', 'vm-999999-vol-0ren');
  const again = ((await n1.storage.$('rbd').content.$get({ content: 'images' })) as Array<{ volid: string }>).map((x) => x.volid);
  t.ok(again.includes('rbd:vm-999999-vol-0ren') && !again.includes('rbd:vm-999999-vol-0def'), 'a rename on Ceph is seen');
  await ok(await n1.qemu.$(101).config.$post({ scsi1: 'rbd:vm-999999-vol-0ren' }));
  t.match(((await n1.qemu.$(101).config.$get()) as Record<string, string>).scsi1, /^rbd:vm-999999-vol-0ren,size=2M$/, 'and attaches');
  await ok(await n1.qemu.$(101).config.$post({ delete: 'scsi1' }));
  for (const img of ['vm-999999-vol-0ren', 'vm-999999-vol-0cln']) {
    const upid = (await n1.storage.$('rbd').content.$(img).$delete()) as string;
    t.match(upid, /:imgdel:999999@rbd:/, 'imgdel task id: owner@storage');
    await ok(upid);
  }

  await ok(await n1.qemu.$(101).$delete({ purge: true }));
  await ok(await n1.qemu.$(9000).$delete({ purge: true }));
  t.same((await rbd.list()).sort(), ['vm-999999-vol-0abc'], 'owned images freed, the holder volume kept');

  closed = true;
  await pve.close();
  await t.rejects(rbd.list(), 'the namespace is gone');
});

t.test("storage 'auto' takes the running scratch Ceph", async (t) => {
  await cephStorage();
  const pve = await startFakePve({ unauthorizedDelayMs: 0, storage: { kind: 'auto' } });
  t.teardown(() => pve.close());
  t.ok(pve.rbd?.namespace.startsWith('fakepve-'));
});
