// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Node and datacenter status (pve-manager PVE/API2/Cluster.pm `get_status`, `get_options`,
 * `set_options`; PVE/API2/Nodes.pm `status`; mapping.md "Identity / placement"):
 * - `GET /cluster/status`: one `cluster` entry (quorate while more than half the nodes are
 *   reachable) and one `node` entry per node (online, local for the entry node);
 * - `GET /nodes/{node}/status`: cpu, memory, uptime, versions of a reachable node;
 * - `GET/PUT /cluster/options`: only the `next-id` range (`lower=…,upper=…`), which
 *   `/cluster/nextid` honours; other datacenter options are not modelled and refused as unknown.
 */
import type { FakePve } from './core.js';
import { die } from './errors.js';
import { parsePropertyString } from './propstring.js';
import type { Route } from './router.js';
import { NODE, opt } from './schema.js';

const NEXT_ID = { keys: { lower: { pattern: /\d+/ }, upper: { pattern: /\d+/ } } };

export function nodeRoutes(fake: FakePve): Route[] {
  return [
    {
      method: 'GET',
      path: '/cluster/status',
      props: {},
      perm: (ctx) => fake.check(ctx, '/', 'Sys.Audit'),
      handler: () => {
        const nodes = [...fake.nodes.values()];
        return [
          { type: 'cluster', id: 'cluster', name: 'fakepve', nodes: nodes.length, quorate: fake.quorate() ? 1 : 0, version: nodes.length },
          ...nodes.map((n, i) => ({ type: 'node', id: `node/${n.name}`, name: n.name, nodeid: i + 1, ip: `127.0.0.${i + 1}`, online: n.down ? 0 : 1, local: i === 0 ? 1 : 0, level: '' })),
        ];
      },
    },
    {
      method: 'GET',
      path: '/nodes/{node}/status',
      props: { node: NODE },
      perm: (ctx) => fake.check(ctx, `/nodes/${ctx.params.node}`, 'Sys.Audit'),
      handler: (ctx) => {
        const n = fake.node(String(ctx.params.node));
        return {
          cpu: 0.01,
          cpuinfo: { cpus: n.maxcpu, sockets: 1, cores: n.maxcpu, model: 'QEMU Virtual CPU', mhz: '2400.000', hvm: '1' },
          memory: { total: n.maxmem, used: 2 ** 30, free: n.maxmem - 2 ** 30 },
          uptime: Math.floor((Date.now() - n.bootedAt) / 1000),
          loadavg: ['0.01', '0.02', '0.00'],
          pveversion: 'pve-manager/8.4.1/2a5fa54a8503f96d',
          kversion: 'Linux 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9',
        };
      },
    },
    {
      method: 'GET',
      path: '/cluster/options',
      props: {},
      perm: (ctx) => fake.check(ctx, '/', 'Sys.Audit'),
      handler: () => {
        const r = fake.nextIdRange;
        return r.lower === 100 && r.upper === 1_000_000 ? {} : { 'next-id': { lower: String(r.lower), upper: String(r.upper) } };
      },
    },
    {
      method: 'PUT',
      path: '/cluster/options',
      props: { 'next-id': opt({ type: 'string', format: (v) => void parsePropertyString(v, NEXT_ID) }), delete: opt({ type: 'string' }) },
      perm: (ctx) => fake.check(ctx, '/', 'Sys.Modify'),
      handler: (ctx) => {
        if (String(ctx.params.delete ?? '').split(/[,; ]/).includes('next-id')) fake.nextIdRange = { lower: 100, upper: 1_000_000 };
        if (ctx.params['next-id'] !== undefined) {
          const p = parsePropertyString(String(ctx.params['next-id']), NEXT_ID);
          const lower = Number(p.lower ?? 100);
          const upper = Number(p.upper ?? 1_000_000);
          if (lower < 100 || upper > 1_000_000_000 || lower >= upper) die(`next-id: lower must be >= 100 and lower than upper`);
          fake.nextIdRange = { lower, upper };
        }
        return null;
      },
    },
  ];
}
