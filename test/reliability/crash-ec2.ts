// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2 under SIGKILL: RunInstances and CreateVolume (each with a ClientToken and a tag naming the
 * operation), StopInstances of running instances, CreateSnapshot of available volumes — each a
 * lifecycle job the embedded hypervisor stores and resumes. After each restart: every
 * acknowledged resource exists; every operation in flight at the kill, retried with its
 * ClientToken as the SDKs do, yields exactly one resource (no duplicate, no loss); and every
 * transition settles (pending → running, stopping → stopped, creating → available,
 * snapshot pending → completed): no job is lost with the process.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import {
  EC2Client, RunInstancesCommand, CreateVolumeCommand, DescribeInstancesCommand, DescribeVolumesCommand, DescribeImagesCommand,
  StopInstancesCommand, CreateSnapshotCommand, DescribeSnapshotsCommand, type Filter,
} from '@aws-sdk/client-ec2';
import type { TrialContext, Workload } from './crash-runner.js';
import { sleep, type ClientCfg } from './proc.js';

const ZONE = 'us-east-1a';

interface Op {
  kind: 'instance' | 'volume';
  token: string;
  acked?: string;
}

export function ec2Workload(): Workload {
  let ami = '';
  const ops = new Map<string, Op>();
  const byTrial = new Map<number, string[]>();
  const stopped = new Set<string>();
  const snapshots = new Set<string>();

  const tagSpec = (type: 'instance' | 'volume', op: string) => [{ ResourceType: type, Tags: [{ Key: 'crash-op', Value: op }] }];
  const run = (ec2: EC2Client, op: string, token: string) =>
    ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', ClientToken: token, TagSpecifications: tagSpec('instance', op) }));
  const vol = (ec2: EC2Client, op: string, token: string) =>
    ec2.send(new CreateVolumeCommand({ AvailabilityZone: ZONE, Size: 1, ClientToken: token, TagSpecifications: tagSpec('volume', op) }));

  async function creator(ctx: TrialContext, ec2: EC2Client, kind: Op['kind'], w: number) {
    for (let i = 0; !ctx.dead; i++) {
      const op = `${kind}-${ctx.trial}-${w}-${i}`;
      const o: Op = { kind, token: randomUUID() };
      ops.set(op, o);
      byTrial.set(ctx.trial, [...(byTrial.get(ctx.trial) ?? []), op]);
      if (kind === 'instance') {
        const r = await ctx.attempt(`RunInstances ${op}`, () => run(ec2, op, o.token));
        if (r.fate !== 'acked') return;
        o.acked = r.value!.Instances![0].InstanceId!;
      } else {
        const r = await ctx.attempt(`CreateVolume ${op}`, () => vol(ec2, op, o.token));
        if (r.fate !== 'acked') return;
        o.acked = r.value!.VolumeId!;
      }
    }
  }

  /** Stops running instances and snapshots available volumes from earlier trials. */
  async function changer(ctx: TrialContext, ec2: EC2Client) {
    const running = await ctx.attempt('DescribeInstances', () => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] })));
    if (running.fate !== 'acked') return;
    const ids = (running.value!.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    const vols = await ctx.attempt('DescribeVolumes', () => ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'status', Values: ['available'] }] })));
    if (vols.fate !== 'acked') return;
    const vids = (vols.value!.Volumes ?? []).map((v) => v.VolumeId!);
    for (let i = 0; !ctx.dead && (i < ids.length || i < vids.length); i++) {
      if (i < ids.length && ctx.rnd(2) === 0) {
        const r = await ctx.attempt(`StopInstances ${ids[i]}`, () => ec2.send(new StopInstancesCommand({ InstanceIds: [ids[i]] })));
        if (r.fate !== 'acked') return;
        stopped.add(ids[i]);
      }
      if (i < vids.length && ctx.rnd(3) === 0) {
        const r = await ctx.attempt(`CreateSnapshot ${vids[i]}`, () => ec2.send(new CreateSnapshotCommand({ VolumeId: vids[i] })));
        if (r.fate !== 'acked') return;
        snapshots.add(r.value!.SnapshotId!);
      }
    }
  }

  async function byTag(ec2: EC2Client, kind: Op['kind'], op: string): Promise<string[]> {
    const Filters: Filter[] = [{ Name: 'tag:crash-op', Values: [op] }];
    if (kind === 'instance') return ((await ec2.send(new DescribeInstancesCommand({ Filters }))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    return ((await ec2.send(new DescribeVolumesCommand({ Filters }))).Volumes ?? []).map((v) => v.VolumeId!);
  }

  /** Reported already: not waited for again. */
  const knownStuck = new Set<string>();

  /** Polls until nothing is in a transitional state (or 2.4 s: the transitions take 150 ms). */
  async function settled(ec2: EC2Client): Promise<string[]> {
    let stuck: string[] = [];
    for (let i = 0; i < 12; i++) {
      const insts = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? []);
      const vols = (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
      const snaps = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
      stuck = [
        ...insts.filter((x) => ['pending', 'stopping', 'shutting-down'].includes(x.State!.Name!)).map((x) => `${x.InstanceId} ${x.State!.Name}`),
        ...vols.filter((x) => x.State === 'creating').map((x) => `${x.VolumeId} creating`),
        ...snaps.filter((x) => x.State === 'pending').map((x) => `${x.SnapshotId} pending`),
      ].filter((x) => !knownStuck.has(x));
      if (!stuck.length) {
        const states = new Map(insts.map((x) => [x.InstanceId!, x.State!.Name!]));
        return [...stopped].filter((id) => states.get(id) !== 'stopped').map((id) => `${id} acked StopInstances but ${states.get(id)}`);
      }
      await sleep(200);
    }
    for (const x of stuck) knownStuck.add(x);
    return stuck;
  }

  return {
    name: 'ec2',
    config: { ec2: { backend: 'embedded', lifecycleMs: { boot: 150, stop: 150, volume: 100, snapshot: 150 } } },
    async setup(cfg) {
      const ec2 = new EC2Client(cfg);
      const imgs = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      ami = imgs.Images!.find((i) => i.Architecture === 'x86_64')!.ImageId!;
      ec2.destroy();
    },
    async run(ctx) {
      const ec2 = new EC2Client(ctx.cfg);
      await Promise.all([creator(ctx, ec2, 'instance', 0), creator(ctx, ec2, 'volume', 0), creator(ctx, ec2, 'volume', 1), changer(ctx, ec2)].map((p) => p.catch(() => undefined)));
      ec2.destroy();
    },
    async verify(t, cfg, trial) {
      const ec2 = new EC2Client(cfg);
      for (const op of byTrial.get(trial) ?? []) {
        const o = ops.get(op)!;
        let ids = await byTag(ec2, o.kind, op);
        if (o.acked) {
          t.same(ids, [o.acked], `${op}: the acked ${o.kind} exists, once`);
          continue;
        }
        // what a client does after a dropped connection: retry with the same ClientToken
        const r = o.kind === 'instance' ? (await run(ec2, op, o.token)).Instances![0].InstanceId! : (await vol(ec2, op, o.token)).VolumeId!;
        if (ids.length) t.equal(r, ids[0], `${op}: retried with its ClientToken, returns the ${o.kind} the killed call created`);
        ids = await byTag(ec2, o.kind, op);
        t.same(ids, [r], `${op}: in flight at the kill, exactly one ${o.kind} after the retry`);
        o.acked = r;
      }
      // a kill between a record's commit and the backend's job used to leave it pending/creating
      // for good; apis/ec2/resume.ts now has the backend redo that work at the start
      t.same(await settled(ec2), [], `trial ${trial}: every lifecycle transition completes after the restart`);
      ec2.destroy();
    },
    async verifyAll(t, cfg) {
      const ec2 = new EC2Client(cfg);
      const insts = new Set(((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
      const vols = new Set(((await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((v) => v.VolumeId!));
      const snaps = new Set(((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).map((s) => s.SnapshotId!));
      const lost = [...ops.values()].filter((o) => !(o.kind === 'instance' ? insts : vols).has(o.acked!)).map((o) => o.acked);
      t.same(lost, [], `${ops.size} instances and volumes all present`);
      t.same([...snapshots].filter((s) => !snaps.has(s)), [], `${snapshots.size} acked snapshots all present`);
      ec2.destroy();
    },
  };
}

export type { ClientCfg };
