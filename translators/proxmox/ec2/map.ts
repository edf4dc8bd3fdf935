// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What the gateway knows that PVE does not (table `pve-ec2`): instance id ↔ vmid/node, volume id ↔
 * RBD volid and slot, guest addresses for the metadata service, and the vmid counter. Keys:
 *   inst/<account>/<i-…>   InstanceMap
 *   vmid/<vmid>            '<account>/<i-…>'
 *   ip/<private ip>        '<account>/<i-…>'
 *   vol/<account>/<vol-…>  VolumeMap
 *   seq/vmid               next vmid to try
 *   tpl/<vmid>             TemplateMap: a template VM made by CreateImage
 *   tsnap/<account>/<snap> the template vmid whose root disk holds an EBS snapshot's bytes
 */
import type { StateStore } from '../../../src/state/store.js';

export const MAP_TABLE = 'pve-ec2';

export interface InstanceMap {
  accountId: string;
  instanceId: string;
  vmid: number;
  node: string;
  zone: string;
  privateIp: string;
  macAddress: string;
  subnetId: string;
  imageId: string;
  instanceType: string;
  userData?: string;
  sshPublicKey?: string;
  rootVolumeId: string;
  /** The template the VM is a linked clone of (it cannot be destroyed while this VM lives). */
  templateVmid?: number;
  /** Set once the VM exists in PVE (the clone task ended). */
  created?: boolean;
  /** When `created` was set (epoch ms): listings asked for before it may not show the VM. */
  createdAt?: number;
  /** Set by terminate: the reconciler no longer reports the VM's absence. */
  terminating?: boolean;
}

export interface VolumeMap {
  accountId: string;
  volumeId: string;
  zone: string;
  sizeGiB: number;
  /** `<storage>:vm-<holder>-vol-…` for EBS volumes; for a root disk, what the VM config says. */
  volid?: string;
  /** A root disk cloned with its VM (owned by the VM's vmid) rather than a holder volume. */
  rootOf?: string;
  /** Where it is attached: instance and config slot (scsiN). */
  attachedTo?: string;
  slot?: string;
  iops?: number;
  throughput?: number;
  /** The root disk of a launch from an image made by CreateImage: a linked clone of this template. */
  fromTemplate?: number;
}

/** A template VM made by CreateImage (a private AMI's root disk). */
export interface TemplateMap {
  vmid: number;
  node: string;
  accountId: string;
  imageId: string;
  instanceId: string;
  rootSizeGiB: number;
  /** creating until the clone+template job ended. */
  state: 'creating' | 'available';
}

export class PveMap {
  constructor(private readonly state: StateStore) {}

  private get t() {
    return this.state.table<unknown>(MAP_TABLE);
  }

  async instance(accountId: string, instanceId: string): Promise<InstanceMap | undefined> {
    return (await this.t.get(`inst/${accountId}/${instanceId}`)) as InstanceMap | undefined;
  }

  async putInstance(m: InstanceMap): Promise<void> {
    await this.state.transact((tx) => {
      tx.put(MAP_TABLE, `inst/${m.accountId}/${m.instanceId}`, m);
      tx.put(MAP_TABLE, `vmid/${m.vmid}`, `${m.accountId}/${m.instanceId}`);
      tx.put(MAP_TABLE, `ip/${m.privateIp}`, `${m.accountId}/${m.instanceId}`);
    });
  }

  async updateInstance(accountId: string, instanceId: string, fn: (m: InstanceMap) => InstanceMap): Promise<InstanceMap | undefined> {
    return (await this.t.update(`inst/${accountId}/${instanceId}`, (cur) => (cur ? fn(cur as InstanceMap) : cur))) as InstanceMap | undefined;
  }

  async dropInstance(m: InstanceMap): Promise<void> {
    await this.state.transact((tx) => {
      tx.delete(MAP_TABLE, `inst/${m.accountId}/${m.instanceId}`);
      if (tx.get(MAP_TABLE, `vmid/${m.vmid}`) === `${m.accountId}/${m.instanceId}`) tx.delete(MAP_TABLE, `vmid/${m.vmid}`);
      if (tx.get(MAP_TABLE, `ip/${m.privateIp}`) === `${m.accountId}/${m.instanceId}`) tx.delete(MAP_TABLE, `ip/${m.privateIp}`);
    });
  }

  async instances(): Promise<InstanceMap[]> {
    return (await this.t.range({ prefix: 'inst/' })).map(([, v]) => v as InstanceMap);
  }

  async byVmid(vmid: number): Promise<InstanceMap | undefined> {
    const ref = (await this.t.get(`vmid/${vmid}`)) as string | undefined;
    return ref ? ((await this.t.get(`inst/${ref}`)) as InstanceMap | undefined) : undefined;
  }

  async byIp(ip: string): Promise<InstanceMap | undefined> {
    const ref = (await this.t.get(`ip/${ip}`)) as string | undefined;
    return ref ? ((await this.t.get(`inst/${ref}`)) as InstanceMap | undefined) : undefined;
  }

  async volume(accountId: string, volumeId: string): Promise<VolumeMap | undefined> {
    return (await this.t.get(`vol/${accountId}/${volumeId}`)) as VolumeMap | undefined;
  }

  async putVolume(v: VolumeMap): Promise<void> {
    await this.t.put(`vol/${v.accountId}/${v.volumeId}`, v);
  }

  async updateVolume(accountId: string, volumeId: string, fn: (v: VolumeMap) => VolumeMap): Promise<VolumeMap | undefined> {
    return (await this.t.update(`vol/${accountId}/${volumeId}`, (cur) => (cur ? fn(cur as VolumeMap) : cur))) as VolumeMap | undefined;
  }

  async volumes(accountId: string): Promise<VolumeMap[]> {
    return (await this.t.range({ prefix: `vol/${accountId}/` })).map(([, v]) => v as VolumeMap);
  }

  async dropVolume(accountId: string, volumeId: string): Promise<void> {
    await this.t.delete(`vol/${accountId}/${volumeId}`);
  }

  async template(vmid: number): Promise<TemplateMap | undefined> {
    return (await this.t.get(`tpl/${vmid}`)) as TemplateMap | undefined;
  }

  async putTemplate(m: TemplateMap): Promise<void> {
    await this.t.put(`tpl/${m.vmid}`, m);
  }

  async updateTemplate(vmid: number, fn: (m: TemplateMap) => TemplateMap): Promise<void> {
    await this.t.update(`tpl/${vmid}`, (cur) => (cur ? fn(cur as TemplateMap) : cur));
  }

  async dropTemplate(vmid: number): Promise<void> {
    await this.t.delete(`tpl/${vmid}`);
  }

  async templates(): Promise<TemplateMap[]> {
    return (await this.t.range({ prefix: 'tpl/' })).map(([, v]) => v as TemplateMap);
  }

  /** The template whose root disk holds an EBS snapshot's bytes. */
  async templateSnap(accountId: string, snapshotId: string): Promise<number | undefined> {
    return (await this.t.get(`tsnap/${accountId}/${snapshotId}`)) as number | undefined;
  }

  async putTemplateSnap(accountId: string, snapshotId: string, vmid: number): Promise<void> {
    await this.t.put(`tsnap/${accountId}/${snapshotId}`, vmid);
  }

  async dropTemplateSnap(accountId: string, snapshotId: string): Promise<void> {
    await this.t.delete(`tsnap/${accountId}/${snapshotId}`);
  }

  /** How many EBS snapshots stand for a template's root disk. */
  async templateRefs(vmid: number): Promise<number> {
    return (await this.t.range({ prefix: 'tsnap/' })).filter(([, v]) => v === vmid).length;
  }

  /** Reserves the next vmid of the band, skipping `taken` (vmids PVE already uses). */
  async nextVmid(range: [number, number], taken: Set<number>): Promise<number> {
    let picked = -1;
    await this.t.update('seq/vmid', (cur) => {
      let n = typeof cur === 'number' && cur >= range[0] && cur <= range[1] ? cur : range[0];
      for (let tries = 0; tries <= range[1] - range[0]; tries++) {
        if (!taken.has(n)) {
          picked = n;
          return n + 1 > range[1] ? range[0] : n + 1;
        }
        n = n + 1 > range[1] ? range[0] : n + 1;
      }
      picked = -1;
      return cur;
    });
    if (picked < 0) throw new Error(`no free vmid left in ${range[0]}..${range[1]}`);
    return picked;
  }
}

/** The PVE pool of an account. */
export function poolOf(accountId: string): string {
  return `mcgw-${accountId}`;
}

/** The RBD image name of an EBS volume: owned by the holder vmid, so PVE never frees it with a VM. */
export function holderVolumeName(holderVmid: number, volumeId: string): string {
  return `vm-${holderVmid}-${volumeId}`;
}

/** The disk serial the guest sees (/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_vol…): ≤ 20 chars. */
export function volumeSerial(volumeId: string): string {
  return volumeId.replace('-', '').slice(0, 20);
}
