// SPDX-License-Identifier: AGPL-3.0-or-later
/** What the parts of the Proxmox EC2 translator share: config, PVE client, maps, jobs, sink. */
import type { Ec2EventSink } from '../../../apis/ec2/backend.js';
import type { Gateway } from '../../../src/gateway.js';
import type { PveHttp } from '../client/http.js';
import type { Pve, VmResource } from '../client/pve.js';
import { waitTask } from '../client/tasks.js';
import type { ProxmoxConfig } from '../config.js';
import type { JobEngine } from '../jobs.js';
import type { PveMap } from './map.js';
import type { EbsDriver } from './snapshots.js';

export interface PveCtx {
  gw: Gateway;
  cfg: ProxmoxConfig;
  http: PveHttp;
  pve: Pve;
  map: PveMap;
  jobs: JobEngine;
  sink: Ec2EventSink;
  inventory: Inventory;
  /** The Ceph RBD volume driver for snapshots, when `ec2.volumes` is `rbd`. */
  ebs: Promise<EbsDriver | undefined>;
}

/**
 * `GET /cluster/resources?type=vm`, reused for `resourcesCacheMs`: DescribeInstances-driven reads
 * cost one PVE call per window however many VMs there are. Jobs ask for a fresh read.
 */
export class Inventory {
  private cached: { at: number; vms: VmResource[] } | undefined;
  private inflight: Promise<VmResource[]> | undefined;

  constructor(
    private readonly pve: Pve,
    private readonly ttlMs: number,
  ) {}

  async vms(fresh = false): Promise<VmResource[]> {
    if (!fresh && this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.vms;
    if (this.inflight) return this.inflight;
    const started = Date.now();
    this.inflight = this.pve
      .vms()
      .then((vms) => {
        this.cached = { at: started, vms };
        return vms;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** When the listing in the cache was asked for (what it shows is at least this recent). */
  get takenAt(): number {
    return this.cached?.at ?? 0;
  }

  get age(): number {
    return this.cached ? Date.now() - this.cached.at : Infinity;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  async byVmid(vmid: number, fresh = true): Promise<VmResource | undefined> {
    return (await this.vms(fresh)).find((v) => v.vmid === vmid);
  }
}

export function taskWaiter(http: PveHttp, cfg: ProxmoxConfig): (upid: string) => Promise<void> {
  return (upid) => waitTask(http, upid, cfg.taskPollMs);
}
