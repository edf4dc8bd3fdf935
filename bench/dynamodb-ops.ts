// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * CPU per request of the DynamoDB-specific work alone — apis/dynamodb validation and expressions,
 * the embedded engine (key encoding, item (de)serialisation, LMDB read/write), capacity accounting
 * and the metrics meter, streams hooks — without the HTTP server, SigV4 or the JSON codec: the
 * handlers of a gateway on the embedded engine called in a loop, in process, with the same inputs
 * bench/dynamodb.ts sends. Prints µs of CPU (user+system) per call; run under `node --cpu-prof`
 * to see where it goes. Standalone: `node dist/bench/dynamodb-ops.js [calls] [durability] [GetItem|PutItem|Query100]`.
 */
import { createService } from '../apis/dynamodb/index.js';
import { testGateway } from '../test/helpers/context.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const item = (pk: string, sk: number) => ({ pk: { S: pk }, sk: { N: String(sk) }, name: { S: `item-${sk}` }, n: { N: '12345.678' }, tags: { SS: ['a', 'b'] } });

export async function benchDynamoOps(calls = 20_000, durability: 'fsync' | 'os' = 'os', only?: string): Promise<Record<string, number>> {
  const gw = await testGateway({ lmdb: true, config: { dynamodb: { backend: 'embedded', durability, ttlSweepSeconds: 0 } } as any });
  try {
    const def = await gw.add(createService);
    const principal = await gw.account('bench');
    const call = (op: string, input: Record<string, unknown>) => def.operations[op]!(gw.context(principal, 'dynamodb', op), input);
    await call('CreateTable', {
      TableName: 'bench',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      ProvisionedThroughput: { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 },
    });
    for (let i = 0; i < 100; i++) await call('PutItem', { TableName: 'bench', Item: item('q', i) });
    await call('PutItem', { TableName: 'bench', Item: item('g', 1) });
    // inputs as the JSON codec hands them over: a fresh object per request
    const inputs: Record<string, string> = {
      GetItem: JSON.stringify({ TableName: 'bench', Key: { pk: { S: 'g' }, sk: { N: '1' } } }),
      PutItem: JSON.stringify({ TableName: 'bench', Item: item('p', 1) }),
      Query100: JSON.stringify({ TableName: 'bench', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } } }),
    };
    const out: Record<string, number> = {};
    for (const [name, json] of Object.entries(inputs)) {
      if (only && only !== name) continue;
      const op = name === 'Query100' ? 'Query' : name;
      const n = name === 'Query100' ? Math.ceil(calls / 10) : calls;
      for (let i = 0; i < Math.min(2000, n); i++) await call(op, JSON.parse(json));
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) await call(op, JSON.parse(json));
      const c = process.cpuUsage(c0);
      out[name] = (c.user + c.system) / n;
    }
    return out;
  } finally {
    await gw.dispose();
  }
}

if (process.argv[1]?.endsWith('dynamodb-ops.js')) {
  const r = await benchDynamoOps(Number(process.argv[2] ?? 20_000), (process.argv[3] as 'fsync' | 'os' | undefined) ?? 'os', process.argv[4]);
  for (const [k, v] of Object.entries(r)) console.log(`${k}: ${v.toFixed(1)} µs CPU per call (handler only)`);
}
