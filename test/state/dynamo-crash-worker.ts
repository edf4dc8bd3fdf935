// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Child process of dynamo-crash.test.ts: opens the DynamoDB-API state store named by argv[2]
 * (JSON options) and runs argv[3] concurrent transactions; transaction i writes pair/a/<i> and
 * pair/b/<i> and increments the counter `n/<i mod 8>` (eight counters: several transactions in flight at once). Prints "done <i>" for each acknowledged one. The
 * parent SIGKILLs it mid-way.
 */
import { DynamoStateStore } from '../../src/state/dynamo/store.js';

const store = await DynamoStateStore.open(JSON.parse(process.argv[2]!));
const count = Number(process.argv[3]);
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: count }, async (_, i) => {
    await store.transact((tx) => {
      tx.put('pair', `a/${i}`, i);
      tx.put('pair', `b/${i}`, i);
      tx.put('pair', `n/${i % 8}`, (tx.get<number>('pair', `n/${i % 8}`) ?? 0) + 1);
    });
    process.stdout.write(`done ${i}\n`);
  }),
);
process.stdout.write('all done\n');
await store.close();
