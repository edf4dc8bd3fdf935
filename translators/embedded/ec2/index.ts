// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The embedded compute backend: a simulated hypervisor. Instances exist as lifecycle timers and a
 * console log (nothing boots); volumes and snapshots have real bytes, kept by the volume driver that
 * `ec2.volumes` names (translators/volumes/driver.ts: sparse files by default, or Ceph RBD images).
 * Every transition is a durable job (see scheduler.ts) that reports back through the event sink.
 * Timings come from `ec2.lifecycleMs` in the config (milliseconds per transition).
 */
import type { BackendEvent, Ec2Backend, Ec2EventSink, LaunchSpec, PublicImage, VolumeSpec, WaitingTransition, ZoneInfo } from '../../../apis/ec2/backend.js';
import type { Gateway } from '../../../src/gateway.js';
import { createVolumeDriver, type VolumeDriver } from '../../volumes/driver.js';
import { EMBEDDED_IMAGES } from './images.js';
import { Scheduler } from './scheduler.js';

export interface LifecycleTimes {
  boot: number;
  stop: number;
  terminate: number;
  reboot: number;
  volume: number;
  attach: number;
  detach: number;
  snapshot: number;
  modify: number;
}

const DEFAULT_TIMES: LifecycleTimes = { boot: 1000, stop: 1000, terminate: 1000, reboot: 500, volume: 300, attach: 300, detach: 300, snapshot: 500, modify: 500 };
const CONSOLE_TABLE = 'ec2-embedded';
/** Bytes of a deleted volume or snapshot not freed yet (storage unreachable, image open elsewhere). */
interface DeleteRetry {
  kind: 'delete-volume' | 'delete-snapshot';
  accountId: string;
  id: string;
  attempt: number;
}
type Job = BackendEvent | DeleteRetry;
const isRetry = (job: Job): job is DeleteRetry => job.kind === 'delete-volume' || job.kind === 'delete-snapshot';
/** Which transition a completion job finishes. */
const jobKey = (e: BackendEvent): string => `${e.kind}/${e.accountId}/${e.kind === 'attachment' ? e.volumeId : e.id}/${e.state}`;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 300_000;

export class EmbeddedEc2Backend implements Ec2Backend {
  readonly name = 'embedded';
  readonly scheduler: Scheduler<Job>;
  readonly volumes: VolumeDriver;
  private readonly times: LifecycleTimes;
  private readonly zoneSuffixes: string[];

  constructor(
    private readonly gw: Gateway,
    private readonly sink: Ec2EventSink,
  ) {
    const cfg = gw.config.ec2 as Record<string, unknown>;
    this.times = { ...DEFAULT_TIMES, ...((cfg.lifecycleMs as Partial<LifecycleTimes>) ?? {}) };
    const zones = cfg.zones;
    this.zoneSuffixes = Array.isArray(zones) && zones.length > 0 ? zones.map(String) : ['a', 'b', 'c'];
    for (const z of this.zoneSuffixes) if (!/^[a-z][a-z0-9-]{0,15}$/.test(z)) throw new Error(`ec2.zones: '${z}' is not a zone suffix like 'a'`);
    this.volumes = createVolumeDriver(gw);
    this.scheduler = new Scheduler<Job>(gw.state, gw.clock, (job) => (isRetry(job) ? this.free(job) : this.sink.emit(job)),
      (e) => gw.log.error('ec2 embedded job failed', { err: String(e) }),
      (ev) => `${ev.accountId}/${ev.kind === 'attachment' ? ev.volumeId : ev.id}`,
    );
  }

  /**
   * Redoes the work of the transitions records wait for that no stored job will finish (the
   * process died between the record's commit and the job's): instances and attachments get their
   * completion again, volumes and snapshots their bytes and then their completion; a copied
   * snapshot whose source is gone ends in error, as EBS reports a failed copy.
   */
  async resume(waiting: WaitingTransition[]): Promise<void> {
    const held = new Set<string>();
    for (const job of await this.scheduler.jobs()) held.add(isRetry(job) ? `${job.kind}/${job.accountId}/${job.id}` : jobKey(job));
    for (const w of waiting) {
      const e = w.event;
      if (held.has(jobKey(e)) || (e.kind === 'volume' && e.state === 'deleted' && held.has(`delete-volume/${e.accountId}/${e.id}`))) continue;
      try {
        if (e.kind === 'instance' || e.kind === 'attachment') await this.scheduler.after(0, e);
        else if (e.kind === 'volume' && e.state === 'available' && w.volume) await this.createVolume(e.accountId, w.volume);
        else if (e.kind === 'volume' && e.state === 'deleted') await this.deleteVolume(e.accountId, e.id);
        else if (e.kind === 'snapshot' && w.snapshot && 'volumeId' in w.snapshot) await this.createSnapshot(e.accountId, e.id, w.snapshot.volumeId);
        else if (e.kind === 'snapshot' && w.snapshot && 'copyOf' in w.snapshot) await this.copySnapshot(e.accountId, e.id, w.snapshot.copyOf);
        else if (e.kind === 'volume-modification' && w.modification) await this.modifyVolume(e.accountId, e.id, w.modification.volumeId, w.modification);
        this.gw.log.warn('ec2 embedded: redid work lost with the process', { kind: e.kind, id: e.kind === 'attachment' ? e.volumeId : e.id, state: e.state });
      } catch (err) {
        this.gw.log.error('ec2 embedded: could not redo work lost with the process', { kind: e.kind, err: String(err) });
      }
    }
  }

  /** Starts the real-time poll; requests also run due jobs (settle), so tests need no timer. */
  startBackground(intervalMs = 200): void {
    this.scheduler.start(intervalMs);
  }

  async zones(): Promise<ZoneInfo[]> {
    return this.zoneSuffixes.map((suffix) => ({ suffix, state: 'available' as const }));
  }

  async publicImages(): Promise<PublicImage[]> {
    return EMBEDDED_IMAGES;
  }

  private async console(accountId: string, instanceId: string, line: string): Promise<void> {
    const stamp = new Date(this.gw.clock.now()).toISOString();
    await this.gw.state.table<string>(CONSOLE_TABLE).update(`console/${accountId}/${instanceId}`, (cur) => `${cur ?? ''}[${stamp}] ${line}\n`);
  }

  async launch(accountId: string, spec: LaunchSpec): Promise<void> {
    await this.console(accountId, spec.instanceId, `mcgw embedded hypervisor: creating ${spec.instanceType} (${spec.vcpus} vCPU, ${spec.memoryMiB} MiB) from ${spec.imageId} in ${spec.zone}, ${spec.privateIp} ${spec.macAddress}`);
    await this.scheduler.after(this.times.boot, { kind: 'instance', accountId, id: spec.instanceId, state: 'running' });
  }

  async start(accountId: string, instanceId: string): Promise<void> {
    await this.console(accountId, instanceId, 'mcgw embedded hypervisor: power on');
    await this.scheduler.after(this.times.boot, { kind: 'instance', accountId, id: instanceId, state: 'running' });
  }

  async stop(accountId: string, instanceId: string, force: boolean): Promise<void> {
    await this.console(accountId, instanceId, force ? 'mcgw embedded hypervisor: power off (forced)' : 'mcgw embedded hypervisor: ACPI shutdown');
    await this.scheduler.after(force ? 0 : this.times.stop, { kind: 'instance', accountId, id: instanceId, state: 'stopped' });
  }

  async reboot(accountId: string, instanceId: string): Promise<void> {
    await this.console(accountId, instanceId, 'mcgw embedded hypervisor: reboot');
  }

  async terminate(accountId: string, instanceId: string, keepVolumes: string[]): Promise<void> {
    await this.console(accountId, instanceId, `mcgw embedded hypervisor: destroy${keepVolumes.length ? ` (keeping ${keepVolumes.join(', ')})` : ''}`);
    await this.scheduler.after(this.times.terminate, { kind: 'instance', accountId, id: instanceId, state: 'terminated' });
  }

  async resize(accountId: string, instanceId: string, shape: { instanceType: string; vcpus: number; memoryMiB: number }): Promise<void> {
    await this.console(accountId, instanceId, `mcgw embedded hypervisor: resized to ${shape.instanceType} (${shape.vcpus} vCPU, ${shape.memoryMiB} MiB)`);
  }

  async consoleOutput(accountId: string, instanceId: string): Promise<string | undefined> {
    return this.gw.state.table<string>(CONSOLE_TABLE).get(`console/${accountId}/${instanceId}`);
  }

  async createVolume(accountId: string, spec: VolumeSpec): Promise<void> {
    const from = spec.fromSnapshot ? { accountId: spec.fromSnapshotAccount ?? accountId, snapshotId: spec.fromSnapshot } : undefined;
    await this.volumes.createVolume(accountId, spec.volumeId, spec.sizeGiB, from);
    await this.scheduler.after(this.times.volume, { kind: 'volume', accountId, id: spec.volumeId, state: 'available' });
  }

  async deleteVolume(accountId: string, volumeId: string): Promise<void> {
    await this.free({ kind: 'delete-volume', accountId, id: volumeId, attempt: 0 });
  }

  /**
   * Frees the bytes of a deleted volume (then reports it deleted) or snapshot. Both deletions are
   * accepted as on EBS: when the driver fails, the attempt is retried as a durable job (2 s,
   * doubling, at most 5 min apart) until it succeeds; a volume stays 'deleting' until then.
   */
  private async free(job: DeleteRetry): Promise<void> {
    try {
      if (job.kind === 'delete-volume') await this.volumes.deleteVolume(job.accountId, job.id);
      else await this.volumes.deleteSnapshot(job.accountId, job.id);
    } catch (e) {
      const delay = Math.min(RETRY_FIRST_MS * 2 ** job.attempt, RETRY_MAX_MS);
      this.gw.log.error(`ec2 ${job.kind === 'delete-volume' ? 'volume' : 'snapshot'} not freed yet; retrying`, { err: String(e), id: job.id, attempt: job.attempt, retryInMs: delay });
      await this.scheduler.after(delay, { ...job, attempt: job.attempt + 1 });
      return;
    }
    if (job.kind === 'delete-volume') await this.scheduler.after(this.times.volume, { kind: 'volume', accountId: job.accountId, id: job.id, state: 'deleted' });
  }

  async modifyVolume(accountId: string, modificationId: string, volumeId: string, change: { sizeGiB: number }): Promise<void> {
    await this.volumes.growVolume(accountId, volumeId, change.sizeGiB);
    await this.scheduler.after(this.times.modify, { kind: 'volume-modification', accountId, id: modificationId, state: 'completed' });
  }

  async attachVolume(accountId: string, volumeId: string, instanceId: string, device: string): Promise<void> {
    await this.console(accountId, instanceId, `mcgw embedded hypervisor: attach ${volumeId} as ${device}`);
    await this.scheduler.after(this.times.attach, { kind: 'attachment', accountId, volumeId, instanceId, state: 'attached' });
  }

  async detachVolume(accountId: string, volumeId: string, instanceId: string, force: boolean): Promise<void> {
    await this.console(accountId, instanceId, `mcgw embedded hypervisor: detach ${volumeId}${force ? ' (forced)' : ''}`);
    await this.scheduler.after(force ? 0 : this.times.detach, { kind: 'attachment', accountId, volumeId, instanceId, state: 'detached' });
  }

  async createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void> {
    let state: 'completed' | 'error' = 'completed';
    try {
      await this.volumes.createSnapshot(accountId, snapshotId, volumeId);
    } catch (e) {
      this.gw.log.error('ec2 embedded snapshot copy failed', { err: String(e), snapshotId });
      state = 'error';
    }
    await this.scheduler.after(this.times.snapshot, { kind: 'snapshot', accountId, id: snapshotId, state });
  }

  async copySnapshot(accountId: string, snapshotId: string, source: { accountId: string; snapshotId: string }): Promise<void> {
    let state: 'completed' | 'error' = 'completed';
    try {
      await this.volumes.copySnapshot(accountId, snapshotId, source);
    } catch (e) {
      this.gw.log.error('ec2 embedded snapshot copy failed', { err: String(e), snapshotId });
      state = 'error';
    }
    await this.scheduler.after(this.times.snapshot, { kind: 'snapshot', accountId, id: snapshotId, state });
  }

  async deleteSnapshot(accountId: string, snapshotId: string): Promise<void> {
    await this.free({ kind: 'delete-snapshot', accountId, id: snapshotId, attempt: 0 });
  }

  async settle(): Promise<void> {
    await this.scheduler.runDue();
  }

  async health() {
    const volumes = await this.volumes.health();
    const detail = `${(await this.scheduler.pending())} pending transitions; volumes: ${volumes.detail}`;
    return { state: volumes.state === 'ok' ? ('ok' as const) : ('degraded' as const), detail };
  }

  async close(): Promise<void> {
    this.scheduler.stop();
    await this.volumes.close?.();
  }
}

/** The factory apis/ec2 loads for `ec2.backend: embedded`. */
export const createEc2Backend = (gw: Gateway, sink: Ec2EventSink): Ec2Backend => new EmbeddedEc2Backend(gw, sink);
