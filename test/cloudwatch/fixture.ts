// SPDX-License-Identifier: AGPL-3.0-or-later
/** Shared by the CloudWatch and Logs handler tests: calling a service's handlers, asserting errors. */
import type { Test } from 'tap';
import type { Principal, ServiceDefinition } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { TestGateway } from '../helpers/context.js';

export function caller(gw: TestGateway, def: ServiceDefinition, who: Principal) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (op: string, input: unknown, as: Principal = who): Promise<any> => {
    const h = def.operations[op];
    if (!h) throw new Error(`operation ${op} is not registered`);
    return h(gw.context(as, def.name, op), input);
  };
}

/** Asserts an AwsError with that code (and, when given, that legacy query code and message). */
export async function rejectsWith(t: Test, p: Promise<unknown>, code: string, queryCode: string | undefined, msg?: RegExp) {
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
