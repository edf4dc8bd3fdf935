// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EBS on RBD: one volume cycle — create a 1 GiB volume, snapshot it, make a volume from the
 * snapshot, delete the snapshot (the clone is flattened), delete both volumes — through the
 * gateway (@aws-sdk/client-ec2, polling states every 20 ms, `ec2.volumes: rbd`, lifecycle delays
 * 0) and, as the peer, the same Ceph work done straight with the rbd CLI (RbdClient: create, snap
 * create, snap protect + clone, flatten + unprotect + snap rm, rm ×2), on the scratch cluster of
 * conformance/backends/ceph/up.sh, in one run. Wall time per cycle, median of CYCLES.
 * Run alone with `node dist/bench/ebs-rbd.js`.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { cephUp } from '../conformance/backends/ceph/cluster.js';
import { purgeRbdHolder, rbdClientOf } from '../conformance/backends/ceph/rbd.js';
import { silentLogger } from '../src/log.js';
import { startGateway } from '../src/server/start.js';
import { printRows, type Row } from './lib.js';

const CYCLES = 5;
const GiB = 1024 ** 3;
const ZERO = { boot: 0, stop: 0, terminate: 0, reboot: 0, volume: 0, attach: 0, detach: 0, snapshot: 0, modify: 0 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function until(probe: () => Promise<string | undefined>, want: string): Promise<void> {
  for (let n = 0; n < 3000; n++) {
    const s = await probe();
    if (s === want) return;
    if (s === 'error') throw new Error(`state error, waiting for ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${want}`);
}

export async function benchEbsRbd(): Promise<Row[]> {
  const ceph = await cephUp();
  const rbd = rbdClientOf(ceph);
  const holderVmid = randomInt(1_000_000, 999_999_999);
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-bench-ebs-'));
  const gw = await startGateway({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    dev: false,
    log: silentLogger,
    env: {},
    overrides: {
      ec2: { backend: 'embedded', volumes: 'rbd', lifecycleMs: ZERO },
      backends: { ceph: { conf: ceph.conf, keyring: ceph.keyring, user: ceph.client, pool: ceph.rbdPool, holderVmid } },
    } as never,
  });
  const ec2 = new EC2Client({ endpoint: gw.url, region: gw.config.region, credentials: { accessKeyId: gw.root.accessKeyId, secretAccessKey: gw.root.secretAccessKey } });
  const az = `${gw.config.region}a`;
  const volState = (id: string) => async () => (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] })).catch(() => ({ Volumes: [{ State: 'gone' }] }))).Volumes?.[0].State;
  const snapState = (id: string) => async () => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0].State;

  const viaGateway = async (): Promise<number> => {
    const t0 = performance.now();
    const v = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, VolumeType: 'gp3' }))).VolumeId!;
    await until(volState(v), 'available');
    const s = (await ec2.send(new CreateSnapshotCommand({ VolumeId: v }))).SnapshotId!;
    await until(snapState(s), 'completed');
    const c = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: s, VolumeType: 'gp3' }))).VolumeId!;
    await until(volState(c), 'available');
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s }));
    for (const id of [v, c]) await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
    for (const id of [v, c]) await until(volState(id), 'gone');
    return performance.now() - t0;
  };

  const direct = async (n: number): Promise<number> => {
    const v = `vm-${holderVmid}-direct-${n}`;
    const c = `${v}-clone`;
    const t0 = performance.now();
    await rbd.create(v, GiB);
    await rbd.snapCreate(v, 's');
    await rbd.clone(v, 's', c);
    await rbd.flatten(c);
    await rbd.snapUnprotect(v, 's');
    await rbd.snapRemove(v, 's');
    await rbd.remove(v);
    await rbd.remove(c);
    return performance.now() - t0;
  };

  try {
    await viaGateway(); // warm-up: connections, first LMDB writes
    const ours: number[] = [];
    const peer: number[] = [];
    for (let n = 0; n < CYCLES; n++) {
      ours.push(await viaGateway());
      peer.push(await direct(n));
    }
    const o = median(ours);
    const p = median(peer);
    return [
      {
        workload: `EBS cycle on RBD: create 1 GiB, snapshot, volume from snapshot, delete snapshot (flatten), delete both; median of ${CYCLES}`,
        ours: `${(o / 1000).toFixed(2)} s`,
        peerName: 'rbd CLI, same Ceph work',
        peer: `${(p / 1000).toFixed(2)} s`,
        ratio: p / o,
        target: 'reported',
        pass: true,
      },
    ];
  } finally {
    ec2.destroy();
    await gw.close();
    await purgeRbdHolder(rbd, holderVmid);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) printRows('ebs-rbd', await benchEbsRbd());
