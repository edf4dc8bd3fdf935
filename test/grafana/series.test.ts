// SPDX-License-Identifier: AGPL-3.0-or-later
/** The write-side encoder: rounding, cw_dist's labels, bounded caches; the writer's series merging. */
import t from 'tap';
import { LABEL_CACHE, SeriesEncoder, VALUE_CACHE } from '../../translators/grafana/series.js';
import { seriesId } from '../../translators/grafana/labels.js';
import { decodeRemoteWrite, encodeRemoteWrite, type EncodedSeries } from '../../translators/grafana/remote-write.js';
import { mergeSeries } from '../../translators/grafana/writer.js';
import type { MetricPoint } from '../../apis/cloudwatch/backend.js';

const tenant = { accountId: '123456789012', region: 'eu-west-1' };
const point = (name: string, values: number[], dims = [{ Name: 'Host', Value: 'h1' }], timestamp = 1_795_000_000_000): MetricPoint => ({
  metric: { namespace: 'App', metricName: name, dimensions: dims },
  timestamp,
  unit: 'Milliseconds',
  storageResolution: 60,
  values,
});

t.test('rounding to significant digits: the doubles toPrecision gives, without strings', async (t) => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const digits of [1, 2, 3, 5, 9]) {
    const enc = new SeriesEncoder(true, digits);
    let bad = 0;
    for (let i = 0; i < 3000; i++) {
      const v = (rnd() < 0.5 ? -1 : 1) * rnd() * 10 ** Math.floor(rnd() * 40 - 20);
      const want = Number(v.toPrecision(digits));
      const got = enc.round(v);
      // a value exactly halfway may round either way; anything else must be the same double
      if (got !== want && Math.abs(got - v) > Math.abs(want - v) * (1 + 1e-9)) bad++;
      if (Math.abs(got - v) > 0.5 * 10 ** (1 - digits) * Math.abs(v) * (1 + 1e-9)) bad++;
    }
    t.equal(bad, 0, `${digits} digits: same double as toPrecision, relative error ≤ 0.5·10^(1−${digits})`);
  }
  const enc = new SeriesEncoder(true, 3);
  t.same([0, -0, 1, 999, 1000, 1234, 0.1, 0.30000000000000004, 99.95, 1e300, 5e-324].map((v) => enc.round(v)), [0, 0, 1, 999, 1000, 1230, 0.1, 0.3, 100, 1e300, 5e-324]);
  t.same([10 ** 15, 10 ** 15 - 1, 2 ** 53].map((v) => new SeriesEncoder(true, 17).round(v)), [10 ** 15, 10 ** 15 - 1, 2 ** 53], 'integers with no more digits than kept are themselves');
});

t.test('cw_dist carries only sid, unit and value; sid is a digest of tenant and identity', async (t) => {
  const enc = new SeriesEncoder(true, 3);
  const series = decodeRemoteWrite(encodeRemoteWrite(enc.seriesFor(tenant, [point('Latency', [12, 12, 250.04])])));
  const dist = series.filter((s) => s.labels[0][1] === 'cw_dist');
  const sid = seriesId(tenant, point('Latency', []).metric);
  t.same(
    dist.map((s) => [s.labels, s.samples.map((x) => x.value)]),
    [
      [[['__name__', 'cw_dist'], ['sid', sid], ['unit', 'Milliseconds'], ['value', '12']], [2]],
      [[['__name__', 'cw_dist'], ['sid', sid], ['unit', 'Milliseconds'], ['value', '250']], [1]],
    ],
  );
  t.same(
    enc.seriesFor(tenant, [point('Latency', [12])]).map((s) => s.labels),
    decodeRemoteWrite(encodeRemoteWrite(enc.seriesFor(tenant, [point('Latency', [12])]))).map((s) => s.labels),
    'the plain labels describe what is encoded',
  );
  t.match(sid, /^[A-Za-z0-9_-]{22}$/);
  t.not(seriesId({ ...tenant, accountId: '210987654321' }, point('Latency', []).metric), sid, 'another account, another sid');
  t.not(seriesId(tenant, point('Latency', [], [{ Name: 'Host', Value: 'h2' }]).metric), sid, 'other dimensions, another sid');
  t.not(seriesId(tenant, point('Latency', [], [{ Name: 'Hos', Value: 'th1' }]).metric), sid, 'names and values do not run together');
  const lean = new SeriesEncoder(false, 3).seriesFor(tenant, [point('Latency', [12, 13])]);
  t.same(lean.map((s) => s.labels[0][1]), ['cw_count', 'cw_sum', 'cw_min', 'cw_max'], 'percentiles: false writes no cw_dist');
});

t.test('caches stay bounded; a metric in use stays cached', async (t) => {
  const enc = new SeriesEncoder(true, 3);
  const hot = point('Hot', [1]);
  const mid = (s: EncodedSeries[]) => s[0].encoded![1];
  const first = mid(enc.seriesFor(tenant, [hot]));
  for (let k = 0; k < LABEL_CACHE + LABEL_CACHE / 4; k += 500) {
    const pts = Array.from({ length: 500 }, (_, i) => point(`m${k + i}`, [k + i + 0.5]));
    enc.seriesFor(tenant, [hot, ...pts]);
    t.ok(enc.cached.metrics <= LABEL_CACHE, 'metric labels within the bound');
    if (enc.cached.metrics > LABEL_CACHE) break;
  }
  t.equal(mid(enc.seriesFor(tenant, [hot])), first, 'the metric used in every call was never evicted');
  const many = Array.from({ length: VALUE_CACHE + 1000 }, (_, i) => i * 1000 + 1);
  enc.seriesFor(tenant, [point('Wide', many)]);
  t.ok(enc.cached.values <= VALUE_CACHE, `value labels within the bound (${enc.cached.values})`);
});

t.test('several callers\' series with one label set go out as one TimeSeries', async (t) => {
  const a = (ts: number, v: number, key = 'k1'): EncodedSeries => ({ labels: [['n', key]], key, samples: [{ value: v, timestamp: ts }] });
  const parts = [a(3000, 1), a(1000, 2), a(5000, 9, 'k2'), a(2000, 3), { labels: [['n', 'x']] as Array<[string, string]>, samples: [{ value: 1, timestamp: 1 }] }, a(1000, 4)];
  const before = JSON.stringify(parts);
  const out = mergeSeries(parts);
  t.same(
    out.map((s) => [s.labels, s.samples]),
    [
      [[['n', 'k1']], [{ value: 2, timestamp: 1000 }, { value: 3, timestamp: 2000 }, { value: 1, timestamp: 3000 }]],
      [[['n', 'k2']], [{ value: 9, timestamp: 5000 }]],
      [[['n', 'x']], [{ value: 1, timestamp: 1 }]],
      [[['n', 'k1']], [{ value: 4, timestamp: 1000 }]],
    ],
    'samples in time order; a timestamp the merged series has already stays apart; series without key untouched',
  );
  t.equal(JSON.stringify(parts), before, 'the callers\' series are unchanged (a split request re-sends them as they were)');
  const decoded = decodeRemoteWrite(encodeRemoteWrite(out));
  t.equal(decoded.length, 4);
  t.equal(decoded[0].samples.length, 3);
});
