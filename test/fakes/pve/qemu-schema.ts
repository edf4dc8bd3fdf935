// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The VM config schema of qemu-server (PVE/QemuServer.pm `$confdesc`, `$netdesc`, drive and
 * cloud-init options) for the keys the fake models, used to validate `POST /nodes/{node}/qemu`,
 * `POST|PUT /nodes/{node}/qemu/{vmid}/config` (/work/shared/reference/proxmox-mapping.md
 * "Instances", step 3). A key outside this set is refused as PVE refuses unknown keys; keys real PVE
 * has but the fake does not model (usbN, hostpciN, numaN, …) are listed in docs/proxmox-fake.md.
 */
import {
  AGENT_FORMAT, CICUSTOM_FORMAT, DRIVE_FORMAT, IPCONFIG_FORMAT, MEMORY_FORMAT, NET_FORMAT,
  SMBIOS_FORMAT, parsePropertyString, type PropFormat,
} from './propstring.js';
import { DNS_NAME, opt, type Prop, type Props } from './schema.js';

function propString(f: PropFormat): (v: string) => void {
  return (v) => {
    parsePropertyString(v, f);
  };
}

const TAG = '[a-z0-9_][a-z0-9_\\-+.]*';

/**
 * `sshkeys`: format 'urlencoded' (pve-common pve_verify_urlencoded: "invalid urlencoded string"),
 * then qemu-server URI-unescapes it and PVE::Tools::validate_ssh_public_keys checks each line.
 * So clients must URL-encode the key list themselves, on top of the form encoding.
 */
function sshKeys(v: string): void {
  if (!/^[-%a-zA-Z0-9_.!~*'()]*$/.test(v)) throw new Error(`invalid urlencoded string: ${v}\n`);
  let text: string;
  try {
    text = decodeURIComponent(v);
  } catch {
    throw new Error(`invalid urlencoded string: ${v}\n`);
  }
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    if (!/^(\S+\s+)?(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(\s.*)?$/.test(l)) {
      throw new Error('SSH public key validation error\n');
    }
  }
}
const str = (extra: Partial<Prop> = {}): Prop => ({ type: 'string', optional: true, ...extra });
const int = (minimum?: number, maximum?: number): Prop => ({ type: 'integer', optional: true, minimum, maximum });
const bool: Prop = { type: 'boolean', optional: true };

export const DRIVE_BUSES: Record<string, number> = { scsi: 31, ide: 4, sata: 6, virtio: 16 };

export const CONFIG_PROPS: Props = {
  name: opt(DNS_NAME),
  description: str({ maxLength: 8192 }),
  tags: str({ pattern: new RegExp(`${TAG}([;, ]${TAG})*`) }),
  cores: int(1),
  sockets: int(1),
  vcpus: int(1),
  memory: str({ format: propString(MEMORY_FORMAT) }),
  balloon: int(0),
  shares: int(0, 50000),
  cpu: str(),
  cpulimit: { type: 'number', optional: true, minimum: 0, maximum: 128 },
  cpuunits: int(1, 262144),
  numa: bool,
  hotplug: str({ pattern: /(network|disk|cpu|memory|usb|cloudinit)(,(network|disk|cpu|memory|usb|cloudinit))*|0|1/ }),
  ostype: str({ enum: ['other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11', 'l24', 'l26', 'solaris'] }),
  bios: str({ enum: ['seabios', 'ovmf'] }),
  arch: str({ enum: ['x86_64', 'aarch64'] }),
  machine: str({ maxLength: 40 }),
  scsihw: str({ enum: ['lsi', 'lsi53c810', 'virtio-scsi-pci', 'virtio-scsi-single', 'megasas', 'pvscsi'] }),
  boot: str(),
  bootdisk: str({ pattern: /(ide|sata|scsi|virtio)\d+/ }),
  vga: str(),
  kvm: bool,
  acpi: bool,
  onboot: bool,
  startup: str(),
  protection: bool,
  template: bool,
  agent: str({ format: propString(AGENT_FORMAT) }),
  smbios1: str({ maxLength: 512, format: propString(SMBIOS_FORMAT) }),
  vmgenid: str(),
  lock: str({ enum: ['backup', 'clone', 'create', 'migrate', 'rollback', 'snapshot', 'snapshot-delete', 'suspending', 'suspended'] }),
  // cloud-init
  ciuser: str(),
  cipassword: str(),
  citype: str({ enum: ['configdrive2', 'nocloud', 'opennebula'] }),
  ciupgrade: bool,
  cicustom: str({ format: propString(CICUSTOM_FORMAT) }),
  nameserver: str(),
  searchdomain: str(),
  sshkeys: str({ format: sshKeys }),
  efidisk0: str({ format: propString(DRIVE_FORMAT) }),
};
for (let i = 0; i < 32; i++) {
  CONFIG_PROPS[`net${i}`] = str({ format: propString(NET_FORMAT) });
  CONFIG_PROPS[`ipconfig${i}`] = str({ format: propString(IPCONFIG_FORMAT) });
}
for (const [bus, n] of Object.entries(DRIVE_BUSES)) {
  for (let i = 0; i < n; i++) CONFIG_PROPS[`${bus}${i}`] = str({ format: propString(DRIVE_FORMAT) });
}
for (let i = 0; i < 4; i++) CONFIG_PROPS[`serial${i}`] = str({ pattern: /(\/dev\/.+|socket)/ });
for (let i = 0; i < 256; i++) CONFIG_PROPS[`unused${i}`] = str();

/** Keys a running VM takes at once (hotplug default `network,disk,usb` plus PVE's "fast plug" options). */
export const FAST_PLUG = new Set(['name', 'description', 'tags', 'protection', 'onboot', 'startup', 'lock', 'ciuser', 'cipassword', 'citype', 'ciupgrade', 'cicustom', 'nameserver', 'searchdomain', 'sshkeys', 'shares', 'balloon', 'cpulimit', 'cpuunits', 'agent', 'hotplug']);

export function isDriveKey(k: string): boolean {
  return /^(scsi|ide|sata|virtio)\d+$/.test(k) || k === 'efidisk0';
}

export function isHotpluggable(key: string, hotplug: string | undefined): boolean {
  const hp = new Set((hotplug ?? 'network,disk,usb').split(','));
  if (hotplug === '1') ['network', 'disk', 'usb', 'cpu', 'memory'].forEach((x) => hp.add(x));
  if (FAST_PLUG.has(key) || /^ipconfig\d+$/.test(key) || /^unused\d+$/.test(key)) return true;
  if (/^net\d+$/.test(key)) return hp.has('network');
  if (isDriveKey(key)) return hp.has('disk');
  if (key === 'cores' || key === 'vcpus' || key === 'sockets') return hp.has('cpu');
  if (key === 'memory') return hp.has('memory');
  return false;
}

export const CONFIG_META_PROPS: Props = {
  delete: str({ pattern: /[a-z][a-z0-9_]+([,; ][a-z][a-z0-9_]+)*/ }),
  revert: str(),
  digest: str({ maxLength: 40 }),
  skiplock: bool,
  force: bool,
  background_delay: int(1, 30),
};
