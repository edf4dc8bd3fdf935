// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * IdentityStore: the per-account key index and the resolve() cache across writers — on LMDB (a
 * second IdentityStore on the same store, as `mcgw accounts create` would be) and on the
 * DynamoDB-API store (a second store instance on the same table of the Alternator stand-in, as
 * another gateway would be).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoStateStore } from '../../src/state/dynamo/store.js';
import { IdentityStore, newAccessKeyId, newSecretAccessKey } from '../../src/state/identity.js';
import { LmdbStateStore } from '../../src/state/lmdb.js';
import type { StateStore } from '../../src/state/store.js';
import { startStateUpstream } from '../helpers/state-upstream.js';

type Made = { one: StateStore; two: StateStore; done: () => Promise<void> };
const impls: Array<[string, () => Promise<Made>]> = [
  [
    'lmdb',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mcgw-identity-'));
      const state = new LmdbStateStore(dir);
      return {
        one: state,
        two: state,
        done: async () => {
          await state.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'dynamodb, two stores on one table',
    async () => {
      const up = await startStateUpstream('alternator');
      const opts = up.options();
      const one = await DynamoStateStore.open(opts);
      const two = await DynamoStateStore.open(opts);
      return {
        one,
        two,
        done: async () => {
          await one.close();
          await two.close();
          await up.close();
        },
      };
    },
  ],
];

for (const [name, make] of impls) {
  t.test(name, async (t) => {
    const { one, two, done } = await make();
    t.teardown(done);
    const gateway = new IdentityStore(one);
    // a second writer on the same state, as `mcgw accounts create` or another gateway would be
    const other = new IdentityStore(two);

    const a = await gateway.createAccount('a');
    const b = await gateway.createAccount('b');
    const userKey = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey(), accountId: a.account.accountId, kind: 'user' as const, status: 'Active' as const, createDate: 1, userName: 'u' };

    t.test('keysOf lists exactly the account\'s keys', async (t) => {
      await gateway.addKey(userKey);
      t.same((await gateway.keysOf(a.account.accountId)).map((k) => k.accessKeyId).sort(), [a.key.accessKeyId, userKey.accessKeyId].sort());
      t.same((await gateway.keysOf(b.account.accountId)).map((k) => k.accessKeyId), [b.key.accessKeyId]);
      t.same((await gateway.keysOf(a.account.accountId, (k) => k.kind === 'user')).map((k) => k.accessKeyId), [userKey.accessKeyId]);
      await gateway.updateKey(userKey.accessKeyId, (k) => ({ ...k, status: 'Inactive' }));
      t.equal((await gateway.keysOf(a.account.accountId, (k) => k.status === 'Inactive')).length, 1, 'updates keep the key indexed');
      t.same((await gateway.allKeys((k) => k.status === 'Inactive')).map((k) => k.accessKeyId), [userKey.accessKeyId]);
    });

    t.test('resolve sees every write at once, whoever wrote it', async (t) => {
      const r1 = await gateway.resolve(userKey.accessKeyId);
      t.equal(r1?.record.status, 'Inactive');
      t.equal(r1?.principal.arn, `arn:aws:iam::${a.account.accountId}:user/u`);
      t.equal(await gateway.resolve(userKey.accessKeyId), r1, 'unchanged: served from the cache');

      await other.updateKey(userKey.accessKeyId, (k) => ({ ...k, status: 'Active' }));
      t.equal((await gateway.resolve(userKey.accessKeyId))?.record.status, 'Active', 'another writer\'s change is seen on the next call');

      await other.deleteKey(userKey.accessKeyId);
      t.equal(await gateway.resolve(userKey.accessKeyId), undefined, 'a key deleted elsewhere is gone at once');
      t.same((await gateway.keysOf(a.account.accountId)).map((k) => k.accessKeyId), [a.key.accessKeyId], 'and leaves the index');

      t.equal(await gateway.resolve('AKIANOSUCHKEY0000000'), undefined);
      const c = await other.createAccount('c');
      t.equal((await gateway.resolve(c.key.accessKeyId))?.principal.accountId, c.account.accountId, 'a key created elsewhere works at once');
    });

    t.test('resolveNow answers only what this event-loop turn already read', async (t) => {
      const turn = () => new Promise((r) => setImmediate(r));
      await turn();
      t.equal(gateway.resolveNow(a.key.accessKeyId), undefined, 'nothing read yet this turn');
      const r = await gateway.resolve(a.key.accessKeyId);
      t.ok(r);
      // over the network the lookup itself spans turns, and then the next request asks again
      if (name === 'lmdb') t.equal(gateway.resolveNow(a.key.accessKeyId), r, 'the same record, without waiting');
      else t.ok([undefined, r].includes(gateway.resolveNow(a.key.accessKeyId)), 'never another answer than resolve');
      t.equal(gateway.resolveNow('AKIANOSUCHKEY0000000'), undefined, 'an unknown key is always looked up');
      await turn();
      t.equal(gateway.resolveNow(a.key.accessKeyId), undefined, 'the next turn reads the generation again');
      await gateway.resolve(a.key.accessKeyId);
      await gateway.updateKey(a.key.accessKeyId, (k) => k);
      t.equal(gateway.resolveNow(a.key.accessKeyId), undefined, "not after this store's own write");
    });
  });
}
