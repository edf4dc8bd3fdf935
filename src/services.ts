// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The services the gateway serves, each from `apis/<folder>/index.js` exporting `createService`.
 * A service whose folder holds no implementation yet is still served: with its model, so every
 * one of its operations answers that protocol's NotImplemented error naming the operation.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServiceDefinition, ServiceFactory } from './context.js';
import type { Gateway } from './gateway.js';

export interface ServiceEntry {
  folder: string;
  /** SigV4 signing name as the credential scope carries it (after routing, see resolveService). */
  name: string;
  model: string;
  streamingBody?: boolean;
}

export const SERVICE_TABLE: readonly ServiceEntry[] = [
  { folder: 'sts', name: 'sts', model: 'sts-2011-06-15' },
  { folder: 'iam', name: 'iam', model: 'iam-2010-05-08' },
  { folder: 's3', name: 's3', model: 's3-2006-03-01', streamingBody: true },
  { folder: 'ec2', name: 'ec2', model: 'ec2-2016-11-15' },
  { folder: 'dynamodb', name: 'dynamodb', model: 'dynamodb-2012-08-10' },
  { folder: 'dynamodb-streams', name: 'streams.dynamodb', model: 'streams.dynamodb-2012-08-10' },
  { folder: 'cloudwatch', name: 'monitoring', model: 'monitoring-2010-08-01' },
  { folder: 'logs', name: 'logs', model: 'logs-2014-03-28' },
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Creates every service: implemented ones through their factory, the others as model-only. */
export async function createServices(gw: Gateway): Promise<Map<string, ServiceDefinition>> {
  const out = new Map<string, ServiceDefinition>();
  for (const e of SERVICE_TABLE) {
    const file = join(ROOT, 'apis', e.folder, 'index.js');
    let def: ServiceDefinition;
    if (existsSync(file)) {
      const mod = (await import(pathToFileURL(file).href)) as { createService?: ServiceFactory };
      if (typeof mod.createService !== 'function') throw new Error(`apis/${e.folder}/index.js does not export createService`);
      def = await mod.createService(gw);
      if (def.name !== e.name) throw new Error(`apis/${e.folder} names itself '${def.name}', expected '${e.name}'`);
    } else {
      def = { name: e.name, model: e.model, operations: {}, streamingBody: e.streamingBody, health: () => ({ backend: 'none', state: 'down', detail: 'not implemented yet' }) };
    }
    out.set(def.name, def);
  }
  return out;
}
