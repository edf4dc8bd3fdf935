// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS bytes for the embedded backend: a volume is a sparse file of its full size under
 * <dataDir>/ec2/volumes/<account>/<vol-id>.img; a snapshot is a copy of it (reflink when the file
 * system can, otherwise a hole-preserving sparse copy) under <dataDir>/ec2/snapshots/<account>/.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GiB = 1024 ** 3;

export class DiskStore {
  constructor(private readonly root: string) {}

  volumePath(accountId: string, volumeId: string): string {
    return join(this.root, 'volumes', accountId, `${volumeId}.img`);
  }

  snapshotPath(accountId: string, snapshotId: string): string {
    return join(this.root, 'snapshots', accountId, `${snapshotId}.img`);
  }

  private async dirFor(path: string): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  }

  /** Creates (or grows) a sparse file of `sizeGiB`; never shrinks. */
  async ensureSize(path: string, sizeGiB: number): Promise<void> {
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
  async copy(src: string, dst: string): Promise<void> {
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

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async sizeOf(path: string): Promise<number | undefined> {
    try {
      return (await stat(path)).size;
    } catch {
      return undefined;
    }
  }
}
