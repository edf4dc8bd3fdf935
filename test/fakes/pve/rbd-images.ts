// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Real RBD images behind the fake's RBD storage, so volumes carry real bytes: every change PVE's
 * RBDPlugin would make (alloc_image, free_image with its snapshots, resize, rename, template's
 * `__base__` snapshot, linked clone, full copy) is made with the project's RbdClient
 * (translators/ceph/rbd/client.ts) on a Ceph cluster, e.g. the one of
 * conformance/backends/ceph/up.sh. Each fake works in an RBD namespace of its own
 * (`rbd namespace create`), so parallel fakes never see each other's `vm-101-disk-0`; close()
 * removes its images and the namespace.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { RbdClient, isRbdError, type RbdClientConfig } from '../../../translators/ceph/rbd/client.js';
import type { ImageBackend, ScannedImage } from './images.js';

export interface RbdStorageConfig {
  conf: string;
  keyring?: string;
  /** Cephx user without 'client.' (default admin). */
  user?: string;
  pool: string;
  /** Namespace to use; default a new `fakepve-<hex>` one, removed at close. */
  namespace?: string;
}

function rbdCli(cfg: RbdStorageConfig, args: string[]): Promise<string> {
  const base = ['--conf', cfg.conf, '--id', cfg.user ?? 'admin', ...(cfg.keyring ? ['--keyring', cfg.keyring] : [])];
  return new Promise((resolve, reject) => {
    execFile('rbd', [...base, ...args], { timeout: 60_000, maxBuffer: 64 * 2 ** 20 }, (err, out, stderr) => (err ? reject(new Error(`rbd ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(out)));
  });
}

/** One row of `rbd ls -l --format json`: an image, or one of its snapshots. */
interface LsRow {
  image: string;
  size: number;
  snapshot?: string;
  parent?: { image: string; snapshot: string };
}

export class RbdImages implements ImageBackend {
  readonly kind = 'rbd' as const;

  private constructor(
    readonly client: RbdClient,
    readonly config: RbdStorageConfig & { namespace: string },
    private readonly ownsNamespace: boolean,
  ) {}

  static async open(cfg: RbdStorageConfig): Promise<RbdImages> {
    const namespace = cfg.namespace ?? `fakepve-${randomBytes(4).toString('hex')}`;
    if (!cfg.namespace) await rbdCli(cfg, ['namespace', 'create', `${cfg.pool}/${namespace}`]);
    const clientCfg: RbdClientConfig = { conf: cfg.conf, keyring: cfg.keyring, user: cfg.user, pool: cfg.pool, namespace };
    return new RbdImages(new RbdClient(clientCfg), { ...cfg, namespace }, !cfg.namespace);
  }

  create(name: string, sizeBytes: number): Promise<void> {
    return this.client.create(name, sizeBytes);
  }

  /** Every image of the namespace with its size, parent and snapshots: one `rbd ls -l`. */
  async scan(): Promise<ScannedImage[]> {
    const rows = JSON.parse((await rbdCli(this.config, ['ls', '-l', '--format', 'json', '--pool', this.config.pool, '--namespace', this.config.namespace])) || '[]') as LsRow[];
    const out = new Map<string, ScannedImage>();
    for (const r of rows) {
      if (r.snapshot !== undefined) continue;
      out.set(r.image, { name: r.image, size: r.size, parent: r.parent ? { image: r.parent.image, snap: r.parent.snapshot } : undefined, snaps: [] });
    }
    for (const r of rows) if (r.snapshot !== undefined) out.get(r.image)?.snaps.push(r.snapshot);
    return [...out.values()];
  }

  /** free_image: unprotect and purge every snapshot, then remove. */
  async remove(name: string): Promise<void> {
    for (const s of await this.client.snapList(name)) {
      await this.client.snapUnprotect(name, s.name);
      await this.client.snapRemove(name, s.name);
    }
    await this.client.remove(name);
  }

  resize(name: string, sizeBytes: number): Promise<void> {
    return this.client.resize(name, sizeBytes);
  }

  rename(from: string, to: string): Promise<void> {
    return this.client.rename(from, to);
  }

  async snapshot(name: string, snap: string, protect: boolean): Promise<void> {
    await this.client.snapCreate(name, snap);
    if (protect) await this.client.snapProtect(name, snap);
  }

  async removeSnapshot(name: string, snap: string): Promise<void> {
    await this.client.snapUnprotect(name, snap);
    await this.client.snapRemove(name, snap);
  }

  async rollback(name: string, snap: string): Promise<void> {
    await rbdCli(this.config, ['snap', 'rollback', '--no-progress', this.client.spec(name, snap)]);
  }

  clone(parent: string, snap: string, child: string): Promise<void> {
    return this.client.clone(parent, snap, child);
  }

  /**
   * A full copy (PVE's qemu-img convert), made by `rbd cp` inside librbd: it skips the holes of a
   * sparse image, where streaming `rbd export | rbd import` pushed every zero of an 8 GiB template
   * through two pipes.
   */
  async copy(src: string, dst: string, snap?: string): Promise<void> {
    await rbdCli(this.config, ['cp', '--no-progress', this.client.spec(src, snap), this.client.spec(dst)]);
  }

  /** Removes this fake's images (clones first) and, when it made it, the namespace. */
  async close(): Promise<void> {
    if (!this.ownsNamespace) return;
    for (let round = 0; round < 5; round++) {
      const names = await this.client.list();
      if (!names.length) break;
      const infos = await Promise.all(names.map(async (n) => ({ n, clone: !!(await this.client.stat(n))?.parent })));
      infos.sort((a, b) => Number(b.clone) - Number(a.clone));
      for (const { n } of infos) {
        await this.remove(n).catch((e) => {
          if (!isRbdError(e, 'NotFound') && !isRbdError(e, 'HasChildren')) throw e;
        });
      }
    }
    await rbdCli(this.config, ['namespace', 'remove', `${this.config.pool}/${this.config.namespace}`]);
  }
}
