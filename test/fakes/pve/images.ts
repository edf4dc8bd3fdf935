// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The block-image backend behind the fake's RBD storage. The fake keeps PVE's view of the
 * storage (names, sizes, owners, parents) in volumes.ts; an ImageBackend makes the same changes
 * to real images: in memory (MemoryImages), or on a Ceph cluster (rbd-images.ts) so that volumes
 * carry real bytes.
 */

export interface ImageBackend {
  readonly kind: 'memory' | 'rbd';
  create(name: string, sizeBytes: number): Promise<void>;
  remove(name: string): Promise<void>;
  resize(name: string, sizeBytes: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Snapshot `name@snap`, protected (RBD `snap protect`) when it is to be cloned. */
  snapshot(name: string, snap: string, protect: boolean): Promise<void>;
  /** Unprotects (fails while clones depend on it) and removes `name@snap`. */
  removeSnapshot(name: string, snap: string): Promise<void>;
  /** `rbd snap rollback`. */
  rollback(name: string, snap: string): Promise<void>;
  /** Linked clone `child` of `parent@snap` (RBD layering; protects the snapshot). */
  clone(parent: string, snap: string, child: string): Promise<void>;
  /** Full copy of `src` (or of `src@snap`), streamed. */
  copy(src: string, dst: string, snap?: string): Promise<void>;
  /**
   * What really is in the pool, for a backend others write to as well (Ceph: the gateway's RBD
   * volume driver creates, clones and renames images there directly); absent for memory images.
   */
  scan?(): Promise<ScannedImage[]>;
  close(): Promise<void>;
}

export interface ScannedImage {
  name: string;
  size: number;
  parent?: { image: string; snap: string };
  snaps: string[];
}

interface MemImage {
  size: number;
  /** snapshot → protected */
  snaps: Map<string, boolean>;
  parent?: string;
}

/** Images held in memory: sizes, snapshots and layering, with RBD's refusals. */
export class MemoryImages implements ImageBackend {
  readonly kind = 'memory' as const;
  private readonly images = new Map<string, MemImage>();

  private get(name: string): MemImage {
    const img = this.images.get(name);
    if (!img) throw new Error(`rbd: error opening image ${name}: (2) No such file or directory`);
    return img;
  }

  async create(name: string, sizeBytes: number): Promise<void> {
    if (this.images.has(name)) throw new Error(`rbd: create error: (17) File exists`);
    this.images.set(name, { size: sizeBytes, snaps: new Map() });
  }

  async remove(name: string): Promise<void> {
    this.get(name);
    for (const img of this.images.values()) {
      if (img.parent?.startsWith(`${name}@`)) throw new Error(`rbd: error: image has snapshots with linked clones`);
    }
    this.images.delete(name);
  }

  async resize(name: string, sizeBytes: number): Promise<void> {
    this.get(name).size = sizeBytes;
  }

  async rename(from: string, to: string): Promise<void> {
    const img = this.get(from);
    if (this.images.has(to)) throw new Error(`rbd: rename error: (17) File exists`);
    this.images.delete(from);
    this.images.set(to, img);
    for (const other of this.images.values()) {
      if (other.parent?.startsWith(`${from}@`)) other.parent = `${to}@${other.parent.slice(from.length + 1)}`;
    }
  }

  async snapshot(name: string, snap: string, protect: boolean): Promise<void> {
    const img = this.get(name);
    if (img.snaps.has(snap)) throw new Error(`rbd: failed to create snapshot: (17) File exists`);
    img.snaps.set(snap, protect);
  }

  async removeSnapshot(name: string, snap: string): Promise<void> {
    const img = this.get(name);
    if (!img.snaps.has(snap)) throw new Error(`rbd: failed to remove snapshot: (2) No such file or directory`);
    for (const other of this.images.values()) {
      if (other.parent === `${name}@${snap}`) throw new Error(`rbd: unprotecting snap ${snap} failed: (16) Device or resource busy`);
    }
    img.snaps.delete(snap);
  }

  async rollback(name: string, snap: string): Promise<void> {
    if (!this.get(name).snaps.has(snap)) throw new Error(`rbd: error opening snapshot ${name}@${snap}`);
  }

  async clone(parent: string, snap: string, child: string): Promise<void> {
    const p = this.get(parent);
    if (!p.snaps.has(snap)) throw new Error(`rbd: error opening snapshot ${parent}@${snap}`);
    if (this.images.has(child)) throw new Error(`rbd: clone error: (17) File exists`);
    p.snaps.set(snap, true);
    this.images.set(child, { size: p.size, snaps: new Map(), parent: `${parent}@${snap}` });
  }

  async copy(src: string, dst: string, snap?: string): Promise<void> {
    const s = this.get(src);
    if (snap !== undefined && !s.snaps.has(snap)) throw new Error(`rbd: error opening snapshot ${src}@${snap}`);
    if (this.images.has(dst)) throw new Error(`rbd: copy error: (17) File exists`);
    this.images.set(dst, { size: s.size, snaps: new Map() });
  }

  async close(): Promise<void> {}

  /** For tests: the images as the backend holds them. */
  list(): { name: string; size: number; parent?: string }[] {
    return [...this.images].map(([name, i]) => ({ name, size: i.size, ...(i.parent ? { parent: i.parent } : {}) }));
  }
}
