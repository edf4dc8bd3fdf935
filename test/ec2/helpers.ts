// SPDX-License-Identifier: AGPL-3.0-or-later
/** Handler-level fixture for the EC2 API on the embedded backend, with a clock the test drives. */
import type { Test } from 'tap';
import type { Principal, ServiceDefinition } from '../../src/context.js';
import { createService } from '../../apis/ec2/index.js';
import { TestClock, testGateway, type TestGateway } from '../helpers/context.js';

export interface Ec2Fixture {
  gw: TestGateway;
  def: ServiceDefinition;
  clock: TestClock;
  principal: Principal;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(op: string, input?: Record<string, unknown>, as?: Principal): Promise<any>;
  /** Moves the clock; transitions due by then happen on the next call. */
  advance(ms: number): void;
}

export async function ec2Fixture(t: Test, opts: { lmdb?: boolean } = {}): Promise<Ec2Fixture> {
  const clock = new TestClock();
  const gw = await testGateway({ clock, lmdb: opts.lmdb });
  t.teardown(() => gw.dispose());
  const def = await gw.add(createService);
  const principal = await gw.account('ec2-test');
  return {
    gw,
    def,
    clock,
    principal,
    async call(op, input = {}, as = principal) {
      const h = def.operations[op];
      if (!h) throw new Error(`operation ${op} is not registered`);
      return h(gw.context(as, 'ec2', op), input);
    },
    advance(ms) {
      clock.advance(ms);
    },
  };
}

export const DEBIAN = 'debian-12-amd64-20250601';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function imageId(f: Ec2Fixture, name = DEBIAN): Promise<string> {
  const r = await f.call('DescribeImages', { Filters: [{ Name: 'name', Values: [name] }] });
  return r.Images[0].ImageId;
}
