// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * At start-up the API hands over every record that waits for a transition (apis/ec2/resume.ts).
 * The work behind most of them is a stored job, which the job engine resumes by itself; the rest
 * was lost with the process between the API's commit and the job's enqueue (a kill at that very
 * moment). Those are redone (a volume to create, a snapshot to take or copy, a stop or terminate),
 * or, for a launch that never reached PVE, ended: the instance `terminated` with the reason.
 * Not with a shared state store: another gateway may be between its commit and its enqueue.
 */
import type { WaitingTransition } from '../../../apis/ec2/backend.js';
import type { ProxmoxEc2Backend } from './index.js';

/** Every id a stored job works on (instances, volumes, snapshots, modifications). */
function referenced(jobs: Array<{ data: Record<string, unknown> }>): Set<string> {
  const out = new Set<string>();
  for (const { data } of jobs) {
    for (const k of ['instanceId', 'volumeId', 'snapshotId', 'modificationId']) if (typeof data[k] === 'string') out.add(data[k] as string);
    for (const d of (data.devices as Array<{ snapshotId: string }> | undefined) ?? []) out.add(d.snapshotId);
  }
  return out;
}

export async function resumeLost(be: ProxmoxEc2Backend, waiting: WaitingTransition[]): Promise<number> {
  const { ctx } = be;
  const held = referenced(await ctx.jobs.list());
  let redone = 0;
  for (const w of waiting) {
    const e = w.event;
    const id = e.kind === 'attachment' ? e.volumeId : e.id;
    if (held.has(id) || (e.kind === 'attachment' && held.has(e.instanceId))) continue;
    try {
      if (e.kind === 'instance' && e.state === 'running') {
        const m = await ctx.map.instance(e.accountId, e.id);
        if (m) await ctx.map.dropInstance(m);
        await ctx.sink.emit({ kind: 'instance', accountId: e.accountId, id: e.id, state: 'terminated', reason: 'launch: the gateway stopped before the launch reached Proxmox' });
      } else if (e.kind === 'instance' && e.state === 'stopped') {
        await be.stop(e.accountId, e.id, false);
      } else if (e.kind === 'instance' && e.state === 'terminated') {
        const inst = await be.apiView.instance(e.accountId, e.id);
        if (!(await ctx.map.instance(e.accountId, e.id))) await ctx.sink.emit({ kind: 'instance', accountId: e.accountId, id: e.id, state: 'terminated' });
        else await be.terminate(e.accountId, e.id, (inst?.blockDevices ?? []).filter((b) => !b.DeleteOnTermination).map((b) => b.VolumeId));
      } else if (e.kind === 'volume' && e.state === 'available' && w.volume) {
        await be.createVolume(e.accountId, w.volume);
      } else if (e.kind === 'volume' && e.state === 'deleted') {
        await be.deleteVolume(e.accountId, e.id);
      } else if (e.kind === 'snapshot' && w.snapshot && 'copyOf' in w.snapshot) {
        await be.copySnapshot(e.accountId, e.id, w.snapshot.copyOf);
      } else if (e.kind === 'snapshot' && w.snapshot && 'volumeId' in w.snapshot) {
        // a root volume's snapshot (a CreateImage whose job was never stored) ends `error` there
        await be.createSnapshot(e.accountId, e.id, w.snapshot.volumeId);
      } else {
        continue;
      }
      redone++;
      ctx.gw.log.warn('proxmox: redid work lost with the process', { kind: e.kind, id, state: e.state });
    } catch (err) {
      ctx.gw.log.error('proxmox: could not redo work lost with the process', { kind: e.kind, id, err: String(err) });
    }
  }
  return redone;
}
