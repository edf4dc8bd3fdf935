// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { buildModel, loadModel, type RawModel } from '../../src/protocols/model.js';
import { applyPatch } from '../../src/protocols/patches/index.js';
import { buildPatch } from '../../src/protocols/patchgen.js';

t.test('generated patches add what AWS added after the freeze', async (t) => {
  const s3 = loadModel('s3-2006-03-01');
  const put = s3.operations.get('PutObject')!.input!.members!;
  t.match(put.ChecksumCRC64NVME, { type: 'string', location: 'header', locationName: 'x-amz-checksum-crc64nvme' });
  t.match(put.IfMatch, { location: 'header', locationName: 'If-Match' });
  t.ok(put.IfNoneMatch, 'members the old model had stay');
  const head = s3.operations.get('HeadObject')!.output!.members!;
  t.match(head.ChecksumType, { location: 'header', locationName: 'x-amz-checksum-type' });

  const ddb = loadModel('dynamodb-2012-08-10');
  const wt = ddb.operations.get('CreateTable')!.input!.members!.WarmThroughput!;
  t.equal(wt.type, 'structure');
  t.equal(wt.members!.ReadUnitsPerSecond!.type, 'long');
  t.ok(ddb.operations.get('PutItem')!.input!.members!.Item!.value!.rawJson, 'hand-written patch applies after the generated one');

  const cw = loadModel('monitoring-2010-08-01');
  t.ok(cw.operations.get('PutMetricData')!.input!.members!.StrictEntityValidation);
});

t.test('buildPatch walks old and new shapes side by side', async (t) => {
  const old: RawModel = {
    metadata: { protocol: 'json', apiVersion: '1', endpointPrefix: 'x', serviceId: 'X' },
    operations: {
      Op: {
        input: { type: 'structure', members: { A: {}, L: { type: 'list', member: { shape: 'S1' } } } },
        output: { type: 'structure', members: { B: { type: 'integer' } } },
      },
    },
    shapes: { S1: { type: 'structure', members: { X: {} } } },
  };
  const bc = {
    metadata: {},
    operations: { Op: { name: 'Op', input: { shape: 'OpIn' }, output: { shape: 'OpOut' } }, NewOp: { name: 'NewOp', input: { shape: 'OpIn' } } },
    shapes: {
      OpIn: { type: 'structure', members: { A: { shape: 'Str' }, L: { shape: 'ItemList' }, C: { shape: 'Cfg', documentation: 'doc' } } },
      OpOut: { type: 'structure', members: { B: { shape: 'Int' } } },
      ItemList: { type: 'list', member: { shape: 'Item' } },
      Item: { type: 'structure', members: { X: { shape: 'Str' }, Y: { shape: 'Int', locationName: 'y' } } },
      Cfg: { type: 'structure', members: { On: { shape: 'Bool' } }, documentation: 'x' },
      Str: { type: 'string' },
      Int: { type: 'integer' },
      Bool: { type: 'boolean' },
    },
  };
  const patch = buildPatch(old, bc);
  t.same(patch.members, [
    { target: { shape: 'S1', path: [] }, name: 'Y', member: { shape: 'bc:Int', locationName: 'y' } },
    { target: { operation: 'Op', io: 'input', path: [] }, name: 'C', member: { shape: 'bc:Cfg' } },
  ]);
  t.same(patch.shapes, { 'bc:Bool': { type: 'boolean' }, 'bc:Cfg': { type: 'structure', members: { On: { shape: 'bc:Bool' } } }, 'bc:Int': { type: 'integer' } });
  t.equal(patch.operations, undefined, 'new operations only when asked for');
  t.ok(buildPatch(old, bc, ['NewOp']).operations?.NewOp);

  const m = buildModel('x-1', applyPatch(JSON.parse(JSON.stringify(old)) as RawModel, patch));
  const input = m.operations.get('Op')!.input!;
  t.equal(input.members!.C!.members!.On!.type, 'boolean');
  t.equal(input.members!.L!.member!.members!.Y!.locationName, 'y');
  t.equal(input.members!.L!.member!.members!.Y!.type, 'integer');
});
