// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Cluster-wide and node routes (pve-manager PVE/API2/Cluster.pm `resources`, `nextid`, `tasks`;
 * PVE/API2/Nodes.pm; PVE/API2/Tasks.pm; PVE/API2/Pool.pm; pve-access-control
 * PVE/API2/AccessControl.pm `create_ticket`; mapping.md "Identity / placement", "Multi-tenancy",
 * "Tasks"):
 * - `GET /cluster/resources[?type=vm|node|storage]` in one call: vmid, node, status, name, tags,
 *   pool, template, lock, maxcpu, maxmem, maxdisk, uptime…; VMs on an unreachable node show
 *   status 'unknown'; entries the caller may not audit are left out;
 * - `GET /cluster/nextid[?vmid=N]` → the id as a string; a taken N → 400 {vmid: "VM N already exists"};
 * - pools: `GET /pools[?poolid=]` (with members when poolid is given), `POST /pools`,
 *   `PUT /pools {poolid, vms, storage, delete, allow-move}` (PVE ≥ 8.1), `DELETE /pools?poolid=`,
 *   and the deprecated `/pools/{poolid}` forms;
 * - tasks: status, log ({n, t}, `start`/`limit`, `total`), list, stop.
 */
import { die, paramError } from './errors.js';
import { WithTotal } from './http.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, NODE, POOL_ID, VMID, opt } from './schema.js';
import { cpuCount, memoryMiB } from './state.js';
import { bootDiskSize, vmCounters } from './qemu-status.js';
import { parseUpid } from './tasks.js';

function vmResource(ctx: RouteCtx, vmid: number): Record<string, unknown> {
  const { fake } = ctx;
  const vm = fake.vms.get(vmid)!;
  const now = Date.now();
  const nodeDown = !!fake.nodes.get(vm.node)?.down;
  const running = vm.status !== 'stopped';
  const out: Record<string, unknown> = {
    id: `qemu/${vm.vmid}`,
    type: 'qemu',
    vmid: vm.vmid,
    node: vm.node,
    name: vm.conf.name ?? `VM ${vm.vmid}`,
    status: nodeDown ? 'unknown' : running ? 'running' : 'stopped',
    template: vm.isTemplate ? 1 : 0,
    maxcpu: cpuCount(vm.conf),
    maxmem: memoryMiB(vm.conf) * 2 ** 20,
    maxdisk: bootDiskSize(fake, vm),
    cpu: running ? vm.load.cpu : 0,
    mem: running ? (vm.load.mem ?? 0) : 0,
    disk: 0,
    uptime: vm.uptime(now),
    ...vmCounters(vm, now),
  };
  if (vm.pool) out.pool = vm.pool;
  if (vm.conf.tags) out.tags = vm.conf.tags;
  if (vm.conf.lock) out.lock = vm.conf.lock;
  return out;
}

const UPID_PROP = { type: 'string' as const, maxLength: 256 };

function taskOf(ctx: RouteCtx) {
  const upid = String(ctx.params.upid);
  const parsed = parseUpid(upid);
  if (!parsed) die(`unable to parse worker upid '${upid}'`);
  const task = ctx.fake.tasks.get(upid);
  if (!task || task.node !== ctx.params.node) die(`no such task`);
  const own = task.user === ctx.principal.id || task.user === ctx.principal.user;
  if (!own) ctx.fake.check(ctx, `/nodes/${task.node}`, 'Sys.Audit');
  return task;
}

function poolJson(ctx: RouteCtx, poolid: string, members: boolean): Record<string, unknown> {
  const p = ctx.fake.pools.get(poolid)!;
  const out: Record<string, unknown> = { poolid };
  if (p.comment !== undefined) out.comment = p.comment;
  if (members) {
    out.members = [
      ...[...p.vms].filter((id) => ctx.fake.vms.has(id)).sort((a, b) => a - b).map((id) => vmResource(ctx, id)),
      ...[...p.storage].map((s) => ({ id: `storage/${ctx.fake.entryNode}/${s}`, type: 'storage', storage: s, node: ctx.fake.entryNode })),
    ];
  }
  return out;
}

function updatePool(ctx: RouteCtx, poolid: string): null {
  const { fake, params } = ctx;
  const p = fake.pools.get(poolid);
  if (!p) die(`pool '${poolid}' does not exist`);
  if (params.comment !== undefined) p.comment = String(params.comment);
  const ids = String(params.vms ?? '').split(/[,; ]/).filter(Boolean).map(Number);
  const stores = String(params.storage ?? '').split(/[,; ]/).filter(Boolean);
  const del = params.delete === 1;
  for (const vmid of ids) {
    fake.checkVm(ctx, vmid, 'VM.Allocate');
    if (del) {
      if (!p.vms.has(vmid)) die(`VM ${vmid} is not a pool member`);
      fake.removeFromPools(vmid);
      continue;
    }
    const vm = fake.vms.get(vmid);
    if (!vm) die(`no such VM '${vmid}'`);
    if (vm.pool && vm.pool !== poolid && params['allow-move'] !== 1) die(`VM ${vmid} belongs already to pool '${vm.pool}' and 'allow-move' is not set`);
    fake.addToPool(poolid, vmid);
  }
  for (const s of stores) {
    if (s !== fake.storage.id) die(`storage '${s}' does not exist`);
    if (del) p.storage.delete(s);
    else p.storage.add(s);
  }
  return null;
}

function deletePool(ctx: RouteCtx, poolid: string): null {
  const p = ctx.fake.pools.get(poolid);
  if (!p) die(`pool '${poolid}' does not exist`);
  if ([...p.vms].some((id) => ctx.fake.vms.has(id)) || p.storage.size) die(`pool '${poolid}' is not empty`);
  ctx.fake.pools.delete(poolid);
  return null;
}

const POOL_UPDATE = { comment: opt({ type: 'string', maxLength: 4096 }), vms: opt({ type: 'string' }), storage: opt({ type: 'string' }), delete: BOOL, 'allow-move': BOOL };

export const clusterRoutes: Route[] = [
  {
    method: 'POST',
    path: '/access/ticket',
    props: { username: { type: 'string', maxLength: 64 }, password: { type: 'string' }, realm: opt({ type: 'string' }), otp: opt({ type: 'string' }), path: opt({ type: 'string' }), privs: opt({ type: 'string' }), 'new-format': BOOL, 'tfa-challenge': opt({ type: 'string' }) },
    handler: (ctx) => {
      let user = String(ctx.params.username);
      if (ctx.params.realm && !user.includes('@')) user = `${user}@${ctx.params.realm}`;
      return ctx.auth.login(user, String(ctx.params.password));
    },
  },
  { method: 'GET', path: '/access/domains', props: {}, handler: () => [{ realm: 'pam', type: 'pam', comment: 'Linux PAM standard authentication' }, { realm: 'pve', type: 'pve', comment: 'Proxmox VE authentication server' }] },
  {
    method: 'GET',
    path: '/version',
    props: {},
    handler: () => ({ version: '8.4.1', release: '8.4', repoid: '2a5fa54a8503f96d' }),
  },
  {
    method: 'GET',
    path: '/nodes',
    props: {},
    handler: (ctx) =>
      [...ctx.fake.nodes.values()].map((n) => ({
        node: n.name,
        status: n.down ? 'offline' : 'online',
        type: 'node',
        id: `node/${n.name}`,
        ...(n.down ? {} : { maxcpu: n.maxcpu, maxmem: n.maxmem, cpu: 0.01, mem: 2 ** 30, uptime: Math.floor((Date.now() - n.bootedAt) / 1000), level: '', ssl_fingerprint: '' }),
      })),
  },
  {
    method: 'GET',
    path: '/cluster/resources',
    props: { type: opt({ type: 'string', enum: ['vm', 'storage', 'node', 'sdn'] }) },
    handler: (ctx) => {
      const { fake } = ctx;
      const type = ctx.params.type as string | undefined;
      const out: Record<string, unknown>[] = [];
      if (!type || type === 'vm') {
        for (const vm of [...fake.vms.values()].sort((a, b) => a.vmid - b.vmid)) {
          if (fake.canSeeVm(ctx, vm)) out.push(vmResource(ctx, vm.vmid));
        }
      }
      if (!type || type === 'node') {
        for (const n of fake.nodes.values()) {
          if (!ctx.auth.allowed(ctx.principal, `/nodes/${n.name}`, 'Sys.Audit')) continue;
          out.push({ id: `node/${n.name}`, type: 'node', node: n.name, status: n.down ? 'offline' : 'online', maxcpu: n.maxcpu, maxmem: n.maxmem, cpu: n.down ? 0 : 0.01, mem: n.down ? 0 : 2 ** 30, disk: 0, maxdisk: 100 * 2 ** 30, uptime: n.down ? 0 : Math.floor((Date.now() - n.bootedAt) / 1000), level: '', cgroup_mode: 2 });
        }
      }
      if (!type || type === 'storage') {
        const used = fake.storage.list().reduce((s, v) => s + (v.base ? 0 : v.size), 0);
        for (const n of fake.nodes.values()) {
          if (!ctx.auth.allowed(ctx.principal, `/storage/${fake.storage.id}`, 'Datastore.Audit')) continue;
          out.push({ id: `storage/${n.name}/${fake.storage.id}`, type: 'storage', storage: fake.storage.id, node: n.name, status: n.down ? 'unknown' : 'available', plugintype: 'rbd', content: 'images,rootdir', shared: 1, disk: used, maxdisk: 10 * 2 ** 40 });
        }
      }
      return out;
    },
  },
  {
    method: 'GET',
    path: '/cluster/nextid',
    props: { vmid: opt(VMID) },
    handler: (ctx) => {
      const { fake } = ctx;
      if (ctx.params.vmid !== undefined) {
        const id = ctx.params.vmid as number;
        if (fake.vms.has(id)) paramError({ vmid: `VM ${id} already exists` });
        return String(id);
      }
      const { lower, upper } = fake.nextIdRange;
      for (let id = lower; id < upper; id++) if (!fake.vms.has(id)) return String(id);
      die('unable to get any free VMID in range');
    },
  },
  {
    method: 'GET',
    path: '/cluster/tasks',
    props: {},
    handler: (ctx) => ctx.fake.tasks.list().map((t) => t.listJson()).reverse(),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    props: { node: NODE, vmid: opt(VMID), typefilter: opt({ type: 'string' }), source: opt({ type: 'string', enum: ['archive', 'active', 'all'] }), start: opt({ type: 'integer', minimum: 0 }), limit: opt({ type: 'integer', minimum: 0 }), errors: BOOL, userfilter: opt({ type: 'string' }), statusfilter: opt({ type: 'string' }), since: opt({ type: 'integer' }), until: opt({ type: 'integer' }) },
    handler: (ctx) => {
      const p = ctx.params;
      let list = ctx.fake.tasks.list().filter((t) => t.node === p.node).reverse();
      if (p.vmid !== undefined) list = list.filter((t) => t.id === String(p.vmid));
      if (p.typefilter) list = list.filter((t) => t.type === p.typefilter);
      if (p.source === 'active') list = list.filter((t) => t.status === 'running');
      else if (p.source !== 'all') list = list.filter((t) => t.status === 'stopped');
      if (p.errors === 1) list = list.filter((t) => t.status === 'stopped' && t.exitstatus !== 'OK');
      const start = (p.start as number | undefined) ?? 0;
      const limit = (p.limit as number | undefined) ?? 50;
      return list.slice(start, start + limit).map((t) => t.listJson());
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/status',
    props: { node: NODE, upid: UPID_PROP },
    handler: (ctx) => taskOf(ctx).statusJson(),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/log',
    props: { node: NODE, upid: UPID_PROP, start: opt({ type: 'integer', minimum: 0 }), limit: opt({ type: 'integer', minimum: 0 }), download: BOOL },
    handler: (ctx) => {
      const t = taskOf(ctx);
      const start = (ctx.params.start as number | undefined) ?? 0;
      const limit = (ctx.params.limit as number | undefined) ?? 50;
      return new WithTotal(t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line })), t.log.length);
    },
  },
  {
    method: 'DELETE',
    path: '/nodes/{node}/tasks/{upid}',
    props: { node: NODE, upid: UPID_PROP },
    handler: (ctx) => {
      const t = taskOf(ctx);
      if (t.status !== 'running') return null;
      t.abort();
      return null;
    },
  },
  {
    method: 'GET',
    path: '/pools',
    props: { poolid: opt(POOL_ID), type: opt({ type: 'string', enum: ['qemu', 'lxc', 'storage'] }) },
    handler: (ctx) => {
      const { fake } = ctx;
      const id = ctx.params.poolid as string | undefined;
      if (id !== undefined) {
        if (!fake.pools.has(id)) die(`pool '${id}' does not exist`);
        fake.check(ctx, `/pool/${id}`, 'Pool.Audit');
        return [poolJson(ctx, id, true)];
      }
      return [...fake.pools.keys()].sort().filter((p) => ctx.auth.allowed(ctx.principal, `/pool/${p}`, 'Pool.Audit')).map((p) => poolJson(ctx, p, false));
    },
  },
  {
    method: 'POST',
    path: '/pools',
    props: { poolid: POOL_ID, comment: opt({ type: 'string', maxLength: 4096 }) },
    perm: (ctx) => ctx.fake.check(ctx, '/pool', 'Pool.Allocate'),
    handler: (ctx) => {
      const poolid = ctx.params.poolid as string;
      if (ctx.fake.pools.has(poolid)) die(`create pool failed: pool '${poolid}' already exists`);
      ctx.fake.pools.set(poolid, { poolid, comment: ctx.params.comment as string | undefined, vms: new Set(), storage: new Set() });
      return null;
    },
  },
  {
    method: 'PUT',
    path: '/pools',
    props: { poolid: POOL_ID, ...POOL_UPDATE },
    perm: (ctx) => ctx.fake.check(ctx, `/pool/${ctx.params.poolid}`, 'Pool.Allocate'),
    handler: (ctx) => updatePool(ctx, ctx.params.poolid as string),
  },
  {
    method: 'DELETE',
    path: '/pools',
    props: { poolid: POOL_ID },
    perm: (ctx) => ctx.fake.check(ctx, `/pool/${ctx.params.poolid}`, 'Pool.Allocate'),
    handler: (ctx) => deletePool(ctx, ctx.params.poolid as string),
  },
  {
    method: 'GET',
    path: '/pools/{poolid}',
    props: { poolid: POOL_ID, type: opt({ type: 'string', enum: ['qemu', 'lxc', 'storage'] }) },
    perm: (ctx) => ctx.fake.check(ctx, `/pool/${ctx.params.poolid}`, 'Pool.Audit'),
    handler: (ctx) => {
      const id = ctx.params.poolid as string;
      if (!ctx.fake.pools.has(id)) die(`pool '${id}' does not exist`);
      const { poolid: _p, ...rest } = poolJson(ctx, id, true);
      return rest;
    },
  },
  {
    method: 'PUT',
    path: '/pools/{poolid}',
    props: { poolid: POOL_ID, ...POOL_UPDATE },
    perm: (ctx) => ctx.fake.check(ctx, `/pool/${ctx.params.poolid}`, 'Pool.Allocate'),
    handler: (ctx) => updatePool(ctx, ctx.params.poolid as string),
  },
  {
    method: 'DELETE',
    path: '/pools/{poolid}',
    props: { poolid: POOL_ID },
    perm: (ctx) => ctx.fake.check(ctx, `/pool/${ctx.params.poolid}`, 'Pool.Allocate'),
    handler: (ctx) => deletePool(ctx, ctx.params.poolid as string),
  },
];

