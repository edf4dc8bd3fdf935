// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS snapshots for the Proxmox backend. PVE has only whole-VM snapshots, so per-volume snapshots
 * and volumes made from them go straight to Ceph through the project's EBS volume driver
 * (translators/volumes/driver.ts, `ec2.volumes: rbd` with `backends.ceph`): its images are
 * `vm-<holderVmid>-vol-…`, the names this backend gives EBS volumes on the PVE RBD storage, so both
 * see the same images. Without that driver (or for a root disk, which is the VM's own linked clone
 * `vm-<vmid>-disk-0`) a snapshot is reported `error` and a volume from a snapshot is refused.
 */
import type { Gateway } from '../../../src/gateway.js';
import type { VolumeDriver } from '../../volumes/driver.js';

/** The project's EBS volume driver (this backend uses its create/delete/grow and snapshot calls). */
export type EbsDriver = VolumeDriver;

/** The RBD volume driver when `ec2.volumes` is `rbd`, checked against this backend's holder vmid. */
export async function loadEbsDriver(gw: Gateway, holderVmid: number): Promise<EbsDriver | undefined> {
  if ((gw.config.ec2 as Record<string, unknown>).volumes !== 'rbd') return undefined;
  const { createVolumeDriver } = await import('../../volumes/driver.js');
  const driver = createVolumeDriver(gw) as EbsDriver & { holderVmid?: number };
  if (driver.holderVmid !== undefined && driver.holderVmid !== holderVmid) {
    throw new Error(`backends.ceph.holderVmid (${driver.holderVmid}) must equal backends.proxmox.holderVmid (${holderVmid}): both name the same RBD images`);
  }
  return driver;
}
