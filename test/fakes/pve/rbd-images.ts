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
import type { ImageBackend } from './images.js';

export interface RbdStorageConfig {
  conf: string;
  keyring?: string;
  /** Cephx user without 'client.' (default admin). */
  user?: string;
  pool: string;
  /** Namespace to use; default a new `fakepve-<hex>` one, removed at close. */
  namespace?: string;
}

function rbdCli(cfg: RbdStorageConfig, args: string[]): Promise<void> {
  const base = ['--conf', cfg.conf, '--id', cfg.user ?? 'admin', ...(cfg.keyring ? ['--keyring', cfg.keyring] : [])];
  return new Promise((resolve, reject) => {
    execFile('rbd', [...base, ...args], { timeout: 60_000 }, (err, _out, stderr) => (err ? reject(new Error(`rbd ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve()));
  });
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

  rollback(name: string, snap: string): Promise<void> {
    return rbdCli(this.config, ['snap', 'rollback', '--no-progress', this.client.spec(name, snap)]);
  }

  clone(parent: string, snap: string, child: string): Promise<void> {
    return this.client.clone(parent, snap, child);
  }

  /** A full copy, streamed (rbd export | rbd import). */
  copy(src: string, dst: string, snap?: string): Promise<void> {
    return this.client.importFrom(this.client.exportStream(src, snap), dst);
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
