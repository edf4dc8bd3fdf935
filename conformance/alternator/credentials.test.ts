// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A gateway configured with a wrong Alternator role secret: Alternator refuses the gateway, not
 * the client, so the client sees DynamoDB's 500 InternalServerError (and the gateway logs why),
 * never an authentication error about its own, valid, key.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import t from 'tap';
import * as ddb from '@aws-sdk/client-dynamodb';
import { alternatorConfig, startTestGateway } from '../harness.js';
import { startAlternatorShim } from '../../test/fakes/alternator/shim.js';

t.test('wrong role secret: the client gets a 500, not an auth error', async (t) => {
  const shim = await startAlternatorShim({ nodes: 1 });
  t.teardown(() => shim.close());
  const config = alternatorConfig(shim);
  (config.backends!.alternator as Record<string, unknown>).secretAccessKey = 'not-the-salted-hash';
  const gw = await startTestGateway(t, { config });
  const client = new ddb.DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  t.teardown(() => client.destroy());
  try {
    await client.send(new ddb.GetItemCommand({ TableName: 'any', Key: { pk: { S: 'x' } } }));
    t.fail('expected a failure');
  } catch (e: any) {
    t.equal(e.name, 'InternalServerError');
    t.equal(e.$metadata?.httpStatusCode, 500);
  }
});
