// SPDX-License-Identifier: AGPL-3.0-or-later
/** Fixtures for the CloudWatch handler tests: a gateway with a test clock and the service. */
import type { Test } from 'tap';
import type { ActionDispatcher } from '../../apis/cloudwatch/actions.js';
import { createCloudWatch } from '../../apis/cloudwatch/index.js';
import type { Config } from '../../src/config.js';
import type { Principal } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { TestClock, testGateway } from '../helpers/context.js';

export type T = Test;
export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

export async function setup(t: T, start = T0, opts: { actions?: ActionDispatcher; config?: Partial<Config> } = {}) {
  const clock = new TestClock(start);
  const gw = await testGateway({ clock, config: opts.config });
  t.teardown(() => gw.dispose());
  const cw = await createCloudWatch(gw, { scheduler: false, actions: opts.actions });
  gw.services.set(cw.def.name, cw.def);
  const alice = await gw.account('alice');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = (op: string, input: unknown, who: Principal = alice): Promise<any> => {
    const h = cw.def.operations[op];
    if (!h) throw new Error(`operation ${op} is not registered`);
    return h(gw.context(who, 'monitoring', op), input);
  };
  return { gw, cw, def: cw.def, clock, alice, call };
}

/** Asserts an AwsError with the json `__type` code and the legacy query code. */
export async function rejects(t: T, p: Promise<unknown>, code: string, queryCode: string | undefined, msg?: RegExp) {
  try {
    await p;
    t.fail(`expected ${code}`);
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    t.equal(e.code, code);
    if (queryCode !== undefined) t.equal(e.queryCode, queryCode);
    if (msg) t.match(e.message, msg);
  }
}
