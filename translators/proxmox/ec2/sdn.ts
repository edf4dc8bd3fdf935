// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VPCs and subnets as PVE SDN (proxmox-mapping.md, "VPC / subnets → SDN"): a VPC is a zone, a
 * subnet a vnet with one subnet. Zone and vnet ids are 2–8 chars of `[a-zA-Z][a-zA-Z0-9]*`, so they
 * are derived from the account and EC2 id ('z' / 'n' + 7 hex). Edits stay pending until
 * `PUT /cluster/sdn`, whose task fans out to every node; changes and applies go one at a time.
 * With `sdn: false` every subnet uses the configured bridge (one flat network).
 */
import { createHash } from 'node:crypto';
import type { Pve } from '../client/pve.js';
import type { ProxmoxConfig } from '../config.js';
import { Serial } from './firewall.js';

function short(prefix: string, text: string): string {
  return prefix + createHash('sha256').update(text).digest('hex').slice(0, 7);
}

export function zoneId(accountId: string, vpcId: string): string {
  return short('z', `${accountId}/${vpcId}`);
}

export function vnetId(accountId: string, subnetId: string): string {
  return short('n', `${accountId}/${subnetId}`);
}

/** The gateway (first host) of an IPv4 CIDR. */
export function firstHost(cidr: string): string {
  const [base] = cidr.split('/');
  const n = base.split('.').map(Number).reduce((a, b) => a * 256 + b, 0) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class SdnSync {
  private readonly serial = new Serial();
  private readonly known = new Set<string>();

  constructor(
    private readonly pve: Pve,
    private readonly cfg: ProxmoxConfig,
    private readonly wait: (upid: string) => Promise<void>,
  ) {}

  /** The bridge a NIC on this subnet plugs into, creating and applying the SDN objects first. */
  async bridgeFor(accountId: string, vpcId: string, subnetId: string, cidr: string): Promise<string> {
    const sdn = this.cfg.sdn;
    if (!sdn) return this.cfg.bridge;
    const zone = zoneId(accountId, vpcId);
    const vnet = vnetId(accountId, subnetId);
    if (this.known.has(vnet)) return vnet;
    return this.serial.run(async () => {
      let changed = false;
      const zones = await this.pve.sdnZones();
      if (!zones.some((z) => z.zone === zone)) {
        const p: Record<string, string> = { zone, type: sdn.zoneType, ipam: 'pve' };
        if (sdn.controller) p.controller = sdn.controller;
        if (sdn.peers) p.peers = sdn.peers;
        if (sdn.bridge) p.bridge = sdn.bridge;
        p.nodes = Object.values(this.cfg.nodes).join(',');
        await this.pve.createZone(p);
        changed = true;
      }
      const vnets = await this.pve.vnets();
      if (!vnets.some((v) => v.vnet === vnet)) {
        await this.pve.createVnet({ vnet, zone, alias: subnetId });
        changed = true;
      }
      const subs = await this.pve.vnetSubnets(vnet);
      if (!subs.some((s) => s.cidr === cidr || (s.subnet ?? '').endsWith(cidr.replace('/', '-')))) {
        await this.pve.createVnetSubnet(vnet, { subnet: cidr, type: 'subnet', gateway: firstHost(cidr) });
        changed = true;
      }
      if (changed) {
        const upid = await this.pve.applySdn();
        if (upid) await this.wait(upid);
      }
      this.known.add(vnet);
      return vnet;
    });
  }
}
