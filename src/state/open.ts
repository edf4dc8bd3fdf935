// SPDX-License-Identifier: AGPL-3.0-or-later
/** Opens the state store the config names (`state.backend`): LMDB under the data dir, or a DynamoDB-API table. */
import type { Config } from '../config.js';
import { parseDynamoStateConfig } from './dynamo/options.js';
import { DynamoStateStore } from './dynamo/store.js';
import type { IdentityOptions } from './identity.js';
import { LmdbStateStore } from './lmdb.js';
import type { StateStore } from './store.js';

export interface OpenedState {
  state: StateStore;
  /** How the identity cache should treat this store (a shared store is re-checked on a timer). */
  identity: IdentityOptions;
}

export async function openStateStore(config: Pick<Config, 'state' | 'dataDir' | 'region'>): Promise<OpenedState> {
  if (config.state.backend === 'dynamodb') {
    const o = parseDynamoStateConfig(config.state, config.region);
    return { state: await DynamoStateStore.open(o), identity: { generationTtlMs: o.identityCacheMs } };
  }
  return { state: new LmdbStateStore(config.dataDir), identity: {} };
}
