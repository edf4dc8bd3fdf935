// SPDX-License-Identifier: AGPL-3.0-or-later
// The fake PVE's firewall (groups, rules with pos and digest, ipsets, VM rules) and SDN (pending, apply, lock).
import t from 'tap';
import { raw, tokenClient, waitTask } from './client.js';
import { startFakePve } from './index.js';

t.test('network', async (t) => {
  const pve = await startFakePve({ unauthorizedDelayMs: 0, taskMs: 10 });
  t.teardown(() => pve.close());
  const api = tokenClient(pve);

  t.test('security groups: name rules, rules with pos and digest', async (t) => {
    await api.cluster.firewall.groups.$post({ group: 'sg-0a1b2c3d', comment: 'sg-0a1b2c3d4e5f60718' });
    const long = await raw(pve, 'POST', '/api2/json/cluster/firewall/groups', { body: 'group=sg-0123456789abcdef0' });
    t.same(long.json!.errors, { group: 'value may only be 18 characters long' });
    const dup = await raw(pve, 'POST', '/api2/json/cluster/firewall/groups', { body: 'group=sg-0a1b2c3d' });
    t.same(dup.json!.errors, { group: "Security group 'sg-0a1b2c3d' already exists" });
    const g = api.cluster.firewall.groups.$('sg-0a1b2c3d');
    await g.$post({ type: 'in', action: 'ACCEPT', proto: 'tcp', dport: '22', source: '10.0.0.0/8', enable: 1, comment: 'r1' });
    await g.$post({ type: 'in', action: 'ACCEPT', proto: 'tcp', dport: '443', enable: 1, comment: 'r2' });
    await g.$post({ type: 'in', action: 'ACCEPT', proto: 'udp', dport: '53', enable: 1, comment: 'r3' });
    let rules = (await g.$get()) as { pos: number; comment: string; digest: string; enable: number }[];
    t.same(rules.map((r) => [r.pos, r.comment]), [[0, 'r3'], [1, 'r2'], [2, 'r1']], 'new rules go first');
    const d0 = rules[0]!.digest;
    t.ok(rules.every((r) => r.digest === d0));
    await g.$('1').$delete({ digest: d0 });
    rules = (await g.$get()) as typeof rules;
    t.same(rules.map((r) => [r.pos, r.comment]), [[0, 'r3'], [1, 'r1']], 'positions shift after a delete');
    const stale = await raw(pve, 'DELETE', `/api2/json/cluster/firewall/groups/sg-0a1b2c3d/0?digest=${d0}`);
    t.equal(stale.status, 500);
    t.equal(stale.reason, 'detected modified configuration - file changed by other user? Try again.');
    const missing = await raw(pve, 'DELETE', '/api2/json/cluster/firewall/groups/sg-0a1b2c3d/7');
    t.equal(missing.reason, 'no rule at position 7');
    const bad = await raw(pve, 'POST', '/api2/json/cluster/firewall/groups/sg-0a1b2c3d', { body: 'type=in&action=ALLOW&dport=22' });
    t.same(bad.json!.errors, { action: "unknown action 'ALLOW'", dport: "missing property - 'proto' requires this property" });
    const notEmpty = await raw(pve, 'DELETE', '/api2/json/cluster/firewall/groups/sg-0a1b2c3d');
    t.equal(notEmpty.reason, "Security group 'sg-0a1b2c3d' is not empty");
    const noDefault = (await g.$('0').$get()) as { enable?: number };
    t.equal(noDefault.enable, 1);
    await g.$post({ type: 'out', action: 'DROP', comment: 'r4' });
    t.equal(((await g.$('0').$get()) as { enable: number }).enable, 0, 'enable defaults to 0');
  });

  t.test('ipsets for group-to-group rules', async (t) => {
    await api.cluster.firewall.ipset.$post({ name: 'sg-0a1b2c3d', comment: 'members' });
    const set = api.cluster.firewall.ipset.$('sg-0a1b2c3d');
    await set.$post({ cidr: '10.0.1.23' });
    await set.$post({ cidr: '10.0.2.0/24' });
    const dup = await raw(pve, 'POST', '/api2/json/cluster/firewall/ipset/sg-0a1b2c3d', { body: 'cidr=10.0.1.23' });
    t.equal(dup.reason, "address '10.0.1.23' already exists");
    t.same(((await set.$get()) as { cidr: string }[]).map((e) => e.cidr), ['10.0.1.23', '10.0.2.0/24']);
    await set.$('10.0.2.0/24').$delete();
    t.same(((await set.$get()) as { cidr: string }[]).map((e) => e.cidr), ['10.0.1.23']);
    await api.cluster.firewall.groups.$('sg-0a1b2c3d').$post({ type: 'in', action: 'ACCEPT', source: '+dc/sg-0a1b2c3d', enable: 1 });
    const unknown = await raw(pve, 'POST', '/api2/json/cluster/firewall/groups/sg-0a1b2c3d', { body: 'type=in&action=ACCEPT&source=%2Bdc%2Fnope' });
    t.same(unknown.json!.errors, { source: "no such ipset 'nope'" });
    const notEmpty = await raw(pve, 'DELETE', '/api2/json/cluster/firewall/ipset/sg-0a1b2c3d');
    t.equal(notEmpty.reason, "IPSet 'sg-0a1b2c3d' is not empty");
  });

  t.test('VM firewall options and group rules, copied on clone', async (t) => {
    const n1 = api.nodes.$('pve1');
    await waitTask(api, (await n1.qemu.$post({ vmid: 200, scsi0: 'rbd:1', net0: 'virtio,bridge=vmbr0,firewall=1' })) as string);
    const vm = n1.qemu.$(200);
    await vm.firewall.options.$put({ enable: true, policy_in: 'DROP', policy_out: 'ACCEPT', macfilter: true, ipfilter: false, dhcp: true });
    await vm.firewall.rules.$post({ type: 'group', action: 'sg-0a1b2c3d', enable: 1 });
    const missing = await raw(pve, 'POST', '/api2/json/nodes/pve1/qemu/200/firewall/rules', { body: 'type=group&action=sg-nope&enable=1' });
    t.same(missing.json!.errors, { action: "security group 'sg-nope' does not exist" });
    const opts = (await vm.firewall.options.$get()) as Record<string, unknown>;
    t.same({ enable: opts.enable, policy_in: opts.policy_in }, { enable: 1, policy_in: 'DROP' });
    t.match(opts.digest, /^[0-9a-f]{40}$/);
    await waitTask(api, (await vm.template.$post()) as string);
    await waitTask(api, (await vm.clone.$post({ newid: 201 })) as string);
    const rules = (await n1.qemu.$(201).firewall.rules.$get()) as unknown as { type: string; action: string }[];
    t.same(rules.map((r) => [r.type, r.action]), [['group', 'sg-0a1b2c3d']]);
  });

  t.test('SDN: edits stay pending until PUT /cluster/sdn', async (t) => {
    const sdn = api.cluster.sdn;
    await sdn.zones.$post({ zone: 'vpc1', type: 'simple', ipam: 'pve' });
    const badId = await raw(pve, 'POST', '/api2/json/cluster/sdn/zones', { body: 'zone=vpc-0123&type=simple' });
    t.match((badId.json!.errors as Record<string, string>).zone, /contains illegal characters/);
    await sdn.vnets.$post({ vnet: 'sub1', zone: 'vpc1' });
    await sdn.vnets.$('sub1').subnets.$post({ subnet: '10.0.1.0/24', type: 'subnet', gateway: '10.0.1.1', snat: true, 'dhcp-range': ['start-address=10.0.1.10,end-address=10.0.1.250'] });
    const pendingZones = (await sdn.zones.$get({ pending: true })) as { zone: string; state?: string; pending?: Record<string, unknown> }[];
    t.same(pendingZones.map((z) => [z.zone, z.state, z.pending]), [['vpc1', 'new', { ipam: 'pve' }]]);
    t.same(await sdn.zones.$get({ running: true }), [], 'nothing running yet');
    const subnets = (await sdn.vnets.$('sub1').subnets.$get()) as { subnet: string; cidr: string; gateway: string }[];
    t.same(subnets.map((s) => [s.subnet, s.cidr, s.gateway]), [['vpc1-10.0.1.0-24', '10.0.1.0/24', '10.0.1.1']]);
    const upid = (await sdn.$put()) as string;
    t.match(upid, /:reloadnetworkall::root@pam!mcgw:$/);
    t.equal((await waitTask(api, upid)).exitstatus, 'OK');
    const running = (await sdn.zones.$get({ running: true })) as { zone: string }[];
    t.same(running.map((z) => z.zone), ['vpc1']);
    await sdn.vnets.$('sub1').$put({ alias: 'subnet-0abc' });
    const changed = (await sdn.vnets.$get({ pending: true })) as { vnet: string; state: string; pending: Record<string, unknown> }[];
    t.same(changed.map((v) => [v.vnet, v.state, v.pending]), [['sub1', 'changed', { alias: 'subnet-0abc' }]]);
    const inUse = await raw(pve, 'DELETE', '/api2/json/cluster/sdn/zones/vpc1');
    t.equal(inUse.reason, "cannot delete zone 'vpc1', it is used by vnet 'sub1'");
  });

  t.test('SDN global lock', async (t) => {
    const sdn = api.cluster.sdn;
    const refused = await raw(pve, 'POST', '/api2/json/cluster/sdn/lock');
    t.equal(refused.reason, 'could not acquire lock for SDN config: there are pending changes');
    // proxmox-api's model predates the PVE 9 lock: call it through the untyped proxy.
    const untyped = sdn as unknown as { lock: { $post(p: object): Promise<string> }; zones: { $post(p: object): Promise<null> }; $put(p: object): Promise<string> };
    const token = await untyped.lock.$post({ 'allow-pending': 1 });
    t.match(token, /^[0-9a-f-]{36}$/);
    const noToken = await raw(pve, 'POST', '/api2/json/cluster/sdn/zones', { body: 'zone=vpc2&type=simple' });
    t.equal(noToken.reason, 'create sdn zone object failed: invalid lock token provided!');
    await untyped.zones.$post({ zone: 'vpc2', type: 'simple', 'lock-token': token });
    await waitTask(api, await untyped.$put({ 'lock-token': token }));
    await sdn.zones.$post({ zone: 'vpc3', type: 'simple' });
    t.same(((await sdn.zones.$get({ running: true })) as { zone: string }[]).map((z) => z.zone), ['vpc1', 'vpc2']);
  });

  t.test('SDN apply fails on an unreachable node', async (t) => {
    pve.control.nodeDown('pve2');
    const st = await waitTask(api, (await api.cluster.sdn.$put()) as string);
    t.equal(st.exitstatus, 'reloading network config failed on node(s) pve2');
    pve.control.nodeUp('pve2');
  });

  t.test('rrddata reports the load set while the VM ran', async (t) => {
    const n1 = api.nodes.$('pve1');
    await waitTask(api, (await n1.qemu.$(201).status.start.$post()) as string);
    pve.control.setVmLoad(201, { cpu: 0.5, netin: 1000, netout: 2000, diskread: 0, diskwrite: 4096 });
    await new Promise((r) => setTimeout(r, 50));
    const pts = (await n1.qemu.$(201).rrddata.$get({ timeframe: 'hour', cf: 'AVERAGE' })) as Record<string, number>[];
    t.equal(pts.length, 70);
    const last = pts[pts.length - 1]!;
    t.ok(last.cpu! > 0 && last.cpu! <= 0.5);
    t.equal(last.maxcpu, 1);
    t.notOk('cpu' in pts[0]!, 'no data before the VM ran');
    const maxPts = (await n1.qemu.$(201).rrddata.$get({ timeframe: 'hour', cf: 'MAX' })) as Record<string, number>[];
    t.equal(maxPts[maxPts.length - 1]!.netout, 2000);
  });
});
