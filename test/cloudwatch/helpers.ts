// SPDX-License-Identifier: AGPL-3.0-or-later
/** Fixtures for the CloudWatch handler tests: a gateway with a test clock and the service. */
import type { Test } from 'tap';
import type { ActionDispatcher } from '../../apis/cloudwatch/actions.js';
import { createCloudWatch } from '../../apis/cloudwatch/index.js';
import type { Config } from '../../src/config.js';
import { TestClock, testGateway } from '../helpers/context.js';
import { caller, rejectsWith } from './fixture.js';

export type T = Test;
export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

export async function setup(t: T, start = T0, opts: { actions?: ActionDispatcher; config?: Partial<Config> } = {}) {
  const clock = new TestClock(start);
  const gw = await testGateway({ clock, config: opts.config });
  t.teardown(() => gw.dispose());
  const cw = await createCloudWatch(gw, { scheduler: false, actions: opts.actions });
  gw.services.set(cw.def.name, cw.def);
  const alice = await gw.account('alice');
  const call = caller(gw, cw.def, alice);
  return { gw, cw, def: cw.def, clock, alice, call };
}

export const rejects = rejectsWith;
