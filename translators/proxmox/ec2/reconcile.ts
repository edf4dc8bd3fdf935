// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Keeps the gateway's view in step with the cluster from the one `/cluster/resources` listing:
 * a VM stopped or started outside the gateway (PVE's GUI, `qm`, the guest's own shutdown) is
 * reported stopped (with EC2's user-initiated shutdown reason) or running; a VM deleted outside
 * the gateway (and not being created or destroyed by a job) is reported terminated with the
 * reason, its EBS volumes released; security groups in use are re-synced (a group whose rules and
 * member addresses did not change costs no call). Also publishes AWS/EC2 metrics from each
 * running VM's rrddata (CPUUtilization, NetworkIn/Out, DiskReadBytes/DiskWriteBytes).
 */
import { publishAwsMetrics, type PublishedDatum } from '../../../apis/cloudwatch/publish.js';
import type { InstanceRec } from '../../../apis/ec2/records.js';
import { ApiView } from './api-view.js';
import type { PveCtx } from './context.js';
import type { FirewallSync } from './firewall.js';
import { templateGc } from './image-job.js';
import type { InstanceMap } from './map.js';

export function busyLanes(ctx: PveCtx): Promise<Set<string>> {
  return ctx.jobs.lanes();
}

export function laneOf(vmid: number): string {
  return `vm-${vmid}`;
}

/**
 * One pass; returns how many instances changed outside the gateway. Only instances no job is
 * working on are looked at, and only when the listing was asked for after the record's last
 * change (an older listing may predate what a job just did).
 */
export async function reconcile(ctx: PveCtx, fresh = false): Promise<number> {
  const vms = await ctx.inventory.vms(fresh);
  const takenAt = ctx.inventory.takenAt;
  const byVmid = new Map(vms.map((v) => [v.vmid, v]));
  const busy = await busyLanes(ctx);
  const api = new ApiView(ctx.gw.state);
  // the API's records, one listing per account (not one read per VM)
  const records = new Map<string, Promise<Map<string, InstanceRec>>>();
  const record = async (accountId: string, id: string) => {
    if (!records.has(accountId)) records.set(accountId, api.instances(accountId).then((l) => new Map(l.map((i) => [i.id, i]))));
    return (await records.get(accountId)!).get(id);
  };
  let changed = 0;
  for (const m of await ctx.map.instances()) {
    if (!m.created || m.terminating || busy.has(laneOf(m.vmid)) || (m.createdAt ?? 0) >= takenAt) continue;
    const vm = byVmid.get(m.vmid);
    if (vm && vm.name === m.instanceId) {
      if (vm.node !== m.node) await ctx.map.updateInstance(m.accountId, m.instanceId, (x) => ({ ...x, node: vm.node }));
      const inst = await record(m.accountId, m.instanceId);
      if (!inst || inst.stateSince >= takenAt) continue;
      const state = vm.status === 'running' ? 'running' : vm.status === 'stopped' ? 'stopped' : undefined;
      if (!state || (inst.state !== 'running' && inst.state !== 'stopped') || inst.state === state) continue;
      changed++;
      ctx.gw.log.warn(`proxmox VM ${state === 'running' ? 'started' : 'stopped'} outside the gateway`, { instanceId: m.instanceId, vmid: m.vmid });
      await ctx.sink.emit({ kind: 'instance', accountId: m.accountId, id: m.instanceId, state, external: true });
      continue;
    }
    changed++;
    ctx.gw.log.warn('proxmox VM deleted outside the gateway', { instanceId: m.instanceId, vmid: m.vmid });
    await ctx.map.dropInstance(m);
    // its EBS volumes are the holder's and survive; the API detaches (or deletes) them
    for (const v of await ctx.map.volumes(m.accountId)) {
      if (v.attachedTo === m.instanceId) await ctx.map.updateVolume(v.accountId, v.volumeId, (x) => ({ ...x, attachedTo: undefined, slot: undefined }));
    }
    await ctx.sink.emit({ kind: 'instance', accountId: m.accountId, id: m.instanceId, state: 'terminated', reason: `the VM (vmid ${m.vmid}) was deleted outside the gateway` });
    await templateGc(ctx, m.templateVmid);
  }
  return changed;
}

/** The members function FirewallSync needs: live instance addresses by group, for one account. */
export async function groupMembers(api: ApiView, accountId: string): Promise<(groupId: string) => string[]> {
  const insts = (await api.instances(accountId)).filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down');
  return (gid) => insts.filter((i) => i.groups.some((g) => g.GroupId === gid)).map((i) => i.PrivateIpAddress);
}

/** Re-syncs every group used by a mapped instance. */
export async function syncGroups(ctx: PveCtx, api: ApiView, fw: FirewallSync): Promise<void> {
  const accounts = new Set((await ctx.map.instances()).map((m) => m.accountId));
  for (const acct of accounts) {
    const members = await groupMembers(api, acct);
    const used = new Set((await api.instances(acct)).filter((i) => i.state !== 'terminated').flatMap((i) => i.groups.map((g) => g.GroupId)));
    for (const id of used) {
      const g = await api.group(acct, id);
      if (g) await fw.sync(acct, g, members);
    }
  }
}

/** The AWS/EC2 data points of one rrddata sample (PVE: cpu 0..1, netin/netout/diskread/diskwrite bytes/s). */
export function ec2Datapoints(instanceId: string, p: Record<string, number>, periodS: number): PublishedDatum[] {
  const dims = [{ Name: 'InstanceId', Value: instanceId }];
  const ts = p.time * 1000;
  const out: PublishedDatum[] = [];
  if (Number.isFinite(p.cpu)) out.push({ MetricName: 'CPUUtilization', Dimensions: dims, Timestamp: ts, Value: p.cpu * 100, Unit: 'Percent' });
  const bytes: Array<[string, string]> = [['netin', 'NetworkIn'], ['netout', 'NetworkOut'], ['diskread', 'DiskReadBytes'], ['diskwrite', 'DiskWriteBytes']];
  for (const [k, name] of bytes) if (Number.isFinite(p[k])) out.push({ MetricName: name, Dimensions: dims, Timestamp: ts, Value: p[k] * periodS, Unit: 'Bytes' });
  return out;
}

/** Publishes the newest rrddata sample of each running VM (one call per running VM). */
export async function publishMetrics(ctx: PveCtx, sent: Map<string, number>): Promise<void> {
  const vms = new Map((await ctx.inventory.vms()).map((v) => [v.vmid, v]));
  const running: InstanceMap[] = (await ctx.map.instances()).filter((m) => m.created && vms.get(m.vmid)?.status === 'running');
  for (const m of running) {
    const rows = await ctx.pve.rrd(vms.get(m.vmid)!.node, m.vmid, 'hour');
    // only steps that have ended (an open RRD step's average still moves)
    const ended = Date.now() / 1000 - 60;
    const fresh = rows.filter((r) => Number.isFinite(r.time) && r.time <= ended && r.time > (sent.get(m.instanceId) ?? 0) && Number.isFinite(r.cpu));
    if (!fresh.length) continue;
    const data = fresh.flatMap((r) => ec2Datapoints(m.instanceId, r, 60));
    await publishAwsMetrics(ctx.gw, { accountId: m.accountId, region: ctx.gw.config.region }, 'AWS/EC2', data);
    sent.set(m.instanceId, Math.max(...fresh.map((r) => r.time)));
  }
}
