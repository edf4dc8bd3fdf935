// SPDX-License-Identifier: AGPL-3.0-or-later
/** What every EC2 operation module gets: the store, the backend, the catalogue and the clock. */
import type { RequestContext } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import type { Ec2Backend, Ec2EventSink } from './backend.js';
import type { InstanceTypeCatalog } from './catalog.js';
import type { Idempotency } from './core/idempotency.js';
import type { Ec2Store } from './core/store.js';
import type { Operations } from './shapes.gen.js';

export interface Ec2Env {
  gw: Gateway;
  store: Ec2Store;
  backend: Ec2Backend;
  /** Where transitions are applied (the backend reports through it; the API may too). */
  sink: Ec2EventSink;
  types: InstanceTypeCatalog;
  idem: Idempotency;
  now(): number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Op = (env: Ec2Env, ctx: RequestContext, input: any) => Promise<unknown>;
export type OpTable = Record<string, Op>;

type InputOf<K extends keyof Operations> = Parameters<Operations[K]>[1];
type OutputOf<K extends keyof Operations> = Awaited<ReturnType<Operations[K]>>;

/** An operation table whose handlers are checked against the generated model types, in and out. */
export type TypedOps = { [K in keyof Operations]?: (env: Ec2Env, ctx: RequestContext, input: InputOf<K>) => Promise<OutputOf<K>> };

/** Milliseconds since the epoch to the Date a codec renders as an ISO timestamp. */
export function date(ms: number): Date {
  return new Date(ms);
}
