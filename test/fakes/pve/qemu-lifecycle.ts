// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Clone, template, destroy and resize (qemu-server PVE/API2/Qemu.pm `clone_vm`, `template`,
 * `destroy_vm`, `resize_vm`; mapping.md "Images", "Instances" steps 2 and 4, "TerminateInstances"):
 * - clone (of the current config, or of snapshot `snapname`: full copies of its disks' snapshots,
 *   or linked clones `vm-<newid>-disk-N` of them): early checks before the UPID (source config on this node, newid free: "unable to
 *   create VM <newid>: config file already exists", pool exists, linked clones only from
 *   templates, `storage`/`format` only for full clones); the `qmclone` worker (UPID id = source
 *   vmid) writes newid's config with `lock: clone` first, so a racing clone to the same newid
 *   fails inside its task; disks are linked clones of the base volumes (`base-X-disk-N/vm-Y-disk-M`)
 *   or full copies; new MACs and smbios uuid; unusedN skipped; `target` places it on another
 *   node (shared RBD); failure removes the new VM and its disks ("clone failed: …");
 * - template: stopped VMs only; disks renamed vm-N-… → base-N-…; `qmtemplate`;
 * - destroy (`qmdestroy`): refused while running ("VM <vmid> is running - destroy failed") or
 *   protected ("can't remove VM <vmid> - protection mode enabled"); a template whose base volume
 *   has linked clones fails ("base volume '<volid>' is still in use by linked cloned"); frees only
 *   volumes owned by the vmid, plus, with destroy-unreferenced-disks=1, every `vm-<vmid>-*` volume;
 *   an owned disk the storage no longer has (renamed on Ceph) is a task warning ("Could not remove
 *   disk '<volid>', check manually: …");
 *   the VM leaves its pool;
 * - resize (`resize`, grow only: "shrinking disks is not supported"), `+N` or absolute size.
 */
import { randomUUID } from 'node:crypto';
import { die } from './errors.js';
import { configVolumes, detachDrive, isCdrom, isCloudinit, parseDrive, printDrive, driveVolume } from './drives.js';
import { NET_FORMAT, parsePropertyString, printNet } from './propstring.js';
import { isDriveKey } from './qemu-schema.js';
import type { Route } from './router.js';
import { BOOL, DIGEST, DNS_NAME, NODE, POOL_ID, STORAGE_ID, VMID, opt } from './schema.js';
import { Vm, randomMac } from './state.js';
import { formatSize, parseSize, parseVolname, type Volume } from './volumes.js';

function newMacs(conf: Record<string, string>): void {
  for (const [k, v] of Object.entries(conf)) {
    if (!/^net\d+$/.test(k)) continue;
    const n = parsePropertyString(v, NET_FORMAT);
    conf[k] = printNet({ ...n, macaddr: randomMac() });
  }
  const smbios = conf.smbios1 ?? '';
  conf.smbios1 = /(^|,)uuid=/.test(smbios) ? smbios.replace(/(^|,)uuid=[^,]*/, `$1uuid=${randomUUID()}`) : `uuid=${randomUUID()}${smbios ? `,${smbios}` : ''}`;
  if (conf.vmgenid) conf.vmgenid = randomUUID();
}

export const qemuLifecycleRoutes: Route[] = [
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/clone',
    props: {
      node: NODE, vmid: VMID, newid: VMID, name: opt(DNS_NAME), description: opt({ type: 'string' }),
      pool: opt(POOL_ID), snapname: opt({ type: 'string', maxLength: 40 }), storage: opt(STORAGE_ID),
      format: opt({ type: 'string', enum: ['raw', 'qcow2', 'vmdk'] }), full: BOOL, target: opt(NODE),
      bwlimit: opt({ type: 'integer', minimum: 0 }),
    },
    perm: (ctx) => {
      const { fake } = ctx;
      fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Clone');
      const pool = ctx.params.pool as string | undefined;
      if (pool) fake.check(ctx, `/pool/${pool}`, 'VM.Allocate');
      else fake.checkVm(ctx, Number(ctx.params.newid), 'VM.Allocate');
    },
    handler: (ctx) => {
      const { fake, params } = ctx;
      const src = fake.vmOn(params.node as string, params.vmid as number);
      const newid = params.newid as number;
      const target = (params.target as string | undefined) ?? src.node;
      if (!fake.nodes.has(target)) die(`no such cluster node '${target}'`);
      const full = params.full === undefined ? !src.isTemplate : params.full === 1;
      if (!full && params.storage !== undefined) die("parameter 'storage' not allowed for linked clones");
      if (!full && params.format !== undefined) die("parameter 'format' not allowed for linked clones");
      if (params.storage !== undefined && params.storage !== fake.storage.id) die(`storage '${params.storage}' does not exist`);
      const pool = params.pool as string | undefined;
      if (pool && !fake.pools.has(pool)) die(`pool '${pool}' does not exist`);
      const snapname = params.snapname as string | undefined;
      const early = () => {
        src.checkLock();
        if (snapname !== undefined && !src.snapshots.has(snapname)) die(`snapshot '${snapname}' does not exist`);
        if (fake.vms.has(newid)) die(`unable to create VM ${newid}: config file already exists`);
        if (!full && !src.isTemplate && snapname === undefined) {
          const disk = Object.keys(src.conf).find((k) => isDriveKey(k) && !isCdrom(parseDrive(src.conf[k]!)));
          if (disk) die(`Linked clone feature is not supported for drive '${disk}'`);
        }
      };
      early();
      // The worker holds the source's flock (shared unless it runs) and newid's, then re-checks.
      const fw = (name: string) => fake.ext.get(name) as ((...a: number[]) => void) | undefined;
      return fake.startTask(src.node, 'qmclone', src.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(src.vmid, () => fake.withVmLock(newid, async () => {
          early();
          const created: Volume[] = [];
          const vm = new Vm(newid, src.node);
          vm.conf = { lock: 'clone' };
          fake.vms.set(newid, vm);
          fw('firewall.cloneVm')?.(src.vmid, newid);
          try {
            const conf: Record<string, string> = { lock: 'clone' };
            const oldconf = snapname !== undefined ? src.snapshots.get(snapname)!.conf : src.conf;
            for (const [k, v] of Object.entries(oldconf)) {
              if (/^unused\d+$/.test(k) || ['template', 'lock', 'parent', 'snaptime', 'vmstate'].includes(k)) continue;
              conf[k] = v;
            }
            newMacs(conf);
            conf.name = params.name !== undefined ? String(params.name) : `Copy-of-VM-${src.conf.name ?? src.vmid}`;
            if (params.description) conf.description = String(params.description);
            for (const k of Object.keys(conf).sort()) {
              if (!isDriveKey(k)) continue;
              const d = parseDrive(conf[k]!);
              if (isCdrom(d) && !isCloudinit(d)) continue;
              const base = driveVolume(fake, conf[k]!);
              if (!base) continue;
              const vol = isCloudinit(d)
                ? await fake.storage.alloc(newid, `vm-${newid}-cloudinit`, base.size)
                : full
                  ? await fake.storage.fullCopy(base, newid, undefined, snapname)
                  : snapname !== undefined
                    ? await fake.storage.cloneSnapshot(base, snapname, newid)
                    : await fake.storage.linkedClone(base, newid);
              created.push(vol);
              conf[k] = printDrive({ ...d, file: fake.storage.volid(vol), ...(isCloudinit(d) ? {} : { size: formatSize(vol.size) }) });
              vm.conf = { ...conf };
            }
            vm.conf = { ...conf };
            await t.work();
            delete vm.conf.lock;
            vm.node = target;
            if (pool) fake.addToPool(pool, newid);
          } catch (e) {
            for (const vol of created.reverse()) await fake.storage.free(vol).catch(() => {});
            fw('firewall.removeVm')?.(newid);
            fake.removeFromPools(newid);
            if (fake.vms.get(newid) === vm) fake.vms.delete(newid);
            throw new Error(`clone failed: ${(e as Error).message}`);
          }
        }), src.status === 'stopped'),
      );
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/template',
    props: { node: NODE, vmid: VMID, disk: opt({ type: 'string' }) },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Allocate'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vm = fake.vmOn(params.node as string, params.vmid as number);
      if (vm.isTemplate) die("you can't convert a template to a template");
      if (vm.status !== 'stopped') die("you can't convert a VM to template if VM is running");
      vm.checkLock();
      return fake.startTask(vm.node, 'qmtemplate', vm.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(vm.vmid, async () => {
          vm.checkLock();
          if (vm.status !== 'stopped') die("you can't convert a VM to template if VM is running");
          await t.work();
          for (const [k, v] of Object.entries(vm.conf)) {
            if (!isDriveKey(k) || (params.disk !== undefined && params.disk !== k)) continue;
            const d = parseDrive(v);
            if (isCdrom(d) || isCloudinit(d)) continue;
            const vol = driveVolume(fake, v);
            if (!vol || fake.storage.ownerOf(vol) !== vm.vmid) continue;
            const base = await fake.storage.makeBase(vol);
            vm.conf[k] = printDrive({ ...d, file: fake.storage.volid(base) });
          }
          vm.conf.template = '1';
        }),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/nodes/{node}/qemu/{vmid}',
    props: { node: NODE, vmid: VMID, purge: BOOL, 'destroy-unreferenced-disks': BOOL, skiplock: BOOL },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Allocate'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vm = fake.vmOn(params.node as string, params.vmid as number);
      const early = () => {
        if (vm.conf.protection === '1') die(`can't remove VM ${vm.vmid} - protection mode enabled`);
        if (vm.status !== 'stopped') die(`VM ${vm.vmid} is running - destroy failed`);
      };
      early();
      return fake.startTask(vm.node, 'qmdestroy', vm.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(vm.vmid, async () => {
          if (fake.vms.get(vm.vmid) !== vm) die(`Configuration file '${vm.confPath()}' does not exist`);
          early();
          vm.checkLock(params.skiplock === 1);
          // PVE reads the storage itself: what was renamed or removed on Ceph meanwhile is gone
          await fake.storage.sync();
          const vols = configVolumes(fake, vm.conf);
          for (const [, vol] of vols) {
            if (fake.storage.childrenOf(vol.image).length) die(`base volume '${fake.storage.volid(vol)}' is still in use by linked cloned`);
          }
          vm.conf.lock = 'destroyed';
          await t.work();
          for (const [k, vol] of vols) {
            if (fake.storage.ownerOf(vol) !== vm.vmid) continue;
            await detachDrive(fake, vm, k, true);
          }
          // destroy_vm: an owned disk that cannot be freed is a warning, not an error
          for (const [k, v] of Object.entries(vm.conf)) {
            if (!/^((scsi|ide|sata|virtio)\d+|efidisk0|unused\d+)$/.test(k) || driveVolume(fake, v)) continue;
            const file = parseDrive(v).file ?? '';
            const p = file.startsWith(`${fake.storage.id}:`) ? parseVolname(file.slice(fake.storage.id.length + 1)) : undefined;
            if (!p || p.owner !== vm.vmid) continue;
            t.log.push(`WARN: Could not remove disk '${file}', check manually: rbd error: rbd: error opening image ${p.image}: (2) No such file or directory`);
            t.warnings++;
          }
          if (params['destroy-unreferenced-disks'] === 1) {
            for (const vol of fake.storage.list()) {
              if (fake.storage.ownerOf(vol) === vm.vmid) await fake.storage.free(vol);
            }
          }
          fake.removeFromPools(vm.vmid);
          const fw = fake.ext.get('firewall.removeVm') as ((vmid: number) => void) | undefined;
          fw?.(vm.vmid);
          fake.vms.delete(vm.vmid);
        }),
      );
    },
  },
  {
    method: 'PUT',
    path: '/nodes/{node}/qemu/{vmid}/resize',
    props: { node: NODE, vmid: VMID, disk: { type: 'string', enum: Object.keys({ efidisk0: 1, ...Object.fromEntries([...Array(31).keys()].map((i) => [`scsi${i}`, 1])), ...Object.fromEntries([...Array(16).keys()].map((i) => [`virtio${i}`, 1])), ...Object.fromEntries([...Array(6).keys()].map((i) => [`sata${i}`, 1])), ...Object.fromEntries([...Array(4).keys()].map((i) => [`ide${i}`, 1])) }) }, size: { type: 'string', pattern: /\+?\d+(\.\d+)?[KMGT]?/ }, digest: DIGEST, skiplock: BOOL },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Config.Disk'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vm = fake.vmOn(params.node as string, params.vmid as number);
      return fake.startTask(vm.node, 'resize', vm.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(vm.vmid, async () => {
          if (params.digest !== undefined && params.digest !== vm.digest()) die('detected modified configuration - file changed by other user? Try again.');
          vm.checkLock(params.skiplock === 1);
          const key = params.disk as string;
          const value = vm.conf[key];
          if (!value) die(`disk '${key}' does not exist`);
          const d = parseDrive(value);
          if (isCdrom(d)) die(`you can't resize a cdrom`);
          const vol = driveVolume(fake, value);
          if (!vol) die(`disk '${key}' does not exist`);
          const spec = String(params.size);
          const rel = spec.startsWith('+');
          const n = parseSize(rel ? spec.slice(1) : spec, 'B')!;
          const newSize = rel ? vol.size + n : n;
          if (newSize < vol.size) die(`shrinking disks is not supported`);
          await t.work();
          await fake.storage.resize(vol, newSize);
          vm.conf[key] = printDrive({ ...d, size: formatSize(newSize) });
        }),
      );
    },
  },
];
