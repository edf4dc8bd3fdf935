// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { AwsError } from '../../src/errors.js';
import { parseAlternatorConfig } from '../../translators/alternator/config.js';
import { TenantNames } from '../../translators/alternator/names.js';

const A = '111122223333';
const B = '444455556666';
const names = new TenantNames(parseAlternatorConfig({ endpoints: ['http://h:1'], accessKeyId: 'r', secretAccessKey: 's' }, 'us-east-1'));

function err(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error('expected an AwsError');
}

t.test('names up and down', async (t) => {
  t.equal(names.up(A, 'orders'), `a${A}_orders`);
  t.equal(names.down(A, `a${A}_orders`), 'orders');
  t.equal(names.down(B, `a${A}_orders`), undefined, "another account's name is not ours");
  t.equal(names.maxName(A), 222 - 14);
  t.match(err(() => names.up(A, 'ab')).message, "Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
  t.match(err(() => names.up(A, 'a b c')).message, 'regular expression pattern');
  t.equal(err(() => names.up(A, 'x'.repeat(209))).code, 'ResourceNotFoundException', 'a name too long for Alternator names no table');
  const e = err(() => names.upForCreate(A, 'x'.repeat(209)));
  t.equal(e.code, 'ValidationException');
  t.match(e.message, 'at most 208 characters');
  t.equal(names.upForCreate(A, 'x'.repeat(208)).length, 222);
});

t.test('ARNs and messages', async (t) => {
  t.equal(names.arnDown(A, 'us-east-1', `arn:scylla-alternator:dynamodb:eu:000000000000:table/a${A}_orders`), `arn:aws:dynamodb:us-east-1:${A}:table/orders`);
  t.equal(names.arnDown(A, 'us-east-1', `arn:aws:dynamodb:x:999999999999:table/a${A}_orders/index/byDate`), `arn:aws:dynamodb:us-east-1:${A}:table/orders/index/byDate`);
  t.equal(names.arnDown(A, 'us-east-1', `arn:aws:dynamodb:x:999999999999:table/a${A}_orders/stream/2026-01-01T00:00:00.000`), `arn:aws:dynamodb:us-east-1:${A}:table/orders/stream/2026-01-01T00:00:00.000`);
  t.equal(names.message(A, 'us-east-1', `Requested resource not found: Table: a${A}_orders not found`), 'Requested resource not found: Table: orders not found');
  t.equal(
    names.message(A, 'us-east-1', `Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:999999999999:table/a${A}_orders not found`),
    `Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:${A}:table/orders not found`,
  );
  t.equal(names.tableOfArn(A, `arn:aws:dynamodb:us-east-1:${A}:table/orders`), 'orders');
  t.equal(err(() => names.tableOfArn(B, `arn:aws:dynamodb:us-east-1:${A}:table/orders`)).code, 'ResourceNotFoundException', "another account's ARN is not found");
  t.match(err(() => names.tableOfArn(A, 'arn:aws:s3:::bucket')).message, 'Invalid TableArn');
});

t.test('documents', async (t) => {
  const d = { TableName: `a${A}_t1`, TableArn: `arn:x:y:z:000000000000:table/a${A}_t1`, GlobalSecondaryIndexes: [{ IndexName: 'g', IndexArn: `arn:x:y:z:000000000000:table/a${A}_t1/index/g` }] };
  names.table(A, 'us-east-1', d);
  t.same(d, { TableName: 't1', TableArn: `arn:aws:dynamodb:us-east-1:${A}:table/t1`, GlobalSecondaryIndexes: [{ IndexName: 'g', IndexArn: `arn:aws:dynamodb:us-east-1:${A}:table/t1/index/g` }] });
  const cc = [{ TableName: `a${A}_t1`, CapacityUnits: 1 }];
  names.capacity(A, cc);
  t.same(cc, [{ TableName: 't1', CapacityUnits: 1 }]);
  t.same(names.renameKeys({ [`a${A}_t1`]: 1, [`a${A}_t2`]: 2 }, (k) => names.downOrSelf(A, k)), { t1: 1, t2: 2 });
});
