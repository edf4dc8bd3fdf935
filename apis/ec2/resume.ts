// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * At start-up: every record waiting for a transition (an instance pending, stopping or
 * shutting-down; a volume creating or deleting; an attachment attaching or detaching; a snapshot
 * pending; a volume modification in progress) is handed to the backend's resume(), so that work
 * a crash lost between the record's commit and the backend accepting it is done again instead of
 * leaving the record waiting for ever.
 */
import type { WaitingTransition } from './backend.js';
import type { Ec2Env } from './env.js';
import type { InstanceRec, SnapshotRec, VolumeModificationRec, VolumeRec } from './records.js';

const INSTANCE_TARGET: Partial<Record<InstanceRec['state'], 'running' | 'stopped' | 'terminated'>> = {
  pending: 'running',
  stopping: 'stopped',
  'shutting-down': 'terminated',
};

export async function waitingTransitions(env: Ec2Env): Promise<WaitingTransition[]> {
  const out: WaitingTransition[] = [];
  for (const { accountId } of await env.gw.identity.listAccounts()) {
    for (const i of await env.store.list<InstanceRec>(accountId, 'instance')) {
      const state = INSTANCE_TARGET[i.state];
      if (state) out.push({ event: { kind: 'instance', accountId, id: i.id, state } });
    }
    for (const v of await env.store.list<VolumeRec>(accountId, 'volume')) {
      if (v.State === 'creating') {
        out.push({
          event: { kind: 'volume', accountId, id: v.id, state: 'available' },
          volume: { volumeId: v.id, zone: v.AvailabilityZone, sizeGiB: v.Size, volumeType: v.VolumeType, iops: v.Iops, throughput: v.Throughput, fromSnapshot: v.SnapshotId || undefined },
        });
      } else if (v.State === 'deleting') {
        out.push({ event: { kind: 'volume', accountId, id: v.id, state: 'deleted' } });
      }
      const a = v.attachment;
      if (a?.State === 'attaching') out.push({ event: { kind: 'attachment', accountId, volumeId: v.id, instanceId: a.InstanceId, state: 'attached' } });
      if (a?.State === 'detaching') out.push({ event: { kind: 'attachment', accountId, volumeId: v.id, instanceId: a.InstanceId, state: 'detached' } });
    }
    for (const s of await env.store.list<SnapshotRec>(accountId, 'snapshot')) {
      if (s.State !== 'pending') continue;
      out.push({ event: { kind: 'snapshot', accountId, id: s.id, state: 'completed' }, snapshot: s.copiedFrom ? { copyOf: s.copiedFrom } : { volumeId: s.VolumeId } });
    }
    for (const m of await env.store.list<VolumeModificationRec>(accountId, 'volmod')) {
      if (m.ModificationState !== 'modifying') continue;
      out.push({
        event: { kind: 'volume-modification', accountId, id: m.id, state: 'completed' },
        modification: { volumeId: m.VolumeId, sizeGiB: m.TargetSize, volumeType: m.TargetVolumeType, iops: m.TargetIops, throughput: m.TargetThroughput },
      });
    }
  }
  return out;
}

/** Hands the waiting transitions to a backend that can resume them. */
export async function resumeWaiting(env: Ec2Env): Promise<number> {
  if (!env.backend.resume) return 0;
  const waiting = await waitingTransitions(env);
  if (waiting.length) await env.backend.resume(waiting);
  return waiting.length;
}
