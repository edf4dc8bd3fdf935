// SPDX-License-Identifier: AGPL-3.0-or-later
/** Pending transitions are durable jobs: a gateway restarted on the same data dir finishes them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createService } from '../../apis/ec2/index.js';
import { defaultConfig } from '../../src/config.js';
import { buildGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/observability/metrics.js';
import { IdentityStore, principalOf } from '../../src/state/identity.js';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import { TestClock } from '../helpers/context.js';

async function open(dataDir: string, clock: TestClock) {
  const state = new LmdbStateStore(dataDir);
  const identity = new IdentityStore(state);
  const gw = buildGateway({ config: { ...defaultConfig(), dataDir }, state, identity, log: silentLogger, metrics: new Metrics(), clock });
  const def = await createService(gw);
  const close = async () => {
    await def.close?.();
    await gw.runCloseHooks();
    await state.close();
  };
  return { gw, def, identity, close };
}

type Opened = Awaited<ReturnType<typeof open>>;

/** Calls an operation of a (re)opened gateway as principal p. */
function caller(p: ReturnType<typeof principalOf>) {
  return (g: Opened, op: string, input: Record<string, unknown>) =>
    g.def.operations[op]!({ requestId: 'r', service: 'ec2', operation: op, region: 'us-east-1', principal: p, accountId: p.accountId, gateway: g.gw, signal: new AbortController().signal, http: {} as never }, input);
}

/** A gateway on a new data dir with one account, and the catalogue's Debian image. */
async function fresh(t: { teardown(fn: () => void): void }, name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `mcgw-ec2-${name}-`));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const clock = new TestClock();
  const a = await open(dataDir, clock);
  const { key } = await a.identity.createAccount('r');
  const call = caller(principalOf(key));
  const img = await call(a, 'DescribeImages', { Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] });
  return { dataDir, clock, a, call, img };
}

t.test('a restart resumes the lifecycle where it was', async (t) => {
  const { dataDir, clock, a, call, img } = await fresh(t, 'restart');
  const run = await call(a, 'RunInstances', { ImageId: img.Images[0].ImageId, MinCount: 1, MaxCount: 1 });
  const id = run.Instances[0].InstanceId;
  const vol = await call(a, 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  await a.close();

  clock.advance(5000);
  const b = await open(dataDir, clock);
  t.teardown(() => b.close());
  const d = await call(b, 'DescribeInstances', { InstanceIds: [id] });
  t.equal(d.Reservations[0].Instances[0].State.Name, 'running', 'the boot job survived the restart');
  const v = await call(b, 'DescribeVolumes', { VolumeIds: [vol.VolumeId] });
  t.equal(v.Volumes[0].State, 'available');
});

t.test('work lost between a record and its backend job is redone at the restart', async (t) => {
  const { dataDir, clock, a, call, img } = await fresh(t, 'lost');
  const vol = await call(a, 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 1 });
  clock.advance(5000);
  await call(a, 'DescribeVolumes', {});
  const run = await call(a, 'RunInstances', { ImageId: img.Images[0].ImageId, MinCount: 1, MaxCount: 1 });
  const id = run.Instances[0].InstanceId;
  const newVol = await call(a, 'CreateVolume', { AvailabilityZone: 'us-east-1a', Size: 2 });
  const snap = await call(a, 'CreateSnapshot', { VolumeId: vol.VolumeId });
  const copy = await call(a, 'CopySnapshot', { SourceSnapshotId: snap.SnapshotId, SourceRegion: 'us-east-1' }).catch(() => undefined);
  // the crash: every completion job is lost, the records stay waiting
  const jobs = a.gw.state.table('ec2-embedded-jobs');
  for (const [k] of await jobs.range()) await jobs.delete(k);
  await a.close();

  const stuck = await open(dataDir, clock);
  clock.advance(60_000);
  const b = stuck;
  const inst = (await call(b, 'DescribeInstances', { InstanceIds: [id] })).Reservations[0].Instances[0];
  t.equal(inst.State.Name, 'running', 'the launch was redone at the restart');
  const vols = await call(b, 'DescribeVolumes', { VolumeIds: [newVol.VolumeId] });
  t.equal(vols.Volumes[0].State, 'available', 'the volume was created again');
  const snaps = await call(b, 'DescribeSnapshots', { SnapshotIds: [snap.SnapshotId] });
  t.equal(snaps.Snapshots[0].State, 'completed', 'the snapshot was taken again');
  if (copy) t.equal((await call(b, 'DescribeSnapshots', { SnapshotIds: [copy.SnapshotId] })).Snapshots[0].State, 'completed', 'the copy was redone');
  await b.close();
});
