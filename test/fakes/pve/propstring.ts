// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Property strings (`virtio,bridge=vnet1,firewall=1`, `rbd:vm-101-disk-0,size=8G,serial=vol…`)
 * parsed the way PVE::JSONSchema::parse_property_string does: comma-separated `key=value` parts,
 * one optional value without key for the format's default key; its errors read "invalid key in
 * comma-separated list property: k", "duplicate key in comma-separated list property: k",
 * "value without key, but schema does not define a default key", and per-key checks
 * ("format error" with the offending key).
 */

export interface KeySpec {
  bool?: boolean;
  pattern?: RegExp;
  enum?: readonly string[];
  maxLength?: number;
  int?: [number, number];
}

export interface PropFormat {
  keys: Record<string, KeySpec>;
  defaultKey?: string;
  /** Keys whose presence as `k=v` means "default key = k, other key = v" (net's `virtio=MAC`). */
  keyAsValue?: { keys: readonly string[]; into: string; valueInto: string };
}

export function parsePropertyString(value: string, f: PropFormat): Record<string, string> {
  const res: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq >= 0) {
      const k = part.slice(0, eq);
      const v = part.slice(eq + 1);
      if (f.keyAsValue?.keys.includes(k)) {
        if (res[f.keyAsValue.into] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${f.keyAsValue.into}\n`);
        res[f.keyAsValue.into] = k;
        res[f.keyAsValue.valueInto] = v;
        continue;
      }
      if (res[k] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${k}\n`);
      if (!f.keys[k]) throw new Error(`invalid key in comma-separated list property: ${k}\n`);
      res[k] = v;
    } else {
      if (!f.defaultKey) throw new Error('value without key, but schema does not define a default key\n');
      if (res[f.defaultKey] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${f.defaultKey}\n`);
      res[f.defaultKey] = part;
    }
  }
  for (const [k, v] of Object.entries(res)) {
    const spec = f.keys[k];
    if (!spec) continue;
    const bad =
      (spec.bool && !/^(1|0|on|off|yes|no|true|false)$/i.test(v)) ||
      (spec.pattern && !new RegExp(`^(?:${spec.pattern.source})$`).test(v)) ||
      (spec.enum && !spec.enum.includes(v)) ||
      (spec.maxLength !== undefined && v.length > spec.maxLength) ||
      (spec.int && (!/^\d+$/.test(v) || Number(v) < spec.int[0] || Number(v) > spec.int[1]));
    if (bad) throw new Error(`format error\n${k}: value '${v}' is not valid\n`);
  }
  return res;
}

export function printPropertyString(obj: Record<string, string | undefined>, order: string[], defaultKey?: string): string {
  const parts: string[] = [];
  if (defaultKey && obj[defaultKey] !== undefined) parts.push(obj[defaultKey]!);
  const keys = [...order.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !order.includes(k)).sort()];
  for (const k of keys) {
    if (k === defaultKey || obj[k] === undefined) continue;
    parts.push(`${k}=${obj[k]}`);
  }
  return parts.join(',');
}

/** A net value as PVE prints it: `<model>=<mac>` first, then the other keys. */
export function printNet(n: Record<string, string>): string {
  const rest = Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'model' && k !== 'macaddr'));
  const head = `${n.model ?? 'virtio'}${n.macaddr ? `=${n.macaddr}` : ''}`;
  const tail = printPropertyString(rest, ['bridge', 'firewall', 'link_down', 'mtu', 'queues', 'rate', 'tag', 'trunks']);
  return tail ? `${head},${tail}` : head;
}

const BOOL: KeySpec = { bool: true };
const INT: KeySpec = { pattern: /\d+/ };
const NUM: KeySpec = { pattern: /\d+(\.\d+)?/ };

export const NET_MODELS = ['e1000', 'e1000-82540em', 'e1000-82544gc', 'e1000-82545em', 'e1000e', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio', 'vmxnet3'] as const;

export const NET_FORMAT: PropFormat = {
  keys: {
    model: { enum: NET_MODELS },
    macaddr: { pattern: /[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}/ },
    bridge: { pattern: /[-_.\w\d]+/ },
    firewall: BOOL,
    link_down: BOOL,
    mtu: { int: [1, 65520] },
    queues: { int: [0, 64] },
    rate: NUM,
    tag: { int: [1, 4094] },
    trunks: { pattern: /\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*/ },
  },
  defaultKey: 'model',
  keyAsValue: { keys: NET_MODELS, into: 'model', valueInto: 'macaddr' },
};

const IPV4CIDR = /(\d{1,3}\.){3}\d{1,3}\/\d{1,2}/;
const IPV4 = /(\d{1,3}\.){3}\d{1,3}/;
export const IPCONFIG_FORMAT: PropFormat = {
  keys: {
    ip: { pattern: new RegExp(`dhcp|${IPV4CIDR.source}`) },
    gw: { pattern: IPV4 },
    ip6: { pattern: /dhcp|auto|[0-9a-fA-F:]+\/\d{1,3}/ },
    gw6: { pattern: /[0-9a-fA-F:]+/ },
  },
};

export const DRIVE_FORMAT: PropFormat = {
  keys: {
    file: {},
    size: { pattern: /\d+(\.\d+)?[KMGT]?/ },
    media: { enum: ['cdrom', 'disk'] },
    discard: { enum: ['ignore', 'on'] },
    ssd: BOOL,
    serial: { pattern: /[A-Za-z0-9\-_\s,.+\/]+/, maxLength: 20 },
    iothread: BOOL,
    cache: { enum: ['directsync', 'none', 'unsafe', 'writeback', 'writethrough'] },
    format: { enum: ['raw', 'cow', 'qcow', 'qed', 'qcow2', 'vmdk', 'cloop'] },
    backup: BOOL,
    replicate: BOOL,
    ro: BOOL,
    aio: { enum: ['native', 'threads', 'io_uring'] },
    wwn: { pattern: /0x[0-9a-fA-F]{16}/ },
    snapshot: BOOL,
    shared: BOOL,
    'import-from': {},
    iops: INT, iops_rd: INT, iops_wr: INT, iops_max: INT, iops_rd_max: INT, iops_wr_max: INT,
    mbps: NUM, mbps_rd: NUM, mbps_wr: NUM, mbps_max: NUM, mbps_rd_max: NUM, mbps_wr_max: NUM,
    efitype: { enum: ['2m', '4m'] },
    'pre-enrolled-keys': BOOL,
  },
  defaultKey: 'file',
};

export const SMBIOS_FORMAT: PropFormat = {
  keys: {
    uuid: { pattern: /[a-fA-F0-9]{8}(-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}/ },
    serial: {}, base64: BOOL, manufacturer: {}, product: {}, version: {}, sku: {}, family: {},
  },
};

export const AGENT_FORMAT: PropFormat = {
  keys: { enabled: BOOL, fstrim_cloned_disks: BOOL, type: { enum: ['virtio', 'isa'] }, freeze_fs_on_backup: BOOL },
  defaultKey: 'enabled',
};

export const CICUSTOM_FORMAT: PropFormat = { keys: { meta: {}, network: {}, user: {}, vendor: {} } };

export const MEMORY_FORMAT: PropFormat = { keys: { current: { int: [16, 2 ** 32] } }, defaultKey: 'current' };
