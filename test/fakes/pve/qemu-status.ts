// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * VM run state and the figures PVE reports for it (qemu-server `vmstatus`, PVE/API2/Qemu.pm
 * `vm_status` and the power methods; mapping.md "Instances" table):
 * - start → `qmstart` (worker: "VM <vmid> already running", "you can't start a vm if it's a
 *   template", config lock; applies pending changes); stop → `qmstop` (a stopped VM stays
 *   stopped: OK); shutdown → `qmshutdown` {timeout, forceStop}; reboot → `qmreboot` (applies
 *   pending); reset → `qmreset`; suspend/resume → `qmsuspend`/`qmresume` (qmpstatus paused);
 *   reboot/reset/suspend of a stopped VM: "VM <vmid> not running";
 * - counters (cpu, mem, netin/out, diskread/write) come from the load set through the control
 *   API while the VM ran (0 by default), never invented.
 */
import type { FakePve } from './core.js';
import { die } from './errors.js';
import { applyPending } from './qemu-config.js';
import { driveVolume } from './drives.js';
import type { Route, RouteCtx } from './router.js';
import { BOOL, NODE, VMID, opt } from './schema.js';
import { cpuCount, memoryMiB, type Vm } from './state.js';

export function vmCounters(vm: Vm, now: number): { netin: number; netout: number; diskread: number; diskwrite: number } {
  const c = { netin: 0, netout: 0, diskread: 0, diskwrite: 0 };
  for (const r of vm.runs) {
    const s = ((r.end ?? now) - r.start) / 1000;
    c.netin += r.load.netin * s;
    c.netout += r.load.netout * s;
    c.diskread += r.load.diskread * s;
    c.diskwrite += r.load.diskwrite * s;
  }
  return { netin: Math.round(c.netin), netout: Math.round(c.netout), diskread: Math.round(c.diskread), diskwrite: Math.round(c.diskwrite) };
}

export function bootDiskSize(fake: FakePve, vm: Vm): number {
  const conf = vm.conf;
  const order = /order=([^,]+)/.exec(conf.boot ?? '')?.[1]?.split(';') ?? [];
  for (const k of [...order, conf.bootdisk ?? '', 'scsi0', 'virtio0', 'sata0', 'ide0']) {
    const v = k && conf[k];
    if (!v) continue;
    const vol = driveVolume(fake, v);
    if (vol) return vol.size;
  }
  return 0;
}

export function vmSummary(fake: FakePve, vm: Vm, now: number): Record<string, unknown> {
  const running = vm.status !== 'stopped';
  const maxmem = memoryMiB(vm.conf) * 2 ** 20;
  const out: Record<string, unknown> = {
    vmid: vm.vmid,
    name: vm.conf.name ?? `VM ${vm.vmid}`,
    status: running ? 'running' : 'stopped',
    cpus: cpuCount(vm.conf),
    maxmem,
    mem: running ? Math.min(maxmem, vm.load.mem ?? 0) : 0,
    maxdisk: bootDiskSize(fake, vm),
    disk: 0,
    cpu: running ? vm.load.cpu : 0,
    uptime: vm.uptime(now),
    ...vmCounters(vm, now),
  };
  if (running && vm.pid) out.pid = vm.pid;
  if (vm.isTemplate) out.template = 1;
  if (vm.conf.tags) out.tags = vm.conf.tags;
  if (vm.conf.lock) out.lock = vm.conf.lock;
  return out;
}

const POWER_PROPS = { node: NODE, vmid: VMID, skiplock: BOOL, timeout: opt({ type: 'integer', minimum: 0 }) };

function power(
  path: string,
  type: string,
  extra: Record<string, import('./schema.js').Prop>,
  run: (fake: FakePve, vm: Vm, ctx: RouteCtx) => Promise<void>,
  syncCheck?: (vm: Vm) => void,
): Route {
  return {
    method: 'POST',
    path: `/nodes/{node}/qemu/{vmid}/status/${path}`,
    props: { ...POWER_PROPS, ...extra },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.PowerMgmt'),
    handler: (ctx) => {
      const { fake, params } = ctx;
      const vm = fake.vmOn(params.node as string, params.vmid as number);
      syncCheck?.(vm);
      return fake.startTask(vm.node, type, vm.vmid, ctx.principal.id, (t) =>
        fake.withVmLock(vm.vmid, async () => {
          if (!fake.vms.has(vm.vmid)) die(`Configuration file '${vm.confPath()}' does not exist`);
          vm.checkLock(params.skiplock === 1 || (type === 'qmstart' && vm.conf.lock === 'suspended'));
          await run(fake, vm, ctx);
          await t.work();
          await finish(fake, vm, type);
        }),
      );
    },
  };
}

async function finish(fake: FakePve, vm: Vm, type: string): Promise<void> {
  const now = Date.now();
  switch (type) {
    case 'qmstart':
      if (vm.conf.lock === 'suspended') delete vm.conf.lock;
      await applyPending(fake, vm);
      vm.start(now);
      break;
    case 'qmstop':
    case 'qmshutdown':
      if (vm.status !== 'stopped') vm.stop(now);
      break;
    case 'qmreboot':
      vm.stop(now);
      await applyPending(fake, vm);
      vm.start(now);
      break;
    case 'qmsuspend':
      vm.status = 'paused';
      break;
    case 'qmresume':
      vm.status = 'running';
      break;
  }
}

const notRunning = (vm: Vm) => {
  if (vm.status === 'stopped') die(`VM ${vm.vmid} not running`);
};

export const qemuStatusRoutes: Route[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/status/current',
    props: { node: NODE, vmid: VMID },
    perm: (ctx) => ctx.fake.checkVm(ctx, Number(ctx.params.vmid), 'VM.Audit'),
    handler: (ctx) => {
      const vm = ctx.fake.vmOn(ctx.params.node as string, ctx.params.vmid as number);
      const s = vmSummary(ctx.fake, vm, Date.now());
      s.qmpstatus = vm.status === 'paused' ? 'paused' : s.status;
      s.ha = { managed: 0 };
      if (/^(1|enabled=1)/.test(vm.conf.agent ?? '')) s.agent = 1;
      return s;
    },
  },
  power('start', 'qmstart', { machine: opt({ type: 'string' }), 'force-cpu': opt({ type: 'string' }) }, async (_f, vm) => {
    if (vm.isTemplate) die("you can't start a vm if it's a template");
    if (vm.status !== 'stopped') die(`VM ${vm.vmid} already running`);
  }),
  power('stop', 'qmstop', { keepActive: BOOL, 'overrule-shutdown': BOOL }, async () => {}),
  power('shutdown', 'qmshutdown', { forceStop: BOOL, keepActive: BOOL }, async () => {}),
  power('reboot', 'qmreboot', {}, async (_f, vm) => notRunning(vm), notRunning),
  power('reset', 'qmreset', {}, async (_f, vm) => notRunning(vm)),
  power('suspend', 'qmsuspend', { todisk: BOOL, statestorage: opt({ type: 'string' }) }, async (_f, vm) => notRunning(vm)),
  power('resume', 'qmresume', { nocheck: BOOL }, async (_f, vm) => {
    if (vm.status !== 'paused') die(`VM ${vm.vmid} not paused`);
  }),
];
