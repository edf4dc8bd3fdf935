// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS volumes and snapshots as RBD images and snapshots (the `rbd` VolumeDriver). Layout:
 *
 * - volume `vol-X` = image `vm-<holderVmid>-vol-X` in the configured pool: Proxmox VE takes it as
 *   a disk owned by the reserved holder vmid (RBDPlugin's `vm-<vmid>-…` rule), so a VM can attach
 *   it and destroying a VM never frees it (../shared/reference/proxmox-mapping.md). Sparse.
 * - snapshot `snap-Y` of `vol-X` = RBD snapshot `vm-<holder>-vol-X@snap-Y`, taken when
 *   CreateSnapshot is called: crash-consistent and complete as soon as it exists.
 * - CreateVolume from a snapshot = `rbd clone` of that RBD snapshot (protected first): instant and
 *   copy-on-write. The clone is flattened only when its parent snapshot is deleted.
 * - CopySnapshot = a second EBS snapshot referencing the same RBD snapshot (reference counted,
 *   across accounts too): no bytes move, and the RBD snapshot lives until its last EBS snapshot
 *   is deleted.
 * - DeleteSnapshot (of the last reference): flatten every clone of the RBD snapshot, unprotect,
 *   remove. EBS lets a snapshot go while volumes made from it live on; so does this.
 * - DeleteVolume: `rbd rm`; while EBS snapshots of the volume still exist, the image is kept
 *   (marked gone in the gateway's state) and removed with its last snapshot. EBS snapshots
 *   outlive their volume.
 *
 * The gateway's state (table ec2-rbd) maps EBS snapshot ids to RBD snapshots. Mutations of one
 * image are serialised in this process (see `locked`). Failures leave as the AwsError EC2 would
 * send (ec2-errors.ts).
 */
import type { Gateway } from '../../../src/gateway.js';
import type { StateStore, StateTable } from '../../../src/state/store.js';
import type { SnapshotRef, VolumeDriver, VolumeLocation } from '../../volumes/driver.js';
import { RbdClient, RbdError, isRbdError } from './client.js';
import { parseRbdConfig } from './config.js';
import { ec2ErrorOf, type Subject } from './ec2-errors.js';

const GiB = 1024 ** 3;
const TABLE = 'ec2-rbd';

/** `snap/<snapshot id>`: which RBD snapshot holds an EBS snapshot's bytes. */
interface SnapRec {
  accountId: string;
  image: string;
  rbdSnap: string;
}

type Entry = SnapRec | string[] | true;

export class RbdVolumes implements VolumeDriver {
  readonly kind = 'rbd';
  private readonly table: StateTable<Entry>;
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    readonly rbd: RbdClient,
    readonly holderVmid: number,
    state: StateStore,
  ) {
    this.table = state.table<Entry>(TABLE);
  }

  /** From `backends.ceph` (throws a clear Error naming the key when it is not valid). */
  static fromConfig(gw: Gateway): RbdVolumes {
    const cfg = parseRbdConfig(gw.config.backends.ceph);
    return new RbdVolumes(new RbdClient(cfg.client), cfg.holderVmid, gw.state);
  }

  /** The image of a volume (or of any id): `vm-<holder>-<id>`. */
  imageOf(volumeId: string): string {
    return `vm-${this.holderVmid}-${volumeId}`;
  }

  async createVolume(_accountId: string, volumeId: string, sizeGiB: number, from?: SnapshotRef): Promise<void> {
    await guard({ op: 'create-volume', volumeId, snapshotId: from?.snapshotId }, () => this.doCreateVolume(volumeId, sizeGiB, from));
  }

  async deleteVolume(_accountId: string, volumeId: string): Promise<void> {
    await guard({ op: 'delete-volume', volumeId }, () => this.doDeleteVolume(volumeId));
  }

  async growVolume(_accountId: string, volumeId: string, sizeGiB: number): Promise<void> {
    await guard({ op: 'grow-volume', volumeId }, () => this.rbd.resize(this.imageOf(volumeId), sizeGiB * GiB));
  }

  async createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void> {
    await guard({ op: 'create-snapshot', volumeId, snapshotId }, () => this.doCreateSnapshot(accountId, snapshotId, volumeId));
  }

  async copySnapshot(accountId: string, snapshotId: string, source: SnapshotRef): Promise<void> {
    await guard({ op: 'copy-snapshot', snapshotId: source.snapshotId }, () => this.doCopySnapshot(accountId, snapshotId, source));
  }

  async deleteSnapshot(accountId: string, snapshotId: string): Promise<void> {
    await guard({ op: 'delete-snapshot', snapshotId }, () => this.doDeleteSnapshot(accountId, snapshotId));
  }

  locate(_accountId: string, volumeId: string): VolumeLocation {
    return { kind: 'rbd', pool: this.rbd.pool, namespace: this.rbd.namespace, image: this.imageOf(volumeId) };
  }

  private async doCreateVolume(volumeId: string, sizeGiB: number, from?: SnapshotRef): Promise<void> {
    const image = this.imageOf(volumeId);
    const bytes = sizeGiB * GiB;
    if (!from) {
      await this.locked(image, async () => {
        try {
          await this.rbd.create(image, bytes);
        } catch (e) {
          if (!isRbdError(e, 'Exists')) throw e;
          await this.rbd.resize(image, bytes); // a retry of the same volume: same size or grown
        }
      });
      return;
    }
    const src = await this.snapRec(from);
    await this.locked(src.image, async () => {
      try {
        await this.rbd.clone(src.image, src.rbdSnap, image);
      } catch (e) {
        const parent = isRbdError(e, 'Exists') ? (await this.rbd.info(image)).parent : undefined;
        if (parent?.image !== src.image || parent.snapshot !== src.rbdSnap) throw e;
      }
    });
    if ((await this.rbd.info(image)).size < bytes) await this.rbd.resize(image, bytes);
  }

  private async doDeleteVolume(volumeId: string): Promise<void> {
    const image = this.imageOf(volumeId);
    await this.locked(image, async () => {
      let snaps: string[];
      try {
        snaps = (await this.rbd.snapList(image)).map((s) => s.name);
      } catch (e) {
        if (isRbdError(e, 'NotFound')) return void (await this.table.delete(`gone/${image}`));
        throw e;
      }
      // RBD snapshots no EBS snapshot refers to (a crash between snap create and its record)
      for (const s of snaps) if (!(await this.refs(image, s)).length) await this.dropRbdSnap(image, s);
      if ((await this.rbd.snapList(image)).length > 0) {
        await this.table.put(`gone/${image}`, true);
        return;
      }
      await this.removeImage(image);
    });
  }

  private async doCreateSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void> {
    const image = this.imageOf(volumeId);
    await this.locked(image, async () => {
      try {
        await this.rbd.snapCreate(image, snapshotId);
      } catch (e) {
        if (!isRbdError(e, 'Exists')) throw e;
      }
      await this.table.put(`snap/${snapshotId}`, { accountId, image, rbdSnap: snapshotId });
      await this.table.put(`rsnap/${image}@${snapshotId}`, [snapshotId]);
    });
  }

  private async doCopySnapshot(accountId: string, snapshotId: string, source: SnapshotRef): Promise<void> {
    const src = await this.snapRec(source);
    await this.locked(src.image, async () => {
      const again = await this.snapRec(source); // still there under the lock
      await this.table.update(`rsnap/${again.image}@${again.rbdSnap}`, (cur) => {
        const refs = Array.isArray(cur) ? cur : [];
        return refs.includes(snapshotId) ? refs : [...refs, snapshotId];
      });
      await this.table.put(`snap/${snapshotId}`, { accountId, image: again.image, rbdSnap: again.rbdSnap });
    });
  }

  private async doDeleteSnapshot(accountId: string, snapshotId: string): Promise<void> {
    const rec = await this.table.get(`snap/${snapshotId}`);
    if (!isSnapRec(rec) || rec.accountId !== accountId) return;
    await this.locked(rec.image, async () => {
      const key = `rsnap/${rec.image}@${rec.rbdSnap}`;
      const left = (await this.refs(rec.image, rec.rbdSnap)).filter((id) => id !== snapshotId);
      if (!left.length) {
        // the Ceph side first: when it fails, the records stay and a retry does it all again
        await this.dropRbdSnap(rec.image, rec.rbdSnap);
        if ((await this.table.get(`gone/${rec.image}`)) === true) {
          const snaps = await this.rbd.snapList(rec.image).catch((e: unknown) => (isRbdError(e, 'NotFound') ? [] : Promise.reject(e)));
          if (snaps.length === 0) await this.removeImage(rec.image);
        }
      }
      await this.table.update(key, (cur) => {
        const refs = (Array.isArray(cur) ? cur : []).filter((id) => id !== snapshotId);
        return refs.length ? refs : undefined;
      });
      await this.table.delete(`snap/${snapshotId}`);
    });
  }

  async health(): Promise<{ state: 'ok' | 'down'; detail: string }> {
    try {
      const n = (await this.rbd.list()).length;
      return { state: 'ok', detail: `rbd pool ${this.rbd.pool}${this.rbd.namespace ? `/${this.rbd.namespace}` : ''}: ${n} images` };
    } catch (e) {
      return { state: 'down', detail: `rbd pool ${this.rbd.pool}: ${(e as Error).message}` };
    }
  }

  /** The RBD snapshot of an EBS snapshot, or an RbdError NotFound. */
  private async snapRec(ref: SnapshotRef): Promise<SnapRec> {
    const rec = await this.table.get(`snap/${ref.snapshotId}`);
    if (!isSnapRec(rec) || rec.accountId !== ref.accountId) throw new RbdError('NotFound', `snapshot ${ref.snapshotId} has no RBD snapshot in pool ${this.rbd.pool}`, 2);
    return rec;
  }

  private async refs(image: string, rbdSnap: string): Promise<string[]> {
    const v = await this.table.get(`rsnap/${image}@${rbdSnap}`);
    return Array.isArray(v) ? v : [];
  }

  /** Flattens the clones of image@snap, then unprotects and removes the snapshot. */
  private async dropRbdSnap(image: string, snap: string): Promise<void> {
    let children;
    try {
      children = await this.rbd.children(image, snap);
    } catch (e) {
      if (isRbdError(e, 'NotFound')) return;
      throw e;
    }
    for (const c of children) {
      if (c.pool !== this.rbd.pool || c.namespace !== this.rbd.namespace) {
        throw new RbdError('HasChildren', `${image}@${snap} has a clone outside pool ${this.rbd.pool}: ${c.pool}/${c.image}`, 16);
      }
      await this.rbd.flatten(c.image).catch((e: unknown) => (isRbdError(e, 'NotFound') ? undefined : Promise.reject(e)));
    }
    await this.rbd.snapUnprotect(image, snap).catch((e: unknown) => (isRbdError(e, 'NotFound') ? undefined : Promise.reject(e)));
    await this.rbd.snapRemove(image, snap).catch((e: unknown) => (isRbdError(e, 'NotFound') ? undefined : Promise.reject(e)));
  }

  private async removeImage(image: string): Promise<void> {
    try {
      await this.rbd.remove(image);
    } catch (e) {
      if (!isRbdError(e, 'NotFound')) throw e;
    }
    await this.table.delete(`gone/${image}`);
  }

  /** Runs `fn` after every earlier mutation of `image` in this process has finished. */
  private async locked<T>(image: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(image) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(image, tail);
    try {
      return await run;
    } finally {
      if (this.chains.get(image) === tail) this.chains.delete(image);
    }
  }
}

async function guard(subject: Subject, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    throw ec2ErrorOf(e, subject);
  }
}

function isSnapRec(v: unknown): v is SnapRec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as SnapRec).image === 'string';
}
