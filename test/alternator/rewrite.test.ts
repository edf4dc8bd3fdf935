// SPDX-License-Identifier: AGPL-3.0-or-later
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Readable } from 'node:stream';
import t from 'tap';
import { TableNameRewriter } from '../../translators/alternator/rewrite.js';

const P = 'a111122223333_';
const down = (n: string) => (n.startsWith(P) ? n.slice(P.length) : n);

async function rewrite(text: string, cut: number[]): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  let at = 0;
  for (const c of [...cut, bytes.length]) {
    chunks.push(bytes.subarray(at, Math.min(c, bytes.length)));
    at = Math.min(c, bytes.length);
  }
  const out: Buffer[] = [];
  for await (const b of Readable.from(chunks).pipe(new TableNameRewriter(new Set(['Responses', 'UnprocessedKeys']), down))) out.push(b as Buffer);
  return Buffer.concat(out).toString('utf8');
}

t.test('batch answers keep their bytes but the table names', async (t) => {
  const doc = {
    Responses: {
      [`${P}t1`]: [{ TableName: { S: `${P}not-a-name` }, 'we"ird\\': { S: 'x "}{][, ü 🙂' }, Responses: { M: { [`${P}k`]: { S: 'v' } } } }],
      [`${P}über`]: [],
    },
    UnprocessedKeys: { [`${P}t2`]: { Keys: [{ pk: { S: `${P}t2` } }] } },
    ConsumedCapacity: [{ TableName: `${P}t1`, CapacityUnits: 1.5 }, { TableName: `${P}über`, CapacityUnits: 1 }],
  };
  const text = JSON.stringify(doc, null, 1);
  const expected = structuredClone(doc) as any;
  expected.Responses = { t1: doc.Responses[`${P}t1`], über: [] };
  expected.UnprocessedKeys = { t2: doc.UnprocessedKeys[`${P}t2`] };
  expected.ConsumedCapacity = [{ TableName: 't1', CapacityUnits: 1.5 }, { TableName: 'über', CapacityUnits: 1 }];
  const bytes = Buffer.byteLength(text);
  // every single cut point, then a few multi-cut splits
  for (let c = 0; c <= bytes; c++) t.same(JSON.parse(await rewrite(text, [c])), expected, `cut at ${c}`, { diagnostic: false });
  for (let step = 1; step < 8; step++) t.same(JSON.parse(await rewrite(text, Array.from({ length: Math.ceil(bytes / step) }, (_, i) => i * step))), expected, `${step}-byte chunks`);
  const compact = JSON.stringify(doc);
  t.equal(await rewrite(compact, [7]), JSON.stringify(expected), 'byte-for-byte elsewhere');
});
