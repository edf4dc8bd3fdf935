// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Software-defined networking (pve-network src/PVE/API2/Network/SDN*.pm, src/PVE/Network/SDN.pm;
 * mapping.md "VPC / subnets → SDN"):
 * - zones, vnets and subnets are edited in the configuration; `PUT /cluster/sdn` commits the
 *   configuration as the running one (synchronously, as commit_config) and returns a
 *   `reloadnetworkall` UPID whose worker reloads every node;
 * - `GET …?pending=1` shows PVE::Network::SDN::pending_config: running values at the top level,
 *   `pending: {key: new value | 'deleted'}`, `state: new|changed|deleted`; `running=1` shows the
 *   running configuration;
 * - zone and vnet ids: `[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]`, at most 8 characters; a subnet's id is
 *   `<zone>-<network>-<mask>`; duplicates: "<type> object ID '<id>' already defined";
 * - the global lock (PVE 9): `POST /cluster/sdn/lock` → token; while it exists every edit and the
 *   apply need `lock-token` ("invalid lock token provided!"); `DELETE /cluster/sdn/lock`.
 */
import { randomUUID } from 'node:crypto';
import type { FakePve } from './core.js';
import { die } from './errors.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, DIGEST, opt, type Prop, type Props } from './schema.js';
import { createHash } from 'node:crypto';

type Obj = Record<string, unknown>;
type Kind = 'zones' | 'vnets' | 'subnets';

export class SdnState {
  config: Record<Kind, Map<string, Obj>> = { zones: new Map(), vnets: new Map(), subnets: new Map() };
  running: Record<Kind, Map<string, Obj>> = { zones: new Map(), vnets: new Map(), subnets: new Map() };
  lockToken?: string;
  version = 0;

  commit(): void {
    for (const k of ['zones', 'vnets', 'subnets'] as Kind[]) {
      this.running[k] = new Map([...this.config[k]].map(([id, o]) => [id, structuredClone(o)]));
    }
    this.version++;
  }

  hasPending(): boolean {
    return (['zones', 'vnets', 'subnets'] as Kind[]).some((k) => [...this.pendingView(k).values()].some((o) => o.pending));
  }

  /** PVE::Network::SDN::pending_config for one kind. */
  pendingView(kind: Kind): Map<string, Obj> {
    const enc = (v: unknown) => (Array.isArray(v) ? [...v].map(String).sort().join(',') : v === undefined ? undefined : String(v));
    const out = new Map<string, Obj>();
    const get = (id: string) => out.get(id) ?? (out.set(id, {}), out.get(id)!);
    const run = this.running[kind];
    const cfg = this.config[kind];
    for (const id of [...run.keys()].sort()) {
      const r = run.get(id)!;
      const c = cfg.get(id);
      const p = get(id);
      for (const key of Object.keys(r).sort()) {
        p[key] = r[key];
        if (!c) p.state = 'deleted';
        else if (c[key] === undefined) {
          ((p.pending ??= {}) as Obj)[key] = 'deleted';
          p.state = 'changed';
        } else if (enc(r[key]) !== enc(c[key])) p.state = 'changed';
      }
      if (p.state && !p.pending) p.pending = {};
    }
    for (const id of [...cfg.keys()].sort()) {
      const r = run.get(id);
      const c = cfg.get(id)!;
      const p = get(id);
      for (const key of Object.keys(c).sort()) {
        const cv = enc(c[key]);
        const rv = r ? enc(r[key]) : undefined;
        if (key === 'type' || key === 'vnet') p[key] = cv;
        else if (rv === undefined || cv !== rv) ((p.pending ??= {}) as Obj)[key] = c[key];
        if (!r) p.state = 'new';
        else if (rv === undefined && cv !== undefined) p.state = 'changed';
      }
      if (p.state && !p.pending) p.pending = {};
    }
    return out;
  }
}

const ID_RE = /^[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]$/;
function sdnId(what: string): Prop {
  return {
    type: 'string',
    format: (v) => {
      if (!ID_RE.test(v)) throw new Error(`${what} ID '${v}' contains illegal characters\n`);
      if (v.length > 8) throw new Error(`${what} ID '${v}' can't be more than 8 characters\n`);
    },
  };
}
const str = (extra: Partial<Prop> = {}): Prop => ({ type: 'string', optional: true, ...extra });
const LOCK = { 'lock-token': str() };
const ZONE_ID = sdnId('zone');
const VNET_ID = sdnId('vnet');

const ZONE_PROPS: Props = {
  type: { type: 'string', enum: ['evpn', 'faucet', 'qinq', 'simple', 'vlan', 'vxlan'] },
  bridge: str(), tag: opt({ type: 'integer', minimum: 0 }), 'vlan-protocol': str({ enum: ['802.1q', '802.1ad'] }),
  peers: str(), controller: str(), 'vrf-vxlan': opt({ type: 'integer', minimum: 1, maximum: 16777215 }),
  mtu: opt({ type: 'integer' }), nodes: str(), ipam: str(), dns: str(), reversedns: str(), dnszone: str(),
  dhcp: str({ enum: ['dnsmasq'] }), exitnodes: str(), 'exitnodes-local-routing': BOOL, 'exitnodes-primary': str(),
  'advertise-subnets': BOOL, 'disable-arp-nd-suppression': BOOL, 'rt-import': str(), mac: str(),
  'vxlan-port': opt({ type: 'integer', minimum: 1, maximum: 65536 }), fabric: str(),
  ...LOCK,
};
const VNET_PROPS: Props = {
  zone: str(), type: str({ enum: ['vnet'] }), tag: opt({ type: 'integer', minimum: 1, maximum: 16777215 }),
  alias: str({ maxLength: 256 }), vlanaware: BOOL, 'isolate-ports': BOOL, ...LOCK,
};
const SUBNET_PROPS: Props = {
  type: str({ enum: ['subnet'] }), gateway: str({ pattern: /[\d.]+|[0-9a-fA-F:]+/ }), snat: BOOL,
  dnszoneprefix: str(), 'dhcp-range': { type: 'array', optional: true, items: { type: 'string', pattern: /start-address=[^,]+,end-address=[^,]+/ } },
  'dhcp-dns-server': str(), ...LOCK,
};

function checkLockToken(sdn: SdnState, given: unknown, errmsg: string): void {
  if (sdn.lockToken !== undefined && given !== sdn.lockToken) die(`${errmsg}: invalid lock token provided!`);
}

function setProps(obj: Obj, params: Obj, props: Props): void {
  for (const k of Object.keys(props)) {
    if (k === 'lock-token' || k === 'digest' || k === 'delete' || params[k] === undefined) continue;
    obj[k] = params[k];
  }
  for (const k of String(params.delete ?? '').split(/[,; ]/).filter(Boolean)) delete obj[k];
}

function digestOf(m: Map<string, Obj>): string {
  return createHash('sha1').update(JSON.stringify([...m])).digest('hex');
}

function listing(sdn: SdnState, kind: Kind, params: Obj, idKey: string, filter: (o: Obj) => boolean): Obj[] {
  const source = params.pending === 1 ? sdn.pendingView(kind) : params.running === 1 ? sdn.running[kind] : sdn.config[kind];
  const digest = digestOf(sdn.config[kind]);
  return [...source].filter(([, o]) => filter(o)).map(([id, o]) => ({ ...o, [idKey]: id, digest }));
}

function subnetJson(o: Obj, id: string): Obj {
  const m = /^(.+?)-([^-]+)-(\d+)$/.exec(id);
  return m ? { ...o, subnet: id, zone: m[1], network: m[2], mask: Number(m[3]), cidr: `${m[2]}/${m[3]}` } : { ...o, subnet: id };
}

const VIEW = { pending: BOOL, running: BOOL };

export function sdnRoutes(fake: FakePve): Route[] {
  const sdn = new SdnState();
  fake.ext.set('sdn', sdn);
  const audit = (ctx: RouteCtx) => fake.check(ctx, '/sdn', 'SDN.Audit');
  const allocate = (ctx: RouteCtx) => fake.check(ctx, '/sdn', 'SDN.Allocate');
  const one = (kind: Kind, id: string, what: string) => {
    const o = sdn.config[kind].get(id);
    if (!o) die(`${what} '${id}' does not exist`);
    return o;
  };
  const view = (ctx: RouteCtx, kind: Kind, id: string, what: string) => {
    const src = ctx.params.pending === 1 ? sdn.pendingView(kind) : ctx.params.running === 1 ? sdn.running[kind] : sdn.config[kind];
    const o = src.get(id);
    if (!o) die(`${what} '${id}' does not exist`);
    return o;
  };
  const subnetId = (vnet: string, cidr: string) => {
    const zone = String(one('vnets', vnet, 'sdn vnet').zone);
    const m = /^([\d.]+|[0-9a-fA-F:]+)\/(\d{1,3})$/.exec(cidr);
    if (!m) die(`invalid subnet '${cidr}'`);
    return `${zone}-${m[1]}-${m[2]}`;
  };
  const crud = (kind: Kind, base: string, idKey: string, idProp: Prop, props: Props, what: string, check: (ctx: RouteCtx, obj: Obj) => void): Route[] => [
    { method: 'GET', path: base, props: { ...VIEW, type: str() }, perm: audit, handler: (ctx) => listing(sdn, kind, ctx.params, idKey, (o) => ctx.params.type === undefined || o.type === ctx.params.type) },
    {
      method: 'POST', path: base, props: { [idKey]: idProp, ...props, type: kind === 'zones' ? props.type! : opt(props.type!) }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], `create sdn ${kind.slice(0, -1)} object failed`);
        const id = String(ctx.params[idKey]);
        if (sdn.config[kind].has(id)) die(`sdn ${kind.slice(0, -1)} object ID '${id}' already defined`);
        const obj: Obj = kind === 'vnets' ? { type: 'vnet' } : {};
        setProps(obj, ctx.params, props);
        check(ctx, obj);
        sdn.config[kind].set(id, obj);
        return null;
      },
    },
    { method: 'GET', path: `${base}/{${idKey}}`, props: { [idKey]: idProp, ...VIEW }, perm: audit, handler: (ctx) => ({ ...view(ctx, kind, String(ctx.params[idKey]), what), [idKey]: ctx.params[idKey], digest: digestOf(sdn.config[kind]) }) },
    {
      method: 'PUT', path: `${base}/{${idKey}}`, props: { [idKey]: idProp, ...props, type: opt(props.type!), delete: str(), digest: DIGEST }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], `update sdn ${kind.slice(0, -1)} object failed`);
        const obj = one(kind, String(ctx.params[idKey]), what);
        if (ctx.params.digest !== undefined && ctx.params.digest !== digestOf(sdn.config[kind])) die('detected modified configuration - file changed by other user? Try again.');
        const next = { ...obj };
        setProps(next, ctx.params, props);
        check(ctx, next);
        sdn.config[kind].set(String(ctx.params[idKey]), next);
        return null;
      },
    },
    {
      method: 'DELETE', path: `${base}/{${idKey}}`, props: { [idKey]: idProp, ...LOCK }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], `delete sdn ${kind.slice(0, -1)} object failed`);
        const id = String(ctx.params[idKey]);
        one(kind, id, what);
        if (kind === 'zones') {
          const user = [...sdn.config.vnets].find(([, v]) => v.zone === id);
          if (user) die(`cannot delete zone '${id}', it is used by vnet '${user[0]}'`);
        }
        if (kind === 'vnets') {
          const sub = [...sdn.config.subnets].find(([, s]) => s.vnet === id);
          if (sub) die(`cannot delete vnet '${id}', it has subnet '${sub[0]}'`);
        }
        sdn.config[kind].delete(id);
        return null;
      },
    },
  ];
  return [
    { method: 'GET', path: '/cluster/sdn', props: {}, perm: audit, handler: () => ['vnets', 'zones', 'controllers', 'ipams', 'dns', 'fabrics'].map((id) => ({ id })) },
    {
      method: 'PUT', path: '/cluster/sdn', props: { ...LOCK, 'release-lock': BOOL }, perm: (ctx) => fake.check(ctx, '/sdn', 'SDN.Allocate'),
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], 'could not acquire lock for SDN config');
        sdn.commit();
        if (ctx.params['release-lock'] !== 0 && sdn.lockToken !== undefined) sdn.lockToken = undefined;
        return fake.startTask(fake.entryNode, 'reloadnetworkall', '', ctx.principal.id, async (t) => {
          for (const n of fake.nodes.values()) t.log.push(n.down ? `${n.name}: reloading network config failed: ${n.down}` : `${n.name}: reloading network config`);
          await t.work();
          const down = [...fake.nodes.values()].filter((n) => n.down);
          if (down.length) throw new Error(`reloading network config failed on node(s) ${down.map((n) => n.name).join(', ')}`);
        });
      },
    },
    {
      method: 'POST', path: '/cluster/sdn/lock', props: { 'allow-pending': BOOL }, perm: allocate,
      handler: (ctx) => {
        if (sdn.lockToken !== undefined) die('could not acquire lock for SDN config: sdn config is already locked');
        if (ctx.params['allow-pending'] !== 1 && sdn.hasPending()) die('could not acquire lock for SDN config: there are pending changes');
        sdn.lockToken = randomUUID();
        return sdn.lockToken;
      },
    },
    {
      method: 'DELETE', path: '/cluster/sdn/lock', props: { ...LOCK, force: BOOL }, perm: allocate,
      handler: (ctx) => {
        if (ctx.params.force !== 1) checkLockToken(sdn, ctx.params['lock-token'], 'failed to release lock');
        sdn.lockToken = undefined;
        return null;
      },
    },
    ...crud('zones', '/cluster/sdn/zones', 'zone', ZONE_ID, ZONE_PROPS, 'sdn zone', (_ctx, z) => {
      if ((z.type === 'vlan' || z.type === 'qinq') && !z.bridge) die(`missing bridge`);
      if (z.type === 'evpn' && (!z.controller || !z['vrf-vxlan'])) die(`evpn zone needs 'controller' and 'vrf-vxlan'`);
      if (z.type === 'vxlan' && !z.peers && !z.fabric) die(`vxlan zone needs 'peers' or 'fabric'`);
      if (z.dhcp !== undefined && z.type !== 'simple') die(`dhcp is only supported on simple zones`);
    }),
    ...crud('vnets', '/cluster/sdn/vnets', 'vnet', VNET_ID, VNET_PROPS, 'sdn vnet', (_ctx, v) => {
      if (!v.zone) die(`missing zone`);
      const zone = sdn.config.zones.get(String(v.zone));
      if (!zone) die(`zone '${v.zone}' does not exist`);
      if (['vlan', 'qinq', 'vxlan', 'evpn'].includes(String(zone.type)) && v.tag === undefined) die(`missing vlan or vxlan tag`);
      if (zone.type === 'simple' && v.tag !== undefined) die(`vlan tag is not allowed on a simple zone`);
    }),
    {
      method: 'GET', path: '/cluster/sdn/vnets/{vnet}/subnets', props: { vnet: VNET_ID, ...VIEW }, perm: audit,
      handler: (ctx) => {
        const vnet = String(ctx.params.vnet);
        const src = ctx.params.pending === 1 ? sdn.pendingView('subnets') : ctx.params.running === 1 ? sdn.running.subnets : sdn.config.subnets;
        const digest = digestOf(sdn.config.subnets);
        return [...src].filter(([, o]) => o.vnet === vnet).map(([id, o]) => ({ ...subnetJson(o, id), digest }));
      },
    },
    {
      method: 'POST', path: '/cluster/sdn/vnets/{vnet}/subnets', props: { vnet: VNET_ID, subnet: { type: 'string' }, ...SUBNET_PROPS, type: { type: 'string', enum: ['subnet'] } }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], 'create sdn subnet object failed');
        const vnet = String(ctx.params.vnet);
        const id = subnetId(vnet, String(ctx.params.subnet));
        if (sdn.config.subnets.has(id)) die(`sdn subnet object ID '${id}' already defined`);
        const obj: Obj = { vnet };
        setProps(obj, ctx.params, SUBNET_PROPS);
        sdn.config.subnets.set(id, obj);
        return null;
      },
    },
    { method: 'GET', path: '/cluster/sdn/vnets/{vnet}/subnets/{subnet}', props: { vnet: VNET_ID, subnet: { type: 'string' }, ...VIEW }, perm: audit, handler: (ctx) => ({ ...subnetJson(view(ctx, 'subnets', String(ctx.params.subnet), 'sdn subnet'), String(ctx.params.subnet)), digest: digestOf(sdn.config.subnets) }) },
    {
      method: 'PUT', path: '/cluster/sdn/vnets/{vnet}/subnets/{subnet}', props: { vnet: VNET_ID, subnet: { type: 'string' }, ...SUBNET_PROPS, delete: str(), digest: DIGEST }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], 'update sdn subnet object failed');
        const id = String(ctx.params.subnet);
        const next = { ...one('subnets', id, 'sdn subnet') };
        setProps(next, ctx.params, SUBNET_PROPS);
        sdn.config.subnets.set(id, next);
        return null;
      },
    },
    {
      method: 'DELETE', path: '/cluster/sdn/vnets/{vnet}/subnets/{subnet}', props: { vnet: VNET_ID, subnet: { type: 'string' }, ...LOCK }, perm: allocate,
      handler: (ctx) => {
        checkLockToken(sdn, ctx.params['lock-token'], 'delete sdn subnet object failed');
        const id = String(ctx.params.subnet);
        one('subnets', id, 'sdn subnet');
        sdn.config.subnets.delete(id);
        return null;
      },
    },
  ];
}
