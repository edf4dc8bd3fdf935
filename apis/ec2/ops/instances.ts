// SPDX-License-Identifier: AGPL-3.0-or-later
/** DescribeInstances, DescribeInstanceStatus and the state changes Start/Stop/Reboot/Terminate. */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, incorrectInstanceState, invalidCombination, notFound } from '../core/errors.js';
import { compileFilters, literalTagFilter, type Filter } from '../core/filters.js';
import { checkIds } from '../core/ids.js';
import { candidates } from '../core/load.js';
import { paginate } from '../core/paging.js';
import type { Ec2Env, TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { STATE_CODE, type InstanceRec, type InstanceStateName } from '../records.js';
import { instanceMatcher, renderReservations, stateOf, userInitiated } from '../render.js';

/** Terminated instances stay visible for an hour, as on EC2. */
export const TERMINATED_RETENTION_MS = 60 * 60 * 1000;

/** The account's instances, minus (and clearing out) those terminated more than an hour ago. */
export async function liveInstances(env: Ec2Env, accountId: string): Promise<InstanceRec[]> {
  const now = env.now();
  const all = await env.store.list<InstanceRec>(accountId, 'instance');
  const out: InstanceRec[] = [];
  for (const i of all) {
    if (i.state === 'terminated' && now - i.stateSince > TERMINATED_RETENTION_MS) {
      await env.store.update<InstanceRec>(accountId, 'instance', i.id, (c) => (c && c.state === 'terminated' && now - c.stateSince > TERMINATED_RETENTION_MS ? undefined : c));
      continue;
    }
    out.push(i);
  }
  return out;
}

/** Candidates for `filters` (from the tag index when possible), expired ones left out. */
async function instancesFor(env: Ec2Env, accountId: string, filters: Filter[] | undefined): Promise<InstanceRec[]> {
  if (!literalTagFilter(filters)) return liveInstances(env, accountId);
  const now = env.now();
  const got = await candidates<InstanceRec>(env.store, accountId, 'instance', filters);
  return got.filter((i) => !(i.state === 'terminated' && now - i.stateSince > TERMINATED_RETENTION_MS));
}

/** Loads the named instances; all must exist (EC2 lists every missing id in one error). */
export async function loadInstances(env: Ec2Env, accountId: string, ids: string[]): Promise<InstanceRec[]> {
  checkIds('i', ids);
  const now = env.now();
  const got = await Promise.all(ids.map((id) => env.store.get<InstanceRec>(accountId, 'instance', id)));
  const missing = ids.filter((_, n) => !got[n] || (got[n]!.state === 'terminated' && now - got[n]!.stateSince > TERMINATED_RETENTION_MS));
  if (missing.length) throw notFound('instance', missing);
  return got as InstanceRec[];
}

type Change = { InstanceId: string; PreviousState: { Code: number; Name: string }; CurrentState: { Code: number; Name: string } };

interface Transition {
  /** New state for an instance, or undefined to leave it as it is; throws when refused. */
  decide(i: InstanceRec): InstanceStateName | undefined;
  /** Asks the backend to do it. */
  act(env: Ec2Env, accountId: string, i: InstanceRec): Promise<void>;
  reason?: { Code: string; Message: string };
}

async function transition(env: Ec2Env, accountId: string, ids: string[] | undefined, dryRun: boolean | undefined, t: Transition): Promise<Change[]> {
  if (!ids || ids.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
  const list = await loadInstances(env, accountId, ids);
  for (const i of list) t.decide(i);
  if (dryRun) throw dryRunOk();
  const now = env.now();
  const changes: Change[] = [];
  const todo: InstanceRec[] = [];
  for (const id of ids) {
    let prev: InstanceRec | undefined;
    const next = await env.store.update<InstanceRec>(accountId, 'instance', id, (cur) => {
      prev = cur;
      if (!cur) return cur;
      const to = t.decide(cur);
      if (!to) return cur;
      const reason = to === 'stopping' || to === 'shutting-down' ? userInitiated(now) : cur.StateTransitionReason;
      return { ...cur, state: to, stateSince: now, StateTransitionReason: reason, StateReason: t.reason ?? cur.StateReason };
    });
    if (!prev || !next) continue;
    changes.push({ InstanceId: id, PreviousState: stateOf(prev), CurrentState: stateOf(next) });
    if (next.state !== prev.state) todo.push(next);
  }
  for (const i of todo) await t.act(env, accountId, i);
  return changes;
}

const userShutdown = { Code: 'Client.UserInitiatedShutdown', Message: 'Client.UserInitiatedShutdown: User initiated shutdown' };

function statusFilters() {
  return {
    'availability-zone': (i: InstanceRec) => i.AvailabilityZone,
    'instance-state-name': (i: InstanceRec) => i.state,
    'instance-state-code': (i: InstanceRec) => STATE_CODE[i.state],
    'instance-status.status': (i: InstanceRec) => (i.state === 'running' ? 'ok' : 'not-applicable'),
    'instance-status.reachability': (i: InstanceRec) => (i.state === 'running' ? 'passed' : undefined),
    'system-status.status': (i: InstanceRec) => (i.state === 'running' ? 'ok' : 'not-applicable'),
    'system-status.reachability': (i: InstanceRec) => (i.state === 'running' ? 'passed' : undefined),
    'event.code': () => undefined,
  };
}

export const instanceOps: TypedOps = {
  async DescribeInstances(env, ctx, input: S.DescribeInstancesInput) {
    const ids = input.InstanceIds ?? [];
    if (ids.length && input.MaxResults !== undefined) throw invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
    const match = instanceMatcher(input.Filters, ctx.region);
    const list = ids.length ? await loadInstances(env, ctx.accountId, ids) : await instancesFor(env, ctx.accountId, input.Filters);
    const picked = list.filter(match);
    const page = paginate(picked, (i) => i.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return { Reservations: renderReservations(page.items, ctx.region), NextToken: page.nextToken };
  },

  async DescribeInstanceStatus(env, ctx, input: S.DescribeInstanceStatusInput) {
    const ids = input.InstanceIds ?? [];
    if (ids.length && input.MaxResults !== undefined) throw invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
    const match = compileFilters(input.Filters, statusFilters());
    const list = ids.length ? await loadInstances(env, ctx.accountId, ids) : await liveInstances(env, ctx.accountId);
    const picked = list.filter((i) => (input.IncludeAllInstances || i.state === 'running') && match(i));
    const page = paginate(picked, (i) => i.id, { maxResults: input.MaxResults, nextToken: input.NextToken, min: 5, max: 1000 });
    return {
      InstanceStatuses: page.items.map((i) => {
        const up = i.state === 'running';
        const status = (name: string) => ({ Status: up ? 'ok' : 'not-applicable', Details: up ? [{ Name: 'reachability', Status: 'passed' }] : [] });
        return {
          AvailabilityZone: i.AvailabilityZone,
          InstanceId: i.id,
          InstanceState: stateOf(i),
          InstanceStatus: status('instance'),
          SystemStatus: status('system'),
          AttachedEbsStatus: { Status: up ? 'ok' : 'not-applicable', Details: up ? [{ Name: 'reachability', Status: 'passed' }] : [] },
        };
      }),
      NextToken: page.nextToken,
    };
  },

  async StartInstances(env, ctx, input: S.StartInstancesInput) {
    const changes = await transition(env, ctx.accountId, input.InstanceIds, input.DryRun, {
      decide(i) {
        if (i.state === 'stopped') return 'pending';
        if (i.state === 'pending' || i.state === 'running') return undefined;
        throw incorrectInstanceState(`The instance '${i.id}' is not in a state from which it can be started.`);
      },
      act: (e, a, i) => e.backend.start(a, i.id),
    });
    return { StartingInstances: changes };
  },

  async StopInstances(env, ctx, input: S.StopInstancesInput) {
    if (input.Hibernate) throw new AwsError('UnsupportedHibernationConfiguration', 'Hibernation is not supported by this gateway.');
    const changes = await transition(env, ctx.accountId, input.InstanceIds, input.DryRun, {
      decide(i) {
        if (i.state === 'stopped' || i.state === 'stopping') return undefined;
        if (i.state !== 'running' && i.state !== 'pending') throw incorrectInstanceState(`This instance '${i.id}' is not in a state from which it can be stopped.`);
        if (i.DisableApiStop) {
          throw new AwsError('OperationNotPermitted', `The instance '${i.id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
        }
        return 'stopping';
      },
      act: (e, a, i) => e.backend.stop(a, i.id, input.Force === true),
      reason: userShutdown,
    });
    return { StoppingInstances: changes };
  },

  async RebootInstances(env, ctx, input: S.RebootInstancesInput) {
    const ids = input.InstanceIds ?? [];
    if (!ids.length) throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceId');
    const list = await loadInstances(env, ctx.accountId, ids);
    for (const i of list) {
      if (i.state === 'terminated' || i.state === 'shutting-down') throw incorrectInstanceState(`The instance '${i.id}' is not in a state from which it can be rebooted.`);
    }
    if (input.DryRun) throw dryRunOk();
    for (const i of list) if (i.state === 'running') await env.backend.reboot(ctx.accountId, i.id);
    return {};
  },

  async TerminateInstances(env, ctx, input: S.TerminateInstancesInput) {
    const changes = await transition(env, ctx.accountId, input.InstanceIds, input.DryRun, {
      decide(i) {
        if (i.state === 'terminated' || i.state === 'shutting-down') return undefined;
        if (i.DisableApiTermination) {
          throw new AwsError('OperationNotPermitted', `The instance '${i.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
        }
        return 'shutting-down';
      },
      act: (e, a, i) => e.backend.terminate(a, i.id, i.blockDevices.filter((b) => !b.DeleteOnTermination).map((b) => b.VolumeId)),
      reason: userShutdown,
    });
    return { TerminatingInstances: changes };
  },
};
