// SPDX-License-Identifier: AGPL-3.0-or-later
/** Fixtures for the Logs handler tests. */
import type { Test } from 'tap';
import { createLogs } from '../../apis/logs/index.js';
import { TestClock, testGateway } from '../helpers/context.js';
import { caller, rejectsWith } from '../cloudwatch/fixture.js';

export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

export async function setup(t: Test) {
  const clock = new TestClock(T0);
  const gw = await testGateway({ clock });
  t.teardown(() => gw.dispose());
  const logs = await createLogs(gw, { sweeper: false });
  gw.services.set(logs.def.name, logs.def);
  const alice = await gw.account('alice');
  const call = caller(gw, logs.def, alice);
  return { gw, logs, clock, alice, call };
}

export const rejects = (t: Test, p: Promise<unknown>, code: string, msg?: RegExp) => rejectsWith(t, p, code, undefined, msg);
