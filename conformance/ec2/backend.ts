// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The compute backend the EC2 conformance suites run against, from MCGW_EC2_BACKEND:
 * `embedded` (default) or `proxmox`, which starts the fake Proxmox VE API of test/fakes/pve (PVE
 * itself cannot run on the build machine) over TLS, seeds public templates with the embedded
 * catalogue's names, and points `backends.proxmox` at it with its CA and fingerprint pinned.
 * Suites call ec2Backend(t, lifecycleMs) and pass the result to startTestGateway.
 */
import type { Config } from '../../src/config.js';
import { cephStorage } from '../../test/fakes/pve/ceph.js';
import { startFakePve, type FakePveHandle } from '../../test/fakes/pve/index.js';
import { PveHttp } from '../../translators/proxmox/client/http.js';
import { waitTask } from '../../translators/proxmox/client/tasks.js';

export const EC2_BACKEND = process.env.MCGW_EC2_BACKEND ?? 'embedded';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

/** A template named like the embedded catalogue's image the suites use (one: seeding costs RBD calls). */
export const TEMPLATES: Array<{ vmid: number; name: string; description: string; sizeG: number; arch?: 'aarch64' }> = [
  { vmid: 9000, name: 'debian-12-amd64-20250601', description: 'Debian 12 (bookworm) amd64', sizeG: 8 },
];

/** Creates the tagged template VMs through the fake's API, as an operator would. */
export async function seedTemplates(pve: FakePveHandle, tag = 'ec2-ami'): Promise<void> {
  const http = new PveHttp({ url: new URL(pve.url), tokenId: pve.tokenId, tokenSecret: pve.tokenSecret, ca: pve.caPem, fingerprint: pve.fingerprint, requestTimeoutMs: 10_000 });
  try {
    for (const tpl of TEMPLATES) {
      const node = pve.nodes[0];
      const create = await http.call<string>('POST', `/nodes/${node}/qemu`, {
        vmid: tpl.vmid,
        name: tpl.name,
        description: tpl.description,
        memory: 512,
        scsihw: 'virtio-scsi-single',
        scsi0: `${pve.storageId}:${tpl.sizeG}`,
        ide2: `${pve.storageId}:cloudinit`,
        tags: tag,
        arch: tpl.arch,
      });
      await waitTask(http, create, 20);
      await waitTask(http, await http.call<string>('POST', `/nodes/${node}/qemu/${tpl.vmid}/template`), 20);
    }
  } finally {
    http.close();
  }
}

/** What a backend under test can do, for the few steps that depend on it (shown as skips). */
export interface Ec2Caps {
  /** EBS snapshots of data volumes (Proxmox: only with the Ceph RBD volume driver). */
  volumeSnapshots: boolean;
  /** Snapshots of root volumes, hence CreateImage (Proxmox: a template of the instance's VM). */
  rootSnapshots: boolean;
  /** Why a capability is missing, as the skip message. */
  why?: string;
}

export interface Ec2BackendUnderTest {
  name: string;
  config: Partial<Config>;
  caps: Ec2Caps;
  pve?: FakePveHandle;
}

const ALL_CAPS: Ec2Caps = { volumeSnapshots: true, rootSnapshots: true };

/** The config for startTestGateway, starting (and tearing down) the backend's test double. */
/**
 * With `ceph` (default: MCGW_EC2_CEPH=1), the fake's RBD storage makes real images on the up.sh
 * Ceph cluster (in a namespace of its own) and the gateway takes EBS snapshots there through the
 * RBD volume driver (`ec2.volumes: rbd`), as it would next to a real PVE on Ceph.
 */
export async function ec2Backend(t: Teardownable, lifecycleMs: Record<string, number>, opts: { taskMs?: number; backend?: string; ceph?: boolean } = {}): Promise<Ec2BackendUnderTest> {
  const backend = opts.backend ?? EC2_BACKEND;
  if (backend === 'embedded') return { name: 'embedded', config: { ec2: { backend: 'embedded', lifecycleMs } }, caps: ALL_CAPS };
  if (backend !== 'proxmox') throw new Error(`MCGW_EC2_BACKEND must be embedded or proxmox, got '${backend}'`);
  const ceph = opts.ceph ?? process.env.MCGW_EC2_CEPH === '1';
  const pve = await startFakePve({ taskMs: opts.taskMs ?? 30, unauthorizedDelayMs: 50, storage: ceph ? await cephStorage() : { kind: 'memory' } });
  t.teardown(() => pve.close());
  await seedTemplates(pve);
  const volumes = pve.rbd
    ? { ec2: { backend: 'proxmox', volumes: 'rbd' }, ceph: { conf: pve.rbd.conf, keyring: pve.rbd.keyring, user: pve.rbd.user, pool: pve.rbd.pool, namespace: pve.rbd.namespace, holderVmid: 99999 } }
    : undefined;
  const nodes = Object.fromEntries(pve.nodes.map((n, i) => [String.fromCharCode(97 + i), n]));
  return {
    name: 'proxmox',
    pve,
    caps: volumes
      ? { volumeSnapshots: true, rootSnapshots: true }
      : { volumeSnapshots: false, rootSnapshots: true, why: 'EBS snapshots of data volumes on Proxmox need Ceph (MCGW_EC2_CEPH=1: ec2.volumes rbd)' },
    config: {
      ec2: volumes?.ec2 ?? { backend: 'proxmox' },
      backends: {
        ...(volumes ? { ceph: volumes.ceph } : {}),
        proxmox: {
          url: pve.url,
          tokenId: pve.tokenId,
          tokenSecret: pve.tokenSecret,
          ca: pve.caPem,
          fingerprint: pve.fingerprint,
          nodes,
          storage: pve.storageId,
          taskPollMs: 20,
          resourcesCacheMs: 200,
          retryDelayMs: 50,
          guestUrl: 'http://127.0.0.1:4566',
        },
      },
    },
  };
}
