// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What apis/ec2 needs from a compute backend (embedded simulator, Proxmox…). The API layer owns
 * the AWS face: ids, records, filters, tags, idempotency and lifecycle states in the state store.
 * A backend owns the machines and the bytes. Every mutating call only has to *accept* the work
 * (a real hypervisor answers with a task id); when the work is done the backend reports it
 * through the Ec2EventSink it was given, and the API moves the record to its next state. So a
 * backend may finish in a millisecond (embedded) or after polling a task for a minute (Proxmox).
 */
import type { LocalEndpoint } from '../../src/context.js';

/** A failure domain: an AWS availability zone (a Proxmox node, a rack, a site…). */
export interface ZoneInfo {
  /** The zone name suffix: 'a' becomes '<region>a'. */
  suffix: string;
  state: 'available' | 'impaired' | 'unavailable';
}

/** A machine image the backend can boot without any account having registered it. */
export interface PublicImage {
  /** Stable ami- id (17 hex), the same for every account. */
  imageId: string;
  name: string;
  description: string;
  architecture: 'x86_64' | 'arm64';
  platformDetails: string;
  rootDeviceName: string;
  /** Size of the root disk in GiB. */
  rootSizeGiB: number;
  bootMode?: 'legacy-bios' | 'uefi' | 'uefi-preferred';
  creationDate: number;
}

export interface LaunchSpec {
  instanceId: string;
  imageId: string;
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  zone: string;
  privateIp: string;
  macAddress: string;
  subnetId: string;
  securityGroupIds: string[];
  userData?: string;
  /** The root volume already created through createVolume (the backend boots from it). */
  rootVolumeId: string;
  /** OpenSSH public key to inject, when a key pair was named. */
  sshPublicKey?: string;
}

export interface VolumeSpec {
  volumeId: string;
  zone: string;
  sizeGiB: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  /** Copy the bytes of this snapshot (snap- id) into the new volume. */
  fromSnapshot?: string;
  /** The account owning `fromSnapshot` when it is not the volume's (a shared image). */
  fromSnapshotAccount?: string;
  /** Copy the bytes of this image's root disk (public ami- id). */
  fromImage?: string;
}

/** What createImage is asked to make: the instance's volumes, each with its pending snapshot. */
export interface ImageSpec {
  imageId: string;
  instanceId: string;
  /** false: the machine is stopped (cleanly) around the copy and started again, as EC2 reboots it. */
  noReboot: boolean;
  devices: Array<{ deviceName: string; volumeId: string; snapshotId: string; root: boolean }>;
}

export type BackendEvent =
  | {
      kind: 'instance';
      accountId: string;
      id: string;
      state: 'running' | 'stopped' | 'terminated';
      reason?: string;
      /** The machine was started or stopped outside the gateway: applies to a running/stopped record. */
      external?: boolean;
    }
  | { kind: 'volume'; accountId: string; id: string; state: 'available' | 'deleted' | 'error' }
  | { kind: 'attachment'; accountId: string; volumeId: string; instanceId: string; state: 'attached' | 'detached' }
  | { kind: 'snapshot'; accountId: string; id: string; state: 'completed' | 'error' }
  | { kind: 'volume-modification'; accountId: string; id: string; state: 'completed' | 'failed' };

/** A transition a record waits for, with what a backend needs to redo the work behind it. */
export interface WaitingTransition {
  event: BackendEvent;
  /** A creating volume: the spec it was created with. */
  volume?: VolumeSpec;
  /** A pending snapshot: taken from this volume, or copied from this snapshot. */
  snapshot?: { volumeId: string } | { copyOf: { accountId: string; snapshotId: string } };
  /** A modifying volume: the change asked for. */
  modification?: { volumeId: string; sizeGiB: number; volumeType: string; iops?: number; throughput?: number };
}

/** The API side: applies a finished transition if the record is still waiting for it. */
export interface Ec2EventSink {
  emit(ev: BackendEvent): Promise<void>;
}

export interface Ec2Backend {
  /** Backend name as configured (embedded, proxmox). */
  readonly name: string;
  zones(): Promise<ZoneInfo[]>;
  publicImages(): Promise<PublicImage[]>;

  launch(accountId: string, spec: LaunchSpec): Promise<void>;
  start(accountId: string, instanceId: string): Promise<void>;
  stop(accountId: string, instanceId: string, force: boolean): Promise<void>;
  reboot(accountId: string, instanceId: string): Promise<void>;
  /**
   * Destroys the machine. `keepVolumes` are attached volumes that must survive it
   * (DeleteOnTermination=false): take them out first. The API deletes the others through
   * deleteVolume once the instance is reported terminated.
   */
  terminate(accountId: string, instanceId: string, keepVolumes: string[]): Promise<void>;
  /** Applied while stopped (EC2 refuses type changes on running instances). */
  resize(accountId: string, instanceId: string, shape: { instanceType: string; vcpus: number; memoryMiB: number }): Promise<void>;
  /** The serial console text the guest wrote so far, or undefined when there is none. */
  consoleOutput(accountId: string, instanceId: string): Promise<string | undefined>;

  createVolume(accountId: string, spec: VolumeSpec): Promise<void>;
  deleteVolume(accountId: string, volumeId: string): Promise<void>;
  /** Grow only; iops/throughput are limits the backend applies when it can. */
  modifyVolume(accountId: string, modificationId: string, volumeId: string, change: { sizeGiB: number; iops?: number; throughput?: number; volumeType: string }): Promise<void>;
  attachVolume(accountId: string, volumeId: string, instanceId: string, device: string): Promise<void>;
  detachVolume(accountId: string, volumeId: string, instanceId: string, force: boolean): Promise<void>;
  createSnapshot(accountId: string, snapshotId: string, volumeId: string): Promise<void>;
  /** Copies the bytes of a snapshot (possibly another account's, shared) into a new snapshot. */
  copySnapshot(accountId: string, snapshotId: string, source: { accountId: string; snapshotId: string }): Promise<void>;
  deleteSnapshot(accountId: string, snapshotId: string): Promise<void>;
  /**
   * CreateImage as one backend job (a hypervisor that images a machine whole, e.g. a Proxmox
   * template), instead of a reboot and one createSnapshot per volume. The API has recorded the
   * image and its snapshots pending; the backend reports each snapshot completed (or error) when
   * the image is made, which makes the image available (or failed).
   */
  createImage?(accountId: string, spec: ImageSpec): Promise<void>;

  /**
   * Called once at start with every transition a record is waiting for. A crash between the
   * record's commit and the backend accepting the work can lose that work: the backend redoes
   * what it no longer has in hand and leaves alone what it still tracks.
   */
  resume?(waiting: WaitingTransition[]): Promise<void>;
  /** Starts background work (task polling, timers) once the server has created the service. */
  startBackground?(): void;
  /**
   * Makes every transition that is due by now visible (the embedded simulator runs its due
   * timers; a polling backend may check its tasks). Called before each request is served.
   */
  settle?(): Promise<void>;
  health?(): Promise<{ state: 'ok' | 'degraded' | 'down' | 'starting'; detail?: string }>;
  close?(): Promise<void>;
  /** HTTP endpoints for guests on the gateway's listener (a NoCloud seed, instance metadata). */
  localEndpoints?(): LocalEndpoint[];
}
