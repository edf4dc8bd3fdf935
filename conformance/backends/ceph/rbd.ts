// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS volumes on the scratch Ceph for the conformance suites: `cephRbdConfig()` starts (or reuses)
 * the cluster of up.sh and returns gateway config that keeps the embedded compute's volumes on
 * RBD (`ec2.volumes: rbd`) under a holder vmid of its own, so parallel suites never see each
 * other's images; `purgeRbdHolder()` removes every image of a holder (clones first), for
 * teardown. The harness applies it when $MCGW_TEST_EC2_VOLUMES is `rbd`.
 */
import { randomInt } from 'node:crypto';
import type { Config } from '../../../src/config.js';
import { RbdClient, isRbdError } from '../../../translators/ceph/rbd/client.js';
import { cephUp, type CephEnv } from './cluster.js';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

export function rbdClientOf(env: CephEnv): RbdClient {
  return new RbdClient({ conf: env.conf, keyring: env.keyring, user: env.client.replace(/^client\./, ''), pool: env.rbdPool });
}

/** Config for volumes on RBD merged over `base`; the images go at teardown when `t` is given. */
export async function cephRbdConfig(t: Teardownable | null, base: Partial<Config> = {}): Promise<Partial<Config>> {
  const env = await cephUp();
  const holderVmid = randomInt(1_000_000, 999_999_999);
  if (t) t.teardown(() => purgeRbdHolder(rbdClientOf(env), holderVmid));
  const ec2 = { backend: 'embedded', ...(base.ec2 ?? {}), volumes: 'rbd' };
  const ceph = { ...(base.backends?.ceph ?? {}), conf: env.conf, keyring: env.keyring, user: env.client, pool: env.rbdPool, holderVmid };
  return { ...base, ec2, backends: { ...(base.backends ?? {}), ceph } };
}

/** Removes every image named vm-<holder>-…: clones before their parents, snapshots first. */
export async function purgeRbdHolder(rbd: RbdClient, holderVmid: number): Promise<string[]> {
  const prefix = `vm-${holderVmid}-`;
  let failures: string[] = [];
  for (let round = 0; round < 5; round++) {
    const names = (await rbd.list()).filter((n) => n.startsWith(prefix));
    if (!names.length) return [];
    const infos = await Promise.all(names.map(async (n) => ({ n, parent: (await rbd.stat(n))?.parent })));
    infos.sort((a, b) => Number(!!b.parent) - Number(!!a.parent));
    failures = [];
    for (const { n } of infos) {
      try {
        for (const s of await rbd.snapList(n)) {
          await rbd.snapUnprotect(n, s.name);
          await rbd.snapRemove(n, s.name);
        }
        await rbd.remove(n);
      } catch (e) {
        if (!isRbdError(e, 'NotFound')) failures.push(`${n}: ${(e as Error).message}`);
      }
    }
  }
  return failures;
}
