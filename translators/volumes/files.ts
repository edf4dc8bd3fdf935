// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS bytes as files: a volume is a sparse file of its full size under
 * <dataDir>/ec2/volumes/<account>/<vol-id>.img; a snapshot is a copy of it (reflink when the file
 * system can, otherwise a hole-preserving sparse copy) under <dataDir>/ec2/snapshots/<account>/.
 * Copies are whole files, so snapshots and volumes never depend on each other.
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SnapshotRef, VolumeDriver, VolumeLocation } from './driver.js';

const run = promisify(execFile);
const GiB = 1024 ** 3;

export class FileVolumes implements VolumeDriver {
  readonly kind = 'files';
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'ec2');
  }

  volumePath(accountId: string, volumeId: string): string {
    return join(this.root, 'volumes', accountId, `${volumeId}.img`);
  }

  snapshotPath(accountId: string, snapshotId: string): string {
    return join(this.root, 'snapshots', accountId, `${snapshotId}.img`);
  }

  async createVolume(accountId: string, volumeId: string, sizeGiB: number, from?: SnapshotRef): Promise<void> {
    const path = this.volumePath(accountId, volumeId);
    if (from) await this.copy(this.snapshotPath(from.accountId, from.snapshotId), path);
    await this.ensureSize(path, sizeGiB);
  }

  async deleteVolume(accountId: string, volumeId: string): Promise<void> {
    await rm(this.volumePath(accountId, volumeId), { force: true });
  }

  async growVolume(accountId: string, volumeId: string, sizeGiB: number): Promise<void> {
    await this.ensureSize(this.volumePath(accountId, volumeId), sizeGiB);
  }

  async createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void> {
    await this.copy(this.volumePath(accountId, volumeId), this.snapshotPath(accountId, snapshotId));
  }

  async copySnapshot(accountId: string, snapshotId: string, source: SnapshotRef): Promise<void> {
    await this.copy(this.snapshotPath(source.accountId, source.snapshotId), this.snapshotPath(accountId, snapshotId));
  }

  async deleteSnapshot(accountId: string, snapshotId: string): Promise<void> {
    await rm(this.snapshotPath(accountId, snapshotId), { force: true });
  }

  locate(accountId: string, volumeId: string): VolumeLocation {
    return { kind: 'file', path: this.volumePath(accountId, volumeId) };
  }

  async health(): Promise<{ state: 'ok' | 'down'; detail: string }> {
    try {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await access(this.root, constants.W_OK);
      return { state: 'ok', detail: `files under ${this.root}` };
    } catch (e) {
      return { state: 'down', detail: `${this.root} is not writable: ${(e as Error).message}` };
    }
  }

  private async dirFor(path: string): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  }

  /** Creates (or grows) a sparse file of `sizeGiB`; never shrinks. */
  private async ensureSize(path: string, sizeGiB: number): Promise<void> {
    await this.dirFor(path);
    const fh = await open(path, 'a');
    try {
      const st = await fh.stat();
      if (st.size < sizeGiB * GiB) await fh.truncate(sizeGiB * GiB);
    } finally {
      await fh.close();
    }
  }

  /** Copies src to dst keeping holes (and sharing extents where the file system can). Atomic. */
  private async copy(src: string, dst: string): Promise<void> {
    await this.dirFor(dst);
    const tmp = `${dst}.tmp-${process.pid}`;
    try {
      await run('cp', ['--reflink=auto', '--sparse=always', src, tmp]);
      await rename(tmp, dst);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
