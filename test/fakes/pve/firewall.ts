// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The PVE firewall API (pve-firewall src/PVE/API2/Firewall/{Groups,Rules,IPSet,Cluster,VM}.pm;
 * mapping.md "Security groups → PVE firewall security groups"):
 * - security groups `/cluster/firewall/groups`: name pattern `[A-Za-z][A-Za-z0-9\-_]+`, 2..18
 *   chars; create refuses a taken name (400 {group: "Security group 'x' already exists"}),
 *   `rename` renames; delete refuses a group with rules ("Security group 'x' is not empty");
 * - rule lists (group and per-VM): GET lists rules with `pos` and the list's `digest`; POST puts
 *   the new rule first (or at `pos`), `enable` defaults to 0; PUT edits or moves (`moveto`);
 *   DELETE removes by position; every write checks `digest` ("detected modified configuration -
 *   file changed by other user? Try again.") and positions shift after each delete;
 *   "no rule at position N"; verify_rule refuses unknown actions, group rules naming a missing
 *   group, unknown ipsets in `+dc/name` references;
 * - IPSets `/cluster/firewall/ipset[/{name}[/{cidr}]]` with members (cidr, comment, nomatch);
 * - options: `/cluster/firewall/options`, `/nodes/{node}/qemu/{vmid}/firewall/options`.
 * A VM's firewall config is copied on clone and removed on destroy (PVE::Firewall::clone_vmfw_conf,
 * remove_vmfw_conf).
 */
import { createHash } from 'node:crypto';
import type { FakePve } from './core.js';
import { die, paramError } from './errors.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, DIGEST, NODE, VMID, opt, type Params, type Prop, type Props } from './schema.js';

type Rule = Record<string, string | number>;
interface IpsetEntry { cidr: string; comment?: string; nomatch?: number }

export class FirewallState {
  groups = new Map<string, { comment?: string; rules: Rule[] }>();
  ipsets = new Map<string, { comment?: string; entries: IpsetEntry[] }>();
  clusterOptions: Record<string, string | number> = {};
  vms = new Map<number, { options: Record<string, string | number>; rules: Rule[] }>();

  vm(vmid: number) {
    let v = this.vms.get(vmid);
    if (!v) this.vms.set(vmid, (v = { options: {}, rules: [] }));
    return v;
  }

  clusterDigest(): string {
    return digestOf({ g: [...this.groups], i: [...this.ipsets], o: this.clusterOptions });
  }
}

function digestOf(v: unknown): string {
  return createHash('sha1').update(JSON.stringify(v)).digest('hex');
}

function assertDigest(current: string, given: unknown): void {
  if (given !== undefined && given !== current) die('detected modified configuration - file changed by other user? Try again.');
}

const GROUP: Prop = { type: 'string', pattern: /[A-Za-z][A-Za-z0-9\-_]+/, minLength: 2, maxLength: 18 };
const IPSET: Prop = { type: 'string', pattern: /[A-Za-z][A-Za-z0-9\-_]+/, minLength: 2, maxLength: 64 };
const CIDR_RE = /^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/;
const ADDR_LIST = /^(\+?(dc\/|guest\/)?[A-Za-z][A-Za-z0-9\-_]*|[0-9a-fA-F.:/\-,]+)$/;
const str = (extra: Partial<Prop> = {}): Prop => ({ type: 'string', optional: true, ...extra });

const RULE_PROPS: Props = {
  type: str({ enum: ['in', 'out', 'forward', 'group'] }),
  action: str({ pattern: /[A-Za-z][A-Za-z0-9\-_]+/, maxLength: 20 }),
  pos: opt({ type: 'integer', minimum: 0 }),
  comment: str(),
  dest: str({ maxLength: 512 }),
  source: str({ maxLength: 512 }),
  dport: str(),
  sport: str(),
  proto: str(),
  'icmp-type': str(),
  enable: opt({ type: 'integer', minimum: 0 }),
  iface: str({ maxLength: 20 }),
  log: str({ enum: ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'nolog'] }),
  macro: str({ maxLength: 128 }),
  digest: DIGEST,
};
const RULE_FIELDS = ['type', 'action', 'comment', 'dest', 'source', 'dport', 'sport', 'proto', 'icmp-type', 'enable', 'iface', 'log', 'macro'];
const PROTOS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'ipv6-icmp', 'sctp', 'gre', 'esp', 'ah', 'igmp', 'udplite', 'ipv6', 'all']);

function verifyRule(fw: FirewallState, rule: Rule): void {
  const errors: Record<string, string> = {};
  const type = String(rule.type ?? '');
  const action = String(rule.action ?? '');
  if (type === 'group') {
    if (!fw.groups.has(action)) errors.action = `security group '${action}' does not exist`;
  } else if (!['ACCEPT', 'DROP', 'REJECT'].includes(action)) {
    errors.action = `unknown action '${action}'`;
  }
  const proto = rule.proto === undefined ? undefined : String(rule.proto);
  if (proto !== undefined && !PROTOS.has(proto) && !/^\d+$/.test(proto)) errors.proto = `unknown protocol '${proto}'`;
  for (const p of ['dport', 'sport'] as const) {
    if (rule[p] === undefined) continue;
    if (proto === undefined) errors[p] = 'missing property - \'proto\' requires this property';
    else if (!['tcp', 'udp', 'sctp', 'udplite', '6', '17'].includes(proto)) errors[p] = `protocol '${proto}' does not support ports`;
    else if (!/^\d+(:\d+)?(,\d+(:\d+)?)*$/.test(String(rule[p]))) errors[p] = `invalid port '${rule[p]}'`;
  }
  for (const p of ['source', 'dest'] as const) {
    const v = rule[p];
    if (v === undefined) continue;
    const s = String(v);
    const ref = /^\+(?:dc\/)?([A-Za-z][A-Za-z0-9\-_]*)$/.exec(s);
    if (ref) {
      if (!fw.ipsets.has(ref[1]!)) errors[p] = `no such ipset '${ref[1]}'`;
    } else if (!ADDR_LIST.test(s) || (!/^[A-Za-z]/.test(s) && !s.split(',').every((c) => CIDR_RE.test(c) || /^[\d.]+-[\d.]+$/.test(c)))) {
      errors[p] = `invalid address list '${s}'`;
    }
  }
  if (Object.keys(errors).length) paramError(errors);
}

function copyRuleData(rule: Rule, params: Params): void {
  for (const k of RULE_FIELDS) if (params[k] !== undefined) rule[k] = params[k] as string | number;
}

/** The rule-list routes of pve-firewall's RulesBase, for one list (group or VM). */
function ruleRoutes(base: string, extra: Props, list: (ctx: RouteCtx) => Rule[], perm: (ctx: RouteCtx, write: boolean) => void, fw: FirewallState): Route[] {
  const listJson = (rules: Rule[]) => {
    const digest = digestOf(rules);
    return rules.map((r, pos) => ({ ...r, pos, digest }));
  };
  const at = (rules: Rule[], pos: number) => {
    if (pos >= rules.length) die(`no rule at position ${pos}`);
    return rules[pos]!;
  };
  const POS = { pos: { type: 'integer' as const, minimum: 0 } };
  return [
    { method: 'GET', path: base, props: extra, perm: (c) => perm(c, false), handler: (ctx) => listJson(list(ctx)) },
    {
      method: 'POST', path: base, props: { ...extra, ...RULE_PROPS, type: { ...RULE_PROPS.type!, optional: false }, action: { ...RULE_PROPS.action!, optional: false } },
      perm: (c) => perm(c, true),
      handler: (ctx) => {
        const rules = list(ctx);
        assertDigest(digestOf(rules), ctx.params.digest);
        const rule: Rule = {};
        copyRuleData(rule, ctx.params);
        verifyRule(fw, rule);
        if (ctx.params.enable === undefined) rule.enable = 0;
        const pos = ctx.params.pos as number | undefined;
        if (pos !== undefined && pos < rules.length) rules.splice(pos, 0, rule);
        else if (pos !== undefined) rules.push(rule);
        else rules.unshift(rule);
        return null;
      },
    },
    { method: 'GET', path: `${base}/{pos}`, props: { ...extra, ...POS }, perm: (c) => perm(c, false), handler: (ctx) => { const rules = list(ctx); const pos = ctx.params.pos as number; return { ...at(rules, pos), pos }; } },
    {
      method: 'PUT', path: `${base}/{pos}`, props: { ...extra, ...RULE_PROPS, ...POS, moveto: opt({ type: 'integer', minimum: 0 }), delete: str() },
      perm: (c) => perm(c, true),
      handler: (ctx) => {
        const rules = list(ctx);
        assertDigest(digestOf(rules), ctx.params.digest);
        const pos = ctx.params.pos as number;
        const rule = at(rules, pos);
        const moveto = ctx.params.moveto as number | undefined;
        if (moveto !== undefined && moveto !== pos) {
          rules.splice(pos, 1);
          rules.splice(Math.min(moveto, rules.length), 0, rule);
          return null;
        }
        const next = { ...rule };
        copyRuleData(next, ctx.params);
        for (const k of String(ctx.params.delete ?? '').split(/[,; ]/).filter(Boolean)) delete next[k];
        verifyRule(fw, next);
        rules[pos] = next;
        return null;
      },
    },
    {
      method: 'DELETE', path: `${base}/{pos}`, props: { ...extra, ...POS, digest: DIGEST },
      perm: (c) => perm(c, true),
      handler: (ctx) => {
        const rules = list(ctx);
        assertDigest(digestOf(rules), ctx.params.digest);
        at(rules, ctx.params.pos as number);
        rules.splice(ctx.params.pos as number, 1);
        return null;
      },
    },
  ];
}

const CLUSTER_OPTIONS: Props = {
  enable: opt({ type: 'integer', minimum: 0 }),
  policy_in: str({ enum: ['ACCEPT', 'REJECT', 'DROP'] }),
  policy_out: str({ enum: ['ACCEPT', 'REJECT', 'DROP'] }),
  policy_forward: str({ enum: ['ACCEPT', 'DROP'] }),
  ebtables: BOOL,
  log_ratelimit: str(),
  digest: DIGEST,
  delete: str(),
};

const VM_OPTIONS: Props = {
  enable: BOOL, dhcp: BOOL, ipfilter: BOOL, macfilter: BOOL, ndp: BOOL, radv: BOOL,
  policy_in: str({ enum: ['ACCEPT', 'REJECT', 'DROP'] }),
  policy_out: str({ enum: ['ACCEPT', 'REJECT', 'DROP'] }),
  log_level_in: RULE_PROPS.log!, log_level_out: RULE_PROPS.log!,
  digest: DIGEST,
  delete: str(),
};

function optionRoutes(path: string, props: Props, get: (ctx: RouteCtx) => Record<string, string | number>, perm: (ctx: RouteCtx, write: boolean) => void, base: Props): Route[] {
  return [
    { method: 'GET', path, props: base, perm: (c) => perm(c, false), handler: (ctx) => ({ ...get(ctx), digest: digestOf(get(ctx)) }) },
    {
      method: 'PUT', path, props: { ...base, ...props }, perm: (c) => perm(c, true),
      handler: (ctx) => {
        const opts = get(ctx);
        assertDigest(digestOf(opts), ctx.params.digest);
        for (const k of String(ctx.params.delete ?? '').split(/[,; ]/).filter(Boolean)) delete opts[k];
        for (const k of Object.keys(props)) {
          if (k === 'digest' || k === 'delete' || ctx.params[k] === undefined) continue;
          opts[k] = ctx.params[k] as string | number;
        }
        return null;
      },
    },
  ];
}

export function firewallRoutes(fake: FakePve): Route[] {
  const fw = new FirewallState();
  fake.ext.set('firewall', fw);
  fake.ext.set('firewall.cloneVm', (src: number, dst: number) => {
    const s = fw.vms.get(src);
    if (s) fw.vms.set(dst, { options: { ...s.options }, rules: s.rules.map((r) => ({ ...r })) });
  });
  fake.ext.set('firewall.removeVm', (vmid: number) => fw.vms.delete(vmid));
  const dc = (ctx: RouteCtx, write: boolean) => fake.check(ctx, '/', write ? 'Sys.Modify' : 'Sys.Audit');
  const vmPerm = (ctx: RouteCtx, write: boolean) => fake.checkVm(ctx, Number(ctx.params.vmid), write ? 'VM.Config.Network' : 'VM.Audit');
  const group = (ctx: RouteCtx) => {
    const g = fw.groups.get(String(ctx.params.group));
    if (!g) die(`no such security group '${ctx.params.group}'`);
    return g;
  };
  const ipset = (ctx: RouteCtx) => {
    const s = fw.ipsets.get(String(ctx.params.name));
    if (!s) die(`no such IPSet '${ctx.params.name}'`);
    return s;
  };
  const vmOf = (ctx: RouteCtx) => {
    fake.vmOn(String(ctx.params.node), ctx.params.vmid as number);
    return fw.vm(ctx.params.vmid as number);
  };
  const VMBASE = { node: NODE, vmid: VMID };
  const cidrOf = (ctx: RouteCtx) => {
    const s = ipset(ctx);
    const cidr = String(ctx.params.cidr);
    const e = s.entries.find((x) => x.cidr === cidr);
    if (!e) die(`no such IP/Network '${cidr}'`);
    return { s, e };
  };
  return [
    {
      method: 'GET', path: '/cluster/firewall/groups', props: {}, perm: (c) => dc(c, false),
      handler: () => {
        const digest = fw.clusterDigest();
        return [...fw.groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, g]) => ({ group: name, digest, ...(g.comment !== undefined ? { comment: g.comment } : {}) }));
      },
    },
    {
      method: 'POST', path: '/cluster/firewall/groups', props: { group: GROUP, comment: str(), rename: opt(GROUP), digest: DIGEST }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        assertDigest(fw.clusterDigest(), ctx.params.digest);
        const name = String(ctx.params.group);
        const rename = ctx.params.rename as string | undefined;
        if (rename !== undefined) {
          const g = fw.groups.get(rename);
          if (!g) paramError({ group: `Security group '${rename}' does not exist` });
          if (rename !== name && fw.groups.has(name)) paramError({ group: `Security group '${name}' already exists` });
          fw.groups.delete(rename);
          if (ctx.params.comment !== undefined) g.comment = String(ctx.params.comment);
          fw.groups.set(name, g);
          return null;
        }
        if (fw.groups.has(name)) paramError({ group: `Security group '${name}' already exists` });
        fw.groups.set(name, { comment: ctx.params.comment as string | undefined, rules: [] });
        return null;
      },
    },
    {
      method: 'DELETE', path: '/cluster/firewall/groups/{group}', props: { group: GROUP }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        const g = group(ctx);
        if (g.rules.length) die(`Security group '${ctx.params.group}' is not empty`);
        fw.groups.delete(String(ctx.params.group));
        return null;
      },
    },
    ...ruleRoutes('/cluster/firewall/groups/{group}', { group: GROUP }, (ctx) => group(ctx).rules, dc, fw),
    ...ruleRoutes('/nodes/{node}/qemu/{vmid}/firewall/rules', VMBASE, (ctx) => vmOf(ctx).rules, vmPerm, fw),
    ...optionRoutes('/cluster/firewall/options', CLUSTER_OPTIONS, () => fw.clusterOptions, dc, {}),
    ...optionRoutes('/nodes/{node}/qemu/{vmid}/firewall/options', VM_OPTIONS, (ctx) => vmOf(ctx).options, vmPerm, VMBASE),
    {
      method: 'GET', path: '/cluster/firewall/ipset', props: {}, perm: (c) => dc(c, false),
      handler: () => {
        const digest = fw.clusterDigest();
        return [...fw.ipsets].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => ({ name, digest, ...(s.comment !== undefined ? { comment: s.comment } : {}) }));
      },
    },
    {
      method: 'POST', path: '/cluster/firewall/ipset', props: { name: IPSET, comment: str(), rename: opt(IPSET), digest: DIGEST }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        assertDigest(fw.clusterDigest(), ctx.params.digest);
        const name = String(ctx.params.name);
        const rename = ctx.params.rename as string | undefined;
        if (rename !== undefined) {
          const s = fw.ipsets.get(rename);
          if (!s) paramError({ name: `IPSet '${rename}' does not exist` });
          if (rename !== name && fw.ipsets.has(name)) paramError({ name: `IPSet '${name}' already exists` });
          fw.ipsets.delete(rename);
          if (ctx.params.comment !== undefined) s.comment = String(ctx.params.comment);
          fw.ipsets.set(name, s);
          return null;
        }
        if (fw.ipsets.has(name)) paramError({ name: `IPSet '${name}' already exists` });
        fw.ipsets.set(name, { comment: ctx.params.comment as string | undefined, entries: [] });
        return null;
      },
    },
    {
      method: 'GET', path: '/cluster/firewall/ipset/{name}', props: { name: IPSET }, perm: (c) => dc(c, false),
      handler: (ctx) => {
        const s = ipset(ctx);
        const digest = digestOf(s.entries);
        return s.entries.map((e) => ({ ...e, digest }));
      },
    },
    {
      method: 'POST', path: '/cluster/firewall/ipset/{name}', props: { name: IPSET, cidr: { type: 'string', pattern: CIDR_RE }, comment: str(), nomatch: BOOL }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        const s = ipset(ctx);
        const cidr = String(ctx.params.cidr);
        if (s.entries.some((e) => e.cidr === cidr)) die(`address '${cidr}' already exists`);
        const e: IpsetEntry = { cidr };
        if (ctx.params.comment !== undefined) e.comment = String(ctx.params.comment);
        if (ctx.params.nomatch === 1) e.nomatch = 1;
        s.entries.push(e);
        return null;
      },
    },
    {
      method: 'DELETE', path: '/cluster/firewall/ipset/{name}', props: { name: IPSET, force: BOOL }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        const s = ipset(ctx);
        if (s.entries.length && ctx.params.force !== 1) die(`IPSet '${ctx.params.name}' is not empty`);
        fw.ipsets.delete(String(ctx.params.name));
        return null;
      },
    },
    { method: 'GET', path: '/cluster/firewall/ipset/{name}/{cidr*}', props: { name: IPSET, cidr: { type: 'string' } }, perm: (c) => dc(c, false), handler: (ctx) => ({ ...cidrOf(ctx).e, digest: digestOf(cidrOf(ctx).s.entries) }) },
    {
      method: 'DELETE', path: '/cluster/firewall/ipset/{name}/{cidr*}', props: { name: IPSET, cidr: { type: 'string' }, digest: DIGEST }, perm: (c) => dc(c, true),
      handler: (ctx) => {
        const { s, e } = cidrOf(ctx);
        assertDigest(digestOf(s.entries), ctx.params.digest);
        s.entries.splice(s.entries.indexOf(e), 1);
        return null;
      },
    },
  ];
}
