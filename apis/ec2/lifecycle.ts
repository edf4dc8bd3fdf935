// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Applies the transitions a backend reports (Ec2EventSink) to the API records: each one only
 * fires from the state that was waiting for it, so a late or repeated event changes nothing.
 */
import type { BackendEvent, Ec2EventSink } from './backend.js';
import type { Ec2Env } from './env.js';
import { userInitiated } from './render.js';
import type { AddressRec, InstanceRec, SnapshotRec, SubnetRec, VolumeModificationRec, VolumeRec } from './records.js';

export function eventSink(getEnv: () => Ec2Env): Ec2EventSink {
  return {
    async emit(ev: BackendEvent) {
      const env = getEnv();
      switch (ev.kind) {
        case 'instance':
          if (ev.state === 'terminated' && ev.reason) await lostInstance(env, ev.accountId, ev.id, ev.reason);
          if (ev.external && ev.state !== 'terminated') return externalChange(env, ev.accountId, ev.id, ev.state);
          return instanceEvent(env, ev.accountId, ev.id, ev.state);
        case 'volume':
          await env.store.update<VolumeRec>(ev.accountId, 'volume', ev.id, (v) => {
            if (!v) return v;
            if (ev.state === 'deleted') return v.State === 'deleting' ? undefined : v;
            if (v.State !== 'creating') return v;
            return { ...v, State: ev.state };
          });
          return;
        case 'attachment':
          return attachmentEvent(env, ev.accountId, ev.volumeId, ev.instanceId, ev.state);
        case 'snapshot':
          await env.store.update<SnapshotRec>(ev.accountId, 'snapshot', ev.id, (s) =>
            s && s.State === 'pending' ? { ...s, State: ev.state, Progress: ev.state === 'completed' ? '100%' : s.Progress } : s,
          );
          return;
        case 'volume-modification':
          await env.store.update<VolumeModificationRec>(ev.accountId, 'volmod', ev.id, (m) =>
            m && m.ModificationState !== 'completed' && m.ModificationState !== 'failed'
              ? { ...m, ModificationState: ev.state, Progress: ev.state === 'completed' ? 100 : m.Progress, EndTime: env.now() }
              : m,
          );
          return;
      }
    },
  };
}

/**
 * A backend reporting `terminated` with a reason: the machine failed to launch or vanished outside
 * the gateway. Whatever state the record was in, it goes through shutting-down with the reason
 * (EC2's Server.InternalError state reason), so the terminated transition below finishes it.
 */
async function lostInstance(env: Ec2Env, accountId: string, id: string, reason: string): Promise<void> {
  await env.store.update<InstanceRec>(accountId, 'instance', id, (i) =>
    i && i.state !== 'terminated' && i.state !== 'shutting-down'
      ? { ...i, state: 'shutting-down', stateSince: env.now(), StateReason: { Code: 'Server.InternalError', Message: `Server.InternalError: ${reason}` } }
      : i,
  );
}

/**
 * A machine stopped or started outside the gateway (a hypervisor's own console): a running record
 * becomes stopped with EC2's user-initiated shutdown reason, a stopped one running.
 */
async function externalChange(env: Ec2Env, accountId: string, id: string, state: 'running' | 'stopped'): Promise<void> {
  const now = env.now();
  await env.store.update<InstanceRec>(accountId, 'instance', id, (i) => {
    if (!i) return i;
    if (state === 'stopped' && i.state === 'running') {
      return { ...i, state, stateSince: now, StateTransitionReason: userInitiated(now), StateReason: { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' } };
    }
    if (state === 'running' && i.state === 'stopped') return { ...i, state, stateSince: now, StateTransitionReason: '', StateReason: undefined };
    return i;
  });
}

async function instanceEvent(env: Ec2Env, accountId: string, id: string, state: 'running' | 'stopped' | 'terminated'): Promise<void> {
  const now = env.now();
  if (state === 'running' || state === 'stopped') {
    const from = state === 'running' ? 'pending' : 'stopping';
    await env.store.update<InstanceRec>(accountId, 'instance', id, (i) => {
      if (!i || i.state !== from) return i;
      return state === 'running'
        ? { ...i, state, stateSince: now, StateTransitionReason: '', StateReason: undefined }
        : { ...i, state, stateSince: now };
    });
    return;
  }
  // terminated: release the address, delete or detach the volumes
  const toDelete = await env.store.transact(accountId, (tx) => {
    const i = tx.get<InstanceRec>('instance', id);
    if (!i || i.state !== 'shutting-down') return [];
    const subnet = tx.get<SubnetRec>('subnet', i.SubnetId);
    if (subnet && subnet.used[i.PrivateIpAddress] === id) {
      delete subnet.used[i.PrivateIpAddress];
      tx.put('subnet', subnet.id, subnet);
    }
    const del: string[] = [];
    for (const bd of i.blockDevices) {
      const v = tx.get<VolumeRec>('volume', bd.VolumeId);
      if (!v || v.attachment?.InstanceId !== id) continue;
      if (bd.DeleteOnTermination) {
        tx.put('volume', v.id, { ...v, attachment: undefined, State: 'deleting' });
        del.push(v.id);
      } else {
        tx.put('volume', v.id, { ...v, attachment: undefined, State: 'available' });
      }
    }
    if (i.eipAllocationId) {
      const eip = tx.get<AddressRec>('eip', i.eipAllocationId);
      if (eip?.InstanceId === id) tx.put('eip', eip.id, { ...eip, associationId: undefined, InstanceId: undefined, PrivateIpAddress: undefined, NetworkInterfaceId: undefined });
    }
    tx.put('instance', id, { ...i, state: 'terminated', stateSince: now, blockDevices: [], PublicIpAddress: undefined, eipAllocationId: undefined });
    return del;
  });
  for (const v of toDelete) await env.backend.deleteVolume(accountId, v);
}

async function attachmentEvent(env: Ec2Env, accountId: string, volumeId: string, instanceId: string, state: 'attached' | 'detached'): Promise<void> {
  await env.store.transact(accountId, (tx) => {
    const v = tx.get<VolumeRec>('volume', volumeId);
    const i = tx.get<InstanceRec>('instance', instanceId);
    if (!v || v.attachment?.InstanceId !== instanceId) return;
    if (state === 'attached') {
      if (v.attachment.State !== 'attaching') return;
      tx.put('volume', volumeId, { ...v, attachment: { ...v.attachment, State: 'attached' } });
      if (i) tx.put('instance', instanceId, { ...i, blockDevices: i.blockDevices.map((b) => (b.VolumeId === volumeId ? { ...b, Status: 'attached' } : b)) });
    } else {
      if (v.attachment.State !== 'detaching') return;
      tx.put('volume', volumeId, { ...v, attachment: undefined, State: 'available' });
      if (i) tx.put('instance', instanceId, { ...i, blockDevices: i.blockDevices.filter((b) => b.VolumeId !== volumeId) });
    }
  });
}
