// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * startFakePve(): a fake Proxmox VE cluster API on a real HTTPS port, for the proxmox translator's
 * tests. Built from the PVE API documentation and sources (see each module's header and
 * /work/shared/reference/proxmox-mapping.md); what it models and what it does not is listed in
 * docs/proxmox-fake.md.
 */
import { randomUUID } from 'node:crypto';
import type { AclEntry } from './auth.js';
import type { TaskFailureRule } from './control.js';
import { FakePve } from './core.js';
import { MemoryImages, type ImageBackend } from './images.js';
import { RbdImages, type RbdStorageConfig } from './rbd-images.js';
import { cephStorageIfRunning } from './ceph.js';
import { lockTimeoutMessage } from './locks.js';
import { Router } from './router.js';
import { ApiServer } from './server.js';
import type { VmLoad } from './state.js';
import { clusterRoutes } from './cluster-routes.js';
import { qemuConfigRoutes } from './qemu-config.js';
import { qemuLifecycleRoutes } from './qemu-lifecycle.js';
import { qemuAgentRoutes } from './qemu-agent.js';
import { qemuMoveRoutes } from './qemu-move.js';
import { qemuSnapshotRoutes } from './qemu-snapshot.js';
import { qemuStatusRoutes } from './qemu-status.js';
import { storageRoutes } from './storage-routes.js';
import { extraRoutes } from './routes.js';

/**
 * In-memory images; real RBD images on a Ceph cluster (in a namespace of their own); or 'auto':
 * the scratch Ceph of conformance/backends/ceph/up.sh when it is running, memory otherwise.
 */
export type StorageOption = { kind: 'memory' } | { kind: 'auto' } | ({ kind: 'rbd' } & RbdStorageConfig);

export interface FakePveOptions {
  /** Node names (default pve1, pve2, pve3). The first is the one the API is reached through. */
  nodes?: string[];
  /** Default duration of every worker task, ms (default 50). */
  taskMs?: number;
  /** Config flock timeout, ms (PVE: 10 s). */
  lockTimeoutMs?: number;
  /** Delay of 401 answers, ms (pveproxy: 3000). */
  unauthorizedDelayMs?: number;
  /** RBD storage id (default 'rbd'). */
  storageId?: string;
  storage?: StorageOption;
  /** API token id (default root@pam!mcgw) and secret (default a random UUID). */
  tokenId?: string;
  tokenSecret?: string;
  /** root@pam password for ticket auth (default random). */
  password?: string;
  port?: number;
}

export interface FakePveControl {
  /** Default or per-type task duration. */
  setTaskDuration(ms: number, type?: string): void;
  /** Holds matching tasks (type, id) before their work ends, until the returned release() is called. */
  holdTasks(type?: string, id?: string | number): () => void;
  /** Makes matching tasks fail with `message` (their exitstatus and "TASK ERROR: …"). */
  failTask(rule: TaskFailureRule): void;
  /** The next `count` flock attempts on the VM fail with PVE's lock timeout error. */
  lockTimeout(vmid: number, count?: number): void;
  /** Flock wait before PVE's "got timeout" (default 10 s). */
  setLockTimeoutMs(ms: number): void;
  /** Node unreachable: its /nodes/{node}/… calls answer 595 `reason`. */
  nodeDown(node: string, reason?: 'Connection refused' | 'No route to host' | 'Connection timed out', status?: 595 | 596): void;
  nodeUp(node: string): void;
  /** Guest load seen in status, /cluster/resources and rrddata from now on. */
  setVmLoad(vmid: number, load: Partial<VmLoad>): void;
  /** API calls per `METHOD /template`, and in total. */
  calls(): Record<string, number>;
  callCount(method: string, template: string): number;
  totalCalls(): number;
  resetCalls(): void;
  /** Users, tokens and ACLs. */
  addUser(userid: string, password: string): void;
  addToken(tokenid: string, secret: string, privsep?: boolean): void;
  setAcl(principal: string, entries: AclEntry[]): void;
  /** Resolves when no task is running (aborting them when `abort`). */
  drainTasks(abort?: boolean): Promise<void>;
  /** The cluster state, for assertions. */
  readonly state: FakePve;
}

export interface FakePveHandle {
  url: string;
  host: string;
  port: number;
  fingerprint: string;
  caPem: string;
  tokenId: string;
  tokenSecret: string;
  /** `PVEAPIToken=<tokenId>=<secret>` */
  authorization: string;
  user: string;
  password: string;
  nodes: string[];
  storageId: string;
  /** Where the RBD storage's images really are (storage kind 'rbd'): pool and namespace. */
  rbd?: RbdStorageConfig & { namespace: string };
  control: FakePveControl;
  close(): Promise<void>;
}

export { lockTimeoutMessage };

export async function startFakePve(opts: FakePveOptions = {}): Promise<FakePveHandle> {
  const nodes = opts.nodes ?? ['pve1', 'pve2', 'pve3'];
  const storageId = opts.storageId ?? 'rbd';
  let images: ImageBackend = new MemoryImages();
  const storage = opts.storage?.kind === 'auto' ? cephStorageIfRunning() : opts.storage;
  if (storage?.kind === 'rbd') {
    const { kind: _k, ...cfg } = storage;
    images = await RbdImages.open(cfg);
  }
  const fake = new FakePve({ nodes, taskMs: opts.taskMs ?? 50, lockTimeoutMs: opts.lockTimeoutMs ?? 10_000, storageId, images });
  const tokenId = opts.tokenId ?? 'root@pam!mcgw';
  const tokenSecret = opts.tokenSecret ?? randomUUID();
  const password = opts.password ?? randomUUID();
  fake.auth.addUser('root@pam', password);
  const tokUser = tokenId.split('!')[0]!;
  if (!fake.auth.users.has(tokUser)) fake.auth.addUser(tokUser, randomUUID());
  fake.auth.addToken(tokenId, tokenSecret, false);

  const router = new Router();
  router.add(...clusterRoutes, ...qemuConfigRoutes, ...qemuStatusRoutes, ...qemuLifecycleRoutes, ...qemuMoveRoutes, ...qemuSnapshotRoutes, ...qemuAgentRoutes, ...storageRoutes, ...extraRoutes(fake));
  const server = new ApiServer(fake, router, { unauthorizedDelayMs: opts.unauthorizedDelayMs ?? 3000, port: opts.port });
  const url = await server.listen();
  const port = Number(new URL(url).port);

  const control: FakePveControl = {
    setTaskDuration: (ms, type) => fake.taskControl.setDuration(ms, type),
    failTask: (rule) => fake.taskControl.failNext(rule),
    holdTasks: (type, id) => fake.taskControl.hold(type, id === undefined ? undefined : String(id)),
    lockTimeout: (vmid, count = 1) => fake.flocks.injectTimeouts(`qemu-${vmid}`, count),
    setLockTimeoutMs: (ms) => (fake.lockTimeoutMs = ms),
    nodeDown: (node, reason = 'Connection refused', status = 595) => {
      const n = fake.node(node);
      n.down = reason;
      n.downStatus = status;
    },
    nodeUp: (node) => {
      const n = fake.node(node);
      n.down = undefined;
      n.downStatus = undefined;
    },
    setVmLoad: (vmid, load) => {
      const vm = fake.vms.get(vmid);
      if (!vm) throw new Error(`no VM ${vmid}`);
      vm.setLoad(load, Date.now());
    },
    calls: () => fake.counters.snapshot(),
    callCount: (m, t) => fake.counters.count(m, t),
    totalCalls: () => fake.counters.total,
    resetCalls: () => fake.counters.reset(),
    addUser: (u, p) => fake.auth.addUser(u, p),
    addToken: (t, s, privsep = true) => fake.auth.addToken(t, s, privsep),
    setAcl: (p, e) => fake.auth.setAcl(p, e),
    drainTasks: (abort) => fake.tasks.drain(abort),
    state: fake,
  };

  return {
    url,
    host: '127.0.0.1',
    port,
    fingerprint: server.cert.fingerprint,
    caPem: server.cert.cert,
    tokenId,
    tokenSecret,
    authorization: `PVEAPIToken=${tokenId}=${tokenSecret}`,
    user: 'root@pam',
    password,
    nodes,
    storageId,
    ...(images instanceof RbdImages ? { rbd: images.config } : {}),
    control,
    close: async () => {
      await server.close();
      await fake.tasks.drain(true);
      await images.close();
    },
  };
}
