// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The RBD keys of the `backends.ceph` section (the RGW keys of the same section are read by the
 * S3 translator), validated with messages that name the key. Example:
 *
 *   ec2: { backend: embedded, volumes: rbd }
 *   backends:
 *     ceph:
 *       conf: /etc/ceph/ceph.conf           # mon addresses and auth settings
 *       keyring: /etc/ceph/ceph.client.mcgw.keyring
 *       user: mcgw                          # cephx user, without 'client.' (default admin)
 *       pool: rbd                           # where the images go (default rbd)
 *       namespace: ebs                      # optional RBD namespace inside the pool
 *       holderVmid: 99999                   # images are vm-<holderVmid>-vol-…: Proxmox sees them
 *                                           # as disks of this vmid, which no VM may ever get
 */
import { existsSync } from 'node:fs';
import { sectionReader } from '../../section.js';
import type { RbdClientConfig } from './client.js';

export interface RbdVolumesConfig {
  client: RbdClientConfig;
  holderVmid: number;
}

const KNOWN = ['conf', 'keyring', 'user', 'pool', 'namespace', 'holderVmid', 'rbdPath', 'timeoutMs', 'concurrency'];
const NAME_RE = /^[A-Za-z0-9_.+-][A-Za-z0-9_.+-]{0,99}$/;

/** Reads the RBD keys of `backends.ceph`; other keys of the section belong to the S3 side. */
export function parseRbdConfig(raw: Record<string, unknown> | undefined): RbdVolumesConfig {
  if (!raw || typeof raw !== 'object') throw new Error(`backends.ceph: the section is required when ec2.volumes is rbd (keys: ${KNOWN.join(', ')})`);
  const { fail, str, int } = sectionReader('backends.ceph', raw);
  const conf = str('conf') ?? fail('conf', 'is required: the path of ceph.conf');
  if (!existsSync(conf)) fail('conf', `${conf} does not exist`);
  const keyring = str('keyring');
  if (keyring && !existsSync(keyring)) fail('keyring', `${keyring} does not exist`);
  const user = str('user', 'admin')!.replace(/^client\./, '');
  if (!NAME_RE.test(user)) fail('user', `'${user}' is not a cephx user name`);
  const pool = str('pool', 'rbd')!;
  if (!NAME_RE.test(pool)) fail('pool', `'${pool}' is not a pool name`);
  const namespace = str('namespace');
  if (namespace !== undefined && !NAME_RE.test(namespace)) fail('namespace', `'${namespace}' is not a namespace name`);
  const rbdPath = str('rbdPath');
  return {
    client: {
      conf,
      keyring,
      user,
      pool,
      namespace,
      rbdPath,
      timeoutMs: int('timeoutMs', 60_000, 1000, 3_600_000),
      concurrency: int('concurrency', 4, 1, 64),
    },
    holderVmid: int('holderVmid', 99999, 100, 999999999),
  };
}
