// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * PutMetricData converts the common datum on a fast path (quickPoint) and everything else on the
 * reference path (checkedPoint). Property: for any datum, toPoint gives exactly what the reference
 * gives — the same point, or the same error code and message.
 */
import fc from 'fast-check';
import t from 'tap';
import { checkedPoint, toPoint, type MetricDatum } from '../../apis/cloudwatch/metrics.js';
import { AwsError } from '../../src/errors.js';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const DAY = 86_400_000;

const text = (max: number) => fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 8 }), fc.string({ minLength: max - 1, maxLength: max + 2 }));
const dimension = fc.record(
  { Name: fc.oneof(text(255), fc.constantFrom('Host', 'Slot', 'Az')), Value: fc.oneof(text(1024), fc.constantFrom('a', 'b')) },
  { requiredKeys: [] },
);
const anyDatum = fc.record(
  {
    MetricName: fc.oneof(text(255), fc.constant('Latency')),
    Dimensions: fc.oneof(fc.array(dimension, { maxLength: 4 }), fc.array(dimension, { minLength: 29, maxLength: 32 })),
    Timestamp: fc.oneof(
      fc.integer({ min: -15 * DAY, max: 3 * 3_600_000 }).map((d) => new Date(NOW + d)),
      fc.constant(new Date(NaN)),
    ),
    Value: fc.oneof(fc.double(), fc.constant(2 ** 361), fc.integer()),
    StatisticValues: fc.record({ SampleCount: fc.integer({ min: -1, max: 5 }), Sum: fc.double(), Minimum: fc.integer(), Maximum: fc.integer() }, { requiredKeys: [] }),
    Values: fc.array(fc.double(), { maxLength: 3 }),
    Unit: fc.constantFrom('Count', 'Milliseconds', 'Parsecs', 'None'),
    StorageResolution: fc.constantFrom(1, 60, 5),
  },
  { requiredKeys: [] },
);
const validDatum = fc.record(
  {
    MetricName: fc.string({ minLength: 1, maxLength: 20 }),
    Dimensions: fc.uniqueArray(fc.record({ Name: fc.string({ minLength: 1, maxLength: 6 }), Value: fc.string({ minLength: 1, maxLength: 6 }) }), { maxLength: 5, selector: (d) => d.Name }),
    Timestamp: fc.integer({ min: -14 * DAY, max: 2 * 3_600_000 }).map((d) => new Date(NOW + d)),
    Value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    Unit: fc.constantFrom('Count', 'Bytes/Second', 'None'),
    StorageResolution: fc.constantFrom(1, 60),
  },
  { requiredKeys: ['MetricName', 'Value'] },
);
// valid datums, valid ones with one field taken from the random datum, and random datums
const datum = fc.oneof(validDatum, fc.tuple(validDatum, anyDatum, fc.constantFrom('MetricName', 'Dimensions', 'Timestamp', 'Value', 'StatisticValues', 'Values', 'Unit', 'StorageResolution')).map(([v, a, k]) => ({ ...v, [k]: (a as Record<string, unknown>)[k] })), anyDatum) as unknown as fc.Arbitrary<MetricDatum>;

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    return { code: e.code, message: e.message };
  }
}

t.test('toPoint equals the reference path on any datum', async (t) => {
  let fast = 0;
  fc.assert(
    fc.property(datum, fc.nat(999), (md, i) => {
      const got = outcome(() => toPoint(md, i, 'App', NOW));
      const want = outcome(() => checkedPoint(md, i, 'App', NOW));
      if ('ok' in (got as object)) fast++;
      t.same(got, want);
      return true;
    }),
    { numRuns: 3000, seed: 20261124 },
  );
  t.ok(fast > 1000, `the property met many valid datums (${fast})`);
});

t.test('a typical datum takes the fast path and keeps dimensions sorted', async (t) => {
  const p = toPoint({ MetricName: 'Put', Dimensions: [{ Name: 'b', Value: '2' }, { Name: 'a', Value: '1' }], Value: 3, Timestamp: new Date(NOW - 1000) }, 0, 'App', NOW);
  t.same(p, { metric: { namespace: 'App', metricName: 'Put', dimensions: [{ Name: 'a', Value: '1' }, { Name: 'b', Value: '2' }] }, timestamp: NOW - 1000, unit: 'None', storageResolution: 60, values: [3] });
});
