// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The cluster state the fake models: nodes, VMs (config with pending changes and `digest`, run
 * state, pool), pools. A VM config is held as PVE's config file holds it (key → raw string);
 * its `digest` is the SHA-1 of that file text, as PVE::QemuConfig computes it, so any write
 * changes it (/work/shared/reference/proxmox-mapping.md "Instances", "Tasks … and locks").
 */
import { createHash } from 'node:crypto';
import { die } from './errors.js';

export interface NodeState {
  name: string;
  maxcpu: number;
  maxmem: number;
  /** When set, the node is unreachable and pveproxy answers 595 (or downStatus) with this reason. */
  down?: string;
  /** AnyEvent::HTTP's status for the failure: 595 connect errors, 596 TLS/request/header errors. */
  downStatus?: 595 | 596;
  bootedAt: number;
}

export interface VmLoad {
  /** CPU usage as a fraction of the VM's cores (0..1). */
  cpu: number;
  /** Bytes per second. */
  netin: number;
  netout: number;
  diskread: number;
  diskwrite: number;
  /** Memory in use, bytes. */
  mem?: number;
}

export interface RunInterval {
  start: number;
  end?: number;
  load: VmLoad;
}

export interface VmSnapshot {
  conf: Record<string, string>;
  description?: string;
  snaptime: number;
  parent?: string;
}

export class Vm {
  conf: Record<string, string> = {};
  snapshots = new Map<string, VmSnapshot>();
  pending: Record<string, string> = {};
  pendingDelete = new Set<string>();
  status: 'running' | 'stopped' | 'paused' = 'stopped';
  pool?: string;
  /** Run history for rrddata (milliseconds). */
  runs: RunInterval[] = [];
  load: VmLoad = { cpu: 0, netin: 0, netout: 0, diskread: 0, diskwrite: 0 };
  pid?: number;

  constructor(
    readonly vmid: number,
    public node: string,
  ) {}

  get isTemplate(): boolean {
    return this.conf.template === '1';
  }

  fileText(): string {
    const lines = Object.keys(this.conf).sort().map((k) => `${k}: ${this.conf[k]}`);
    const pend = Object.keys(this.pending).sort().map((k) => `${k}: ${this.pending[k]}`);
    if (this.pendingDelete.size) pend.push(`delete: ${[...this.pendingDelete].sort().join(',')}`);
    return lines.join('\n') + '\n' + (pend.length ? `\n[PENDING]\n${pend.join('\n')}\n` : '');
  }

  digest(): string {
    return createHash('sha1').update(this.fileText()).digest('hex');
  }

  /** The config with pending changes applied (what `GET …/config` returns by default). */
  effectiveConf(): Record<string, string> {
    const out = { ...this.conf, ...this.pending };
    for (const k of this.pendingDelete) delete out[k];
    return out;
  }

  confPath(): string {
    return `nodes/${this.node}/qemu-server/${this.vmid}.conf`;
  }

  checkLock(skiplock = false): void {
    if (!skiplock && this.conf.lock) die(`VM is locked (${this.conf.lock})`);
  }

  start(now: number): void {
    this.status = 'running';
    this.pid = 10000 + Math.floor(Math.random() * 50000);
    this.runs.push({ start: now, load: { ...this.load } });
  }

  stop(now: number): void {
    this.status = 'stopped';
    this.pid = undefined;
    const last = this.runs[this.runs.length - 1];
    if (last && last.end === undefined) last.end = now;
  }

  setLoad(load: Partial<VmLoad>, now: number): void {
    this.load = { ...this.load, ...load };
    if (this.status === 'running') {
      const last = this.runs[this.runs.length - 1];
      if (last && last.end === undefined) {
        last.end = now;
        this.runs.push({ start: now, load: { ...this.load } });
      }
    }
  }

  uptime(now: number): number {
    const last = this.runs[this.runs.length - 1];
    return this.status !== 'stopped' && last ? Math.floor((now - last.start) / 1000) : 0;
  }
}

export interface Pool {
  poolid: string;
  comment?: string;
  vms: Set<number>;
  storage: Set<string>;
}

export const MEMORY_DEFAULT_MIB = 512;

export function memoryMiB(conf: Record<string, string>): number {
  const m = /^(?:current=)?(\d+)/.exec(conf.memory ?? '');
  return m ? Number(m[1]) : MEMORY_DEFAULT_MIB;
}

export function cpuCount(conf: Record<string, string>): number {
  return Number(conf.vcpus ?? 0) || Number(conf.cores ?? 1) * Number(conf.sockets ?? 1);
}

export function randomMac(): string {
  // Proxmox's OUI prefix BC:24:11 (PVE::Tools::random_ether_addr with the datacenter mac_prefix).
  const b = Array.from({ length: 3 }, () => Math.floor(Math.random() * 256).toString(16).toUpperCase().padStart(2, '0'));
  return `BC:24:11:${b.join(':')}`;
}
