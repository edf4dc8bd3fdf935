// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The fake PVE's RBD storage on the project's scratch Ceph (conformance/backends/ceph/up.sh):
 * - `cephStorage()` starts or reuses the cluster through cephUp() and points the storage at it;
 * - `cephStorageIfRunning()` uses it only when its mon and OSD are already running (their pid files
 *   under $MCGW_CEPH_DIR/run name live processes started with its ceph.conf, as common.sh's
 *   our_pid checks), and in-memory images otherwise: what `storage: { kind: 'auto' }` does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cephUp, parseCephEnv } from '../../../conformance/backends/ceph/cluster.js';
import type { RbdStorageConfig } from './rbd-images.js';

export type CephStorage = { kind: 'rbd' } & RbdStorageConfig;

export async function cephStorage(): Promise<CephStorage> {
  const env = await cephUp();
  return { kind: 'rbd', conf: env.conf, keyring: env.keyring, user: env.client.replace(/^client\./, ''), pool: env.rbdPool };
}

function ourDaemonAlive(dir: string, conf: string, daemon: string): boolean {
  try {
    const pid = readFileSync(join(dir, 'run', `${daemon}.pid`), 'utf8').trim();
    return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf);
  } catch {
    return false;
  }
}

export function cephStorageIfRunning(): CephStorage | undefined {
  const dir = process.env.MCGW_CEPH_DIR ?? join(process.env.TMPDIR ?? tmpdir(), `mcgw-ceph-${process.getuid?.() ?? 0}`);
  const envFile = join(dir, 'env');
  if (!existsSync(envFile)) return undefined;
  let env;
  try {
    env = parseCephEnv(readFileSync(envFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (!ourDaemonAlive(dir, env.conf, 'mon.a') || !ourDaemonAlive(dir, env.conf, 'osd.0')) return undefined;
  return { kind: 'rbd', conf: env.conf, keyring: env.keyring, user: env.client.replace(/^client\./, ''), pool: env.rbdPool };
}
