// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The Proxmox VE compute backend (`ec2.backend: proxmox`, settings in `backends.proxmox`, see
 * ../config.ts and docs/proxmox.md). Every call that changes the cluster is accepted at once as a
 * resumable job on the VM's lane (../jobs.ts), and its end is reported through the event sink.
 * Zones are the configured nodes; public AMIs the tagged templates; instances linked clones in
 * the account's pool; EBS volumes holder-owned RBD images; security groups cluster firewall
 * groups; subnets SDN vnets.
 */
import type { Ec2Backend, Ec2EventSink, ImageSpec, LaunchSpec, PublicImage, VolumeSpec, WaitingTransition, ZoneInfo } from '../../../apis/ec2/backend.js';
import type { LocalEndpoint } from '../../../src/context.js';
import { AwsError } from '../../../src/errors.js';
import type { Gateway } from '../../../src/gateway.js';
import { PveHttp } from '../client/http.js';
import { Pve } from '../client/pve.js';
import { parseProxmoxConfig } from '../config.js';
import { JobEngine } from '../jobs.js';
import { ApiView } from './api-view.js';
import { Inventory, taskWaiter, type PveCtx } from './context.js';
import { FirewallSync } from './firewall.js';
import { CONSOLE_TABLE, GuestEndpoints } from './guest-http.js';
import { createImageJob, enqueueCreateImage, templateGc, templateGcJob } from './image-job.js';
import { TemplateCatalog } from './images.js';
import { launchJob } from './launch.js';
import { PveMap } from './map.js';
import { rebootJob, resizeJob, startJob, stopJob, terminateJob } from './power.js';
import { groupMembers, laneOf, publishMetrics, reconcile, syncGroups } from './reconcile.js';
import { resumeLost } from './resume.js';
import { SdnSync } from './sdn.js';
import { loadEbsDriver } from './snapshots.js';
import { attachJob, createVolumeJob, deleteVolumeJob, detachJob, modifyVolumeJob, snapshotJob } from './volumes.js';

export class ProxmoxEc2Backend implements Ec2Backend {
  readonly name = 'proxmox';
  readonly ctx: PveCtx;
  readonly templates: TemplateCatalog;
  private readonly api: ApiView;
  private readonly shared: boolean;
  private readonly firewall: FirewallSync;
  private readonly timers: NodeJS.Timeout[] = [];
  private nodeState: { at: number; online: Map<string, boolean> } | undefined;
  private readonly metricsSent = new Map<string, number>();

  constructor(gw: Gateway, sink: Ec2EventSink) {
    const cfg = parseProxmoxConfig(gw.config.backends.proxmox);
    const http = new PveHttp(cfg);
    const pve = new Pve(http);
    const map = new PveMap(gw.state);
    const wait = taskWaiter(http, cfg);
    const jobs = new JobEngine(gw.state, {
      maxRetries: cfg.maxRetries,
      retryDelayMs: cfg.retryDelayMs,
      waitTask: wait,
      onError: (msg, detail) => gw.log.error(msg, detail),
      // a store other gateways may share (not the local LMDB): one gateway per job, under leases
      shared: !['lmdb', 'memory'].includes(gw.state.describe().kind),
      leaseMs: cfg.jobLeaseMs,
    });
    const ebs = loadEbsDriver(gw, cfg.holderVmid);
    ebs.catch((e) => gw.log.error('proxmox: the EBS snapshot driver failed to load', { err: String(e) }));
    this.ctx = { gw, cfg, http, pve, map, jobs, sink, inventory: new Inventory(pve, cfg.resourcesCacheMs), ebs: ebs.catch(() => undefined) };
    this.api = new ApiView(gw.state);
    this.shared = !['lmdb', 'memory'].includes(gw.state.describe().kind);
    this.firewall = new FirewallSync(pve);
    this.templates = new TemplateCatalog(this.ctx);
    const sdn = new SdnSync(pve, cfg, wait);
    jobs.register('launch', launchJob({ ctx: this.ctx, api: this.api, firewall: this.firewall, sdn, membersOf: (a) => groupMembers(this.api, a) }));
    jobs.register('start', startJob(this.ctx));
    jobs.register('stop', stopJob(this.ctx));
    jobs.register('reboot', rebootJob(this.ctx));
    jobs.register('resize', resizeJob(this.ctx));
    jobs.register('terminate', terminateJob(this.ctx));
    jobs.register('vol-create', createVolumeJob(this.ctx));
    jobs.register('vol-delete', deleteVolumeJob(this.ctx));
    jobs.register('vol-attach', attachJob(this.ctx));
    jobs.register('vol-detach', detachJob(this.ctx));
    jobs.register('vol-modify', modifyVolumeJob(this.ctx));
    jobs.register('snapshot', snapshotJob(this.ctx));
    jobs.register('create-image', createImageJob(this.ctx));
    jobs.register('tpl-gc', templateGcJob(this.ctx));
  }

  private zoneSuffix(zone: string): string {
    return zone.slice(this.ctx.gw.config.region.length);
  }

  async zones(): Promise<ZoneInfo[]> {
    if (!this.nodeState || Date.now() - this.nodeState.at > 10_000) {
      try {
        const nodes = await this.ctx.pve.nodes();
        this.nodeState = { at: Date.now(), online: new Map(nodes.map((n) => [n.node, n.status === 'online'])) };
      } catch (e) {
        this.ctx.gw.log.warn('proxmox: cannot list nodes', { err: String(e) });
      }
    }
    return Object.entries(this.ctx.cfg.nodes).map(([suffix, node]) => {
      const up = this.nodeState?.online.get(node);
      return { suffix, state: up === undefined ? ('impaired' as const) : up ? ('available' as const) : ('unavailable' as const) };
    });
  }

  async publicImages(): Promise<PublicImage[]> {
    return (await this.templates.list()).map(({ vmid: _v, node: _n, ...img }) => img);
  }

  private async instanceMap(accountId: string, instanceId: string) {
    const m = await this.ctx.map.instance(accountId, instanceId);
    if (!m) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    return m;
  }

  /** vmids in use in PVE or reserved by the gateway (instances, templates being made, the holder). */
  private async takenVmids(): Promise<Set<number>> {
    const taken = new Set((await this.ctx.inventory.vms(true)).map((v) => v.vmid));
    taken.add(this.ctx.cfg.holderVmid);
    for (const m of await this.ctx.map.instances()) taken.add(m.vmid);
    for (const t of await this.ctx.map.templates()) taken.add(t.vmid);
    return taken;
  }

  /** The template to clone: a public (tagged) one, or the one a CreateImage root snapshot stands for. */
  private async templateFor(accountId: string, spec: LaunchSpec): Promise<{ vmid: number; node: string; rootSizeGiB: number } | undefined> {
    const pub = await this.templates.find(spec.imageId);
    if (pub) return pub;
    const root = await this.ctx.map.volume(accountId, spec.rootVolumeId);
    const t = root?.fromTemplate !== undefined ? await this.ctx.map.template(root.fromTemplate) : undefined;
    return t?.state === 'available' ? t : undefined;
  }

  async launch(accountId: string, spec: LaunchSpec): Promise<void> {
    const tpl = await this.templateFor(accountId, spec);
    if (!tpl) throw new AwsError('InvalidAMIID.Unavailable', `The image '${spec.imageId}' is not a template on this Proxmox cluster.`);
    const node = this.ctx.cfg.nodes[this.zoneSuffix(spec.zone)];
    if (!node) throw new AwsError('InvalidParameterValue', `Zone ${spec.zone} has no Proxmox node.`);
    const vmid = await this.ctx.map.nextVmid(this.ctx.cfg.vmidRange, await this.takenVmids());
    const root = await this.ctx.map.volume(accountId, spec.rootVolumeId);
    await this.ctx.map.putInstance({
      accountId,
      instanceId: spec.instanceId,
      vmid,
      node,
      zone: spec.zone,
      privateIp: spec.privateIp,
      macAddress: spec.macAddress,
      subnetId: spec.subnetId,
      imageId: spec.imageId,
      instanceType: spec.instanceType,
      userData: spec.userData,
      sshPublicKey: spec.sshPublicKey,
      rootVolumeId: spec.rootVolumeId,
      templateVmid: tpl.vmid,
    });
    const inst = await this.api.instance(accountId, spec.instanceId);
    await this.ctx.jobs.enqueue('launch', laneOf(vmid), 'clone', {
      accountId,
      instanceId: spec.instanceId,
      templateVmid: tpl.vmid,
      templateNode: tpl.node,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      rootSizeGiB: Math.max(root?.sizeGiB ?? tpl.rootSizeGiB, tpl.rootSizeGiB),
      disableApiTermination: inst?.DisableApiTermination ?? false,
    });
  }

  private async vmJob(kind: string, step: string, accountId: string, instanceId: string, extra: Record<string, unknown> = {}): Promise<void> {
    const m = await this.instanceMap(accountId, instanceId);
    await this.ctx.jobs.enqueue(kind, laneOf(m.vmid), step, { accountId, instanceId, ...extra });
  }

  start(accountId: string, instanceId: string): Promise<void> {
    return this.vmJob('start', 'start', accountId, instanceId);
  }

  stop(accountId: string, instanceId: string, force: boolean): Promise<void> {
    return this.vmJob('stop', 'stop', accountId, instanceId, { force });
  }

  reboot(accountId: string, instanceId: string): Promise<void> {
    return this.vmJob('reboot', 'reboot', accountId, instanceId);
  }

  async terminate(accountId: string, instanceId: string, keepVolumes: string[]): Promise<void> {
    const m = await this.instanceMap(accountId, instanceId);
    await this.ctx.map.updateInstance(accountId, instanceId, (x) => ({ ...x, terminating: true }));
    await this.ctx.jobs.enqueue('terminate', laneOf(m.vmid), 'detach', { accountId, instanceId, keepVolumes });
  }

  resize(accountId: string, instanceId: string, shape: { instanceType: string; vcpus: number; memoryMiB: number }): Promise<void> {
    return this.vmJob('resize', 'resize', accountId, instanceId, { vcpus: shape.vcpus, memoryMiB: shape.memoryMiB });
  }

  /**
   * PVE keeps no serial console history (its termproxy is a live attach), so this is the console
   * text the guest itself shipped to the gateway's NoCloud endpoint (cloud-init's output log,
   * POSTed by the vendor-data the gateway serves), or undefined when nothing was shipped.
   */
  async consoleOutput(accountId: string, instanceId: string): Promise<string | undefined> {
    return this.ctx.gw.state.table<string>(CONSOLE_TABLE).get(`${accountId}/${instanceId}`);
  }

  localEndpoints(): LocalEndpoint[] {
    return new GuestEndpoints(this.ctx, this.api).endpoints();
  }

  async createVolume(accountId: string, spec: VolumeSpec): Promise<void> {
    if (spec.fromImage) {
      // the root disk of a launch: the linked clone creates it; launch() records it
      await this.ctx.map.putVolume({ accountId, volumeId: spec.volumeId, zone: spec.zone, sizeGiB: spec.sizeGiB });
      return;
    }
    const from = spec.fromSnapshot ? { accountId: spec.fromSnapshotAccount ?? accountId, snapshotId: spec.fromSnapshot } : undefined;
    const tplVmid = from ? await this.ctx.map.templateSnap(from.accountId, from.snapshotId) : undefined;
    if (tplVmid !== undefined) {
      // the root disk of a launch from an image made by CreateImage: a linked clone of its template
      if (!(await this.api.volume(accountId, spec.volumeId))?.attachment) {
        throw new AwsError('UnsupportedOperation', `The snapshot ${spec.fromSnapshot} is the root disk of a Proxmox template: launch an image of it instead.`);
      }
      await this.ctx.map.putVolume({ accountId, volumeId: spec.volumeId, zone: spec.zone, sizeGiB: spec.sizeGiB, fromTemplate: tplVmid });
      return;
    }
    if (from && !(await this.ctx.ebs)) {
      throw new AwsError('UnsupportedOperation', 'Volumes from snapshots need the Ceph RBD volume driver (ec2.volumes: rbd) with the Proxmox backend.');
    }
    await this.ctx.map.putVolume({ accountId, volumeId: spec.volumeId, zone: spec.zone, sizeGiB: spec.sizeGiB, iops: spec.iops, throughput: spec.throughput });
    await this.ctx.jobs.enqueue('vol-create', `vol-${spec.volumeId}`, 'alloc', { accountId, volumeId: spec.volumeId, from });
  }

  async deleteVolume(accountId: string, volumeId: string): Promise<void> {
    await this.ctx.jobs.enqueue('vol-delete', `vol-${volumeId}`, 'free', { accountId, volumeId });
  }

  async modifyVolume(accountId: string, modificationId: string, volumeId: string, change: { sizeGiB: number; iops?: number; throughput?: number; volumeType: string }): Promise<void> {
    const v = await this.ctx.map.volume(accountId, volumeId);
    const m = v?.attachedTo ? await this.ctx.map.instance(accountId, v.attachedTo) : undefined;
    await this.ctx.jobs.enqueue('vol-modify', m ? laneOf(m.vmid) : `vol-${volumeId}`, 'grow', { accountId, volumeId, modificationId, sizeGiB: change.sizeGiB });
  }

  async attachVolume(accountId: string, volumeId: string, instanceId: string): Promise<void> {
    const m = await this.instanceMap(accountId, instanceId);
    await this.ctx.jobs.enqueue('vol-attach', laneOf(m.vmid), 'attach', { accountId, volumeId, instanceId });
  }

  async detachVolume(accountId: string, volumeId: string, instanceId: string, force: boolean): Promise<void> {
    const m = await this.instanceMap(accountId, instanceId);
    await this.ctx.jobs.enqueue('vol-detach', laneOf(m.vmid), 'detach', { accountId, volumeId, instanceId, force });
  }

  /** Per-volume snapshots live on Ceph (PVE has only whole-VM snapshots): see snapshots.ts. */
  async createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void> {
    await this.ctx.jobs.enqueue('snapshot', `vol-${volumeId}`, 'take', { accountId, volumeId, snapshotId });
  }

  async copySnapshot(accountId: string, snapshotId: string, source: { accountId: string; snapshotId: string }): Promise<void> {
    const tplVmid = await this.ctx.map.templateSnap(source.accountId, source.snapshotId);
    if (tplVmid !== undefined) {
      // a copy of a template's root snapshot (CopyImage): one more snapshot standing for it
      await this.ctx.map.putTemplateSnap(accountId, snapshotId, tplVmid);
      await this.ctx.sink.emit({ kind: 'snapshot', accountId, id: snapshotId, state: 'completed' });
      return;
    }
    await this.ctx.jobs.enqueue('snapshot', `snap-${snapshotId}`, 'copy', { accountId, volumeId: '', snapshotId, from: source });
  }

  async deleteSnapshot(accountId: string, snapshotId: string): Promise<void> {
    const tplVmid = await this.ctx.map.templateSnap(accountId, snapshotId);
    if (tplVmid !== undefined) {
      await this.ctx.map.dropTemplateSnap(accountId, snapshotId);
      await templateGc(this.ctx, tplVmid);
      return;
    }
    await (await this.ctx.ebs)?.deleteSnapshot(accountId, snapshotId);
  }

  /** The API's records (read-only), for resume.ts. */
  get apiView(): ApiView {
    return this.api;
  }

  /** Work lost between the API's commit and its job (resume.ts); not on a shared store. */
  async resume(waiting: WaitingTransition[]): Promise<void> {
    if (!this.shared) await resumeLost(this, waiting);
  }

  /** CreateImage: clone + template of the instance's VM (image-job.ts). */
  async createImage(accountId: string, spec: ImageSpec): Promise<void> {
    await enqueueCreateImage(this.ctx, accountId, spec, await this.takenVmids());
  }

  startBackground(): void {
    this.ctx.jobs.start(Math.max(100, this.ctx.cfg.taskPollMs));
    const log = (what: string) => (e: unknown) => this.ctx.gw.log.warn(`proxmox ${what} failed`, { err: String(e) });
    const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        fn().catch(log(what)).finally(() => (running = false));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(1000, this.ctx.cfg.resourcesCacheMs), () => reconcile(this.ctx), 'reconcile');
    every(15_000, () => syncGroups(this.ctx, this.api, this.firewall), 'firewall sync');
    every(60_000, () => publishMetrics(this.ctx, this.metricsSent), 'metrics');
  }

  /** Before a request: notices VMs gone outside the gateway (one cached listing per window). */
  async settle(): Promise<void> {
    if (this.ctx.inventory.age < this.ctx.cfg.resourcesCacheMs) return;
    try {
      await reconcile(this.ctx);
    } catch (e) {
      this.ctx.gw.log.warn('proxmox reconcile failed', { err: String(e) });
    }
  }

  async health() {
    try {
      await this.ctx.inventory.vms();
      const jobs = (await this.ctx.jobs.list()).length;
      const detail = `${jobs} jobs pending; ${this.ctx.http.callCount()} PVE calls so far`;
      // security groups are firewall groups: without the datacenter firewall nothing enforces them
      if (String((await this.ctx.pve.clusterFirewallOptions()).enable ?? '0') !== '1') {
        return { state: 'degraded' as const, detail: `security groups are not enforced: the datacenter firewall is off (PUT /cluster/firewall/options enable=1); ${detail}` };
      }
      return { state: 'ok' as const, detail };
    } catch (e) {
      return { state: 'down' as const, detail: `Proxmox API unreachable: ${(e as Error).message}` };
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.ctx.jobs.stop();
    this.ctx.http.close();
  }
}

/** The factory apis/ec2 loads for `ec2.backend: proxmox`. */
export const createEc2Backend = (gw: Gateway, sink: Ec2EventSink): Ec2Backend => new ProxmoxEc2Backend(gw, sink);
