// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The fake cluster: state (nodes, VMs, pools, storage, firewall, SDN), tasks, config locks,
 * authentication and the fault-injection control, shared by every route module.
 */
import { AuthStore } from './auth.js';
import { CallCounters, TaskControl } from './control.js';
import { die, permError } from './errors.js';
import type { ImageBackend } from './images.js';
import { FlockTable } from './locks.js';
import type { RouteCtx } from './router.js';
import { Vm, type NodeState, type Pool } from './state.js';
import { TaskManager, type Task } from './tasks.js';
import { RbdStorage } from './volumes.js';

export interface CoreOptions {
  nodes: string[];
  taskMs: number;
  lockTimeoutMs: number;
  storageId: string;
  images: ImageBackend;
  nextIdRange?: { lower: number; upper: number };
}

export class FakePve {
  readonly nodes = new Map<string, NodeState>();
  readonly vms = new Map<number, Vm>();
  readonly pools = new Map<string, Pool>();
  readonly storage: RbdStorage;
  readonly taskControl: TaskControl;
  readonly tasks: TaskManager;
  readonly flocks: FlockTable;
  readonly counters = new CallCounters();
  readonly auth = new AuthStore();
  lockTimeoutMs: number;
  nextIdRange: { lower: number; upper: number };
  /** Registries of other modules (firewall, SDN) keyed by name. */
  readonly ext = new Map<string, unknown>();

  constructor(opts: CoreOptions) {
    const now = Date.now();
    for (const name of opts.nodes) this.nodes.set(name, { name, maxcpu: 16, maxmem: 64 * 2 ** 30, bootedAt: now });
    this.storage = new RbdStorage(opts.storageId, opts.images);
    this.taskControl = new TaskControl(opts.taskMs);
    this.tasks = new TaskManager(this.taskControl);
    this.lockTimeoutMs = opts.lockTimeoutMs;
    this.flocks = new FlockTable(() => this.lockTimeoutMs);
    this.nextIdRange = opts.nextIdRange ?? { lower: 100, upper: 1_000_000 };
  }

  get entryNode(): string {
    return this.nodes.keys().next().value as string;
  }

  /** Corosync quorum: more than half the nodes reachable. */
  quorate(): boolean {
    const all = [...this.nodes.values()];
    return all.filter((n) => !n.down).length * 2 > all.length;
  }

  node(name: string): NodeState {
    const n = this.nodes.get(name);
    if (!n) die(`hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
    return n;
  }

  /** The VM whose config lives on `node` (PVE reads nodes/<node>/qemu-server/<vmid>.conf). */
  vmOn(node: string, vmid: number): Vm {
    const vm = this.vms.get(vmid);
    if (!vm || vm.node !== node) die(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
    return vm;
  }

  /** Runs `fn` holding the VM's config flock (shared: lock_config_shared). */
  withVmLock<T>(vmid: number, fn: () => Promise<T>, shared = false): Promise<T> {
    return this.flocks.with(`qemu-${vmid}`, vmid, fn, shared);
  }

  startTask(node: string, type: string, id: string | number, user: string, worker: (t: Task) => Promise<void>): string {
    return this.tasks.start(node, type, String(id), user, worker);
  }

  /** PVE::RPCEnvironment::check for a VM path, honouring ACLs on the VM's pool. */
  checkVm(ctx: RouteCtx, vmid: number, priv: string): void {
    const pool = this.vms.get(vmid)?.pool;
    if (!ctx.auth.allowed(ctx.principal, `/vms/${vmid}`, priv, pool)) permError(`/vms/${vmid}`, priv);
  }

  check(ctx: RouteCtx, path: string, priv: string): void {
    if (!ctx.auth.allowed(ctx.principal, path, priv)) permError(path, priv);
  }

  /** Whether the principal may see this VM in listings (VM.Audit on it or its pool). */
  canSeeVm(ctx: RouteCtx, vm: Vm): boolean {
    return ctx.auth.allowed(ctx.principal, `/vms/${vm.vmid}`, 'VM.Audit', vm.pool);
  }

  removeFromPools(vmid: number): void {
    for (const p of this.pools.values()) p.vms.delete(vmid);
    const vm = this.vms.get(vmid);
    if (vm) vm.pool = undefined;
  }

  addToPool(poolid: string, vmid: number): void {
    const p = this.pools.get(poolid);
    if (!p) die(`pool '${poolid}' does not exist`);
    this.removeFromPools(vmid);
    p.vms.add(vmid);
    const vm = this.vms.get(vmid);
    if (vm) vm.pool = poolid;
  }

  usedVmids(): Set<number> {
    return new Set(this.vms.keys());
  }
}
