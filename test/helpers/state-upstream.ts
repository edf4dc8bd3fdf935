// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB-API upstreams for the DynamoDB state store's tests: a gateway on the embedded engine
 * ('gateway'), or the Alternator stand-in of test/fakes/alternator ('alternator': refuses
 * TransactWriteItems like Alternator, three nodes). Each store gets its own table.
 */
import { randomBytes } from 'node:crypto';
import { startTestGateway } from '../../conformance/harness.js';
import type { DynamoStateOptions } from '../../src/state/dynamo/store.js';
import { startAlternatorShim, type AlternatorShim } from '../fakes/alternator/shim.js';

export type UpstreamKind = 'gateway' | 'alternator';

export interface StateUpstream {
  kind: UpstreamKind;
  /** The Alternator stand-in (its nodes, failure injection), when kind is 'alternator'. */
  shim?: AlternatorShim;
  /** Store options on a table of its own (or the one named). */
  options(table?: string, extra?: Partial<DynamoStateOptions>): DynamoStateOptions;
  close(): Promise<void>;
}

export function tableName(): string {
  return `state-${randomBytes(5).toString('hex')}`;
}

export async function startStateUpstream(kind: UpstreamKind): Promise<StateUpstream> {
  let endpoints: string[];
  let creds: { accessKeyId: string; secretAccessKey: string };
  let close: () => Promise<void>;
  let region = 'us-east-1';
  let shim: AlternatorShim | undefined;
  if (kind === 'gateway') {
    const gw = await startTestGateway(null);
    endpoints = [gw.url];
    creds = gw.credentials;
    region = gw.region;
    close = () => gw.close();
  } else {
    const s = (shim = await startAlternatorShim({ nodes: 3 }));
    endpoints = s.endpoints;
    creds = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
    close = () => s.close();
  }
  return {
    kind,
    shim,
    options: (table = tableName(), extra = {}) => ({ endpoints, region, table, ...creds, recoveryIntervalMs: 0, ...extra }),
    close,
  };
}
