// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Generates typed handler signatures from the AWS models: apis/<folder>/shapes.gen.ts with one
 * `<Op>Input` / `<Op>Output` interface per operation, interfaces for the named shapes they use,
 * and `Operations`, the handler map a ServiceDefinition implements.
 *
 *   npm run gen:types                      # every service below
 *   node dist/src/protocols/typegen.js sts # some of them
 *
 * The min.json models name their shapes S4, Sl…, so a named shape's interface takes the name of
 * the member where it is first met (operations in alphabetical order, inputs before outputs,
 * members in model order): `Credentials`, `Tag` (element of `Tags`)… Output is deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type Shape, type ServiceModel } from './model.js';

export const TYPED_SERVICES: Record<string, string> = {
  sts: 'sts-2011-06-15',
  iam: 'iam-2010-05-08',
  s3: 's3-2006-03-01',
  ec2: 'ec2-2016-11-15',
  dynamodb: 'dynamodb-2012-08-10',
  'dynamodb-streams': 'streams.dynamodb-2012-08-10',
  cloudwatch: 'monitoring-2010-08-01',
  logs: 'logs-2014-03-28',
};

/** Names for shapes whose first use would name them poorly (keys: min.json shape names). */
const NAME_OVERRIDES: Record<string, Record<string, string>> = {
  'dynamodb-2012-08-10': { S6: 'AttributeValue' },
  'streams.dynamodb-2012-08-10': { St: 'AttributeValue' },
};

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function singular(name: string): string {
  if (/ies$/.test(name) && name.length > 4) return name.slice(0, -3) + 'y';
  if (/(ss|us)$/.test(name)) return name + 'Item';
  if (/ses$|xes$|ches$|shes$/.test(name)) return name.slice(0, -2);
  if (/s$/.test(name) && name.length > 2) return name.slice(0, -1);
  return name + 'Item';
}

function pascal(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_');
  const p = clean.charAt(0).toUpperCase() + clean.slice(1);
  return /^[0-9]/.test(p) ? `_${p}` : p;
}

class Generator {
  private names = new Map<string, string>(); // shapeName → interface name
  private used = new Set<string>();
  private queue: Array<{ shape: Shape; name: string }> = [];
  private out: string[] = [];

  constructor(private model: ServiceModel) {}

  private claim(base: string): string {
    let n = pascal(base);
    if (this.used.has(n)) {
      let i = 2;
      while (this.used.has(`${n}${i}`)) i++;
      n = `${n}${i}`;
    }
    this.used.add(n);
    return n;
  }

  /** The TypeScript type of a shape met as `hint` (member name used to name new interfaces). */
  private typeOf(s: Shape, hint: string, direction: 'in' | 'out', key?: string): string {
    if (s.type === 'blob' && this.inRawJson) return 'string /* base64 */';
    switch (s.type) {
      case 'structure': {
        // A named shape, or the inline element of a named list/map: one interface for all uses.
        const k = s.shapeName ?? key;
        if (k) {
          let n = this.names.get(k);
          if (!n) {
            // Shapes from generated patches carry botocore's real name: `bc:<name>`.
            n = this.claim(s.shapeName?.startsWith('bc:') ? s.shapeName.slice(3) : hint);
            this.names.set(k, n);
            this.queue.push({ shape: (s.shapeName && this.model.shapes.get(s.shapeName)) || s, name: n });
          }
          return n;
        }
        return this.literal(s, direction, '  ');
      }
      case 'list':
        return `Array<${this.typeOf(s.member!, singular(hint), direction, s.shapeName && `${s.shapeName}#member`)}>`;
      case 'map':
        return `Record<string, ${this.typeOf(s.value!, `${hint}Value`, direction, s.shapeName && `${s.shapeName}#value`)}>`;
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'timestamp':
        return 'Date';
      case 'blob':
        if (s.streaming) return direction === 'in' ? 'Readable' : 'Readable | Buffer | string';
        return 'Buffer';
      default:
        return 'string';
    }
  }

  private literal(s: Shape, direction: 'in' | 'out', indent: string): string {
    const lines = this.memberLines(s, direction, indent + '  ');
    return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, never>';
  }

  private memberLines(s: Shape, direction: 'in' | 'out', indent: string): string[] {
    const req = new Set(s.required ?? []);
    const lines: string[] = [];
    for (const [name, m] of Object.entries(s.members ?? {})) {
      const key = IDENT.test(name) ? name : JSON.stringify(name);
      const t = this.typeOf(m, name, direction);
      if (m.deprecated) lines.push(`${indent}/** @deprecated */`);
      lines.push(`${indent}${key}${req.has(name) ? '' : '?'}: ${t};`);
    }
    return lines;
  }

  /** Emitting a rawJson shape (its blobs are base64 strings on the handler side). */
  private inRawJson = false;

  private emitInterface(name: string, s: Shape | undefined, direction: 'in' | 'out'): void {
    this.inRawJson = s?.rawJson === true;
    const lines = s ? this.memberLines(s, direction, '  ') : [];
    this.inRawJson = false;
    if (s?.rawJson) this.out.push('/** Passed through as JSON by the codec: B and BS are base64 strings. */');
    if (lines.length === 0) this.out.push(`export type ${name} = Record<string, never>;\n`);
    else this.out.push(`export interface ${name} {\n${lines.join('\n')}\n}\n`);
  }

  generate(stem: string): string {
    for (const [shapeName, n] of Object.entries(NAME_OVERRIDES[stem] ?? {})) {
      const shape = this.model.shapes.get(shapeName);
      if (!shape) throw new Error(`${stem}: no shape ${shapeName} to name ${n}`);
      this.names.set(shapeName, n);
      this.used.add(n);
      this.queue.push({ shape, name: n });
    }
    const ops = [...this.model.operations.keys()].sort();
    for (const op of ops) {
      this.used.add(`${op}Input`);
      this.used.add(`${op}Output`);
    }
    this.used.add('Operations');
    for (const op of ops) {
      const o = this.model.operations.get(op)!;
      this.emitInterface(`${op}Input`, o.input, 'in');
      this.emitInterface(`${op}Output`, o.output, 'out');
    }
    // Named shapes, breadth-first as discovered. A shape met both as input and output is typed
    // by its first use; blobs inside are Buffer either way (streaming blobs are top-level only).
    for (let i = 0; i < this.queue.length; i++) {
      const { shape, name } = this.queue[i]!;
      this.emitInterface(name, shape, 'out');
    }
    const body = this.out.join('\n');
    const opsMap = ops
      .map((op) => `  ${op}: Handler<${op}Input, ${op}Output & OutputExtras>;`)
      .join('\n');
    const needsReadable = body.includes('Readable');
    return [
      '// SPDX-License-Identifier: AGPL-3.0-or-later',
      `// Generated by src/protocols/typegen.ts from aws-sdk/apis/${stem}.min.json (npm run gen:types).`,
      '// Do not edit: regenerate.',
      '/* eslint-disable */',
      ...(needsReadable ? ["import type { Readable } from 'node:stream';"] : []),
      "import type { Handler } from '../../src/context.js';",
      "import type { OutputExtras } from '../../src/protocols/outputs.js';",
      '',
      body,
      '/** The operations of the service; a ServiceDefinition registers the implemented ones. */',
      `export interface Operations {\n${opsMap}\n}`,
      '',
      'export type OperationName = keyof Operations;',
      '',
    ].join('\n');
  }
}

export function generateTypes(stem: string): string {
  return new Generator(loadModel(stem)).generate(stem);
}

/** Writes apis/<folder>/shapes.gen.ts under `root` for the given folders (default: all). */
export function writeTypes(root: string, folders: string[] = Object.keys(TYPED_SERVICES)): string[] {
  const written: string[] = [];
  for (const folder of folders) {
    const stem = TYPED_SERVICES[folder];
    if (!stem) throw new Error(`unknown service folder ${folder}; known: ${Object.keys(TYPED_SERVICES).join(', ')}`);
    const file = join(root, 'apis', folder, 'shapes.gen.ts');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, generateTypes(stem));
    written.push(file);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = writeTypes(process.cwd(), process.argv.slice(2).length ? process.argv.slice(2) : undefined);
  for (const f of files) process.stdout.write(`wrote ${f}\n`);
}
