// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `backends.proxmox` config section, validated with messages that name the key. Example:
 *
 *   ec2: { backend: proxmox }
 *   backends:
 *     proxmox:
 *       url: https://pve1.example:8006
 *       tokenId: mcgw@pve!ec2
 *       tokenSecret: 0a1b2c3d-...        # or env MCGW_PROXMOX_TOKEN_SECRET
 *       ca: /etc/mcgw/pve-root-ca.pem     # PEM file or inline PEM: the only CA trusted
 *       fingerprint: "AB:CD:…"            # optional: also pin the server certificate's SHA-256
 *       nodes: { a: pve1, b: pve2 }       # zone suffix -> node
 *       storage: ceph-rbd                 # the RBD storage for disks and volumes
 *       bridge: vmbr0                     # used when sdn is off
 *       sdn: { zoneType: simple }         # VPC -> SDN zone, subnet -> vnet (or false)
 *       vmidRange: [100000, 199999]       # the gateway's vmid band
 *       holderVmid: 99999                 # owner of detached EBS volumes; no VM may use it
 */
import { readFileSync } from 'node:fs';

export interface ProxmoxConfig {
  /** Base URL without the /api2/json suffix. */
  url: URL;
  tokenId: string;
  tokenSecret: string;
  /** PEM of the CA(s) trusted for the API's TLS; undefined only for http:// URLs. */
  ca?: string;
  /** Upper-case hex SHA-256 of the server certificate, colon separated. */
  fingerprint?: string;
  /** zone suffix -> node */
  nodes: Record<string, string>;
  storage: string;
  bridge: string;
  sdn: false | { zoneType: 'simple' | 'vxlan' | 'evpn' | 'vlan'; controller?: string; peers?: string; bridge?: string };
  vmidRange: [number, number];
  holderVmid: number;
  /** Tag marking a template as a public AMI. */
  imageTag: string;
  taskPollMs: number;
  /** How long a /cluster/resources answer is reused. */
  resourcesCacheMs: number;
  /** Retries of a step failing with a lock timeout / locked VM / node down. */
  maxRetries: number;
  retryDelayMs: number;
  /** How guests reach the gateway (NoCloud seed and IMDS), e.g. http://10.0.0.1:4566. */
  guestUrl?: string;
  /** Seconds a graceful shutdown waits before PVE forces the stop. */
  shutdownTimeoutS: number;
  /** Several gateways on one shared state store: how long a job's lease lasts unrenewed. */
  jobLeaseMs: number;
  requestTimeoutMs: number;
}

function fail(key: string, msg: string): never {
  throw new Error(`backends.proxmox.${key}: ${msg}`);
}

function str(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') {
    if (required) fail(key, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') fail(key, `must be a string, got ${typeof v}`);
  return v;
}

function int(raw: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number {
  const v = raw[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function readPem(v: string, key: string): string {
  const text = v.includes('-----BEGIN') ? v : (() => {
    try {
      return readFileSync(v, 'utf8');
    } catch (e) {
      return fail(key, `cannot read ${v}: ${(e as Error).message}`);
    }
  })();
  if (!text.includes('-----BEGIN CERTIFICATE-----')) fail(key, 'is not a PEM certificate');
  return text;
}

const ID_RE = /^[A-Za-z][A-Za-z0-9\-_.]*$/;

export function parseProxmoxConfig(raw: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = process.env): ProxmoxConfig {
  if (!raw || typeof raw !== 'object') throw new Error('backends.proxmox: the section is required when ec2.backend is proxmox');
  const known = new Set(['url', 'tokenId', 'tokenSecret', 'ca', 'fingerprint', 'nodes', 'storage', 'bridge', 'sdn', 'vmidRange', 'holderVmid', 'imageTag', 'taskPollMs', 'resourcesCacheMs', 'maxRetries', 'retryDelayMs', 'guestUrl', 'shutdownTimeoutS', 'requestTimeoutMs', 'jobLeaseMs']);
  for (const k of Object.keys(raw)) if (!known.has(k)) fail(k, `unknown key (known: ${[...known].join(', ')})`);
  const urlText = str(raw, 'url', true)!;
  let url: URL;
  try {
    url = new URL(urlText.replace(/\/+$/, '').replace(/\/api2\/json$/, ''));
  } catch {
    fail('url', `'${urlText}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('url', 'must be https:// (or http:// for a loopback test double)');
  if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) fail('url', 'plain http is only accepted on loopback; use https with a pinned CA');
  const tokenId = str(raw, 'tokenId', true)!;
  if (!/^[^@\s]+@[^!\s]+![A-Za-z][A-Za-z0-9.\-_]+$/.test(tokenId)) fail('tokenId', `'${tokenId}' is not USER@REALM!TOKENID`);
  const tokenSecret = str(raw, 'tokenSecret', false) ?? env.MCGW_PROXMOX_TOKEN_SECRET;
  if (!tokenSecret) fail('tokenSecret', 'is required (or set MCGW_PROXMOX_TOKEN_SECRET)');
  const caRaw = str(raw, 'ca', false);
  const ca = caRaw ? readPem(caRaw, 'ca') : undefined;
  if (url.protocol === 'https:' && !ca) fail('ca', "is required for https: the cluster's CA (/etc/pve/pve-root-ca.pem) or the node's self-signed certificate; TLS checks are never turned off");
  let fingerprint = str(raw, 'fingerprint', false);
  if (fingerprint !== undefined) {
    const hex = fingerprint.replace(/:/g, '').toUpperCase();
    if (!/^[0-9A-F]{64}$/.test(hex)) fail('fingerprint', 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)');
    fingerprint = hex.match(/../g)!.join(':');
  }
  const nodesRaw = raw.nodes;
  if (!nodesRaw || typeof nodesRaw !== 'object' || Array.isArray(nodesRaw) || Object.keys(nodesRaw).length === 0) fail('nodes', 'must map zone suffixes to node names, e.g. { a: pve1, b: pve2 }');
  const nodes: Record<string, string> = {};
  for (const [z, n] of Object.entries(nodesRaw as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9-]{0,15}$/.test(z)) fail('nodes', `'${z}' is not a zone suffix like 'a'`);
    if (typeof n !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9.-]*$/.test(n)) fail(`nodes.${z}`, `'${String(n)}' is not a node name`);
    nodes[z] = n;
  }
  const storage = str(raw, 'storage', true)!;
  if (!ID_RE.test(storage)) fail('storage', `'${storage}' is not a storage id`);
  const bridge = str(raw, 'bridge', false) ?? 'vmbr0';
  let sdn: ProxmoxConfig['sdn'] = false;
  if (raw.sdn !== undefined && raw.sdn !== false) {
    const s = raw.sdn as Record<string, unknown>;
    if (typeof s !== 'object' || s === null) fail('sdn', 'must be false or { zoneType, controller?, peers?, bridge? }');
    const zt = s.zoneType ?? 'simple';
    if (!['simple', 'vxlan', 'evpn', 'vlan'].includes(String(zt))) fail('sdn.zoneType', `must be simple, vxlan, evpn or vlan, got '${String(zt)}'`);
    if (zt === 'evpn' && typeof s.controller !== 'string') fail('sdn.controller', 'is required for evpn zones');
    if (zt === 'vxlan' && typeof s.peers !== 'string') fail('sdn.peers', 'is required for vxlan zones');
    if (zt === 'vlan' && typeof s.bridge !== 'string') fail('sdn.bridge', 'is required for vlan zones');
    sdn = { zoneType: zt as 'simple', controller: s.controller as string | undefined, peers: s.peers as string | undefined, bridge: s.bridge as string | undefined };
  }
  const range = raw.vmidRange ?? [100000, 199999];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isInteger(n)) || range[0] < 100 || range[1] > 999999999 || range[0] > range[1]) {
    fail('vmidRange', `must be [lower, upper] within 100..999999999, got ${JSON.stringify(range)}`);
  }
  const holderVmid = int(raw, 'holderVmid', 99999, 100, 999999999);
  if (holderVmid >= range[0] && holderVmid <= range[1]) fail('holderVmid', `${holderVmid} lies inside vmidRange; it must never be given to a VM`);
  const guestUrl = str(raw, 'guestUrl', false);
  if (guestUrl !== undefined) {
    try {
      new URL(guestUrl);
    } catch {
      fail('guestUrl', `'${guestUrl}' is not a URL`);
    }
  }
  const imageTag = str(raw, 'imageTag', false) ?? 'ec2-ami';
  if (!/^[a-z0-9_][a-z0-9_\-+.]*$/.test(imageTag)) fail('imageTag', `'${imageTag}' is not a PVE tag`);
  return {
    url,
    tokenId,
    tokenSecret,
    ca,
    fingerprint,
    nodes,
    storage,
    bridge,
    sdn,
    vmidRange: [range[0], range[1]],
    holderVmid,
    imageTag,
    taskPollMs: int(raw, 'taskPollMs', 1000, 10, 60000),
    resourcesCacheMs: int(raw, 'resourcesCacheMs', 2000, 0, 60000),
    maxRetries: int(raw, 'maxRetries', 8, 0, 100),
    retryDelayMs: int(raw, 'retryDelayMs', 2000, 0, 600000),
    guestUrl: guestUrl?.replace(/\/+$/, ''),
    shutdownTimeoutS: int(raw, 'shutdownTimeoutS', 60, 1, 3600),
    jobLeaseMs: int(raw, 'jobLeaseMs', 30000, 100, 3600000),
    requestTimeoutMs: int(raw, 'requestTimeoutMs', 30000, 100, 600000),
  };
}
