// SPDX-License-Identifier: AGPL-3.0-or-later
/** Handler-level fixtures for the DynamoDB tests: a gateway, an account and `call(op, input)`. */
import { createService } from '../../apis/dynamodb/index.js';
import type { Principal, ServiceDefinition } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { TestClock, testGateway, type TestGateway } from '../helpers/context.js';

export interface Ddb {
  gw: TestGateway;
  clock: TestClock;
  def: ServiceDefinition;
  principal: Principal;
  /* eslint-disable-next-line @typescript-eslint/no-explicit-any */
  call(op: string, input: Record<string, unknown>, principal?: Principal): Promise<any>;
  /** The AwsError an operation throws (fails the test when it succeeds). */
  fail(op: string, input: Record<string, unknown>): Promise<AwsError>;
}

export async function ddb(t: { teardown(fn: () => unknown): void }): Promise<Ddb> {
  const clock = new TestClock(Date.UTC(2026, 0, 1));
  const gw = await testGateway({ clock });
  const def = await gw.add(createService);
  const principal = await gw.account('ddb');
  t.teardown(() => gw.dispose());
  const call = async (op: string, input: Record<string, unknown>, p = principal) => {
    const h = def.operations[op];
    if (!h) throw new Error(`operation ${op} not registered`);
    return h(gw.context(p, 'dynamodb', op), structuredClone(input));
  };
  return {
    gw,
    clock,
    def,
    principal,
    call,
    async fail(op, input) {
      try {
        await call(op, input);
      } catch (e) {
        if (e instanceof AwsError) return e;
        throw e;
      }
      throw new Error(`${op} succeeded but was expected to fail`);
    },
  };
}

export const hashTable = (name = 'items') => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
});

export const rangeTable = (name = 'events', rangeType = 'N') => ({
  TableName: name,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: rangeType },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
});
