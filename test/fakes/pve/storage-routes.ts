// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Storage routes on the RBD storage (pve-storage PVE/API2/Storage/Content.pm, Status.pm;
 * mapping.md "EBS → RBD volumes"):
 * - `POST /nodes/{node}/storage/{storage}/content {vmid, filename, size}` allocates synchronously
 *   and returns the volid; `filename` must be `vm-<vmid>-…`; `vmid` need not be a VM;
 * - `GET …/content[?content=images&vmid=]` → [{volid, format, size, used, vmid, parent?, ctime}],
 *   of what really is in the pool when the images are on Ceph (RbdStorage.sync);
 * - `GET …/content/{volume}` → {path, size, used, format}; `DELETE …/content/{volume}` → `imgdel`
 *   task (id `<owner vmid>@<storage>`) (returns null instead when `delay` is given and the task ends within it). PVE does not
 *   check VM configs before deleting; RBD refuses while linked clones exist;
 * - `{volume}` takes the rest of the path (`fragmentDelimiter => ''`: volids may contain '/').
 */
import { die } from './errors.js';
import type { Route, RouteCtx } from './router.js';
import { NODE, STORAGE_ID, VMID, opt } from './schema.js';
import { parseSize, parseVolname, type Volume } from './volumes.js';

function storageOf(ctx: RouteCtx) {
  const { fake } = ctx;
  if (ctx.params.storage !== fake.storage.id) die(`storage '${ctx.params.storage}' does not exist`);
  return fake.storage;
}

async function volumeOf(ctx: RouteCtx): Promise<Volume> {
  const st = storageOf(ctx);
  let volume = String(ctx.params.volume);
  if (volume.startsWith(`${st.id}:`)) volume = volume.slice(st.id.length + 1);
  else if (/^[^/:\s]+:/.test(volume)) die(`storage '${volume.split(':')[0]}' does not exist`);
  const v = await st.find(volume);
  if (!v) die(`no such volume '${st.id}:${volume}'`);
  return v;
}

export const storageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    props: { node: NODE, content: opt({ type: 'string' }), storage: opt(STORAGE_ID), enabled: opt({ type: 'boolean' }), format: opt({ type: 'boolean' }), target: opt(NODE) },
    handler: (ctx) => {
      const st = ctx.fake.storage;
      const used = st.list().reduce((s, v) => s + (v.base ? 0 : v.size), 0);
      return [{ storage: st.id, type: 'rbd', content: 'images,rootdir', shared: 1, active: 1, enabled: 1, total: 10 * 2 ** 40, used, avail: 10 * 2 ** 40 - used, used_fraction: used / (10 * 2 ** 40) }];
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage/{storage}/content',
    props: { node: NODE, storage: STORAGE_ID, content: opt({ type: 'string' }), vmid: opt(VMID) },
    perm: (ctx) => ctx.fake.check(ctx, `/storage/${ctx.params.storage}`, 'Datastore.Audit'),
    handler: async (ctx) => {
      const st = storageOf(ctx);
      if (ctx.params.content !== undefined && ctx.params.content !== 'images') return [];
      await st.sync();
      return st
        .list()
        .filter((v) => ctx.params.vmid === undefined || st.ownerOf(v) === ctx.params.vmid)
        .map((v) => st.contentJson(v));
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/storage/{storage}/content',
    props: { node: NODE, storage: STORAGE_ID, vmid: VMID, filename: { type: 'string' }, size: { type: 'string', pattern: /\d+[MG]?/ }, format: opt({ type: 'string', enum: ['raw', 'qcow2', 'subvol', 'vmdk'] }) },
    perm: (ctx) => ctx.fake.check(ctx, `/storage/${ctx.params.storage}`, 'Datastore.AllocateSpace'),
    handler: async (ctx) => {
      const st = storageOf(ctx);
      const vmid = ctx.params.vmid as number;
      const name = String(ctx.params.filename);
      if (ctx.params.format !== undefined && ctx.params.format !== 'raw') die(`unsupported format '${ctx.params.format}'`);
      const p = parseVolname(name);
      if (!p || p.owner !== vmid || p.isBase) die(`illegal name '${name}' - should be 'vm-${vmid}-*'`);
      const size = parseSize(String(ctx.params.size), 'K')!;
      const v = await st.alloc(vmid, name, size);
      return st.volid(v);
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage/{storage}/content/{volume*}',
    props: { node: NODE, storage: STORAGE_ID, volume: { type: 'string' } },
    perm: (ctx) => ctx.fake.check(ctx, `/storage/${ctx.params.storage}`, 'Datastore.Audit'),
    handler: async (ctx) => {
      const v = await volumeOf(ctx);
      return { path: `rbd:rbd/${v.image}:conf=/etc/pve/ceph.conf`, size: v.size, used: v.base ? 0 : v.size, format: 'raw' };
    },
  },
  {
    method: 'DELETE',
    path: '/nodes/{node}/storage/{storage}/content/{volume*}',
    props: { node: NODE, storage: STORAGE_ID, volume: { type: 'string' }, delay: opt({ type: 'integer', minimum: 1, maximum: 30 }) },
    perm: (ctx) => ctx.fake.check(ctx, `/storage/${ctx.params.storage}`, 'Datastore.Allocate'),
    handler: async (ctx) => {
      const { fake } = ctx;
      const v = await volumeOf(ctx);
      // Content.pm: the task id is `<owner vmid>@<storage>` (a volid's colon would break the UPID)
      const upid = fake.startTask(String(ctx.params.node), 'imgdel', `${fake.storage.ownerOf(v)}@${fake.storage.id}`, ctx.principal.id, async (t) => {
        await t.work();
        if (fake.storage.get(v.image) !== v) die(`no such volume '${fake.storage.volid(v)}'`);
        await fake.storage.free(v);
      });
      const delay = ctx.params.delay as number | undefined;
      if (delay) {
        const task = fake.tasks.get(upid)!;
        const until = Date.now() + delay * 1000;
        while (task.status === 'running' && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        if (task.status === 'stopped') return null;
      }
      return upid;
    },
  },
];
