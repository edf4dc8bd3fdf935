// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Drive values in a VM config (qemu-server PVE/QemuServer/Drive.pm and the disk handling of
 * PVE/API2/Qemu.pm, /work/shared/reference/proxmox-mapping.md "Instances" step 5 and "EBS"):
 * - NEW_DISK_RE `^(([^/:\s]+):)?(\d+(\.\d+)?)$` allocates a new volume of that many GiB;
 *   `<storage>:cloudinit` makes the cloud-init drive `vm-<vmid>-cloudinit`;
 * - an existing volume `<storage>:<volname>` is attached as is; one owned by another vmid needs
 *   Datastore.Allocate on the storage, or Datastore.Audit plus VM.Config.Disk on the owner;
 * - removing a drive (delete=…, or replacing it) turns an owned volume into `unusedN`, drops an
 *   unowned one from the config; deleting `unusedN` (or with force=1) destroys the volume.
 */
import type { FakePve } from './core.js';
import { die, permError } from './errors.js';
import { DRIVE_FORMAT, parsePropertyString, printPropertyString } from './propstring.js';
import type { RouteCtx } from './router.js';
import type { Vm } from './state.js';
import { formatSize, type Volume } from './volumes.js';

const NEW_DISK = /^(([^/:\s]+):)?(\d+(\.\d+)?)$/;
const DRIVE_ORDER = ['size', 'discard', 'ssd', 'serial', 'iothread', 'cache', 'media', 'format'];

export function parseDrive(value: string): Record<string, string> {
  return parsePropertyString(value, DRIVE_FORMAT);
}

export function printDrive(d: Record<string, string>): string {
  return printPropertyString(d, DRIVE_ORDER, 'file');
}

export function isCloudinit(d: Record<string, string>): boolean {
  return /(^|:)vm-\d+-cloudinit$/.test(d.file ?? '') || /:cloudinit$/.test(d.file ?? '');
}

export function isCdrom(d: Record<string, string>): boolean {
  return d.media === 'cdrom' || d.file === 'none' || d.file === 'cdrom';
}

/** The storage volume a drive value points at, or undefined (cdrom, other storage). */
export function driveVolume(fake: FakePve, value: string): Volume | undefined {
  const file = parseDrive(value).file ?? '';
  const prefix = `${fake.storage.id}:`;
  return file.startsWith(prefix) ? fake.storage.lookup(file.slice(prefix.length)) : undefined;
}

/** All volumes a config references (drives and unusedN), keyed by config key. */
export function configVolumes(fake: FakePve, conf: Record<string, string>): [string, Volume][] {
  const out: [string, Volume][] = [];
  for (const [k, v] of Object.entries(conf)) {
    if (!/^((scsi|ide|sata|virtio)\d+|efidisk0|unused\d+)$/.test(k)) continue;
    const vol = driveVolume(fake, v);
    if (vol) out.push([k, vol]);
  }
  return out;
}

/**
 * Resolves a drive value being written to `vm`: allocates new disks (NEW_DISK_RE, cloudinit),
 * checks access to existing volumes, and returns the value as PVE stores it (volid + size).
 */
export async function prepareDrive(ctx: RouteCtx, vm: Vm, key: string, value: string): Promise<string> {
  const fake = ctx.fake;
  const d = parseDrive(value);
  const file = d.file ?? '';
  if (isCdrom(d) && !isCloudinit(d)) return value;
  const sid = fake.storage.id;
  const nd = NEW_DISK.exec(file);
  if (nd) {
    const storeid = nd[2] ?? sid;
    if (storeid !== sid) die(`storage '${storeid}' does not exist`);
    fake.check(ctx, `/storage/${sid}`, 'Datastore.AllocateSpace');
    const vol = await fake.storage.alloc(vm.vmid, undefined, Math.round(Number(nd[3]) * 2 ** 30));
    return printDrive({ ...d, file: fake.storage.volid(vol), size: formatSize(vol.size) });
  }
  const cm = /^([^/:\s]+):cloudinit$/.exec(file);
  if (cm) {
    if (cm[1] !== sid) die(`storage '${cm[1]}' does not exist`);
    const name = `vm-${vm.vmid}-cloudinit`;
    const vol = fake.storage.get(name) ?? (await fake.storage.alloc(vm.vmid, name, 4 * 2 ** 20));
    return printDrive({ ...d, file: fake.storage.volid(vol), media: 'cdrom' });
  }
  if (!file.startsWith(`${sid}:`)) {
    const other = /^([^/:\s]+):/.exec(file);
    if (other) die(`storage '${other[1]}' does not exist`);
    die(`unable to parse volume ID '${file}'`);
  }
  const vol = await fake.storage.find(file.slice(sid.length + 1));
  if (!vol) die(`volume '${file}' does not exist`);
  const owner = fake.storage.ownerOf(vol);
  if (owner !== vm.vmid) {
    const full = ctx.auth.allowed(ctx.principal, `/storage/${sid}`, 'Datastore.Allocate');
    if (!full) {
      fake.check(ctx, `/storage/${sid}`, 'Datastore.Audit');
      if (!ctx.auth.allowed(ctx.principal, `/vms/${owner}`, 'VM.Config.Disk', fake.vms.get(owner)?.pool)) {
        permError(`/vms/${owner}`, 'VM.Config.Disk');
      }
    }
  }
  return printDrive({ ...d, file: fake.storage.volid(vol), size: formatSize(vol.size) });
}

function addUnused(conf: Record<string, string>, volid: string): void {
  if (Object.entries(conf).some(([k, v]) => /^unused\d+$/.test(k) && v === volid)) return;
  for (let i = 0; i < 256; i++) {
    if (!(`unused${i}` in conf)) {
      conf[`unused${i}`] = volid;
      return;
    }
  }
}

/** Takes a drive (or unusedN) out of `vm.conf` with PVE's unused/destroy rules. */
export async function detachDrive(fake: FakePve, vm: Vm, key: string, force: boolean): Promise<void> {
  const value = vm.conf[key];
  delete vm.conf[key];
  if (value === undefined) return;
  const vol = driveVolume(fake, value);
  if (!vol) return;
  const owned = fake.storage.ownerOf(vol) === vm.vmid;
  const stillUsed = configVolumes(fake, vm.conf).some(([, v]) => v === vol);
  if (stillUsed) return;
  if (/^unused\d+$/.test(key) || isCloudinit(parseDrive(value)) || (force && owned)) {
    if (owned) await fake.storage.free(vol);
    return;
  }
  if (owned) addUnused(vm.conf, fake.storage.volid(vol));
}

/** Writes `value` at `key`, detaching what was there before. */
export async function replaceDrive(fake: FakePve, vm: Vm, key: string, value: string): Promise<void> {
  const old = vm.conf[key];
  if (old !== undefined && old !== value) {
    const oldVol = driveVolume(fake, old);
    const newVol = driveVolume(fake, value);
    if (oldVol && oldVol !== newVol) await detachDrive(fake, vm, key, false);
  }
  vm.conf[key] = value;
  // A volume attached again leaves its unusedN entry.
  const vol = driveVolume(fake, value);
  if (vol) {
    for (const [k, v] of configVolumes(fake, vm.conf)) if (/^unused\d+$/.test(k) && v === vol) delete vm.conf[k];
  }
}
