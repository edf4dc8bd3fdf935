// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Time to Live: a background sweeper deletes items whose TTL attribute (a Number, epoch
 * seconds) lies in the past, like DynamoDB (which ignores values more than five years old and
 * non-number values). Each deletion re-checks the item inside the write.
 */
import type { Gateway } from '../../src/gateway.js';
import type { DynamoBackend, TableInfo } from './backend.js';
import { keyOfItem } from './common.js';
import { compareNumbers } from './numbers.js';
import type { Item } from './types.js';

const FIVE_YEARS_S = 5 * 365 * 24 * 3600;

function expired(item: Item | undefined, attr: string, nowS: number): boolean {
  const n = item?.[attr]?.N;
  if (n === undefined) return false;
  return compareNumbers(n, String(nowS)) <= 0 && compareNumbers(n, String(nowS - FIVE_YEARS_S)) >= 0;
}

/** One pass over the TTL-enabled tables; returns how many items were deleted. */
export async function sweepExpired(backend: DynamoBackend, nowMs: number, onDelete?: (table: TableInfo, old: Item) => void): Promise<number> {
  const nowS = Math.floor(nowMs / 1000);
  let deleted = 0;
  for (const t of await backend.allTables()) {
    const ttl = t.ttl;
    if (!ttl?.enabled) continue;
    let esk: Item | undefined;
    do {
      const page = await backend.scan(t, { exclusiveStartKey: esk, limit: 1000, maxBytes: 1024 * 1024 });
      const doomed = page.items.filter((i) => expired(i, ttl.attribute, nowS));
      if (doomed.length) {
        const results = await backend.write(doomed.map((i) => ({ table: t, key: keyOfItem(t, i), apply: (cur) => (expired(cur, ttl.attribute, nowS) ? null : undefined) })), {
          now: nowMs,
          userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
        });
        for (const r of results) {
          if (r.old && !r.new) {
            deleted++;
            onDelete?.(t, r.old);
          }
        }
      }
      esk = page.lastEvaluatedKey;
    } while (esk);
  }
  return deleted;
}

/** Runs the sweeper every `intervalMs` until the gateway closes. */
export function startTtlSweeper(gw: Gateway, backend: DynamoBackend, intervalMs: number): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpired(backend, gw.clock.now())
      .catch((e: Error) => gw.log.error('dynamodb ttl sweep failed', { error: e.message }))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  gw.onClose(() => clearInterval(timer));
}
