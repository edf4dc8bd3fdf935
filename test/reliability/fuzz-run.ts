// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Runs every fuzz target for its share of `total` inputs: nothing but an acceptable error may
 * escape, no input may take a second, and the heap may not keep growing (checked after the run,
 * over a bound far above what one target's parse state could need).
 */
import fc from 'fast-check';
import type { Test } from 'tap';
import { acceptable, targets } from './fuzz-targets.js';

export async function fuzzAll(t: Test, total: number): Promise<void> {
  const all = targets();
  const per = Math.ceil(total / all.length);
  const seed = Number(process.env.MCGW_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.comment(`${all.length} targets × ${per} inputs, seed ${seed} (MCGW_FUZZ_SEED replays)`);
  for (const target of all) {
    await t.test(target.name, async (t) => {
      let slowest = 0;
      let refused = 0;
      const heapBefore = process.memoryUsage().heapUsed;
      const result = await fc.check(
        fc.asyncProperty(target.arb, async (input) => {
          const started = performance.now();
          try {
            await target.run(input);
          } catch (e) {
            if (!acceptable(e) && !target.accepts?.(e)) throw e;
            refused++;
          }
          const ms = performance.now() - started;
          if (ms > slowest) slowest = ms;
          if (ms > 1000) throw new Error(`took ${Math.round(ms)} ms`);
        }),
        { numRuns: per, seed, endOnFailure: true, examples: (target.examples ?? []).map((x) => [x] as [unknown]) },
      );
      if (result.failed) {
        t.fail(`${target.name}: ${String((result.errorInstance as Error)?.stack ?? result.errorInstance).slice(0, 600)}\ncounterexample: ${JSON.stringify(result.counterexample)?.slice(0, 600)}`);
        return;
      }
      const grown = process.memoryUsage().heapUsed - heapBefore;
      t.pass(`${per} inputs: ${per - refused} parsed, ${refused} refused, slowest ${slowest.toFixed(1)} ms`);
      t.ok(grown < 256 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MiB (bound 256 MiB)`);
    });
  }
}
