// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS volumes as RBD images on the configured RBD storage (proxmox-mapping.md, "EBS"): an EBS
 * volume is `vm-<holder vmid>-vol-<17 hex>`, allocated through PVE's storage API (synchronous),
 * owned by the reserved holder vmid so that destroying a VM never frees it; attached as `scsiN`
 * with `serial=vol…` (the guest sees /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_vol…), detached
 * with `delete=scsiN`, grown through PVE's resize while attached, freed through the storage API.
 * A root volume is the VM's own cloned disk (`scsi0`, owned by the VM) and goes with it.
 */
import { isPveError } from '../client/errors.js';
import type { JobKind, JobRec } from '../jobs.js';
import type { PveCtx } from './context.js';
import { findVm } from './launch.js';
import { holderVolumeName } from './map.js';
import { freeScsiSlot, volidOf, volumeLine } from './guest.js';
import { volumeSerial } from './map.js';

export interface VolJobData extends Record<string, unknown> {
  accountId: string;
  volumeId: string;
  instanceId?: string;
  sizeGiB?: number;
  modificationId?: string;
  force?: boolean;
  from?: { accountId: string; snapshotId: string };
  snapshotId?: string;
}

export function anyNode(ctx: PveCtx, zone?: string): string {
  const suffix = zone ? zone.slice(ctx.gw.config.region.length) : '';
  return ctx.cfg.nodes[suffix] ?? Object.values(ctx.cfg.nodes)[0];
}

function quiet(ctx: PveCtx, what: string) {
  return (job: JobRec<VolJobData>, error: unknown) => {
    ctx.gw.log.error(`proxmox ${what} failed`, { volumeId: job.data.volumeId, step: job.step, err: String((error as Error).message ?? error) });
  };
}

export function createVolumeJob(ctx: PveCtx): JobKind<VolJobData> {
  const log = quiet(ctx, 'volume create');
  return {
    steps: {
      async alloc(job) {
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        if (!v) return { done: true };
        const name = holderVolumeName(ctx.cfg.holderVmid, v.volumeId);
        const node = anyNode(ctx, v.zone);
        if (job.data.from) {
          const ebs = await ctx.ebs;
          if (!ebs) throw new Error('volumes from snapshots need ec2.volumes: rbd');
          await ebs.createVolume(v.accountId, v.volumeId, v.sizeGiB, job.data.from);
          await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, volid: `${ctx.cfg.storage}:${name}` }));
          await ctx.sink.emit({ kind: 'volume', accountId: v.accountId, id: v.volumeId, state: 'available' });
          return { done: true };
        }
        const existing = (await ctx.pve.storageContent(node, ctx.cfg.storage, ctx.cfg.holderVmid)).find((c) => c.volid.endsWith(`:${name}`));
        const volid = existing?.volid ?? (await ctx.pve.allocVolume(node, ctx.cfg.storage, { vmid: ctx.cfg.holderVmid, filename: name, size: `${v.sizeGiB}G` }));
        await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, volid }));
        await ctx.sink.emit({ kind: 'volume', accountId: v.accountId, id: v.volumeId, state: 'available' });
        return { done: true };
      },
    },
    async fail(job, error) {
      log(job, error);
      await ctx.sink.emit({ kind: 'volume', accountId: job.data.accountId, id: job.data.volumeId, state: 'error' });
      return undefined;
    },
  };
}

export function deleteVolumeJob(ctx: PveCtx): JobKind<VolJobData> {
  const gone = async (job: JobRec<VolJobData>) => {
    await ctx.map.dropVolume(job.data.accountId, job.data.volumeId);
    await ctx.sink.emit({ kind: 'volume', accountId: job.data.accountId, id: job.data.volumeId, state: 'deleted' });
    return { done: true as const };
  };
  return {
    steps: {
      async free(job) {
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        if (!v?.volid) return gone(job);
        if (v.rootOf) {
          // the VM's own disk: PVE frees it with the VM; a surviving VM keeps it
          const inst = await ctx.map.instance(v.accountId, v.rootOf);
          if (inst && (await findVm(ctx, inst))) throw new Error(`root volume ${v.volumeId} still belongs to the VM of ${v.rootOf}`);
          return gone(job);
        }
        const ebs = await ctx.ebs;
        if (ebs) {
          // the driver keeps the image while EBS snapshots of it live (PVE's free would purge them)
          await ebs.deleteVolume(v.accountId, v.volumeId);
          return gone(job);
        }
        try {
          const upid = await ctx.pve.freeVolume(anyNode(ctx, v.zone), ctx.cfg.storage, v.volid);
          return upid ? { wait: upid, next: 'gone' } : { next: 'gone' };
        } catch (e) {
          if (isPveError(e) && e.kind === 'not-found') return gone(job);
          throw e;
        }
      },
      gone,
    },
    async fail(job, error) {
      quiet(ctx, 'volume delete')(job, error);
      return undefined;
    },
  };
}

export function attachJob(ctx: PveCtx): JobKind<VolJobData> {
  return {
    steps: {
      async attach(job) {
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        const m = await ctx.map.instance(job.data.accountId, job.data.instanceId!);
        if (!v?.volid || !m) throw new Error(`volume ${job.data.volumeId} or instance ${job.data.instanceId} has no PVE mapping`);
        const vm = await findVm(ctx, m);
        if (!vm) throw new Error(`the VM of ${m.instanceId} is gone`);
        const cfg = await ctx.pve.config(vm.node, m.vmid);
        const present = Object.entries(cfg).find(([k, line]) => /^scsi\d+$/.test(k) && volidOf(line) === v.volid);
        const slot = present?.[0] ?? freeScsiSlot(cfg);
        if (!slot) throw new Error(`no free scsi slot on the VM of ${m.instanceId}`);
        await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, attachedTo: m.instanceId, slot }));
        if (present) return { next: 'report' };
        const upid = await ctx.pve.setConfig(vm.node, m.vmid, { [slot]: volumeLine(v.volid, volumeSerial(v.volumeId), { iops: v.iops, throughputMiBs: v.throughput }) });
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },
      async report(job) {
        await ctx.sink.emit({ kind: 'attachment', accountId: job.data.accountId, volumeId: job.data.volumeId, instanceId: job.data.instanceId!, state: 'attached' });
        return { done: true };
      },
    },
    async fail(job, error) {
      quiet(ctx, 'attach')(job, error);
      // EC2 leaves a failed attachment 'attaching'… a detach can clear it; here it is reported detached
      await ctx.map.updateVolume(job.data.accountId, job.data.volumeId, (x) => ({ ...x, attachedTo: undefined, slot: undefined }));
      return undefined;
    },
  };
}

export function detachJob(ctx: PveCtx): JobKind<VolJobData> {
  return {
    steps: {
      async detach(job) {
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        const m = await ctx.map.instance(job.data.accountId, job.data.instanceId!);
        const vm = m ? await findVm(ctx, m) : undefined;
        if (!v || !m || !vm || !v.slot) return { next: 'report' };
        const cfg = await ctx.pve.config(vm.node, m.vmid);
        if (volidOf(cfg[v.slot]) !== v.volid) return { next: 'report' };
        const upid = await ctx.pve.setConfig(vm.node, m.vmid, { delete: v.slot });
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },
      async report(job) {
        await ctx.map.updateVolume(job.data.accountId, job.data.volumeId, (x) => ({ ...x, attachedTo: undefined, slot: undefined }));
        await ctx.sink.emit({ kind: 'attachment', accountId: job.data.accountId, volumeId: job.data.volumeId, instanceId: job.data.instanceId!, state: 'detached' });
        return { done: true };
      },
    },
    async fail(job, error) {
      quiet(ctx, 'detach')(job, error);
      return undefined;
    },
  };
}

export function modifyVolumeJob(ctx: PveCtx): JobKind<VolJobData> {
  const done = async (job: JobRec<VolJobData>, state: 'completed' | 'failed') => {
    await ctx.sink.emit({ kind: 'volume-modification', accountId: job.data.accountId, id: job.data.modificationId!, state });
    return { done: true as const };
  };
  return {
    steps: {
      async grow(job) {
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        if (!v?.volid) throw new Error(`volume ${job.data.volumeId} has no PVE mapping`);
        const m = v.attachedTo ? await ctx.map.instance(v.accountId, v.attachedTo) : undefined;
        const vm = m ? await findVm(ctx, m) : undefined;
        if (!m || !vm || !v.slot) {
          // PVE resizes disks only through a VM that has them (no storage-level resize API): Ceph
          const ebs = await ctx.ebs;
          if (!ebs || v.rootOf) throw new Error('an unattached volume cannot be resized through the Proxmox API; attach it first');
          await ebs.growVolume(v.accountId, v.volumeId, job.data.sizeGiB!);
          await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, sizeGiB: job.data.sizeGiB! }));
          return { next: 'completed' };
        }
        const upid = await ctx.pve.resize(vm.node, m.vmid, v.slot, `${job.data.sizeGiB}G`);
        await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, sizeGiB: job.data.sizeGiB! }));
        return upid ? { wait: upid, next: 'completed' } : { next: 'completed' };
      },
      completed: (job) => done(job, 'completed'),
    },
    async fail(job, error) {
      quiet(ctx, 'volume modification')(job, error);
      await done(job, 'failed');
      return undefined;
    },
  };
}

export function snapshotJob(ctx: PveCtx): JobKind<VolJobData> {
  const report = async (job: JobRec<VolJobData>, state: 'completed' | 'error') => {
    await ctx.sink.emit({ kind: 'snapshot', accountId: job.data.accountId, id: job.data.snapshotId!, state });
    return { done: true as const };
  };
  return {
    steps: {
      async take(job) {
        const ebs = await ctx.ebs;
        const v = await ctx.map.volume(job.data.accountId, job.data.volumeId);
        if (!ebs || !v?.volid || v.rootOf) {
          ctx.gw.log.warn('proxmox: this snapshot cannot be taken (needs ec2.volumes: rbd, and a volume that is not a root disk)', { snapshotId: job.data.snapshotId, volumeId: job.data.volumeId });
          return report(job, 'error');
        }
        await ebs.createSnapshot(job.data.accountId, job.data.snapshotId!, job.data.volumeId);
        return report(job, 'completed');
      },
      async copy(job) {
        const ebs = await ctx.ebs;
        if (!ebs || !job.data.from) return report(job, 'error');
        await ebs.copySnapshot(job.data.accountId, job.data.snapshotId!, job.data.from);
        return report(job, 'completed');
      },
    },
    async fail(job, error) {
      quiet(ctx, 'snapshot')(job, error);
      await report(job, 'error');
      return undefined;
    },
  };
}
