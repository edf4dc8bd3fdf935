// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Start, stop, reboot, resize and terminate as resumable jobs on the VM's lane. Stop without
 * Force is an ACPI shutdown that PVE turns into a hard stop after `shutdownTimeoutS`; terminate
 * first takes out the EBS volumes that must survive (holder-owned, so PVE's destroy would not free
 * them anyway, but a detached config is what EC2 shows), stops the VM, clears `protection`, keeps
 * a root disk with DeleteOnTermination=false (keepRoot), then destroys it with purge
 * (proxmox-mapping.md, "TerminateInstances").
 */
import type { RbdClient } from '../../ceph/rbd/client.js';
import type { JobKind, JobRec } from '../jobs.js';
import type { PveCtx } from './context.js';
import { templateGc } from './image-job.js';
import { findVm } from './launch.js';
import { holderVolumeName, type InstanceMap } from './map.js';

export interface VmJobData extends Record<string, unknown> {
  accountId: string;
  instanceId: string;
  force?: boolean;
  keepVolumes?: string[];
  vcpus?: number;
  memoryMiB?: number;
}

async function located(ctx: PveCtx, job: JobRec<VmJobData>): Promise<{ m: InstanceMap; node: string; status: string } | undefined> {
  const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
  if (!m) return undefined;
  const vm = await findVm(ctx, m);
  if (!vm) return undefined;
  if (vm.node !== m.node) await ctx.map.updateInstance(m.accountId, m.instanceId, (x) => ({ ...x, node: vm.node }));
  return { m: { ...m, node: vm.node }, node: vm.node, status: vm.status ?? 'unknown' };
}

function logFail(ctx: PveCtx, what: string) {
  return async (job: JobRec<VmJobData>, error: unknown) => {
    ctx.gw.log.error(`proxmox ${what} failed`, { instanceId: job.data.instanceId, step: job.step, err: String((error as Error).message ?? error) });
    return undefined;
  };
}

export function startJob(ctx: PveCtx): JobKind<VmJobData> {
  return {
    steps: {
      async start(job) {
        const at = await located(ctx, job);
        if (!at) throw new Error(`the VM of ${job.data.instanceId} is gone`);
        if (at.status === 'running') return { next: 'report' };
        const upid = await ctx.pve.power(at.node, at.m.vmid, 'start');
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },
      async report(job) {
        await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'running' });
        return { done: true };
      },
    },
    fail: logFail(ctx, 'start'),
  };
}

export function stopJob(ctx: PveCtx): JobKind<VmJobData> {
  return {
    steps: {
      async stop(job) {
        const at = await located(ctx, job);
        if (!at) throw new Error(`the VM of ${job.data.instanceId} is gone`);
        if (at.status === 'stopped') return { next: 'report' };
        const upid = job.data.force
          ? await ctx.pve.power(at.node, at.m.vmid, 'stop')
          : await ctx.pve.power(at.node, at.m.vmid, 'shutdown', { timeout: ctx.cfg.shutdownTimeoutS, forceStop: 1 });
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },
      async report(job) {
        await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'stopped' });
        return { done: true };
      },
    },
    fail: logFail(ctx, 'stop'),
  };
}

export function rebootJob(ctx: PveCtx): JobKind<VmJobData> {
  return {
    steps: {
      async reboot(job) {
        const at = await located(ctx, job);
        if (!at || at.status !== 'running') return { done: true };
        const upid = await ctx.pve.power(at.node, at.m.vmid, 'reboot', { timeout: ctx.cfg.shutdownTimeoutS });
        return upid ? { wait: upid, next: 'end' } : { done: true };
      },
      async end() {
        return { done: true };
      },
    },
    fail: logFail(ctx, 'reboot'),
  };
}

export function resizeJob(ctx: PveCtx): JobKind<VmJobData> {
  return {
    steps: {
      async resize(job) {
        const at = await located(ctx, job);
        if (!at) throw new Error(`the VM of ${job.data.instanceId} is gone`);
        const upid = await ctx.pve.setConfig(at.node, at.m.vmid, { cores: job.data.vcpus, memory: job.data.memoryMiB });
        return upid ? { wait: upid, next: 'end' } : { done: true };
      },
      async end() {
        return { done: true };
      },
    },
    fail: logFail(ctx, 'resize'),
  };
}

/**
 * Root volume with DeleteOnTermination=false: the VM's own disk (`vm-<vmid>-disk-0`, which PVE's
 * destroy frees) is renamed on Ceph to the EBS naming `vm-<holder>-vol-…` and flattened (no longer
 * tied to the template), so the destroy that follows leaves it: it is an `available` EBS volume
 * from then on. PVE's API has no rename to a free name (move_disk reassigns only to another
 * VM), so this needs the RBD volume driver (`ec2.volumes: rbd`); without it the disk goes.
 */
async function keepRoot(ctx: PveCtx, job: JobRec<VmJobData>): Promise<{ next: string }> {
  const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
  const root = m && (job.data.keepVolumes ?? []).includes(m.rootVolumeId) ? await ctx.map.volume(m.accountId, m.rootVolumeId) : undefined;
  if (!m || !root?.rootOf || !root.volid) return { next: 'destroy' };
  const rbd = ((await ctx.ebs) as { rbd?: RbdClient } | undefined)?.rbd;
  if (!rbd) {
    ctx.gw.log.warn('proxmox: DeleteOnTermination=false on a root volume needs ec2.volumes: rbd; the disk goes with the VM', { instanceId: m.instanceId, volumeId: root.volumeId });
    return { next: 'destroy' };
  }
  const from = root.volid.slice(root.volid.lastIndexOf('/') + 1).replace(/^[^:]*:/, '');
  const to = holderVolumeName(ctx.cfg.holderVmid, root.volumeId);
  // looked first: a restart may come between the rename and its record
  if (!(await rbd.stat(to))) await rbd.rename(from, to);
  if ((await rbd.stat(to))?.parent) await rbd.flatten(to);
  await ctx.map.updateVolume(m.accountId, root.volumeId, (x) => ({ ...x, volid: `${ctx.cfg.storage}:${to}`, rootOf: undefined, attachedTo: undefined, slot: undefined }));
  return { next: 'destroy' };
}

export function terminateJob(ctx: PveCtx): JobKind<VmJobData> {
  const report = async (job: JobRec<VmJobData>) => {
    const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
    if (m) await ctx.map.dropInstance(m);
    await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'terminated' });
    // the last linked clone of a deleted image's template gone: the template may go too
    await templateGc(ctx, m?.templateVmid);
    return { done: true as const };
  };
  return {
    steps: {
      async detach(job) {
        const at = await located(ctx, job);
        if (!at) return { next: 'report' };
        const cfg = await ctx.pve.config(at.node, at.m.vmid);
        const slots: string[] = [];
        for (const id of job.data.keepVolumes ?? []) {
          const v = await ctx.map.volume(job.data.accountId, id);
          if (!v || v.rootOf) continue;
          if (v.slot && cfg[v.slot] !== undefined) slots.push(v.slot);
          await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, attachedTo: undefined, slot: undefined }));
        }
        if (String(cfg.protection ?? '0') === '1') await ctx.pve.setConfig(at.node, at.m.vmid, { protection: 0 });
        if (!slots.length) return { next: 'stop' };
        const upid = await ctx.pve.setConfig(at.node, at.m.vmid, { delete: slots.join(',') });
        return upid ? { wait: upid, next: 'stop' } : { next: 'stop' };
      },
      async stop(job) {
        const at = await located(ctx, job);
        if (!at) return { next: 'report' };
        if (at.status === 'stopped') return { next: 'keep-root' };
        const upid = await ctx.pve.power(at.node, at.m.vmid, 'stop');
        return upid ? { wait: upid, next: 'keep-root' } : { next: 'keep-root' };
      },
      'keep-root': (job) => keepRoot(ctx, job),
      async destroy(job) {
        const at = await located(ctx, job);
        if (!at) return { next: 'report' };
        if (at.status === 'running') return { next: 'stop' };
        const upid = await ctx.pve.destroy(at.node, at.m.vmid);
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },
      report,
    },
    async fail(job, error) {
      ctx.gw.log.error('proxmox terminate failed', { instanceId: job.data.instanceId, step: job.step, err: String((error as Error).message ?? error) });
      // try again from the top later: a terminate never gives up on the VM
      return { resume: 'detach' };
    },
    async abandon(job, error) {
      ctx.gw.log.error('proxmox terminate abandoned; the VM is left in PVE', { instanceId: job.data.instanceId, err: String(error) });
    },
  };
}
