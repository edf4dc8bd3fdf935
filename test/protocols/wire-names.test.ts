// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Our patched models against botocore's current ones: every member both know must carry the same
 * wire traits (locationName, queryName, flattened, location…), so what we write is what clients
 * read. Skips when no botocore is installed.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadModel, type Shape } from '../../src/protocols/model.js';
import { BOTOCORE_FOLDERS } from '../../src/protocols/patchgen.js';
import { botocoreDataDir } from './botocore.js';

type Ref = Record<string, unknown> & { shape: string };
interface BotoModel {
  operations: Record<string, { input?: Ref; output?: Ref }>;
  shapes: Record<string, Record<string, unknown>>;
}

const KEYS = ['locationName', 'queryName', 'flattened', 'xmlAttribute', 'location', 'timestampFormat', 'xmlNamespace'] as const;
const dataDir = botocoreDataDir();

if (!dataDir) {
  t.test('wire names against botocore', { skip: 'no python3 with botocore on this machine' }, async () => {});
} else {
  for (const [stem, folder] of Object.entries(BOTOCORE_FOLDERS)) {
    t.test(stem, async (t) => {
      const model = loadModel(stem);
      const bc = JSON.parse(gunzipSync(readFileSync(join(dataDir, folder, 'service-2.json.gz'))).toString('utf8')) as BotoModel;
      const diffs: string[] = [];
      const seen = new Set<string>();
      let compared = 0;
      const walk = (s: Shape, ref: Ref, path: string): void => {
        const b = bc.shapes[ref.shape]!;
        const key = `${ref.shape}|${KEYS.map((k) => JSON.stringify(ref[k])).join()}|${s.shapeName ?? path}`;
        if (seen.has(key)) return;
        seen.add(key);
        compared++;
        for (const k of KEYS) {
          const want = ref[k] ?? b[k];
          const have = (s as unknown as Record<string, unknown>)[k];
          if (JSON.stringify(want ?? (k === 'flattened' ? false : undefined)) !== JSON.stringify(have ?? (k === 'flattened' ? false : undefined))) {
            diffs.push(`${path} ${k}: ${JSON.stringify(have)}, botocore ${JSON.stringify(want)}`);
          }
        }
        const members = b.members as Record<string, Ref> | undefined;
        if (b.type === 'structure' && members && s.members) {
          for (const [n, r] of Object.entries(members)) if (s.members[n]) walk(s.members[n]!, r, `${path}.${n}`);
        }
        if (b.type === 'list' && s.member) walk(s.member, b.member as Ref, `${path}[]`);
        if (b.type === 'map' && s.key && s.value) {
          walk(s.key, b.key as Ref, `${path}{key}`);
          walk(s.value, b.value as Ref, `${path}{value}`);
        }
      };
      for (const [name, op] of model.operations) {
        const bo = bc.operations[name];
        if (!bo) continue;
        for (const io of ['input', 'output'] as const) {
          const ours = op[io];
          const theirs = bo[io];
          if (!ours?.members || !theirs) continue;
          for (const [n, r] of Object.entries((bc.shapes[theirs.shape]!.members ?? {}) as Record<string, Ref>)) {
            if (ours.members[n]) walk(ours.members[n]!, r, `${name}.${io}.${n}`);
          }
        }
      }
      t.strictSame(diffs, [], `${compared} members compared`);
      t.ok(compared > 0);
    });
  }
}
