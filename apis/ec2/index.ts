// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * EC2 and EBS: the AWS face of compute, volumes and networks, written once for every compute
 * backend. The backend is picked by `ec2.backend` (embedded by default); apis/ec2 talks to it only
 * through the Ec2Backend interface (backend.ts).
 */
import type { Handler, ServiceDefinition, ServiceFactory } from '../../src/context.js';
import type { Gateway } from '../../src/gateway.js';
import type { Ec2Backend, Ec2EventSink } from './backend.js';
import { InstanceTypeCatalog } from './catalog.js';
import { dryRunOk } from './core/errors.js';
import { Idempotency } from './core/idempotency.js';
import { Ec2Store } from './core/store.js';
import type { Ec2Env, OpTable } from './env.js';
import { eventSink } from './lifecycle.js';
import { addressOps } from './ops/addresses.js';
import { attributeOps } from './ops/attributes.js';
import { eniOps } from './ops/enis.js';
import { networkAclOps } from './ops/network-acls.js';
import { imageMutationOps } from './ops/image-ops.js';
import { imageOps } from './ops/images.js';
import { instanceOps } from './ops/instances.js';
import { keyPairOps } from './ops/keypairs.js';
import { regionOps } from './ops/regions.js';
import { routeOps } from './ops/routes.js';
import { runOps } from './ops/run-instances.js';
import { securityGroupOps } from './ops/security-groups.js';
import { ruleOps } from './ops/sg-rules.js';
import { snapshotAttributeOps } from './ops/snapshot-attrs.js';
import { snapshotOps } from './ops/snapshots.js';
import { tagOps } from './ops/tags.js';
import { volumeOps } from './ops/volumes.js';
import { vpcOps } from './ops/vpcs.js';
import { resumeWaiting } from './resume.js';
import { startStatusChecks } from './status-metrics.js';

export const EC2_MODEL = 'ec2-2016-11-15';

export type BackendFactory = (gw: Gateway, sink: Ec2EventSink) => Ec2Backend;

/**
 * A backend's translator lives in translators/<backend>/ec2/index.js and exports
 * `createEc2Backend: BackendFactory`; nothing here names a backend, so adding one (Proxmox) does
 * not change apis/ec2.
 */
export async function loadBackend(name: string): Promise<BackendFactory> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`ec2.backend '${name}' is not a backend name`);
  let mod: { createEc2Backend?: BackendFactory };
  try {
    mod = (await import(`../../translators/${name}/ec2/index.js`)) as { createEc2Backend?: BackendFactory };
  } catch (e) {
    throw new Error(`ec2.backend '${name}' has no translator in this build (translators/${name}/ec2): ${(e as Error).message}`);
  }
  if (typeof mod.createEc2Backend !== 'function') throw new Error(`translators/${name}/ec2 does not export createEc2Backend`);
  return mod.createEc2Backend;
}

export const ALL_OPS: OpTable[] = [regionOps, runOps, instanceOps, attributeOps, imageOps, imageMutationOps, keyPairOps, securityGroupOps, ruleOps, vpcOps, volumeOps, snapshotOps, tagOps, addressOps, routeOps, eniOps, snapshotAttributeOps, networkAclOps];

/** Builds the service around a given backend (tests pass their own; the server uses the config). */
export function buildEc2Service(gw: Gateway, makeBackend: BackendFactory): { def: ServiceDefinition; env: Ec2Env } {
  let env: Ec2Env | undefined;
  const sink = eventSink(() => env!);
  const backend = makeBackend(gw, sink);
  const store = new Ec2Store(gw.state);
  env = { gw, store, backend, sink, types: new InstanceTypeCatalog(gw.config), idem: new Idempotency(store), now: () => gw.clock.now() };
  const e = env;
  const operations: Record<string, Handler> = {};
  for (const table of ALL_OPS) {
    for (const [name, op] of Object.entries(table)) {
      const readOnly = /^(Describe|Get)/.test(name);
      operations[name] = async (ctx, input) => {
        await backend.settle?.();
        if (readOnly && input?.DryRun) throw dryRunOk();
        const args = input ?? {};
        return e.idem.serialize(ctx.accountId, name, args.ClientToken, () => op(e, ctx, args));
      };
    }
  }
  const def: ServiceDefinition = {
    name: 'ec2',
    model: EC2_MODEL,
    operations,
    async health() {
      const h = (await backend.health?.()) ?? { state: 'ok' as const };
      return { backend: backend.name, ...h };
    },
    async close() {
      await backend.close?.();
    },
    localEndpoints: backend.localEndpoints?.(),
  };
  return { def, env };
}

export const createService: ServiceFactory = async (gw) => {
  const { def, env } = buildEc2Service(gw, await loadBackend(gw.config.ec2.backend ?? 'embedded'));
  // work a crash lost between a record's commit and the backend is redone before serving
  await resumeWaiting(env).catch((e: Error) => gw.log.error('ec2 resume of waiting transitions failed', { error: e.message }));
  env.backend.startBackground?.();
  startStatusChecks(env);
  return def;
};
