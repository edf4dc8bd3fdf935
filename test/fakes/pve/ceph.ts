// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The fake PVE's RBD storage on the project's scratch Ceph (conformance/backends/ceph/up.sh, started
 * or reused through cephUp()): `startFakePve({ storage: await cephStorage() })`.
 */
import { cephUp } from '../../../conformance/backends/ceph/cluster.js';
import type { StorageOption } from './index.js';

export async function cephStorage(): Promise<StorageOption> {
  const env = await cephUp();
  return { kind: 'rbd', conf: env.conf, keyring: env.keyring, user: env.client.replace(/^client\./, ''), pool: env.rbdPool };
}
