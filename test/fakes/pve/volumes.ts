// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * PVE's view of an RBD storage, with RBDPlugin.pm's naming and ownership rules
 * (/work/shared/reference/proxmox-mapping.md "EBS → RBD volumes on an `rbd` storage"):
 * - volname `^((base-\d+-\S+)/)?((base)?(vm)?-(\d+)-\S+)$`; the owner is the vmid in the name;
 * - alloc_image requires `vm-<vmid>-` ("illegal name '…' - should be 'vm-<vmid>-*'"), default
 *   name `vm-<vmid>-disk-<N>` with the first free N; cloud-init disks `vm-<vmid>-cloudinit`;
 * - a linked clone of a base volume has volname `base-X-disk-N/vm-Y-disk-M`;
 * - template conversion renames `vm-N-disk-M` → `base-N-disk-M` and protects snapshot `__base__`;
 * - freeing a base volume that still has linked clones fails.
 */
import { die } from './errors.js';
import type { ImageBackend } from './images.js';

export interface Volume {
  /** RBD image name (the part after the last '/'). */
  image: string;
  size: number;
  ctime: number;
  /** For linked clones of a template: the base image name (part of the volname). */
  base?: string;
  /** For clones of a snapshot (clone with `snapname`): `image@snap`, not part of the volname. */
  parentSnap?: string;
  /** Snapshots of the image (VM snapshot names, `__base__`). */
  snaps: Set<string>;
}

const VOLNAME = /^((base-(\d+)-\S+)\/)?((base)?(vm)?-(\d+)-\S+)$/;

export function parseVolname(volname: string): { image: string; owner: number; base?: string; isBase: boolean } | undefined {
  const m = VOLNAME.exec(volname);
  if (!m) return undefined;
  return { image: m[4]!, owner: Number(m[7]), base: m[2], isBase: !!m[5] };
}

export function formatSize(bytes: number): string {
  const units: [string, number][] = [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]];
  for (const [u, n] of units) if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  return String(bytes);
}

/** PVE's size syntax for disks: `\d+(\.\d+)?[KMGT]?` (bytes without suffix for the drive `size=` key). */
export function parseSize(s: string, defaultUnit: 'K' | 'G' | 'B'): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(s);
  if (!m) return undefined;
  const mult: Record<string, number> = { B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2] ?? defaultUnit]!);
}

export class RbdStorage {
  private readonly volumes = new Map<string, Volume>();

  constructor(
    readonly id: string,
    readonly backend: ImageBackend,
  ) {}

  volid(v: Volume): string {
    return `${this.id}:${v.base ? `${v.base}/` : ''}${v.image}`;
  }

  get(image: string): Volume | undefined {
    return this.volumes.get(image);
  }

  /** Resolves a volname (with or without the base prefix) to its volume. */
  lookup(volname: string): Volume | undefined {
    const p = parseVolname(volname);
    return p ? this.volumes.get(p.image) : undefined;
  }

  /**
   * PVE lists an RBD storage with `rbd ls -l`: what really is in the pool. When the images are on
   * Ceph, where others (the gateway's RBD volume driver) create, clone, rename and remove images
   * too, the fake's view is brought in line with the pool: images that appeared are added (a
   * clone of `base-…@__base__` as a linked clone, of another snapshot with its parent), those
   * gone are dropped, sizes follow. Memory images change only through the fake: nothing to do.
   */
  async sync(): Promise<void> {
    if (!this.backend.scan) return;
    const seen = await this.backend.scan();
    const names = new Set(seen.map((i) => i.name));
    for (const name of [...this.volumes.keys()]) if (!names.has(name)) this.volumes.delete(name);
    for (const i of seen) {
      if (!parseVolname(i.name)) continue;
      const v = this.volumes.get(i.name);
      if (v) {
        v.size = i.size;
        v.snaps = new Set(i.snaps);
        continue;
      }
      const linked = i.parent && i.parent.snap === '__base__' && /^base-\d+-/.test(i.parent.image);
      this.volumes.set(i.name, {
        image: i.name,
        size: i.size,
        ctime: Math.floor(Date.now() / 1000),
        base: linked ? i.parent!.image : undefined,
        parentSnap: i.parent && !linked ? `${i.parent.image}@${i.parent.snap}` : undefined,
        snaps: new Set(i.snaps),
      });
    }
  }

  /** lookup(), after a sync with the pool when the fake does not know the volume. */
  async find(volname: string): Promise<Volume | undefined> {
    const v = this.lookup(volname);
    if (v || !this.backend.scan) return v;
    await this.sync();
    return this.lookup(volname);
  }

  list(): Volume[] {
    return [...this.volumes.values()].sort((a, b) => a.image.localeCompare(b.image));
  }

  ownerOf(v: Volume): number {
    return parseVolname(v.image)!.owner;
  }

  freeName(vmid: number): string {
    for (let n = 0; ; n++) {
      const name = `vm-${vmid}-disk-${n}`;
      if (!this.volumes.has(name) && !this.volumes.has(`base-${vmid}-disk-${n}`)) return name;
    }
  }

  async alloc(vmid: number, name: string | undefined, sizeBytes: number): Promise<Volume> {
    const image = name ?? this.freeName(vmid);
    if (!image.startsWith(`vm-${vmid}-`)) die(`illegal name '${image}' - should be 'vm-${vmid}-*'`);
    if (!parseVolname(image)) die(`illegal name '${image}' - should be 'vm-${vmid}-*'`);
    if (this.volumes.has(image)) die(`disk image '${this.id}:${image}' already exists`);
    await this.backend.create(image, sizeBytes);
    const v: Volume = { image, size: sizeBytes, ctime: Math.floor(Date.now() / 1000), snaps: new Set() };
    this.volumes.set(image, v);
    return v;
  }

  childrenOf(image: string): Volume[] {
    return this.list().filter((v) => v.base === image || v.parentSnap?.startsWith(`${image}@`));
  }

  async snapshot(v: Volume, snap: string): Promise<void> {
    await this.backend.snapshot(v.image, snap, false);
    v.snaps.add(snap);
  }

  /** RBDPlugin volume_snapshot_delete: unprotects (refused while clones depend on it), removes. */
  async removeSnapshot(v: Volume, snap: string): Promise<void> {
    if (this.list().some((c) => c.parentSnap === `${v.image}@${snap}`)) die(`rbd error: rbd: unprotecting snap ${snap} failed: (16) Device or resource busy`);
    await this.backend.removeSnapshot(v.image, snap);
    v.snaps.delete(snap);
  }

  async rollback(v: Volume, snap: string): Promise<void> {
    await this.backend.rollback(v.image, snap);
  }

  /** RBDPlugin clone_image with a snapname: a plain `vm-<vmid>-disk-N` whose parent is image@snap. */
  async cloneSnapshot(src: Volume, snap: string, vmid: number): Promise<Volume> {
    const image = this.freeName(vmid);
    await this.backend.clone(src.image, snap, image);
    const v: Volume = { image, size: src.size, ctime: Math.floor(Date.now() / 1000), parentSnap: `${src.image}@${snap}`, snaps: new Set() };
    this.volumes.set(image, v);
    return v;
  }

  async free(v: Volume): Promise<void> {
    if (this.childrenOf(v.image).length) die(`rbd error: rbd: error: image still has children`);
    await this.backend.remove(v.image);
    this.volumes.delete(v.image);
  }

  async resize(v: Volume, sizeBytes: number): Promise<void> {
    await this.backend.resize(v.image, sizeBytes);
    v.size = sizeBytes;
  }

  /** Template conversion of one disk: vm-N-… → base-N-…, snapshot __base__ protected. */
  async makeBase(v: Volume): Promise<Volume> {
    const p = parseVolname(v.image)!;
    if (p.isBase) return v;
    const image = v.image.replace(/^vm-/, 'base-');
    if (this.volumes.has(image)) die(`rbd error: rbd: rename error: (17) File exists`);
    await this.backend.rename(v.image, image);
    await this.backend.snapshot(image, '__base__', true);
    this.volumes.delete(v.image);
    const nv: Volume = { ...v, image, snaps: new Set([...v.snaps, '__base__']) };
    this.volumes.set(image, nv);
    return nv;
  }

  async linkedClone(base: Volume, vmid: number, name?: string): Promise<Volume> {
    const image = name ?? this.freeName(vmid);
    if (this.volumes.has(image)) die(`disk image '${this.id}:${image}' already exists`);
    await this.backend.clone(base.image, '__base__', image);
    const v: Volume = { image, size: base.size, ctime: Math.floor(Date.now() / 1000), base: base.image, snaps: new Set() };
    this.volumes.set(image, v);
    return v;
  }

  async fullCopy(src: Volume, vmid: number, name?: string, snap?: string): Promise<Volume> {
    const image = name ?? this.freeName(vmid);
    if (this.volumes.has(image)) die(`disk image '${this.id}:${image}' already exists`);
    await this.backend.copy(src.image, image, snap);
    const v: Volume = { image, size: src.size, ctime: Math.floor(Date.now() / 1000), snaps: new Set() };
    this.volumes.set(image, v);
    return v;
  }

  async rename(v: Volume, image: string): Promise<Volume> {
    if (this.volumes.has(image)) die(`rbd error: rbd: rename error: (17) File exists`);
    await this.backend.rename(v.image, image);
    this.volumes.delete(v.image);
    const nv: Volume = { ...v, image };
    this.volumes.set(image, nv);
    for (const c of this.volumes.values()) {
      if (c.base === v.image) c.base = image;
      if (c.parentSnap?.startsWith(`${v.image}@`)) c.parentSnap = `${image}@${c.parentSnap.slice(v.image.length + 1)}`;
    }
    return nv;
  }

  contentJson(v: Volume): Record<string, unknown> {
    const out: Record<string, unknown> = {
      volid: this.volid(v),
      content: 'images',
      format: 'raw',
      size: v.size,
      used: v.base || v.parentSnap ? 0 : v.size,
      vmid: this.ownerOf(v),
      ctime: v.ctime,
    };
    if (v.base) out.parent = `${v.base}@__base__`;
    if (v.parentSnap) out.parent = v.parentSnap;
    return out;
  }
}
