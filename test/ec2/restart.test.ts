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

t.test('a restart resumes the lifecycle where it was', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcgw-ec2-restart-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const clock = new TestClock();
  const a = await open(dataDir, clock);
  const { key } = await a.identity.createAccount('r');
  const p = principalOf(key);
  const ctx = (g: typeof a, op: string) => ({ requestId: 'r', service: 'ec2', operation: op, region: 'us-east-1', principal: p, accountId: p.accountId, gateway: g.gw, signal: new AbortController().signal, http: {} as never });
  const call = (g: typeof a, op: string, input: Record<string, unknown>) => g.def.operations[op]!(ctx(g, op), input);
  const img = await call(a, 'DescribeImages', { Filters: [{ Name: 'name', Values: ['debian-12-amd64-*'] }] });
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
