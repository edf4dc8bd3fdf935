// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Where EBS bytes live, behind one small interface that compute backends use (the embedded
 * simulator today; a hypervisor backend can take the same driver and attach what `locate` says).
 * The API layer (apis/ec2) owns the records and the lifecycle; a driver only makes the bytes
 * exist, grow, be snapshotted and go, with EBS semantics:
 *
 * - a snapshot outlives its volume, and a volume created from a snapshot outlives the snapshot;
 * - CopySnapshot makes an independent snapshot (possibly from another account's, shared);
 * - volumes grow only.
 *
 * Implementations: `files` (sparse files under the data dir: translators/volumes/files.ts) and
 * `rbd` (Ceph RBD images: translators/ceph/rbd/volumes.ts). `ec2.volumes` in the config picks one.
 */
import type { Gateway } from '../../src/gateway.js';
import { RbdVolumes } from '../ceph/rbd/volumes.js';
import { FileVolumes } from './files.js';

export interface SnapshotRef {
  /** The account owning the snapshot (not always the caller: shared snapshots and images). */
  accountId: string;
  snapshotId: string;
}

/** Where a volume's bytes are, for whatever attaches them. */
export type VolumeLocation =
  | { kind: 'file'; path: string }
  | { kind: 'rbd'; pool: string; namespace: string; image: string };

export interface VolumeDriver {
  /** 'files' or 'rbd', for health output and logs. */
  readonly kind: string;
  /** Makes a volume of `sizeGiB`: empty (sparse), or holding the bytes of `from`. */
  createVolume(accountId: string, volumeId: string, sizeGiB: number, from?: SnapshotRef): Promise<void>;
  /** Frees a volume's bytes; its snapshots stay usable. Idempotent. */
  deleteVolume(accountId: string, volumeId: string): Promise<void>;
  /** Grows a volume to `sizeGiB`; never shrinks. */
  growVolume(accountId: string, volumeId: string, sizeGiB: number): Promise<void>;
  /** A point-in-time copy of the volume's bytes, complete when the promise resolves. */
  createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void>;
  /** A new snapshot `snapshotId` of `accountId` with the bytes of `source`. */
  copySnapshot(accountId: string, snapshotId: string, source: SnapshotRef): Promise<void>;
  /** Frees a snapshot; volumes created from it stay intact. Idempotent. */
  deleteSnapshot(accountId: string, snapshotId: string): Promise<void>;
  locate(accountId: string, volumeId: string): VolumeLocation;
  health(): Promise<{ state: 'ok' | 'degraded' | 'down'; detail: string }>;
  close?(): Promise<void>;
}

export const VOLUME_DRIVERS = ['files', 'rbd'] as const;

/**
 * The driver `ec2.volumes` names (default files: under `<dataDir>/ec2`). Throws a clear Error
 * when the choice or its backend section (backends.ceph for rbd) is not valid.
 */
export function createVolumeDriver(gw: Gateway): VolumeDriver {
  const kind = (gw.config.ec2 as Record<string, unknown>).volumes ?? 'files';
  if (kind === 'files') return new FileVolumes(gw.config.dataDir);
  if (kind === 'rbd') return RbdVolumes.fromConfig(gw);
  throw new Error(`ec2.volumes must be one of ${VOLUME_DRIVERS.join(', ')}, got '${String(kind)}'`);
}
