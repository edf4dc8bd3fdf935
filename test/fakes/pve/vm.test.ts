// SPDX-License-Identifier: AGPL-3.0-or-later
// The fake PVE's VM semantics: tasks, clone/template/destroy, config digest and pending, locks.
import t from 'tap';
import { passwordClient, raw, tokenClient, waitTask } from './client.js';
import { startFakePve } from './index.js';

t.test('vms', async (t) => {
  const pve = await startFakePve({ unauthorizedDelayMs: 0, taskMs: 20 });
  t.teardown(() => pve.close());
  const api = tokenClient(pve);
  const n1 = api.nodes.$('pve1');
  const ok = async (upid: string) => {
    const st = await waitTask(api, upid);
    t.equal(st.exitstatus, 'OK', `${upid.split(':')[5]}: ${st.exitstatus}`);
  };

  await api.pools.$post({ poolid: 'tenant-a' });
  await ok(await n1.qemu.$post({ vmid: 9000, name: 'ubuntu', cores: 1, memory: '512', scsihw: 'virtio-scsi-pci', scsi0: 'rbd:4', ide2: 'rbd:cloudinit', net0: 'virtio,bridge=vmbr0', serial0: 'socket' }));
  await ok(await n1.qemu.$(9000).template.$post());

  t.test('UPID format and task log', async (t) => {
    const release = pve.control.holdTasks('qmclone');
    const upid = (await n1.qemu.$(9000).clone.$post({ newid: 150, name: 'i-0000000000000150' })) as string;
    t.match(upid, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmclone:9000:root@pam!mcgw:$/);
    const running = (await n1.tasks.$(upid).status.$get()) as { status: string };
    t.equal(running.status, 'running');
    release();
    await ok(upid);
    const log = (await n1.tasks.$(upid).log.$get()) as { n: number; t: string }[];
    t.same(log[log.length - 1], { n: log.length, t: 'TASK OK' });
  });

  t.test('linked clone: lock clone while running, base/vm volume, new MAC, pool', async (t) => {
    const before = (await n1.qemu.$(9000).config.$get()) as Record<string, string>;
    const release = pve.control.holdTasks('qmclone', 9000);
    const upid = (await n1.qemu.$(9000).clone.$post({ newid: 101, name: 'i-0abc', pool: 'tenant-a', target: 'pve2' })) as string;
    while (!pve.control.state.vms.has(101)) await new Promise((r) => setTimeout(r, 5));
    const during = (await api.cluster.resources.$get({ type: 'vm' })) as { vmid: number; lock?: string }[];
    t.equal(during.find((v) => v.vmid === 101)?.lock, 'clone');
    const racing = (await n1.qemu.$(9000).clone.$post({ newid: 101 }).catch((e: Error) => e)) as Error;
    t.match(racing.message, /unable to create VM 101: config file already exists/);
    release();
    await ok(upid);
    const conf = (await api.nodes.$('pve2').qemu.$(101).config.$get()) as Record<string, string>;
    t.equal(conf.scsi0, 'rbd:base-9000-disk-0/vm-101-disk-0,size=4G');
    t.equal(conf.ide2, 'rbd:vm-101-cloudinit,media=cdrom');
    t.not(conf.net0, before.net0);
    t.match(conf.net0, /^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0$/);
    t.notOk(conf.lock);
    const res = (await api.cluster.resources.$get({ type: 'vm' })) as { vmid: number; pool?: string; node: string }[];
    t.same(res.find((v) => v.vmid === 101), { ...res.find((v) => v.vmid === 101), pool: 'tenant-a', node: 'pve2' });
    const wrongNode = (await n1.qemu.$(101).config.$get().catch((e: Error) => e)) as Error;
    t.match(wrongNode.message, /Configuration file 'nodes\/pve1\/qemu-server\/101.conf' does not exist/);
  });

  t.test('config: POST is a task, PUT is synchronous, digest guards both', async (t) => {
    const vm = api.nodes.$('pve2').qemu.$(101);
    const c0 = (await vm.config.$get()) as { digest: string };
    const upid = (await vm.config.$post({ cores: 2, memory: '1024', ipconfig0: 'ip=10.0.1.23/24,gw=10.0.1.1', ciupgrade: false, protection: true, scsi1: 'rbd:2,discard=on,ssd=1,serial=vol0123456789abcdef0', digest: c0.digest })) as string;
    t.match(upid, /:qmconfig:101:/);
    await ok(upid);
    const c1 = (await vm.config.$get()) as Record<string, unknown>;
    t.equal(c1.cores, 2);
    t.equal(c1.protection, 1);
    t.equal(c1.scsi1, 'rbd:vm-101-disk-1,size=2G,discard=on,ssd=1,serial=vol0123456789abcdef0');
    t.not(c1.digest, c0.digest);
    const stale = await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: `cores=4&digest=${c0.digest}` });
    t.equal(stale.status, 500);
    t.equal(stale.reason, 'detected modified configuration - file changed by other user? Try again.');
    const put = await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: `description=hello&digest=${c1.digest}` });
    t.same(put.json, { data: null });
    const same = (await vm.config.$post({ description: 'hello' })) as string | null;
    t.equal(same, null, 'nothing changed: no task');
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk+k/0 user@host';
    const once = await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: `sshkeys=${encodeURIComponent(key)}` });
    t.match((once.json!.errors as Record<string, string>).sshkeys, /^invalid format - invalid urlencoded string/, 'keys must be URL-encoded inside the form');
    const twice = encodeURIComponent(encodeURIComponent(key).replace(/\+/g, '%2B'));
    t.equal((await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: `sshkeys=${twice}` })).status, 200);
    const notKey = await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: `sshkeys=${encodeURIComponent('hello%20world')}` });
    t.equal((notKey.json!.errors as Record<string, string>).sshkeys, 'invalid format - SSH public key validation error\n');
    const badNet = await raw(pve, 'PUT', '/api2/json/nodes/pve2/qemu/101/config', { body: 'net1=virtio,bridge=vmbr0,speed=9' });
    t.equal(badNet.status, 400);
    t.match((badNet.json!.errors as Record<string, string>).net1, /^invalid format - invalid key in comma-separated list property: speed/);
  });

  t.test('running VM: hotplug applies net/disk, cores stay pending until reboot', async (t) => {
    const vm = api.nodes.$('pve2').qemu.$(101);
    await ok(await vm.status.start.$post());
    const again = await waitTask(api, (await vm.status.start.$post()) as string);
    t.equal(again.exitstatus, 'VM 101 already running');
    await ok(await vm.config.$post({ cores: 4, net1: 'virtio,bridge=vmbr1,firewall=1' }));
    const cur = (await vm.config.$get({ current: true })) as Record<string, unknown>;
    t.equal(cur.cores, 2);
    t.match(cur.net1, /bridge=vmbr1/);
    const pending = (await vm.pending.$get()) as { key: string; pending?: unknown }[];
    t.equal(pending.find((p) => p.key === 'cores')?.pending, '4');
    await ok(await vm.status.reboot.$post());
    t.equal(((await vm.config.$get({ current: true })) as Record<string, unknown>).cores, 4);
    const st = (await vm.status.current.$get()) as { status: string; qmpstatus: string; uptime: number };
    t.equal(st.status, 'running');
    t.equal(st.qmpstatus, 'running');
  });

  t.test('destroy: refused while running or protected; frees only owned volumes', async (t) => {
    const vm = api.nodes.$('pve2').qemu.$(101);
    const running = await raw(pve, 'DELETE', '/api2/json/nodes/pve2/qemu/101');
    t.equal(running.reason, "can't remove VM 101 - protection mode enabled");
    await ok(await vm.config.$post({ delete: 'protection' }));
    const r2 = await raw(pve, 'DELETE', '/api2/json/nodes/pve2/qemu/101');
    t.equal(r2.reason, 'VM 101 is running - destroy failed');
    await ok(await vm.status.stop.$post());
    // A volume owned by a holder vmid, attached to 101, survives the destroy.
    const volid = await api.nodes.$('pve1').storage.$('rbd').content.$post({ vmid: 999999, filename: 'vm-999999-vol-0123456789abcdef0', size: '1G' });
    t.equal(volid, 'rbd:vm-999999-vol-0123456789abcdef0');
    await ok(await vm.config.$post({ scsi2: `${volid},serial=vol0123456789abcdef0` }));
    const tplDel = await waitTask(api, (await n1.qemu.$(9000).$delete()) as string);
    t.equal(tplDel.exitstatus, "base volume 'rbd:base-9000-disk-0' is still in use by linked cloned");
    await ok(await vm.$delete({ purge: true, 'destroy-unreferenced-disks': true }));
    const vols = ((await api.nodes.$('pve1').storage.$('rbd').content.$get()) as { volid: string }[]).map((v) => v.volid);
    t.ok(vols.includes('rbd:vm-999999-vol-0123456789abcdef0'));
    t.notOk(vols.some((v) => /vm-101-/.test(v)));
    const pool = (await api.pools.$get({ poolid: 'tenant-a' })) as { members: unknown[] }[];
    t.same(pool[0]!.members, []);
  });

  t.test('detach: owned volume becomes unusedN, unowned is only dropped', async (t) => {
    await ok(await n1.qemu.$(9000).clone.$post({ newid: 102, name: 'i-102' }));
    const vm = n1.qemu.$(102);
    await ok(await vm.config.$post({ scsi1: 'rbd:1', scsi2: 'rbd:vm-999999-vol-0123456789abcdef0' }));
    await ok(await vm.config.$post({ delete: 'scsi1,scsi2' }));
    const c = (await vm.config.$get()) as Record<string, string>;
    t.equal(c.unused0, 'rbd:vm-102-disk-1');
    t.notOk(Object.values(c).some((v) => String(v).includes('vm-999999')));
    await ok(await vm.config.$post({ delete: 'unused0' }));
    const vols = ((await api.nodes.$('pve1').storage.$('rbd').content.$get({ vmid: 102 })) as { volid: string }[]).map((v) => v.volid);
    t.notOk(vols.includes('rbd:vm-102-disk-1'));
  });

  t.test('move_disk reassigns a volume to another VM (renamed to the target vmid)', async (t) => {
    await ok(await n1.qemu.$post({ vmid: 120, scsi0: 'rbd:1' }));
    await ok(await n1.qemu.$post({ vmid: 121, scsi0: 'rbd:1' }));
    const move = n1.qemu.$(120).move_disk;
    const same = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu/120/move_disk', { body: 'disk=scsi0&target-vmid=120' });
    t.same(same.json!.errors, { 'target-vmid': 'must be different than source VMID to reassign disk' });
    const taken = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu/120/move_disk', { body: 'disk=scsi0&target-vmid=121' });
    t.equal(taken.reason, "Target disk key 'scsi0' is already in use for VM '121'");
    const upid = (await move.$post({ disk: 'scsi0', 'target-vmid': 121, 'target-disk': 'scsi1' })) as string;
    t.match(upid, /:qmmove:120-scsi0>121-scsi1:/);
    await ok(upid);
    t.notOk(((await n1.qemu.$(120).config.$get()) as Record<string, string>).scsi0);
    t.equal(((await n1.qemu.$(121).config.$get()) as Record<string, string>).scsi1, 'rbd:vm-121-disk-1,size=1G');
    t.notOk(pve.control.state.storage.get('vm-120-disk-0'));
  });

  t.test('VM snapshots: create, clone from one, delete refused while a clone depends on it, rollback', async (t) => {
    const vm = n1.qemu.$(121);
    await ok(await vm.snapshot.$post({ snapname: 'before', description: 'first' }));
    const dup = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu/121/snapshot', { body: 'snapname=before' });
    t.equal(dup.reason, "snapshot name 'before' already used");
    const list = (await vm.snapshot.$get()) as { name: string; description: string; parent?: string }[];
    t.same(list.map((s) => [s.name, s.description]), [['before', 'first'], ['current', 'You are here!']]);
    t.equal(((await vm.config.$get()) as Record<string, string>).parent, 'before');
    t.ok(pve.control.state.storage.get('vm-121-disk-0')!.snaps.has('before'));
    await ok(await vm.clone.$post({ newid: 122, snapname: 'before', full: false }));
    const c = (await n1.qemu.$(122).config.$get()) as Record<string, string>;
    t.match(c.scsi0, /^rbd:vm-122-disk-0,size=1G/);
    const content = (await n1.storage.$('rbd').content.$get({ vmid: 122 })) as { volid: string; parent?: string }[];
    t.equal(content.find((v) => v.volid === 'rbd:vm-122-disk-0')?.parent, 'vm-121-disk-0@before');
    const busy = await waitTask(api, (await vm.snapshot.$('before').$delete()) as string);
    t.match(busy.exitstatus, /unprotecting snap before failed/);
    await ok(await vm.config.$post({ cores: 4 }));
    await ok(await vm.snapshot.$('before').rollback.$post());
    t.equal(((await vm.config.$get()) as Record<string, unknown>).cores, undefined, 'config rolled back');
    const moving = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu/121/move_disk', { body: 'disk=scsi1&target-vmid=122&target-disk=scsi5' });
    t.equal(moving.reason, "Can't move disk used by a snapshot to another VM");
    await ok(await n1.qemu.$(122).$delete());
    await ok(await vm.snapshot.$('before').$delete());
    t.notOk(pve.control.state.storage.get('vm-121-disk-0')!.snaps.has('before'));
  });

  t.test('resize grows only', async (t) => {
    const vm = n1.qemu.$(102);
    await ok(await vm.resize.$put({ disk: 'scsi0', size: '+2G' }));
    t.match(((await vm.config.$get()) as Record<string, string>).scsi0, /size=6G$/);
    const shrink = await waitTask(api, (await vm.resize.$put({ disk: 'scsi0', size: '1G' })) as string);
    t.equal(shrink.exitstatus, 'shrinking disks is not supported');
  });

  t.test('config lock blocks other operations; skiplock passes', async (t) => {
    await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'lock=backup' });
    const start = await waitTask(api, (await n1.qemu.$(102).status.start.$post()) as string);
    t.equal(start.exitstatus, 'VM is locked (backup)');
    const put = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'cores=3' });
    t.equal(put.reason, 'VM is locked (backup)');
    const token = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'delete=lock&skiplock=1' });
    t.same(token.json!.errors, { skiplock: 'Only root may use this option.' }, 'not even root@pam\'s token');
    const root = passwordClient(pve);
    await root.nodes.$('pve1').qemu.$(102).config.$put({ delete: 'lock', skiplock: true });
    t.equal((await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'cores=3' })).status, 200);
  });

  t.test('flock timeouts: injected, and real contention', async (t) => {
    pve.control.lockTimeout(102);
    const r = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'cores=2' });
    t.equal(r.status, 500);
    t.equal(r.reason, "can't lock file '/var/lock/qemu-server/lock-102.conf' - got timeout");
    pve.control.setLockTimeoutMs(50);
    const release = pve.control.holdTasks('qmstart', 102);
    const upid = (await n1.qemu.$(102).status.start.$post()) as string;
    while (!pve.control.state.flocks.isHeld('qemu-102')) await new Promise((r) => setTimeout(r, 5));
    const c = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'cores=1' });
    t.equal(c.reason, "can't lock file '/var/lock/qemu-server/lock-102.conf' - got timeout");
    release();
    await ok(upid);
    pve.control.setLockTimeoutMs(10_000);
  });

  t.test('clones of a template share its lock; a config change waits for them', async (t) => {
    const release = pve.control.holdTasks('qmclone', 9000);
    const a = (await n1.qemu.$(9000).clone.$post({ newid: 110 })) as string;
    const b = (await n1.qemu.$(9000).clone.$post({ newid: 111 })) as string;
    while (!(pve.control.state.vms.has(110) && pve.control.state.vms.has(111))) await new Promise((r) => setTimeout(r, 5));
    t.equal(pve.control.state.vms.get(111)!.node, 'pve1');
    pve.control.setLockTimeoutMs(50);
    const put = await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/9000/config', { body: 'description=x' });
    t.equal(put.reason, "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout");
    pve.control.setLockTimeoutMs(10_000);
    release();
    await ok(a);
    await ok(b);
  });

  t.test('injected task failure: a failed clone leaves no VM and no volume', async (t) => {
    pve.control.failTask({ type: 'qmclone', message: 'rbd error: rbd: clone error: (28) No space left on device' });
    const st = await waitTask(api, (await n1.qemu.$(9000).clone.$post({ newid: 103 })) as string);
    t.equal(st.exitstatus, 'clone failed: rbd error: rbd: clone error: (28) No space left on device');
    t.notOk(pve.control.state.vms.has(103));
    t.notOk(pve.control.state.storage.list().some((v) => v.image.startsWith('vm-103-')));
  });

  t.test('task warnings are not failures', async (t) => {
    pve.control.failTask({ type: 'qmstop', id: '102', message: 'guest did not shut down cleanly', warning: true });
    const st = await waitTask(api, (await n1.qemu.$(102).status.stop.$post()) as string);
    t.equal(st.exitstatus, 'WARNINGS: 1');
    const log = await raw(pve, 'GET', `/api2/json/nodes/pve1/tasks/${encodeURIComponent((st as { upid?: string }).upid ?? '')}/log`);
    const lines = (log.json!.data as { t: string }[]).map((l) => l.t);
    t.same(lines.slice(-2), ['WARN: guest did not shut down cleanly', 'TASK WARNINGS: 1']);
    t.equal(log.json!.total, lines.length);
  });

  t.test('stopping a task', async (t) => {
    const release = pve.control.holdTasks('qmclone');
    const upid = (await n1.qemu.$(9000).clone.$post({ newid: 104 })) as string;
    await n1.tasks.$(upid).$delete();
    const st = await waitTask(api, upid);
    release();
    t.equal(st.exitstatus, 'clone failed: interrupted by signal');
    t.notOk(pve.control.state.vms.has(104));
  });

  t.test('guest agent: no guest runs, so no agent answers', async (t) => {
    const off = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/102/agent/network-get-interfaces');
    t.equal(off.reason, 'No QEMU guest agent configured');
    await raw(pve, 'PUT', '/api2/json/nodes/pve1/qemu/102/config', { body: 'agent=enabled%3D1' });
    const stopped = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/102/agent/network-get-interfaces');
    t.equal(stopped.reason, 'VM 102 is not running');
    await ok(await n1.qemu.$(102).status.start.$post());
    const running = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/102/agent/network-get-interfaces');
    t.equal(running.reason, 'QEMU guest agent is not running');
  });

  t.test('nextid', async (t) => {
    t.equal(await api.cluster.nextid.$get(), '100');
    t.equal(await api.cluster.nextid.$get({ vmid: 500 }), '500');
    const taken = await raw(pve, 'GET', '/api2/json/cluster/nextid?vmid=102');
    t.same(taken.json!.errors, { vmid: 'VM 102 already exists' });
    await raw(pve, 'PUT', '/api2/json/cluster/options', { body: 'next-id=lower%3D102%2Cupper%3D200' });
    t.equal(await api.cluster.nextid.$get(), '103', 'the next-id band is honoured');
    t.same(await api.cluster.options.$get(), { 'next-id': { lower: '102', upper: '200' } });
  });
});
