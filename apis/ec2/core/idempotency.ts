// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * ClientToken idempotency: the first call with a token stores the hash of its parameters and the
 * ids it created; a retry with the same token and parameters gets the same result, one with other
 * parameters gets IdempotentParameterMismatch (as EC2 answers).
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../../../src/errors.js';
import type { Ec2Store, Ec2Tx } from './store.js';

interface TokenRec {
  hash: string;
  result: unknown;
  at: number;
}

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => k !== 'ClientToken' && k !== 'DryRun' && (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

export function paramsHash(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(stable(input))).digest('hex');
}

export class Idempotency {
  /** Calls under way per account/operation/token: a concurrent retry waits for the first. */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly store: Ec2Store) {}

  /**
   * Runs `fn` alone among calls of this gateway with the same account, operation and
   * ClientToken, so a retry sent while the first call still runs finds its stored result (or its
   * parameter mismatch) instead of creating a second set of resources. Calls without a token run
   * at once.
   */
  async serialize<R>(accountId: string, op: string, token: unknown, fn: () => Promise<R>): Promise<R> {
    if (typeof token !== 'string' || token === '') return fn();
    const key = `${accountId}/${op}/${token}`;
    for (let prev = this.inflight.get(key); prev; prev = this.inflight.get(key)) await prev.catch(() => undefined);
    const run = fn();
    this.inflight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.inflight.get(key) === run) this.inflight.delete(key);
    }
  }

  /** The stored result of an earlier call with this token, or undefined when there was none. */
  async lookup<R>(accountId: string, op: string, token: string | undefined, input: unknown): Promise<R | undefined> {
    if (!token) return undefined;
    if (token.length > 64) throw new AwsError('InvalidParameterValue', 'The client token must be at most 64 characters long.');
    const rec = await this.store.get<TokenRec>(accountId, 'token', `${op}/${token}`);
    if (!rec) return undefined;
    if (rec.hash !== paramsHash(input)) {
      throw new AwsError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    }
    return rec.result as R;
  }

  /**
   * Records the result inside the transaction that creates the resources, so a process killed
   * between the two cannot leave resources whose token a retry does not find (a duplicate).
   */
  rememberIn(tx: Ec2Tx, op: string, token: string | undefined, input: unknown, result: unknown, now: number): void {
    if (!token) return;
    tx.put('token', `${op}/${token}`, { hash: paramsHash(input), result, at: now } satisfies TokenRec);
  }
}
