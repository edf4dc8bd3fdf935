// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The PVE calls the EC2 translator makes, named after what they do, through proxmox-api's typed
 * paths (client/http.ts is the engine under them). Calls that start a task return its UPID (or
 * null when PVE had nothing to do); the job engine records and polls it. Endpoints and parameters:
 * /work/shared/reference/proxmox-mapping.md.
 */
import type { PveHttp, PveParams } from './http.js';

/** One entry of `GET /cluster/resources?type=vm`. */
export interface VmResource {
  id: string;
  type: 'qemu' | 'lxc';
  vmid: number;
  node: string;
  name?: string;
  status?: string;
  pool?: string;
  template?: number;
  tags?: string;
  lock?: string;
  maxcpu?: number;
  maxmem?: number;
  maxdisk?: number;
  uptime?: number;
}

export interface NodeInfo {
  node: string;
  status: 'online' | 'offline' | 'unknown';
}

export type Upid = string | null;

const e = encodeURIComponent;

export class Pve {
  constructor(readonly http: PveHttp) {}

  private get api() {
    return this.http.api;
  }

  async vms(): Promise<VmResource[]> {
    const all = (await this.api.cluster.resources.$get({ type: 'vm' })) as unknown as VmResource[];
    return all.filter((r) => r.type === 'qemu');
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.api.nodes.$get()) as unknown as NodeInfo[];
  }

  /** Asserts `vmid` is free (PVE answers 400 when it is taken). */
  async assertFreeVmid(vmid: number): Promise<void> {
    await this.api.cluster.nextid.$get({ vmid });
  }

  async pools(): Promise<Array<{ poolid: string }>> {
    return (await this.api.pools.$get()) as unknown as Array<{ poolid: string }>;
  }

  async createPool(poolid: string, comment: string): Promise<void> {
    await this.api.pools.$post({ poolid, comment });
  }

  async clone(node: string, vmid: number, params: { newid: number; name: string; pool: string; target?: string; description?: string; full?: boolean }): Promise<Upid> {
    return (await this.api.nodes.$(node).qemu.$(vmid).clone.$post(params)) as Upid;
  }

  /** Turns a stopped VM into a template (its disks become `base-<vmid>-…`). */
  async template(node: string, vmid: number): Promise<Upid> {
    return this.http.call<Upid>('POST', `/nodes/${e(node)}/qemu/${vmid}/template`, undefined, '/nodes/*/qemu/*/template');
  }

  async config(node: string, vmid: number): Promise<Record<string, string | number>> {
    return (await this.api.nodes.$(node).qemu.$(vmid).config.$get()) as unknown as Record<string, string | number>;
  }

  /** Asynchronous config change (POST): a UPID, or null when nothing was pending. */
  async setConfig(node: string, vmid: number, params: PveParams): Promise<Upid> {
    return (await this.http.call<Upid>('POST', `/nodes/${e(node)}/qemu/${vmid}/config`, params, '/nodes/*/qemu/*/config')) ?? null;
  }

  async resize(node: string, vmid: number, disk: string, size: string): Promise<Upid> {
    return ((await this.api.nodes.$(node).qemu.$(vmid).resize.$put({ disk: disk as 'scsi0', size })) as Upid) ?? null;
  }

  async power(node: string, vmid: number, action: 'start' | 'stop' | 'shutdown' | 'reboot', params: PveParams = {}): Promise<Upid> {
    return this.http.call<Upid>('POST', `/nodes/${e(node)}/qemu/${vmid}/status/${action}`, params, `/nodes/*/qemu/*/status/${action}`);
  }

  async current(node: string, vmid: number): Promise<{ status: string; name?: string; qmpstatus?: string; lock?: string }> {
    return (await this.api.nodes.$(node).qemu.$(vmid).status.current.$get()) as unknown as { status: string; name?: string; qmpstatus?: string; lock?: string };
  }

  async destroy(node: string, vmid: number): Promise<Upid> {
    return this.http.call<Upid>('DELETE', `/nodes/${e(node)}/qemu/${vmid}`, { purge: 1, 'destroy-unreferenced-disks': 1 }, '/nodes/*/qemu/*');
  }

  async firewallOptions(node: string, vmid: number, params: PveParams): Promise<void> {
    await this.http.call('PUT', `/nodes/${e(node)}/qemu/${vmid}/firewall/options`, params, '/nodes/*/qemu/*/firewall/options');
  }

  async vmRules(node: string, vmid: number): Promise<Array<{ pos: number; type: string; action: string }>> {
    return this.http.call('GET', `/nodes/${e(node)}/qemu/${vmid}/firewall/rules`, undefined, '/nodes/*/qemu/*/firewall/rules');
  }

  async addVmRule(node: string, vmid: number, params: PveParams): Promise<void> {
    await this.http.call('POST', `/nodes/${e(node)}/qemu/${vmid}/firewall/rules`, params, '/nodes/*/qemu/*/firewall/rules');
  }

  async deleteVmRule(node: string, vmid: number, pos: number, digest?: string): Promise<void> {
    await this.http.call('DELETE', `/nodes/${e(node)}/qemu/${vmid}/firewall/rules/${pos}`, { digest }, '/nodes/*/qemu/*/firewall/rules/*');
  }

  /** Allocates a volume on a storage (synchronous): returns its volid. */
  async allocVolume(node: string, storage: string, params: { vmid: number; filename: string; size: string }): Promise<string> {
    return this.http.call<string>('POST', `/nodes/${e(node)}/storage/${e(storage)}/content`, params, '/nodes/*/storage/*/content');
  }

  async storageContent(node: string, storage: string, vmid?: number): Promise<Array<{ volid: string; size: number; vmid?: number }>> {
    return this.http.call('GET', `/nodes/${e(node)}/storage/${e(storage)}/content`, { content: 'images', vmid }, '/nodes/*/storage/*/content');
  }

  async freeVolume(node: string, storage: string, volid: string): Promise<Upid> {
    return this.http.call<Upid>('DELETE', `/nodes/${e(node)}/storage/${e(storage)}/content/${e(volid)}`, undefined, '/nodes/*/storage/*/content/*');
  }

  async rrd(node: string, vmid: number, timeframe: 'hour' | 'day'): Promise<Array<Record<string, number>>> {
    return this.http.call('GET', `/nodes/${e(node)}/qemu/${vmid}/rrddata`, { timeframe, cf: 'AVERAGE' }, '/nodes/*/qemu/*/rrddata');
  }

  async clusterFirewallOptions(): Promise<{ enable?: number | string }> {
    return this.http.call('GET', '/cluster/firewall/options');
  }

  // cluster firewall groups and ipsets
  async groups(): Promise<Array<{ group: string; comment?: string; digest?: string }>> {
    return this.http.call('GET', '/cluster/firewall/groups');
  }

  async createGroup(group: string, comment: string): Promise<void> {
    await this.http.call('POST', '/cluster/firewall/groups', { group, comment });
  }

  async deleteGroup(group: string): Promise<void> {
    await this.http.call('DELETE', `/cluster/firewall/groups/${e(group)}`, undefined, '/cluster/firewall/groups/*');
  }

  async groupRules(group: string): Promise<Array<{ pos: number; type: string; action: string; comment?: string; digest?: string }>> {
    return this.http.call('GET', `/cluster/firewall/groups/${e(group)}`, undefined, '/cluster/firewall/groups/*');
  }

  async addGroupRule(group: string, params: PveParams): Promise<void> {
    await this.http.call('POST', `/cluster/firewall/groups/${e(group)}`, params, '/cluster/firewall/groups/*');
  }

  async deleteGroupRule(group: string, pos: number, digest: string | undefined): Promise<void> {
    await this.http.call('DELETE', `/cluster/firewall/groups/${e(group)}/${pos}`, { digest }, '/cluster/firewall/groups/*/*');
  }

  async ipsets(): Promise<Array<{ name: string }>> {
    return this.http.call('GET', '/cluster/firewall/ipset');
  }

  async createIpset(name: string, comment: string): Promise<void> {
    await this.http.call('POST', '/cluster/firewall/ipset', { name, comment });
  }

  async ipsetMembers(name: string): Promise<Array<{ cidr: string }>> {
    return this.http.call('GET', `/cluster/firewall/ipset/${e(name)}`, undefined, '/cluster/firewall/ipset/*');
  }

  async addIpsetMember(name: string, cidr: string): Promise<void> {
    await this.http.call('POST', `/cluster/firewall/ipset/${e(name)}`, { cidr }, '/cluster/firewall/ipset/*');
  }

  async removeIpsetMember(name: string, cidr: string): Promise<void> {
    await this.http.call('DELETE', `/cluster/firewall/ipset/${e(name)}/${e(cidr)}`, undefined, '/cluster/firewall/ipset/*/*');
  }

  // SDN
  async sdnZones(): Promise<Array<{ zone: string }>> {
    return this.http.call('GET', '/cluster/sdn/zones');
  }

  async createZone(params: PveParams): Promise<void> {
    await this.http.call('POST', '/cluster/sdn/zones', params);
  }

  async vnets(): Promise<Array<{ vnet: string; zone: string }>> {
    return this.http.call('GET', '/cluster/sdn/vnets');
  }

  async createVnet(params: PveParams): Promise<void> {
    await this.http.call('POST', '/cluster/sdn/vnets', params);
  }

  async vnetSubnets(vnet: string): Promise<Array<{ subnet?: string; cidr?: string }>> {
    return this.http.call('GET', `/cluster/sdn/vnets/${e(vnet)}/subnets`, undefined, '/cluster/sdn/vnets/*/subnets');
  }

  async createVnetSubnet(vnet: string, params: PveParams): Promise<void> {
    await this.http.call('POST', `/cluster/sdn/vnets/${e(vnet)}/subnets`, params, '/cluster/sdn/vnets/*/subnets');
  }

  async applySdn(): Promise<Upid> {
    return this.http.call<Upid>('PUT', '/cluster/sdn');
  }
}
