// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The VM config a launch writes (pure functions, unit-tested): shape, NIC, cloud-init keys, the
 * NoCloud seed in the SMBIOS serial and disk lines. Formats from qemu-server's schema as quoted in
 * proxmox-mapping.md ("Instances", "User data / metadata", "EBS").
 */
import type { PveParams } from '../client/http.js';

/**
 * `sshkeys` is URL-encoded by PVE's schema ("urlencoded" format) on top of the form encoding:
 * percent-encoding of the newline-joined keys with spaces as %20, never '+' (what the Terraform
 * providers send); the form encoder then escapes the '%' again.
 */
export function encodeSshKeys(keys: string[]): string {
  return encodeURIComponent(keys.join('\n'));
}

/** `smbios1` pointing cloud-init at the gateway's NoCloud seed: base64 serial `ds=nocloud-net;s=<url>/`. */
export function smbiosSeed(seedUrl: string, uuid?: string): string {
  const serial = Buffer.from(`ds=nocloud-net;s=${seedUrl.endsWith('/') ? seedUrl : `${seedUrl}/`}`).toString('base64');
  return `${uuid ? `uuid=${uuid},` : ''}serial=${serial},base64=1`;
}

/** The prefix length and gateway (first host) of a CIDR, for ipconfig0. */
export function ipConfig(ip: string, cidr: string): string {
  const [base, bits] = cidr.split('/');
  const n = base.split('.').map(Number).reduce((a, b) => a * 256 + b, 0);
  const gw = n + 1;
  const gwText = [24, 16, 8, 0].map((s) => Math.floor(gw / 2 ** s) % 256).join('.');
  return `ip=${ip}/${bits},gw=${gwText}`;
}

/** PVE tags: `;`-separated, each `[a-z0-9_][a-z0-9_\-+.]*`. */
export function pveTags(values: string[]): string {
  return values.map((v) => v.toLowerCase().replace(/[^a-z0-9_\-+.]/g, '_').replace(/^[^a-z0-9_]/, '_')).join(';');
}

export interface GuestShape {
  instanceId: string;
  vcpus: number;
  memoryMiB: number;
  bridge: string;
  macAddress: string;
  privateIp: string;
  subnetCidr: string;
  sshPublicKey?: string;
  seedUrl?: string;
  accountId: string;
  disableApiTermination?: boolean;
}

/** The config call of a launch (step 3 of RunInstances in the mapping). */
export function launchConfig(g: GuestShape): PveParams {
  const p: PveParams = {
    cores: g.vcpus,
    sockets: 1,
    memory: g.memoryMiB,
    balloon: 0,
    net0: `virtio=${g.macAddress.toUpperCase()},bridge=${g.bridge},firewall=1`,
    ipconfig0: ipConfig(g.privateIp, g.subnetCidr),
    ciupgrade: 0,
    serial0: 'socket',
    agent: 'enabled=1',
    tags: pveTags(['mcgw', `acct-${g.accountId}`]),
    description: `mcgw EC2 instance ${g.instanceId} of account ${g.accountId}`,
  };
  if (g.sshPublicKey) p.sshkeys = encodeSshKeys([g.sshPublicKey.trim()]);
  if (g.seedUrl) p.smbios1 = smbiosSeed(g.seedUrl);
  if (g.disableApiTermination) p.protection = 1;
  return p;
}

/** The disk line of an EBS volume attached as scsiN. */
export function volumeLine(volid: string, serial: string, opts: { iops?: number; throughputMiBs?: number } = {}): string {
  let line = `${volid},discard=on,ssd=1,serial=${serial}`;
  if (opts.iops) line += `,iops_rd=${opts.iops},iops_wr=${opts.iops}`;
  if (opts.throughputMiBs) line += `,mbps_rd=${opts.throughputMiBs},mbps_wr=${opts.throughputMiBs}`;
  return line;
}

/** The volid in a disk line (`<storage>:<volname>` before the first comma, or `file=`). */
export function volidOf(line: string | number | undefined): string | undefined {
  if (typeof line !== 'string') return undefined;
  const first = line.split(',')[0];
  return first.startsWith('file=') ? first.slice(5) : first.includes(':') ? first : undefined;
}

/** The size in GiB of a disk line's `size=` (PVE writes e.g. 8G, 512M, 1T). */
export function sizeOf(line: string | number | undefined): number | undefined {
  if (typeof line !== 'string') return undefined;
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)(?:,|$)/.exec(line);
  if (!m) return undefined;
  const mult = { '': 1 / 1024 ** 3, K: 1 / 1024 ** 2, M: 1 / 1024, G: 1, T: 1024 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
}

/** The first free scsi slot (scsi0 is the root disk; PVE allows scsi0..scsi30). */
export function freeScsiSlot(config: Record<string, unknown>, reserved: string[] = []): string | undefined {
  for (let n = 1; n <= 30; n++) {
    const k = `scsi${n}`;
    if (config[k] === undefined && !reserved.includes(k)) return k;
  }
  return undefined;
}
