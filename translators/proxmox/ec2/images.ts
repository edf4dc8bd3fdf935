// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Public AMIs = PVE template VMs carrying the image tag (default `ec2-ami`), found in the one
 * `/cluster/resources` listing; their details (root disk size, UEFI, architecture) come from each
 * template's config, read once. The ami- id is derived from the cluster URL and the template's
 * vmid, so it is stable across restarts and the same for every account.
 */
import { createHash } from 'node:crypto';
import type { PublicImage } from '../../../apis/ec2/backend.js';
import type { PveCtx } from './context.js';
import { sizeOf } from './guest.js';

export interface TemplateImage extends PublicImage {
  vmid: number;
  node: string;
}

export function amiIdOf(clusterUrl: string, vmid: number): string {
  return 'ami-' + createHash('sha256').update(`mcgw-proxmox-template:${clusterUrl}:${vmid}`).digest('hex').slice(0, 17);
}

export class TemplateCatalog {
  private readonly details = new Map<number, Omit<TemplateImage, 'node'>>();

  constructor(private readonly ctx: PveCtx) {}

  async list(): Promise<TemplateImage[]> {
    const vms = await this.ctx.inventory.vms();
    const tag = this.ctx.cfg.imageTag;
    const out: TemplateImage[] = [];
    for (const vm of vms) {
      if (vm.template !== 1 || !(vm.tags ?? '').split(/[;,\s]/).includes(tag)) continue;
      let d = this.details.get(vm.vmid);
      if (!d) {
        const cfg = await this.ctx.pve.config(vm.node, vm.vmid);
        const arch = cfg.arch === 'aarch64' ? 'arm64' : 'x86_64';
        d = {
          vmid: vm.vmid,
          imageId: amiIdOf(this.ctx.cfg.url.href, vm.vmid),
          name: vm.name ?? `template-${vm.vmid}`,
          description: String(cfg.description ?? vm.name ?? '').split('\n')[0].slice(0, 255),
          architecture: arch,
          platformDetails: 'Linux/UNIX',
          rootDeviceName: '/dev/xvda',
          rootSizeGiB: Math.max(1, Math.ceil(sizeOf(cfg.scsi0) ?? 1)),
          bootMode: cfg.bios === 'ovmf' ? 'uefi' : 'legacy-bios',
          creationDate: Number(cfg.meta && /ctime=(\d+)/.exec(String(cfg.meta))?.[1]) * 1000 || Date.UTC(2025, 0, 1),
        };
        this.details.set(vm.vmid, d);
      }
      out.push({ ...d, node: vm.node });
    }
    return out.sort((a, b) => a.vmid - b.vmid);
  }

  async find(imageId: string): Promise<TemplateImage | undefined> {
    return (await this.list()).find((i) => i.imageId === imageId);
  }
}
