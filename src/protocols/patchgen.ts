// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Maintainer tool: derives the model patches for what AWS added after aws-sdk v2 froze, from a
 * current botocore's data directory (full service-2.json models):
 *
 *   node dist/src/protocols/patchgen.js /path/to/site-packages/botocore/data
 *
 * writes src/protocols/patches/gen/<stem>.ts. For each operation both models know, it walks the
 * old and new input/output shapes side by side and records every member the new model has and the
 * old one lacks (e.g. S3 ChecksumCRC64NVME, DynamoDB WarmThroughput), with the new shapes those
 * members need (named `bc:<botocore name>`). Operations AWS added are listed in NEW_OPERATIONS
 * when a service needs them; the rest stay out to keep patches small. Output is deterministic.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { RawModel, RawShape } from './model.js';
import type { MemberAddition, ModelPatch } from './patches/index.js';

/** aws-sdk v2 stem → botocore data folder. */
export const BOTOCORE_FOLDERS: Record<string, string> = {
  'sts-2011-06-15': 'sts/2011-06-15',
  'iam-2010-05-08': 'iam/2010-05-08',
  's3-2006-03-01': 's3/2006-03-01',
  'ec2-2016-11-15': 'ec2/2016-11-15',
  'dynamodb-2012-08-10': 'dynamodb/2012-08-10',
  'streams.dynamodb-2012-08-10': 'dynamodbstreams/2012-08-10',
  'monitoring-2010-08-01': 'cloudwatch/2010-08-01',
  'logs-2014-03-28': 'logs/2014-03-28',
};

/** Operations added after the freeze that the gateway serves (none yet). */
const NEW_OPERATIONS: Record<string, string[]> = {};

const DROPPED_KEYS = new Set(['documentation', 'documentationUrl', 'deprecatedMessage', 'examples', 'box', 'wrapper']);

interface BotoModel {
  metadata: Record<string, unknown>;
  operations: Record<string, { name: string; input?: { shape: string }; output?: { shape: string; resultWrapper?: string } } & Record<string, unknown>>;
  shapes: Record<string, Record<string, unknown>>;
}

class PatchBuilder {
  readonly additions: MemberAddition[] = [];
  readonly shapes: Record<string, RawShape> = {};
  readonly operations: RawModel['operations'] = {};
  private seen = new Set<string>();

  constructor(private old: RawModel, private bc: BotoModel) {}

  /** A botocore member/ref converted to the min format, its shapes added under `bc:`. */
  private ref(m: Record<string, unknown>): RawShape {
    const out: RawShape = {};
    for (const [k, v] of Object.entries(m)) {
      if (DROPPED_KEYS.has(k)) continue;
      out[k] = k === 'shape' ? `bc:${String(v)}` : v;
    }
    this.addShape(String(m.shape));
    return out;
  }

  private addShape(name: string): void {
    const key = `bc:${name}`;
    if (this.shapes[key]) return;
    const src = this.bc.shapes[name];
    if (!src) throw new Error(`botocore model lacks shape ${name}`);
    const out: RawShape = {};
    this.shapes[key] = out;
    for (const [k, v] of Object.entries(src)) {
      if (DROPPED_KEYS.has(k)) continue;
      if (k === 'members') {
        const members: Record<string, RawShape> = {};
        for (const [mn, mv] of Object.entries(v as Record<string, Record<string, unknown>>)) members[mn] = this.ref(mv);
        out.members = members;
      } else if (k === 'member' || k === 'key' || k === 'value') {
        out[k] = this.ref(v as Record<string, unknown>);
      } else out[k] = v;
    }
    if (out.type === 'string') delete out.type;
  }

  /** Walks old and new shapes in parallel, recording members only the new one has. */
  walk(oldRaw: RawShape | undefined, newName: string, target: MemberAddition['target']): void {
    if (!oldRaw) return;
    let old = oldRaw;
    let tgt = target;
    if (oldRaw.shape !== undefined) {
      const k = `${oldRaw.shape}|${newName}`;
      if (this.seen.has(k)) return;
      this.seen.add(k);
      old = this.old.shapes[oldRaw.shape]!;
      tgt = { shape: oldRaw.shape, path: [] };
    }
    const nw = this.bc.shapes[newName];
    if (!nw || (old.type ?? 'string') !== (nw.type ?? 'string')) return;
    if (nw.type === 'structure') {
      const oldMembers = (old.members ?? {}) as Record<string, RawShape>;
      const newMembers = nw.members as Record<string, Record<string, unknown>>;
      for (const name of Object.keys(newMembers)) {
        const nm = newMembers[name]!;
        if (!(name in oldMembers)) this.additions.push({ target: tgt, name, member: this.ref(nm) });
        else this.walk(oldMembers[name], String(nm.shape), { ...tgt, path: [...tgt.path, name] });
      }
    } else if (nw.type === 'list') {
      this.walk(old.member as RawShape, String((nw.member as { shape: string }).shape), { ...tgt, path: [...tgt.path, 'member'] });
    } else if (nw.type === 'map') {
      this.walk(old.value as RawShape, String((nw.value as { shape: string }).shape), { ...tgt, path: [...tgt.path, 'value'] });
    }
  }

  addOperation(name: string): void {
    const op = this.bc.operations[name]!;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(op)) {
      if (DROPPED_KEYS.has(k) || k === 'name' || k === 'errors') continue;
      if (k === 'input' || k === 'output') {
        const r = this.ref(v as Record<string, unknown>);
        out[k] = r;
      } else out[k] = v;
    }
    this.operations[name] = out;
  }
}

export function buildPatch(old: RawModel, bc: BotoModel, newOperations: string[] = []): ModelPatch {
  const b = new PatchBuilder(old, bc);
  for (const name of Object.keys(old.operations).sort()) {
    const o = old.operations[name]!;
    const n = bc.operations[name];
    if (!n) continue;
    if (o.input && n.input) b.walk(o.input, n.input.shape, { operation: name, io: 'input', path: [] });
    if (o.output && n.output) b.walk(o.output, n.output.shape, { operation: name, io: 'output', path: [] });
  }
  for (const name of newOperations) b.addOperation(name);
  const sortedShapes = Object.fromEntries(Object.entries(b.shapes).sort(([a], [c]) => a.localeCompare(c)));
  const patch: ModelPatch = {};
  if (b.additions.length) patch.members = b.additions;
  if (Object.keys(sortedShapes).length) patch.shapes = sortedShapes;
  if (Object.keys(b.operations).length) patch.operations = b.operations;
  return patch;
}

function fileFor(stem: string, patch: ModelPatch): string {
  return [
    '// SPDX-License-Identifier: AGPL-3.0-or-later',
    `// Generated by src/protocols/patchgen.ts from botocore's ${BOTOCORE_FOLDERS[stem]} model: members AWS`,
    '// added after aws-sdk v2 froze. Do not edit: regenerate.',
    "import type { ModelPatch } from '../index.js';",
    '',
    `const patch: ModelPatch = ${JSON.stringify(patch, null, 1)};`,
    '',
    'export default patch;',
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dataDir = process.argv[2];
  if (!dataDir) {
    process.stderr.write('usage: patchgen <botocore data dir>\n');
    process.exit(2);
  }
  const req = createRequire(import.meta.url);
  const outDir = join(process.cwd(), 'src', 'protocols', 'patches', 'gen');
  mkdirSync(outDir, { recursive: true });
  for (const [stem, folder] of Object.entries(BOTOCORE_FOLDERS)) {
    const old = JSON.parse(readFileSync(req.resolve(`aws-sdk/apis/${stem}.min.json`), 'utf8')) as RawModel;
    const bc = JSON.parse(gunzipSync(readFileSync(join(dataDir, folder, 'service-2.json.gz'))).toString('utf8')) as BotoModel;
    const patch = buildPatch(old, bc, NEW_OPERATIONS[stem]);
    const file = join(outDir, `${stem}.ts`);
    writeFileSync(file, fileFor(stem, patch));
    process.stdout.write(`wrote ${file}: ${patch.members?.length ?? 0} members, ${Object.keys(patch.shapes ?? {}).length} shapes\n`);
  }
  const stems = Object.keys(BOTOCORE_FOLDERS);
  const ident = (stem: string) => `p_${stem.replace(/[^A-Za-z0-9]/g, '_')}`;
  writeFileSync(
    join(outDir, 'index.ts'),
    [
      '// SPDX-License-Identifier: AGPL-3.0-or-later',
      '// Generated by src/protocols/patchgen.ts. Do not edit: regenerate.',
      "import type { ModelPatch } from '../index.js';",
      ...stems.map((s) => `import ${ident(s)} from './${s}.js';`),
      '',
      'export const GENERATED_PATCHES: Record<string, ModelPatch> = {',
      ...stems.map((s) => `  '${s}': ${ident(s)},`),
      '};',
      '',
    ].join('\n'),
  );
}
