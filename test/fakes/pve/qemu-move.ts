// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * `POST /nodes/{node}/qemu/{vmid}/move_disk` (qemu-server PVE/API2/Qemu.pm `move_vm_disk`;
 * mapping.md "alternative: reassign"): with `target-vmid`, the disk's volume is renamed to the
 * first free `vm-<target>-disk-N` (a linked clone keeps its `base-…/` prefix, RBDPlugin
 * rename_volume) and moves from the source config to `target-disk` of the target (default: the
 * same key), in a `qmmove` task whose id is `<vmid>-<disk>><target>-<target-disk>`. Checks (before
 * the UPID and again under both config locks): both VMs exist and sit on the same node, neither is
 * locked nor a template, digests, the disk exists and is no CD drive, the target key is free, and a
 * running source gives up only `unusedN`. The storage mode (`storage`) has only the one RBD storage
 * to move to, which PVE refuses as the same storage.
 */
import { die, paramError } from './errors.js';
import { driveVolume, isCdrom, parseDrive, printDrive } from './drives.js';
import { DRIVE_BUSES } from './qemu-schema.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, DIGEST, NODE, STORAGE_ID, VMID, opt } from './schema.js';
import type { Vm } from './state.js';

const DISK_KEYS = [
  'efidisk0',
  ...Object.entries(DRIVE_BUSES).flatMap(([bus, n]) => [...Array(n).keys()].map((i) => `${bus}${i}`)),
  ...[...Array(256).keys()].map((i) => `unused${i}`),
];

const MODIFIED = 'detected modified configuration - file changed by other user? Try again.';

function reassignChecks(ctx: RouteCtx, vmid: number, target: number, disk: string, targetDisk: string): { src: Vm; dst: Vm } {
  const { fake, params } = ctx;
  const src = fake.vms.get(vmid);
  if (!src) die(`could not find VM ${vmid}`);
  const dst = fake.vms.get(target);
  if (!dst) die(`could not find target VM ${target}`);
  if (src.node !== dst.node) die(`Both VMs need to be on the same node (${src.node} != ${dst.node})`);
  src.checkLock();
  dst.checkLock();
  if (src.isTemplate || dst.isTemplate) die("Can't move disks from or to template VMs");
  if (params.digest !== undefined && params.digest !== src.digest()) die(`VM ${vmid}: ${MODIFIED}`);
  if (params['target-digest'] !== undefined && params['target-digest'] !== dst.digest()) die(`VM ${target}: ${MODIFIED}`);
  const value = src.conf[disk];
  if (value === undefined) die(`Disk '${disk}' for VM '${vmid}' does not exist`);
  if (dst.conf[targetDisk] !== undefined) die(`Target disk key '${targetDisk}' is already in use for VM '${target}'`);
  if (isCdrom(parseDrive(value))) die("CD drive contents can't be moved to another VM");
  if (!driveVolume(fake, value)) die(`Volume '${parseDrive(value).file}' not managed by PVE`);
  if ([...src.snapshots.values()].some((snap) => Object.values(snap.conf).some((v) => v.includes(parseDrive(value).file ?? '\0')))) {
    die("Can't move disk used by a snapshot to another VM");
  }
  if (src.status !== 'stopped' && !/^unused\d+$/.test(disk)) die('Cannot move disk to another VM while the source VM is running - detach first');
  return { src, dst };
}

export const qemuMoveRoutes: Route[] = [
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/move_disk',
    props: {
      node: NODE, vmid: VMID, 'target-vmid': opt(VMID), disk: { type: 'string', enum: DISK_KEYS },
      storage: opt(STORAGE_ID), format: opt({ type: 'string', enum: ['raw', 'qcow2', 'vmdk'] }), delete: BOOL,
      digest: DIGEST, bwlimit: opt({ type: 'integer', minimum: 0 }),
      'target-disk': opt({ type: 'string', enum: DISK_KEYS }), 'target-digest': DIGEST,
    },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Config.Disk'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vmid = params.vmid as number;
      const target = params['target-vmid'] as number | undefined;
      const disk = String(params.disk);
      const targetDisk = (params['target-disk'] as string | undefined) ?? disk;
      if (target !== undefined && params.storage !== undefined) {
        const msg = "either set 'storage' or 'target-vmid', but not both";
        paramError({ 'target-vmid': msg, storage: msg });
      }
      if (target === undefined && params.storage === undefined) {
        const msg = "both 'storage' and 'target-vmid' missing, either needs to be set";
        paramError({ 'target-vmid': msg, storage: msg });
      }
      if (target === undefined) {
        fake.check(ctx, `/storage/${params.storage}`, 'Datastore.AllocateSpace');
        if (/^unused\d+$/.test(disk)) die(`cannot move disk '${disk}', only configured disks can be moved to another storage`);
        const vm = fake.vmOn(String(params.node), vmid);
        if (vm.conf[disk] === undefined) die(`disk '${disk}' does not exist`);
        if (params.storage !== fake.storage.id) die(`storage '${params.storage}' does not exist`);
        die("you can't move to the same storage with same format");
      }
      fake.checkVm(ctx, target, 'VM.Config.Disk');
      if (target === vmid) paramError({ 'target-vmid': 'must be different than source VMID to reassign disk' });
      reassignChecks(ctx, vmid, target, disk, targetDisk);
      fake.check(ctx, `/storage/${fake.storage.id}`, 'Datastore.AllocateSpace');
      return fake.startTask(String(params.node), 'qmmove', `${vmid}-${disk}>${target}-${targetDisk}`, ctx.principal.id, (t) =>
        fake.withVmLock(vmid, () =>
          fake.withVmLock(target, async () => {
            const { src, dst } = reassignChecks(ctx, vmid, target, disk, targetDisk);
            const value = src.conf[disk]!;
            const vol = driveVolume(fake, value)!;
            await t.work();
            t.log.push(`moving disk '${disk}' from VM '${vmid}' to '${target}'`);
            const moved = await fake.storage.rename(vol, fake.storage.freeName(target));
            const d = parseDrive(value);
            delete src.conf[disk];
            t.log.push(`removing disk '${disk}' from VM '${vmid}' config`);
            const volid = fake.storage.volid(moved);
            dst.conf[targetDisk] = /^unused\d+$/.test(targetDisk) ? volid : printDrive({ ...d, file: volid });
          }),
        ),
      );
    },
  },
];
