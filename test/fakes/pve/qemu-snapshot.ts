// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VM snapshots (qemu-server PVE/API2/Qemu.pm `snapshot_list`, `snapshot`, `delsnapshot`,
 * `rollback`, `get_snapshot_config`; PVE::AbstractConfig snapshot_create/delete/rollback;
 * mapping.md "CreateSnapshot" and "Images" (clone with `snapname`)):
 * - a snapshot saves the config and snapshots every disk (not CD drives nor the cloud-init drive)
 *   on the storage, under config lock `snapshot` (`qmsnapshot`), `snapshot-delete`
 *   (`qmdelsnapshot`) and `rollback` (`qmrollback`); the config's `parent` names the latest one;
 * - "snapshot name '<name>' already used", "snapshot '<name>' does not exist", "you can't take a
 *   snapshot if it's a template"; rolling back stops a running VM first; deleting a snapshot that
 *   clones depend on fails in RBD (unprotect busy);
 * - the list ends with the pseudo-entry `current` ("You are here!").
 */
import { die } from './errors.js';
import { driveVolume, isCdrom, isCloudinit, parseDrive } from './drives.js';
import { isDriveKey } from './qemu-schema.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, NODE, VMID, opt, type Prop } from './schema.js';
import type { Vm } from './state.js';
import type { FakePve } from './core.js';
import type { Volume } from './volumes.js';

const SNAPNAME: Prop = {
  type: 'string',
  maxLength: 40,
  format: (v) => {
    if (!/^[a-zA-Z][a-zA-Z0-9_-]+$/.test(v)) throw new Error(`invalid configuration ID '${v}'\n`);
  },
};

/** The volumes a snapshot covers: every disk but CD drives and the cloud-init drive. */
export function snapshotVolumes(fake: FakePve, conf: Record<string, string>): Volume[] {
  const out: Volume[] = [];
  for (const [k, v] of Object.entries(conf)) {
    if (!isDriveKey(k)) continue;
    const d = parseDrive(v);
    if (isCdrom(d) || isCloudinit(d)) continue;
    const vol = driveVolume(fake, v);
    if (vol && !out.includes(vol)) out.push(vol);
  }
  return out;
}

function snapOf(vm: Vm, name: string) {
  const s = vm.snapshots.get(name);
  if (!s) die(`snapshot '${name}' does not exist`);
  return s;
}

const BASE = { node: NODE, vmid: VMID };
const vmOf = (ctx: RouteCtx) => ctx.fake.vmOn(String(ctx.params.node), ctx.params.vmid as number);

export const qemuSnapshotRoutes: Route[] = [
  {
    method: 'GET', path: '/nodes/{node}/qemu/{vmid}/snapshot', props: BASE,
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
    handler: (ctx) => {
      const vm = vmOf(ctx);
      const list: Record<string, unknown>[] = [...vm.snapshots].map(([name, s]) => ({
        name, snaptime: s.snaptime, description: s.description ?? '', vmstate: 0, ...(s.parent ? { parent: s.parent } : {}),
      }));
      list.push({ name: 'current', description: 'You are here!', running: vm.status === 'stopped' ? 0 : 1, digest: vm.digest(), ...(vm.conf.parent ? { parent: vm.conf.parent } : {}) });
      return list;
    },
  },
  {
    method: 'POST', path: '/nodes/{node}/qemu/{vmid}/snapshot', props: { ...BASE, snapname: SNAPNAME, description: opt({ type: 'string' }), vmstate: BOOL },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Snapshot'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vm = vmOf(ctx);
      const name = String(params.snapname);
      const check = () => {
        if (vm.isTemplate) die("you can't take a snapshot if it's a template");
        if (vm.snapshots.has(name)) die(`snapshot name '${name}' already used`);
      };
      check();
      return fake.startTask(vm.node, 'qmsnapshot', vm.vmid, ctx.principal.id, async (t) => {
        await fake.withVmLock(vm.vmid, async () => {
          vm.checkLock();
          check();
          vm.conf.lock = 'snapshot';
        });
        const done: Volume[] = [];
        try {
          for (const vol of snapshotVolumes(fake, vm.conf)) {
            await fake.storage.snapshot(vol, name);
            done.push(vol);
          }
          await t.work();
        } catch (e) {
          for (const vol of done) await fake.storage.removeSnapshot(vol, name).catch(() => {});
          await fake.withVmLock(vm.vmid, async () => void delete vm.conf.lock);
          throw e;
        }
        await fake.withVmLock(vm.vmid, async () => {
          const { lock: _l, parent, ...conf } = vm.conf;
          vm.snapshots.set(name, { conf, description: params.description as string | undefined, snaptime: Math.floor(Date.now() / 1000), ...(parent ? { parent } : {}) });
          vm.conf = { ...conf, parent: name };
        });
      });
    },
  },
  {
    method: 'GET', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config', props: { ...BASE, snapname: SNAPNAME },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
    handler: (ctx) => {
      const s = snapOf(vmOf(ctx), String(ctx.params.snapname));
      return { ...s.conf, snaptime: s.snaptime, ...(s.description ? { description: s.description } : {}), ...(s.parent ? { parent: s.parent } : {}) };
    },
  },
  {
    method: 'DELETE', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}', props: { ...BASE, snapname: SNAPNAME, force: BOOL },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Snapshot'),
    handler: (ctx) => {
      const { fake } = ctx;
      const vm = vmOf(ctx);
      const name = String(ctx.params.snapname);
      snapOf(vm, name);
      return fake.startTask(vm.node, 'qmdelsnapshot', vm.vmid, ctx.principal.id, async (t) => {
        const snap = await fake.withVmLock(vm.vmid, async () => {
          vm.checkLock();
          const s = snapOf(vm, name);
          vm.conf.lock = 'snapshot-delete';
          return s;
        });
        try {
          await t.work();
          for (const vol of snapshotVolumes(fake, snap.conf)) if (vol.snaps.has(name)) await fake.storage.removeSnapshot(vol, name);
        } catch (e) {
          await fake.withVmLock(vm.vmid, async () => void delete vm.conf.lock);
          throw e;
        }
        await fake.withVmLock(vm.vmid, async () => {
          vm.snapshots.delete(name);
          for (const s of vm.snapshots.values()) if (s.parent === name) s.parent = snap.parent;
          if (vm.conf.parent === name) {
            if (snap.parent) vm.conf.parent = snap.parent;
            else delete vm.conf.parent;
          }
          delete vm.conf.lock;
        });
      });
    },
  },
  {
    method: 'POST', path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback', props: { ...BASE, snapname: SNAPNAME, start: BOOL },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Snapshot.Rollback'),
    handler: (ctx) => {
      const { fake } = ctx;
      const vm = vmOf(ctx);
      const name = String(ctx.params.snapname);
      snapOf(vm, name);
      return fake.startTask(vm.node, 'qmrollback', vm.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(vm.vmid, async () => {
          vm.checkLock();
          const snap = snapOf(vm, name);
          vm.conf.lock = 'rollback';
          if (vm.status !== 'stopped') vm.stop(Date.now());
          await t.work();
          for (const vol of snapshotVolumes(fake, snap.conf)) await fake.storage.rollback(vol, name);
          vm.conf = { ...snap.conf, parent: name };
          vm.pending = {};
          vm.pendingDelete.clear();
          if (ctx.params.start === 1) vm.start(Date.now());
        }),
      );
    },
  },
];
