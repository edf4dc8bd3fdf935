// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The QEMU guest agent endpoints (qemu-server PVE/API2/Qemu/Agent.pm: `GET|POST
 * /nodes/{node}/qemu/{vmid}/agent/{command}` and `POST …/agent {command}`). The fake runs no
 * guests, so there is never an agent to answer: the calls fail as PVE's do for a guest whose agent
 * does not respond ("No QEMU guest agent configured" when `agent` is off, "VM <vmid> is not
 * running", then "QEMU guest agent is not running"). Nothing is invented.
 */
import { die } from './errors.js';
import type { Route, RouteCtx } from './router.js';
import { NODE, VMID } from './schema.js';

const COMMANDS = [
  'fsfreeze-freeze', 'fsfreeze-status', 'fsfreeze-thaw', 'fstrim', 'get-fsinfo', 'get-host-name',
  'get-memory-block-info', 'get-memory-blocks', 'get-osinfo', 'get-time', 'get-timezone', 'get-users',
  'get-vcpus', 'info', 'network-get-interfaces', 'ping', 'shutdown', 'suspend-disk', 'suspend-hybrid',
  'suspend-ram',
];

function agentCall(ctx: RouteCtx): never {
  const vm = ctx.fake.vmOn(String(ctx.params.node), ctx.params.vmid as number);
  if (!/^(1|enabled=1)/.test(vm.conf.agent ?? '')) die('No QEMU guest agent configured');
  if (vm.status === 'stopped') die(`VM ${vm.vmid} is not running`);
  die('QEMU guest agent is not running');
}

const perm = (ctx: RouteCtx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Monitor');
const CMD = { node: NODE, vmid: VMID, command: { type: 'string' as const, enum: COMMANDS } };

export const qemuAgentRoutes: Route[] = [
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/agent', props: CMD, perm, handler: agentCall },
  { method: 'GET', path: '/nodes/{node}/qemu/{vmid}/agent/{command}', props: CMD, perm, handler: agentCall },
  { method: 'POST', path: '/nodes/{node}/qemu/{vmid}/agent/{command}', props: CMD, perm, handler: agentCall },
];
