// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { loadModel } from '../../src/protocols/model.js';
import { generateTypes } from '../../src/protocols/typegen.js';

t.test('resolves shapes, member traits over named shapes, recursion', async (t) => {
  const sts = loadModel('sts-2011-06-15');
  t.equal(loadModel('sts-2011-06-15'), sts, 'cached per stem');
  const gci = sts.operations.get('GetCallerIdentity')!;
  t.equal(gci.output?.resultWrapper, 'GetCallerIdentityResult');
  t.same(Object.keys(gci.output!.members!), ['UserId', 'Account', 'Arn']);
  t.equal(gci.output!.members!.UserId!.type, 'string', 'omitted type means string');
  const cred = sts.operations.get('AssumeRole')!.output!.members!.Credentials!;
  t.equal(cred.type, 'structure');
  t.equal(cred.members!.Expiration!.type, 'timestamp');

  const ec2 = loadModel('ec2-2016-11-15');
  const filters = ec2.operations.get('DescribeInstances')!.input!.members!.Filters!;
  t.equal(filters.locationName, 'Filter', 'member trait kept');
  t.equal(filters.type, 'list', 'type from the named shape');
  t.equal(filters.member!.locationName, 'Filter');
  t.equal(filters.member!.members!.Values!.type, 'list');

  const ddb = loadModel('dynamodb-2012-08-10');
  const item = ddb.operations.get('GetItem')!.output!.members!.Item!;
  const av = item.value!;
  t.equal(av.rawJson, true, 'AttributeValue patched as rawJson');
  t.equal(av.members!.M!.value, av, 'recursive shape resolves to the same object');
  t.equal(av.members!.L!.member, av);
  t.equal(ddb.metadata.errorNamespace, 'com.amazonaws.dynamodb.v20120810');
});

t.test('CloudWatch patch: json and cbor besides query', async (t) => {
  const cw = loadModel('monitoring-2010-08-01');
  t.same(cw.metadata.protocols, ['smithy-rpc-v2-cbor', 'json', 'query']);
  t.equal(cw.metadata.targetPrefix, 'GraniteServiceVersion20100801');
  t.equal(cw.metadata.jsonVersion, '1.0');
  t.ok(cw.metadata.awsQueryCompatible);
  t.equal(cw.metadata.protocol, 'query', 'original protocol kept');
});

t.test('rejects bad stems', async (t) => {
  t.throws(() => loadModel('../../etc/passwd'));
  t.throws(() => loadModel('nosuch-2020-01-01'));
});

t.test('typegen is deterministic and names shapes from their use', async (t) => {
  const a = generateTypes('sts-2011-06-15');
  t.equal(generateTypes('sts-2011-06-15'), a);
  t.match(a, /export interface GetCallerIdentityOutput \{\n  UserId\?: string;/);
  t.match(a, /export interface Credentials \{\n  AccessKeyId: string;/);
  t.match(a, /Expiration: Date;/);
  t.match(a, /GetCallerIdentity: Handler<GetCallerIdentityInput, GetCallerIdentityOutput & OutputExtras>;/);
  const d = generateTypes('dynamodb-2012-08-10');
  t.match(d, /Key: Record<string, AttributeValue>;/);
});
