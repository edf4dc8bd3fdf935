// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CreateImage as a resumable job (the issue: "AMI = template VM, CreateImage = clone + template"):
 * the instance's VM is shut down unless NoReboot (EC2 reboots it), its EBS data volumes are
 * snapshotted on Ceph while it is down (the RBD volume driver), the VM is cloned whole (`full=1`)
 * to a new vmid named after the ami- id in the account's pool, the instance is started again, the
 * copy is pruned (its copies of the data volumes, ssh keys, protection and the instance's firewall
 * group references go: a launch sets its own) and turned into a template. Then the image's
 * snapshots are reported completed, which makes the image available. The root snapshot stands for
 * the template's root disk (table pve-ec2 `tsnap/…`): a launch from any image whose root is that
 * snapshot (the image, its copies, a RegisterImage of the snapshot) is a linked clone of it.
 *
 * A template lives as long as some EBS snapshot stands for it or a linked clone of it exists;
 * DeregisterImage and DeleteSnapshot answer at once as in EC2, and the template VM is destroyed
 * once neither is left (`tpl-gc`): PVE refuses to destroy a base disk that has linked clones.
 */
import { AwsError } from '../../../src/errors.js';
import type { ImageSpec } from '../../../apis/ec2/backend.js';
import type { JobKind, JobRec } from '../jobs.js';
import type { PveCtx } from './context.js';
import { sizeOf } from './guest.js';
import { ensurePool, findVm, locateVm } from './launch.js';
import { poolOf } from './map.js';
import { laneOf } from './reconcile.js';

export interface ImageJobData extends Record<string, unknown> {
  accountId: string;
  imageId: string;
  instanceId: string;
  tplVmid: number;
  node: string;
  noReboot: boolean;
  devices: ImageSpec['devices'];
  /** Set once the gateway shut the instance's VM down: it must be started again. */
  restart?: boolean;
  /** Data-volume snapshots already taken on Ceph. */
  taken?: string[];
  reason?: string;
}

const errText = (e: unknown) => String((e as Error)?.message ?? e).trim();

/** The template VM being made, or undefined (checked by name: the vmid may have been reused). */
async function templateVm(ctx: PveCtx, d: ImageJobData) {
  const vm = await locateVm(ctx, { node: d.node, vmid: d.tplVmid });
  if (vm && vm.name !== d.imageId) throw new Error(`vmid ${d.tplVmid} is taken by another VM (${vm.name ?? 'unnamed'})`);
  return vm;
}

async function instanceVm(ctx: PveCtx, d: ImageJobData) {
  const m = await ctx.map.instance(d.accountId, d.instanceId);
  const vm = m ? await findVm(ctx, m) : undefined;
  if (!m || !vm) throw new Error(`the VM of ${d.instanceId} is gone`);
  return { m, vm };
}

async function report(ctx: PveCtx, d: ImageJobData, state: 'completed' | 'error'): Promise<void> {
  for (const dev of d.devices) await ctx.sink.emit({ kind: 'snapshot', accountId: d.accountId, id: dev.snapshotId, state });
}

export function createImageJob(ctx: PveCtx): JobKind<ImageJobData> {
  return {
    steps: {
      async prepare(job) {
        const d = job.data;
        if (d.devices.some((x) => !x.root) && !(await ctx.ebs)) throw new Error('snapshots of EBS data volumes need the Ceph RBD volume driver (ec2.volumes: rbd)');
        const { m, vm } = await instanceVm(ctx, d);
        if (!d.restart) {
          if (d.noReboot || vm.status !== 'running') return { next: 'snapshots' };
          // recorded before the shutdown: a restart in between must still start the VM again
          return { next: 'prepare', data: { ...d, restart: true } };
        }
        if (vm.status !== 'running') return { next: 'snapshots' };
        const upid = await ctx.pve.power(vm.node, m.vmid, 'shutdown', { timeout: ctx.cfg.shutdownTimeoutS, forceStop: 1 });
        return upid ? { wait: upid, next: 'snapshots' } : { next: 'snapshots' };
      },

      async snapshots(job) {
        const d = job.data;
        const taken = d.taken ?? [];
        const dev = d.devices.find((x) => !x.root && !taken.includes(x.snapshotId));
        if (!dev) return { next: 'clone' };
        // one per step, so that each is recorded before the next is taken
        await (await ctx.ebs)!.createSnapshot(d.accountId, dev.snapshotId, dev.volumeId);
        return { next: 'snapshots', data: { ...d, taken: [...taken, dev.snapshotId] } };
      },

      async clone(job) {
        const d = job.data;
        const { m, vm: src } = await instanceVm(ctx, d);
        // a first run has issued nothing yet; a retry, or a run after a restart, looks first
        const vm = job.attempts > 0 || d.resumed ? await templateVm(ctx, d) : undefined;
        if (vm) return vm.lock === 'clone' ? { retryIn: ctx.cfg.taskPollMs } : { next: 'restart' };
        await ensurePool(ctx, d.accountId);
        const upid = await ctx.pve.clone(src.node, m.vmid, {
          newid: d.tplVmid,
          name: d.imageId,
          pool: poolOf(d.accountId),
          full: true,
          target: src.node === d.node ? undefined : d.node,
          description: `mcgw EC2 image ${d.imageId} of account ${d.accountId}, made from ${d.instanceId}`,
        });
        return upid ? { wait: upid, next: 'restart' } : { next: 'restart' };
      },

      async restart(job) {
        const d = job.data;
        if (!d.restart) return { next: 'prune' };
        const { m, vm } = await instanceVm(ctx, d);
        if (vm.status === 'running') return { next: 'prune', data: { ...d, restart: false } };
        const upid = await ctx.pve.power(vm.node, m.vmid, 'start');
        return upid ? { wait: upid, next: 'prune', data: { ...d, restart: false } } : { next: 'prune', data: { ...d, restart: false } };
      },

      async prune(job) {
        const d = job.data;
        const rules = await ctx.pve.vmRules(d.node, d.tplVmid);
        for (const r of [...rules].sort((a, b) => b.pos - a.pos)) await ctx.pve.deleteVmRule(d.node, d.tplVmid, r.pos);
        const cfg = await ctx.pve.config(d.node, d.tplVmid);
        if (String(cfg.template ?? '0') === '1') return { next: 'template' };
        // the copies of the data volumes (their bytes are in the data snapshots), per-instance settings
        const drop = Object.keys(cfg).filter((k) => (/^(scsi|virtio|sata)\d+$/.test(k) && k !== 'scsi0' && new RegExp(`vm-${d.tplVmid}-disk-`).test(String(cfg[k]))) || k === 'sshkeys' || k === 'protection');
        if (!drop.length) return { next: 'template' };
        const upid = await ctx.pve.setConfig(d.node, d.tplVmid, { delete: drop.join(','), force: 1 });
        return upid ? { wait: upid, next: 'template' } : { next: 'template' };
      },

      async template(job) {
        const d = job.data;
        const cfg = await ctx.pve.config(d.node, d.tplVmid);
        if (String(cfg.template ?? '0') === '1') return { next: 'report' };
        const upid = await ctx.pve.template(d.node, d.tplVmid);
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },

      async report(job) {
        const d = job.data;
        const cfg = await ctx.pve.config(d.node, d.tplVmid);
        const root = d.devices.find((x) => x.root);
        await ctx.map.updateTemplate(d.tplVmid, (t) => ({ ...t, state: 'available', rootSizeGiB: Math.max(1, Math.ceil(sizeOf(cfg.scsi0) ?? t.rootSizeGiB)) }));
        if (root) await ctx.map.putTemplateSnap(d.accountId, root.snapshotId, d.tplVmid);
        await report(ctx, d, 'completed');
        if (!root) await templateGc(ctx, d.tplVmid);
        return { done: true };
      },

      // failure path: no template left behind, the instance running again if it was
      async cleanup(job) {
        const d = job.data;
        const vm = await templateVm(ctx, d).catch(() => undefined);
        if (vm) {
          if (vm.lock === 'clone') return { retryIn: ctx.cfg.taskPollMs };
          const upid = await ctx.pve.destroy(vm.node, d.tplVmid);
          return upid ? { wait: upid, next: 'cleanup' } : { next: 'cleanup' };
        }
        if (d.restart) {
          const m = await ctx.map.instance(d.accountId, d.instanceId);
          const src = m ? await findVm(ctx, m) : undefined;
          if (m && src && src.status !== 'running') {
            const upid = await ctx.pve.power(src.node, m.vmid, 'start');
            const data = { ...d, restart: false };
            return upid ? { wait: upid, next: 'failed', data } : { next: 'failed', data };
          }
        }
        return { next: 'failed' };
      },

      async failed(job) {
        const d = job.data;
        const ebs = await ctx.ebs;
        for (const s of d.taken ?? []) await ebs?.deleteSnapshot(d.accountId, s).catch(() => undefined);
        await ctx.map.dropTemplate(d.tplVmid);
        await report(ctx, d, 'error');
        return { done: true };
      },
    },

    async fail(job, error) {
      ctx.gw.log.error('proxmox CreateImage failed', { imageId: job.data.imageId, step: job.step, err: errText(error) });
      job.data.reason = `${job.step}: ${errText(error)}`;
      return 'cleanup';
    },

    async abandon(job, error) {
      ctx.gw.log.error('proxmox CreateImage cleanup failed; the template VM may need manual removal', { imageId: job.data.imageId, vmid: job.data.tplVmid, err: errText(error) });
      await report(ctx, job.data, 'error');
    },
  };
}

/** Reserves the template's vmid and starts the job on the instance's lane. */
export async function enqueueCreateImage(ctx: PveCtx, accountId: string, spec: ImageSpec, taken: Set<number>): Promise<void> {
  const m = await ctx.map.instance(accountId, spec.instanceId);
  if (!m) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${spec.instanceId}' does not exist`);
  const vmid = await ctx.map.nextVmid(ctx.cfg.vmidRange, taken);
  const root = spec.devices.find((x) => x.root);
  const rootSize = root ? (await ctx.map.volume(accountId, root.volumeId))?.sizeGiB ?? 1 : 1;
  await ctx.map.putTemplate({ vmid, node: m.node, accountId, imageId: spec.imageId, instanceId: spec.instanceId, rootSizeGiB: rootSize, state: 'creating' });
  const data: ImageJobData = { accountId, imageId: spec.imageId, instanceId: spec.instanceId, tplVmid: vmid, node: m.node, noReboot: spec.noReboot, devices: spec.devices };
  await ctx.jobs.enqueue('create-image', laneOf(m.vmid), 'prepare', data);
}

export interface TplGcData extends Record<string, unknown> {
  vmid: number;
}

/** Destroys a template no snapshot stands for and no VM is a linked clone of (else: later). */
export async function templateGc(ctx: PveCtx, vmid: number | undefined): Promise<void> {
  if (vmid === undefined) return;
  const t = await ctx.map.template(vmid);
  if (!t || t.state !== 'available') return;
  if (await ctx.map.templateRefs(vmid)) return;
  if ((await ctx.map.instances()).some((m) => m.templateVmid === vmid)) return;
  await ctx.jobs.enqueue('tpl-gc', laneOf(vmid), 'destroy', { vmid });
}

export function templateGcJob(ctx: PveCtx): JobKind<TplGcData> {
  return {
    steps: {
      async destroy(job) {
        const t = await ctx.map.template(job.data.vmid);
        if (!t) return { done: true };
        // looked again: a launch may have started since
        if ((await ctx.map.templateRefs(t.vmid)) || (await ctx.map.instances()).some((m) => m.templateVmid === t.vmid)) return { done: true };
        const vm = await locateVm(ctx, t);
        if (!vm || vm.name !== t.imageId) return { next: 'forget' };
        const upid = await ctx.pve.destroy(vm.node, t.vmid);
        return upid ? { wait: upid, next: 'forget' } : { next: 'forget' };
      },
      async forget(job: JobRec<TplGcData>) {
        await ctx.map.dropTemplate(job.data.vmid);
        return { done: true };
      },
    },
    async fail(job, error) {
      ctx.gw.log.error('proxmox: the template VM of a deleted image could not be destroyed', { vmid: job.data.vmid, err: errText(error) });
      return undefined;
    },
  };
}
