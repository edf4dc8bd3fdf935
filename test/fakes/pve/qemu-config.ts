// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VM creation and configuration (qemu-server PVE/API2/Qemu.pm `create_vm`, `vm_config`,
 * `vm_pending`, `update_vm_async` (POST) and `update_vm` (PUT); mapping.md "Instances" step 3):
 * - changes go to the pending section first; POST returns a `qmconfig` UPID whose worker applies
 *   them (null when nothing changed), PUT applies them at once; on a running VM only hotpluggable
 *   keys (hotplug default `network,disk,usb`, plus the "fast plug" options) are applied, the rest
 *   stay pending until the next start/reboot;
 * - `digest` must match the current config digest ("detected modified configuration - file
 *   changed by other user? Try again."); a config `lock` refuses changes unless `skiplock`;
 * - new disks are allocated synchronously (before the worker), as `create_disks` does;
 * - create: "VM <vmid> already exists on node '<node>'"; the new VM holds `lock: create` while
 *   its `qmcreate` task runs; net MACs and smbios1 uuid are generated when not given.
 */
import { randomUUID } from 'node:crypto';
import type { FakePve } from './core.js';
import { die, paramError } from './errors.js';
import { detachDrive, prepareDrive, replaceDrive } from './drives.js';
import { NET_FORMAT, parsePropertyString, printNet } from './propstring.js';
import { CONFIG_META_PROPS, CONFIG_PROPS, isDriveKey, isHotpluggable } from './qemu-schema.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, NODE, POOL_ID, STORAGE_ID, VMID, opt, type Params } from './schema.js';
import { Vm, randomMac } from './state.js';
import { vmSummary } from './qemu-status.js';

function confValue(v: unknown): string {
  return String(v);
}

function configChanges(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(CONFIG_PROPS)) if (params[k] !== undefined) out[k] = confValue(params[k]);
  return out;
}

/** Fills what PVE generates: MAC addresses on netN, smbios1 uuid, vmgenid. */
function withGenerated(changes: Record<string, string>, fresh: boolean): Record<string, string> {
  const out = { ...changes };
  for (const [k, v] of Object.entries(out)) {
    if (!/^net\d+$/.test(k)) continue;
    const n = parsePropertyString(v, NET_FORMAT);
    if (!n.macaddr) {
      n.macaddr = randomMac();
      out[k] = printNet(n);
    }
  }
  if (fresh) {
    if (!out.smbios1) out.smbios1 = `uuid=${randomUUID()}`;
    else if (!/(^|,)uuid=/.test(out.smbios1)) out.smbios1 = `uuid=${randomUUID()},${out.smbios1}`;
    out.vmgenid ??= randomUUID();
  }
  return out;
}

/** Applies pending changes; on a running VM only the hotpluggable ones. */
export async function applyPending(fake: FakePve, vm: Vm, force = false): Promise<void> {
  const running = vm.status !== 'stopped';
  const hotplug = vm.conf.hotplug;
  for (const k of [...vm.pendingDelete]) {
    if (running && !isHotpluggable(k, hotplug)) continue;
    vm.pendingDelete.delete(k);
    if (isDriveKey(k) || /^unused\d+$/.test(k)) await detachDrive(fake, vm, k, force);
    else delete vm.conf[k];
  }
  for (const [k, v] of Object.entries(vm.pending)) {
    if (running && !isHotpluggable(k, hotplug)) continue;
    delete vm.pending[k];
    if (isDriveKey(k)) await replaceDrive(fake, vm, k, v);
    else vm.conf[k] = v;
  }
}

async function writePending(ctx: RouteCtx, vm: Vm, params: Params): Promise<boolean> {
  const fake = ctx.fake;
  if (!fake.vms.has(vm.vmid)) die(`Configuration file '${vm.confPath()}' does not exist`);
  if (params.digest !== undefined && params.digest !== vm.digest()) {
    die('detected modified configuration - file changed by other user? Try again.');
  }
  vm.checkLock(params.skiplock === 1);
  const changes = withGenerated(configChanges(params), false);
  const deletes = String(params.delete ?? '').split(/[,; ]/).filter(Boolean);
  const both = deletes.filter((k) => k in changes);
  if (both.length) die(`you can't modify and delete the same option '${both[0]}'`);
  for (const k of deletes) {
    if (!(k in CONFIG_PROPS)) paramError({ delete: `unknown option '${k}'` });
  }
  let changed = false;
  for (const [k, v] of Object.entries(changes)) {
    const value = isDriveKey(k) ? await prepareDrive(ctx, vm, k, v) : v;
    if (vm.conf[k] === value && !(k in vm.pending)) continue;
    vm.pending[k] = value;
    vm.pendingDelete.delete(k);
    changed = true;
  }
  for (const k of deletes) {
    if (!(k in vm.conf) && !(k in vm.pending)) continue;
    delete vm.pending[k];
    if (k in vm.conf) vm.pendingDelete.add(k);
    changed = true;
  }
  const revert = String(params.revert ?? '').split(/[,; ]/).filter(Boolean);
  for (const k of revert) {
    delete vm.pending[k];
    vm.pendingDelete.delete(k);
    changed = true;
  }
  return changed;
}

/** POST (async: a qmconfig task applies the pending changes) and PUT (sync). */
async function updateConfig(ctx: RouteCtx, sync: boolean): Promise<string | null> {
  rootOnlyOptions(ctx);
  const { fake, params } = ctx;
  const vm = fake.vmOn(params.node as string, params.vmid as number);
  const force = params.force === 1;
  if (sync) {
    await fake.withVmLock(vm.vmid, async () => {
      if (await writePending(ctx, vm, params)) await applyPending(fake, vm, force);
    });
    return null;
  }
  const changed = await fake.withVmLock(vm.vmid, () => writePending(ctx, vm, params));
  if (!changed) return null;
  return fake.startTask(vm.node, 'qmconfig', vm.vmid, ctx.principal.id, (t) =>
    fake.withVmLock(vm.vmid, async () => {
      await t.work();
      await applyPending(fake, vm, force);
    }),
  );
}

const CONFIG_WRITE_PROPS = { node: NODE, vmid: VMID, ...CONFIG_PROPS, ...CONFIG_META_PROPS };

/** check_vm_modify_config_perm (in the method's code, after the schema check): `arch` only for root@pam itself, not even its API tokens. */
export function rootOnlyOptions(ctx: RouteCtx): void {
  if (ctx.params.arch !== undefined && ctx.principal.id !== 'root@pam') die("only root can set 'arch' config");
}

function permConfig(ctx: RouteCtx): void {
  const vmid = Number(ctx.params.vmid);
  const keys = Object.keys(ctx.params).filter((k) => k in CONFIG_PROPS || k === 'delete');
  const priv = (k: string) =>
    isDriveKey(k) ? 'VM.Config.Disk' : /^net\d+$/.test(k) ? 'VM.Config.Network' : /^(cores|sockets|vcpus|cpu|cpulimit|cpuunits)$/.test(k) ? 'VM.Config.CPU' : /^(memory|balloon|shares)$/.test(k) ? 'VM.Config.Memory' : /^(ipconfig\d+|ci\w+|nameserver|searchdomain|sshkeys)$/.test(k) ? 'VM.Config.Cloudinit' : 'VM.Config.Options';
  for (const p of new Set(keys.map(priv))) ctx.fake.checkVm(ctx, vmid, p);
  if (!keys.length) ctx.fake.checkVm(ctx, vmid, 'VM.Config.Options');
}

export const qemuConfigRoutes: Route[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/qemu',
    props: { node: NODE, full: BOOL },
    handler: (ctx) => {
      const now = Date.now();
      return [...ctx.fake.vms.values()]
        .filter((vm) => vm.node === ctx.params.node && ctx.fake.canSeeVm(ctx, vm))
        .map((vm) => vmSummary(ctx.fake, vm, now));
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu',
    props: { node: NODE, vmid: VMID, pool: opt(POOL_ID), storage: opt(STORAGE_ID), start: BOOL, unique: BOOL, ...CONFIG_PROPS },
    perm: (ctx) => {
      const pool = ctx.params.pool as string | undefined;
      if (pool) ctx.fake.check(ctx, `/pool/${pool}`, 'VM.Allocate');
      else ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Allocate');
    },
    handler: (ctx) => {
      rootOnlyOptions(ctx);
      const { fake, params } = ctx;
      const vmid = params.vmid as number;
      const node = params.node as string;
      const existing = fake.vms.get(vmid);
      if (existing) die(`VM ${vmid} already exists on node '${existing.node}'`);
      const pool = params.pool as string | undefined;
      if (pool && !fake.pools.has(pool)) die(`pool '${pool}' does not exist`);
      const vm = new Vm(vmid, node);
      vm.conf.lock = 'create';
      fake.vms.set(vmid, vm);
      const changes = withGenerated(configChanges(params), true);
      return fake.startTask(node, 'qmcreate', vmid, ctx.principal.id, async (t) => {
        try {
          await fake.withVmLock(vmid, async () => {
            for (const [k, v] of Object.entries(changes)) {
              vm.conf[k] = isDriveKey(k) ? await prepareDrive(ctx, vm, k, v) : v;
            }
            await t.work();
            if (pool) fake.addToPool(pool, vmid);
            delete vm.conf.lock;
          });
        } catch (e) {
          for (const k of Object.keys(vm.conf)) if (isDriveKey(k)) await detachDrive(fake, vm, k, true).catch(() => {});
          fake.removeFromPools(vmid);
          fake.vms.delete(vmid);
          throw e;
        }
        if (params.start === 1) vm.start(Date.now());
      });
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/config',
    props: { node: NODE, vmid: VMID, current: BOOL, snapshot: opt({ type: 'string', maxLength: 40 }) },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
    handler: (ctx) => {
      const vm = ctx.fake.vmOn(ctx.params.node as string, ctx.params.vmid as number);
      const conf = ctx.params.current === 1 ? { ...vm.conf } : vm.effectiveConf();
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(conf)) {
        const p = CONFIG_PROPS[k];
        out[k] = p && (p.type === 'integer' || p.type === 'boolean') && /^-?\d+$/.test(v) ? Number(v) : v;
      }
      out.digest = vm.digest();
      return out;
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/pending',
    props: { node: NODE, vmid: VMID },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
    handler: (ctx) => {
      const vm = ctx.fake.vmOn(ctx.params.node as string, ctx.params.vmid as number);
      const keys = new Set([...Object.keys(vm.conf), ...Object.keys(vm.pending), ...vm.pendingDelete]);
      return [...keys].sort().map((key) => {
        const e: Record<string, unknown> = { key };
        if (key in vm.conf) e.value = vm.conf[key];
        if (key in vm.pending) e.pending = vm.pending[key];
        if (vm.pendingDelete.has(key)) e.delete = 1;
        return e;
      });
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/config',
    props: CONFIG_WRITE_PROPS,
    perm: permConfig,
    handler: (ctx) => updateConfig(ctx, false),
  },
  {
    method: 'PUT',
    path: '/nodes/{node}/qemu/{vmid}/config',
    props: CONFIG_WRITE_PROPS,
    perm: permConfig,
    handler: (ctx) => updateConfig(ctx, true),
  },
];
