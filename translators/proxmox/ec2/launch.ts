// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * RunInstances as a resumable job (proxmox-mapping.md, "Instances"): linked clone of the template
 * into the account's pool on the zone's node → config (shape, NIC on the subnet's bridge with the
 * firewall on, cloud-init address, NoCloud seed, extra EBS volumes as scsiN) → root disk resize →
 * firewall groups → start → running. Every step first looks at what exists, so a restart between
 * a call and its record neither repeats nor loses it. A failure goes to cleanup: the VM (if the
 * clone made one) is stopped and destroyed, and the instance is reported terminated with the
 * reason, so a failed launch leaves no VM behind.
 */
import { isPveError } from '../client/errors.js';
import type { VmResource } from '../client/pve.js';
import type { JobKind, JobRec } from '../jobs.js';
import type { ApiView } from './api-view.js';
import type { PveCtx } from './context.js';
import type { FirewallSync } from './firewall.js';
import { templateGc } from './image-job.js';
import { freeScsiSlot, launchConfig, sizeOf, volidOf, volumeLine } from './guest.js';
import { poolOf, volumeSerial, type InstanceMap } from './map.js';
import type { SdnSync } from './sdn.js';

export interface LaunchData extends Record<string, unknown> {
  accountId: string;
  instanceId: string;
  templateVmid: number;
  templateNode: string;
  disableApiTermination?: boolean;
  reason?: string;
}

export interface LaunchDeps {
  ctx: PveCtx;
  api: ApiView;
  firewall: FirewallSync;
  sdn: SdnSync;
  /** The private addresses of the live instances in a group. */
  membersOf(accountId: string): Promise<(groupId: string) => string[]>;
}

async function mapOf(ctx: PveCtx, job: JobRec<LaunchData>): Promise<InstanceMap> {
  const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
  if (!m) throw new Error(`no mapping for ${job.data.instanceId}`);
  return m;
}

/**
 * The VM holding this instance's vmid now, whatever its name: one status call on the node it
 * should be on, or (moved, still being cloned on the template's node, gone) one fresh listing.
 */
export async function locateVm(ctx: PveCtx, m: { node: string; vmid: number }): Promise<VmResource | undefined> {
  try {
    const s = await ctx.pve.current(m.node, m.vmid);
    return { id: `qemu/${m.vmid}`, type: 'qemu', vmid: m.vmid, node: m.node, name: s.name, status: s.status, lock: s.lock };
  } catch (e) {
    if (!(isPveError(e) && e.kind === 'not-found')) throw e;
  }
  return ctx.inventory.byVmid(m.vmid, true);
}

/** The VM of this instance (its vmid and name), or undefined. */
export async function findVm(ctx: PveCtx, m: InstanceMap): Promise<VmResource | undefined> {
  const vm = await locateVm(ctx, m);
  return vm && vm.name === m.instanceId ? vm : undefined;
}

export async function ensurePool(ctx: PveCtx, accountId: string): Promise<void> {
  const pool = poolOf(accountId);
  if ((await ctx.pve.pools()).some((p) => p.poolid === pool)) return;
  try {
    await ctx.pve.createPool(pool, `mcgw account ${accountId}`);
  } catch (e) {
    if (!(isPveError(e) && /already exists/i.test(e.message))) throw e;
  }
}

export function launchJob(d: LaunchDeps): JobKind<LaunchData> {
  const { ctx } = d;
  return {
    steps: {
      async clone(job) {
        const m = await mapOf(ctx, job);
        // a first run has issued nothing yet; a retry, or a run after a restart, looks first
        const vm = job.attempts > 0 || job.data.resumed ? await locateVm(ctx, m) : undefined;
        if (vm && vm.name !== m.instanceId) throw new Error(`vmid ${m.vmid} is taken by another VM (${vm.name ?? 'unnamed'})`);
        if (vm) return vm.lock === 'clone' ? { retryIn: ctx.cfg.taskPollMs } : { next: 'config' };
        await ensurePool(ctx, m.accountId);
        const upid = await ctx.pve.clone(job.data.templateNode, job.data.templateVmid, {
          newid: m.vmid,
          name: m.instanceId,
          pool: poolOf(m.accountId),
          target: job.data.templateNode === m.node ? undefined : m.node,
          description: `mcgw EC2 instance ${m.instanceId} of account ${m.accountId}`,
        });
        return upid ? { wait: upid, next: 'config' } : { next: 'config' };
      },

      async config(job) {
        const m = await mapOf(ctx, job);
        if (!m.created) await ctx.map.updateInstance(m.accountId, m.instanceId, (x) => ({ ...x, created: true, createdAt: Date.now() }));
        const inst = await d.api.instance(m.accountId, m.instanceId);
        const subnet = await d.api.subnet(m.accountId, m.subnetId);
        if (!inst || !subnet) throw new Error(`instance ${m.instanceId} or its subnet is gone from the API records`);
        const cfg = await ctx.pve.config(m.node, m.vmid);
        const bridge = await d.sdn.bridgeFor(m.accountId, subnet.VpcId, subnet.id, subnet.CidrBlock);
        const params = launchConfig({
          instanceId: m.instanceId,
          accountId: m.accountId,
          vcpus: Number(job.data.vcpus),
          memoryMiB: Number(job.data.memoryMiB),
          bridge,
          macAddress: m.macAddress,
          privateIp: m.privateIp,
          subnetCidr: subnet.CidrBlock,
          sshPublicKey: m.sshPublicKey,
          seedUrl: ctx.cfg.guestUrl ? `${ctx.cfg.guestUrl}/_mcgw/nocloud/${m.instanceId}/` : undefined,
          disableApiTermination: job.data.disableApiTermination,
        });
        // extra EBS volumes of the launch: attach those allocated; wait for the others
        const taken: string[] = [];
        for (const bd of inst.blockDevices) {
          if (bd.VolumeId === m.rootVolumeId) continue;
          const v = await ctx.map.volume(m.accountId, bd.VolumeId);
          if (!v?.volid) return { retryIn: Math.max(50, ctx.cfg.taskPollMs) };
          const already = Object.entries(cfg).find(([k, line]) => /^scsi\d+$/.test(k) && volidOf(line) === v.volid);
          const slot = already?.[0] ?? freeScsiSlot(cfg, taken)!;
          taken.push(slot);
          if (!already) params[slot] = volumeLine(v.volid, volumeSerial(v.volumeId), { iops: v.iops, throughputMiBs: v.throughput });
          await ctx.map.updateVolume(m.accountId, v.volumeId, (x) => ({ ...x, attachedTo: m.instanceId, slot }));
        }
        const root = volidOf(cfg.scsi0);
        if (root) {
          await ctx.map.putVolume({ accountId: m.accountId, volumeId: m.rootVolumeId, zone: m.zone, sizeGiB: Number(job.data.rootSizeGiB), volid: root, rootOf: m.instanceId, attachedTo: m.instanceId, slot: 'scsi0' });
        }
        const upid = await ctx.pve.setConfig(m.node, m.vmid, params);
        return upid ? { wait: upid, next: 'resize' } : { next: 'resize' };
      },

      async resize(job) {
        const m = await mapOf(ctx, job);
        const cfg = await ctx.pve.config(m.node, m.vmid);
        const have = sizeOf(cfg.scsi0) ?? 0;
        const want = Number(job.data.rootSizeGiB);
        if (!cfg.scsi0 || want <= have) return { next: 'firewall' };
        const upid = await ctx.pve.resize(m.node, m.vmid, 'scsi0', `${want}G`);
        return upid ? { wait: upid, next: 'firewall' } : { next: 'firewall' };
      },

      async firewall(job) {
        const m = await mapOf(ctx, job);
        const inst = await d.api.instance(m.accountId, m.instanceId);
        const groups = inst?.groups.map((g) => g.GroupId) ?? [];
        const members = await d.membersOf(m.accountId);
        const aliases: string[] = [];
        for (const id of groups) {
          const g = await d.api.group(m.accountId, id);
          if (g) aliases.push(await d.firewall.sync(m.accountId, g, members));
        }
        await ctx.pve.firewallOptions(m.node, m.vmid, { enable: 1, policy_in: 'DROP', policy_out: 'ACCEPT', macfilter: 1, dhcp: 1 });
        const have = await ctx.pve.vmRules(m.node, m.vmid);
        for (const a of aliases) if (!have.some((r) => r.type === 'group' && r.action === a)) await ctx.pve.addVmRule(m.node, m.vmid, { type: 'group', action: a, enable: 1 });
        return { next: 'start' };
      },

      async start(job) {
        const m = await mapOf(ctx, job);
        const cur = await ctx.pve.current(m.node, m.vmid);
        if (cur.status === 'running') return { next: 'report' };
        const upid = await ctx.pve.power(m.node, m.vmid, 'start');
        return upid ? { wait: upid, next: 'report' } : { next: 'report' };
      },

      async report(job) {
        await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'running' });
        return { done: true };
      },

      // failure path: no VM may be left behind
      async cleanup(job) {
        const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
        if (!m) return { next: 'failed' };
        const vm = await findVm(ctx, m);
        if (!vm) return { next: 'failed' };
        if (vm.lock === 'clone') return { retryIn: ctx.cfg.taskPollMs };
        if (vm.status === 'running') {
          const upid = await ctx.pve.power(vm.node, m.vmid, 'stop');
          return upid ? { wait: upid, next: 'cleanup' } : { next: 'cleanup' };
        }
        const cfg = await ctx.pve.config(vm.node, m.vmid);
        if (String(cfg.protection ?? '0') === '1') await ctx.pve.setConfig(vm.node, m.vmid, { protection: 0 });
        // EBS volumes of the launch are the holder's: take them out so destroy leaves them to the API
        const detach = Object.entries(cfg).filter(([k, line]) => /^scsi\d+$/.test(k) && k !== 'scsi0' && /:vm-\d+-vol-/.test(String(line))).map(([k]) => k);
        if (detach.length) {
          const up = await ctx.pve.setConfig(vm.node, m.vmid, { delete: detach.join(',') });
          if (up) return { wait: up, next: 'cleanup' };
        }
        const upid = await ctx.pve.destroy(vm.node, m.vmid);
        return upid ? { wait: upid, next: 'failed' } : { next: 'failed' };
      },

      async failed(job) {
        const m = await ctx.map.instance(job.data.accountId, job.data.instanceId);
        if (m) await ctx.map.dropInstance(m);
        await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'terminated', reason: job.data.reason ?? job.failing ?? 'launch failed' });
        await templateGc(ctx, m?.templateVmid);
        return { done: true };
      },
    },

    async fail(job, error) {
      // a racing duplicate clone (restart between the call and its record) fails inside its task
      if (job.step === 'clone' && isPveError(error) && /already exists/i.test(error.message)) return { resume: 'clone' };
      ctx.gw.log.error('proxmox launch failed', { instanceId: job.data.instanceId, step: job.step, err: String((error as Error).message ?? error) });
      job.data.reason = `${job.step}: ${String((error as Error).message ?? error).trim()}`;
      return 'cleanup';
    },

    async abandon(job, error) {
      ctx.gw.log.error('proxmox launch cleanup failed; the VM may need manual removal', { instanceId: job.data.instanceId, err: String(error) });
      await ctx.sink.emit({ kind: 'instance', accountId: job.data.accountId, id: job.data.instanceId, state: 'terminated', reason: job.data.reason ?? 'launch failed' });
    },
  };
}
