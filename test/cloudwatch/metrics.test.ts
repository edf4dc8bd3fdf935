// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { T0, rejects, setup } from './helpers.js';

t.test('PutMetricData then GetMetricStatistics: per-period statistics', async (t) => {
  const { call } = await setup(t);
  const dims = [{ Name: 'Host', Value: 'a' }];
  await call('PutMetricData', {
    Namespace: 'App',
    MetricData: [
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 600_000), Value: 10, Unit: 'Milliseconds' },
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 590_000), Values: [20, 30], Counts: [1, 2], Unit: 'Milliseconds' },
      { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(T0 - 300_000), StatisticValues: { SampleCount: 4, Sum: 8, Minimum: 1, Maximum: 3 }, Unit: 'Milliseconds' },
    ],
  });
  const r = await call('GetMetricStatistics', {
    Namespace: 'App', MetricName: 'Latency', Dimensions: dims,
    StartTime: new Date(T0 - 900_000), EndTime: new Date(T0), Period: 300,
    Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'],
  });
  t.equal(r.Label, 'Latency');
  t.same(r.Datapoints, [
    { Timestamp: new Date(T0 - 600_000), SampleCount: 4, Sum: 90, Average: 22.5, Minimum: 10, Maximum: 30, Unit: 'Milliseconds' },
    { Timestamp: new Date(T0 - 300_000), SampleCount: 4, Sum: 8, Average: 2, Minimum: 1, Maximum: 3, Unit: 'Milliseconds' },
  ]);
  // dimensions are a set: order does not matter, but a different set is another metric
  const other = await call('GetMetricStatistics', {
    Namespace: 'App', MetricName: 'Latency', StartTime: new Date(T0 - 900_000), EndTime: new Date(T0), Period: 300, Statistics: ['Sum'],
  });
  t.same(other.Datapoints, []);
  // Unit filter
  const wrongUnit = await call('GetMetricStatistics', {
    Namespace: 'App', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(T0 - 900_000), EndTime: new Date(T0), Period: 300,
    Statistics: ['Sum'], Unit: 'Seconds',
  });
  t.same(wrongUnit.Datapoints, []);
});

t.test('ExtendedStatistics percentiles (nearest rank) and statistic sets', async (t) => {
  const { call } = await setup(t);
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  await call('PutMetricData', { Namespace: 'P', MetricData: [{ MetricName: 'm', Values: values, Timestamp: new Date(T0 - 120_000) }] });
  const r = await call('GetMetricStatistics', {
    Namespace: 'P', MetricName: 'm', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600,
    ExtendedStatistics: ['p50', 'p99', 'p99.5', 'p100', 'p0'],
  });
  t.same(r.Datapoints[0].ExtendedStatistics, { p50: 50, p99: 99, 'p99.5': 100, p100: 100, p0: 1 });
  // a statistic set with Min != Max makes percentiles unavailable for its bucket
  await call('PutMetricData', { Namespace: 'P', MetricData: [{ MetricName: 's', StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 }, Timestamp: new Date(T0 - 60_000) }] });
  const s = await call('GetMetricStatistics', { Namespace: 'P', MetricName: 's', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600, ExtendedStatistics: ['p90'] });
  t.same(s.Datapoints[0].ExtendedStatistics, {});
});

t.test('StartTime alignment and bucket boundaries', async (t) => {
  const { call } = await setup(t);
  // points at 11:00:00 (in [11:00, 11:01)) and 11:00:59.999, 11:01:00 (next bucket)
  const base = T0 - 3_600_000;
  await call('PutMetricData', {
    Namespace: 'B',
    MetricData: [base, base + 59_999, base + 60_000].map((ts) => ({ MetricName: 'x', Value: 1, Timestamp: new Date(ts) })),
  });
  const r = await call('GetMetricStatistics', {
    Namespace: 'B', MetricName: 'x', StartTime: new Date(base + 30_000), EndTime: new Date(base + 120_000), Period: 60, Statistics: ['Sum'],
  });
  // StartTime 11:00:30 rounds down to 11:00:00
  t.same(r.Datapoints.map((d: { Timestamp: Date; Sum: number }) => [d.Timestamp.getTime() - base, d.Sum]), [[0, 2], [60_000, 1]]);
});

t.test('PutMetricData validation', async (t) => {
  const { call } = await setup(t);
  await rejects(t, call('PutMetricData', { MetricData: [{ MetricName: 'a', Value: 1 }] }), 'MissingRequiredParameterException', 'MissingParameter', /Namespace/);
  await rejects(t, call('PutMetricData', { Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'a', Value: 1 }] }), 'InvalidParameterValueException', 'InvalidParameterValue', /AWS\/EC2/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] }),
    'InvalidParameterCombinationException', 'InvalidParameterCombination', /MetricData\.member\.1\.Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Values: [1, 2], Counts: [1] }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /must be of the same size/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: NaN }] }), 'InvalidParameterValueException', 'InvalidParameterValue', /NaN/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, Unit: 'Parsecs' }] }), 'InvalidParameterValueException', 'InvalidParameterValue', /Unit/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, StorageResolution: 5 }] }), 'InvalidParameterValueException', 'InvalidParameterValue', /StorageResolution/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, Timestamp: new Date(T0 - 15 * 86_400_000) }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /two weeks in the past/);
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, Timestamp: new Date(T0 + 3 * 3_600_000) }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /two hours in the future/);
  const dims = Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' }));
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'a', Value: 1, Dimensions: dims }] }), 'InvalidParameterValueException', 'InvalidParameterValue', /30/);
  // one bad entry rejects the whole call: nothing from it was stored
  await rejects(t, call('PutMetricData', { Namespace: 'N', MetricData: [{ MetricName: 'ok', Value: 1 }, { MetricName: 'bad', Value: Infinity }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /member\.2/);
  const l = await call('ListMetrics', { Namespace: 'N' });
  t.same(l.Metrics, []);
});

t.test('GetMetricStatistics validation', async (t) => {
  const { call } = await setup(t);
  const base = { Namespace: 'N', MetricName: 'm', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 60 };
  await rejects(t, call('GetMetricStatistics', { ...base }), 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Statistics or ExtendedStatistics/);
  await rejects(t, call('GetMetricStatistics', { ...base, Statistics: ['Median'] }), 'InvalidParameterValueException', 'InvalidParameterValue', /Median/);
  await rejects(t, call('GetMetricStatistics', { ...base, Period: 45, Statistics: ['Sum'] }), 'InvalidParameterValueException', 'InvalidParameterValue', /Period/);
  await rejects(t, call('GetMetricStatistics', { ...base, StartTime: new Date(T0 - 2 * 86_400_000), Statistics: ['Sum'] }),
    'InvalidParameterCombinationException', 'InvalidParameterCombination', /requested up to 2,880 datapoints/);
  await rejects(t, call('GetMetricStatistics', { ...base, StartTime: new Date(T0), EndTime: new Date(T0 - 60_000), Statistics: ['Sum'] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /StartTime/);
});

t.test('high-resolution data is only readable at 1 s periods for 3 hours', async (t) => {
  const { call, clock } = await setup(t);
  await call('PutMetricData', { Namespace: 'H', MetricData: [0, 1000, 2000].map((d) => ({ MetricName: 'h', Value: 1, StorageResolution: 1, Timestamp: new Date(T0 - 10_000 + d) })) });
  const q = { Namespace: 'H', MetricName: 'h', StartTime: new Date(T0 - 10_000), EndTime: new Date(T0), Period: 1, Statistics: ['Sum'] };
  t.equal((await call('GetMetricStatistics', q)).Datapoints.length, 3);
  clock.advance(4 * 3_600_000);
  t.equal((await call('GetMetricStatistics', q)).Datapoints.length, 0);
  const minute = await call('GetMetricStatistics', { ...q, StartTime: new Date(T0 - 60_000), Period: 60 });
  t.same(minute.Datapoints.map((d: { Sum: number }) => d.Sum), [3]);
});

t.test('ListMetrics: filters, tenancy, RecentlyActive, two-week window, paging', async (t) => {
  const { call, clock, gw } = await setup(t);
  const bob = await gw.account('bob');
  await call('PutMetricData', {
    Namespace: 'L',
    MetricData: [
      { MetricName: 'cpu', Dimensions: [{ Name: 'Host', Value: 'a' }], Value: 1 },
      { MetricName: 'cpu', Dimensions: [{ Name: 'Host', Value: 'b' }, { Name: 'Az', Value: 'x' }], Value: 1 },
      { MetricName: 'mem', Value: 1 },
    ],
  });
  await call('PutMetricData', { Namespace: 'Other', MetricData: [{ MetricName: 'cpu', Value: 1 }] });
  const all = await call('ListMetrics', {});
  t.equal(all.Metrics.length, 4);
  const cpu = await call('ListMetrics', { Namespace: 'L', MetricName: 'cpu' });
  t.same(cpu.Metrics.map((m: { Dimensions: unknown[] }) => m.Dimensions.length).sort(), [1, 2]);
  const hostB = await call('ListMetrics', { Dimensions: [{ Name: 'Host', Value: 'b' }] });
  t.same(hostB.Metrics, [{ Namespace: 'L', MetricName: 'cpu', Dimensions: [{ Name: 'Az', Value: 'x' }, { Name: 'Host', Value: 'b' }] }]);
  const anyAz = await call('ListMetrics', { Dimensions: [{ Name: 'Az' }] });
  t.equal(anyAz.Metrics.length, 1);
  t.same((await call('ListMetrics', {}, bob)).Metrics, [], 'another account sees nothing');
  clock.advance(4 * 3_600_000);
  await call('PutMetricData', { Namespace: 'L', MetricData: [{ MetricName: 'mem', Value: 2 }] });
  const recent = await call('ListMetrics', { RecentlyActive: 'PT3H' });
  t.same(recent.Metrics.map((m: { MetricName: string }) => m.MetricName), ['mem']);
  clock.advance(15 * 86_400_000);
  t.same((await call('ListMetrics', {})).Metrics, [], 'metrics without data for two weeks are not listed');
  // paging at 500
  const many = Array.from({ length: 700 }, (_, i) => ({ MetricName: `m${String(i).padStart(4, '0')}`, Value: 1 }));
  await call('PutMetricData', { Namespace: 'Many', MetricData: many.slice(0, 350) });
  await call('PutMetricData', { Namespace: 'Many', MetricData: many.slice(350) });
  const p1 = await call('ListMetrics', { Namespace: 'Many' });
  t.equal(p1.Metrics.length, 500);
  t.ok(p1.NextToken);
  const p2 = await call('ListMetrics', { Namespace: 'Many', NextToken: p1.NextToken });
  t.equal(p2.Metrics.length, 200);
  t.notOk(p2.NextToken);
  const names = new Set([...p1.Metrics, ...p2.Metrics].map((m: { MetricName: string }) => m.MetricName));
  t.equal(names.size, 700);
  await rejects(t, call('ListMetrics', { Namespace: 'Many', NextToken: p1.NextToken }, bob), 'InvalidParameterValueException', 'InvalidParameterValue', /NextToken/);
});

t.test('AWS/* metrics published by the gateway itself', async (t) => {
  const { call, gw, alice } = await setup(t);
  const { publishAwsMetrics } = await import('../../apis/cloudwatch/publish.js');
  const dims = [{ Name: 'StorageType', Value: 'AllStorageTypes' }, { Name: 'BucketName', Value: 'b1' }];
  t.equal(await publishAwsMetrics(gw, { accountId: alice.accountId, region: 'us-east-1' }, 'AWS/S3', [
    { MetricName: 'NumberOfObjects', Dimensions: dims, Value: 42, Unit: 'Count', Timestamp: T0 - 3_600_000 },
  ]), true);
  const l = await call('ListMetrics', { Namespace: 'AWS/S3' });
  t.same(l.Metrics, [{ Namespace: 'AWS/S3', MetricName: 'NumberOfObjects', Dimensions: [{ Name: 'BucketName', Value: 'b1' }, { Name: 'StorageType', Value: 'AllStorageTypes' }] }]);
  const s = await call('GetMetricStatistics', { Namespace: 'AWS/S3', MetricName: 'NumberOfObjects', Dimensions: dims, StartTime: new Date(T0 - 86_400_000), EndTime: new Date(T0), Period: 86_400, Statistics: ['Average'] });
  t.same(s.Datapoints.map((d: { Average: number; Unit: string }) => [d.Average, d.Unit]), [[42, 'Count']]);
  await t.rejects(publishAwsMetrics(gw, { accountId: alice.accountId, region: 'us-east-1' }, 'Custom', []), /AWS\//);
});

t.test('retention: data older than 455 days is removed', async (t) => {
  const { call, clock, cw } = await setup(t);
  await call('PutMetricData', { Namespace: 'R', MetricData: [{ MetricName: 'old', Value: 1, Timestamp: new Date(T0 - 3_600_000) }, { MetricName: 'old', Value: 2, Timestamp: new Date(T0 - 60_000) }] });
  clock.advance(455 * 86_400_000 - 30 * 60_000);
  t.equal(await cw.backend.expire(clock.now()), 1, 'only the point past 455 days');
  clock.advance(3_600_000);
  t.equal(await cw.backend.expire(clock.now()), 1);
  await call('PutMetricData', { Namespace: 'R', MetricData: [{ MetricName: 'new', Value: 1 }] });
  t.same((await call('ListMetrics', { Namespace: 'R' })).Metrics.map((m: { MetricName: string }) => m.MetricName), ['new'], 'the expired series is gone');
});

t.test('PutMetricData with EntityMetricData (CloudWatch agent)', async (t) => {
  const { call } = await setup(t);
  await call('PutMetricData', {
    Namespace: 'CWAgent',
    MetricData: [{ MetricName: 'plain', Value: 1 }],
    EntityMetricData: [{ Entity: { KeyAttributes: { Type: 'Service', Name: 'web' }, Attributes: {} }, MetricData: [{ MetricName: 'mem_used', Value: 7, Unit: 'Bytes' }] }],
  });
  t.same((await call('ListMetrics', { Namespace: 'CWAgent' })).Metrics.map((m: { MetricName: string }) => m.MetricName).sort(), ['mem_used', 'plain']);
  await rejects(t, call('PutMetricData', { Namespace: 'CWAgent', EntityMetricData: [{ MetricData: [{ MetricName: 'x', Value: NaN }] }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /EntityMetricData\.member\.1\.MetricData\.member\.1\.Value/);
  await rejects(t, call('PutMetricData', { Namespace: 'CWAgent' }), 'MissingRequiredParameterException', 'MissingParameter', /MetricData/);
});

t.test('roll-up of old data keeps statistics and percentiles', async (t) => {
  const { call, clock, cw } = await setup(t);
  const store = cw.backend as unknown as { rollup(now: number): Promise<number>; points: { getKeysCount(): number } };
  // 30 minutes of 1-second data (3 values a second) and a statistic set
  const data = [];
  for (let s = 0; s < 1800; s += 10) data.push({ MetricName: 'hr', Values: [s % 7, s % 11, 100], StorageResolution: 1, Timestamp: new Date(T0 - 3_600_000 + s * 1000) });
  for (let o = 0; o < data.length; o += 100) await call('PutMetricData', { Namespace: 'Roll', MetricData: data.slice(o, o + 100) });
  await call('PutMetricData', { Namespace: 'Roll', MetricData: [{ MetricName: 'hr', StatisticValues: { SampleCount: 2, Sum: 10, Minimum: 5, Maximum: 5 }, Timestamp: new Date(T0 - 3_600_000) }] });
  const q = (period: number, extra = {}) => call('GetMetricStatistics', {
    Namespace: 'Roll', MetricName: 'hr', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: period, Statistics: ['Sum', 'SampleCount', 'Minimum', 'Maximum'], ...extra,
  });
  const before = await q(300);
  const beforePct = await call('GetMetricStatistics', { Namespace: 'Roll', MetricName: 'hr', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600, ExtendedStatistics: ['p50', 'p90'] });
  const entries = store.points.getKeysCount();
  clock.advance(4 * 3_600_000);
  t.ok((await store.rollup(clock.now())) > 0, 'high-resolution entries rolled to 1 minute after 3 hours');
  t.ok(store.points.getKeysCount() <= 31 && store.points.getKeysCount() < entries, `${entries} entries became ${store.points.getKeysCount()}`);
  t.same((await q(300)).Datapoints, before.Datapoints, '5-minute statistics unchanged');
  clock.advance(16 * 86_400_000);
  await store.rollup(clock.now());
  t.equal(store.points.getKeysCount(), 6, 'one entry per 5 minutes after 15 days');
  t.same((await q(300)).Datapoints, before.Datapoints);
  const afterPct = await call('GetMetricStatistics', { Namespace: 'Roll', MetricName: 'hr', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600, ExtendedStatistics: ['p50', 'p90'] });
  t.same(afterPct.Datapoints, beforePct.Datapoints, 'percentiles survive the roll-up');
  clock.advance(50 * 86_400_000);
  await store.rollup(clock.now());
  t.equal(store.points.getKeysCount(), 1, 'one entry per hour after 63 days');
  t.same((await q(3600)).Datapoints.map((d: { Sum: number }) => d.Sum), [before.Datapoints.reduce((s: number, d: { Sum: number }) => s + d.Sum, 0)]);
});

t.test('the embedded store keeps data across a restart', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { EmbeddedMetricStore } = await import('../../translators/embedded/cloudwatch/store.js');
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-cw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tenant = { accountId: '123456789012', region: 'us-east-1' };
  const metric = { namespace: 'P', metricName: 'm', dimensions: [] };
  const a = new EmbeddedMetricStore(dir);
  await a.put(tenant, [{ metric, timestamp: T0, unit: 'Count', storageResolution: 60, values: [4] }], T0);
  await a.close();
  const b = new EmbeddedMetricStore(dir);
  t.same((await b.aggregate(tenant, { metric, start: T0, end: T0 + 60_000, period: 60 })).map((x) => [x.sum, x.unit]), [[4, 'Count']]);
  await b.close();
});

t.test('trimmed statistics: tm, wm, tc, ts, TM(a%:b%), PR(a:b), IQM', async (t) => {
  const { call } = await setup(t);
  const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  await call('PutMetricData', { Namespace: 'T', MetricData: [{ MetricName: 'm', Values: values, Timestamp: new Date(T0 - 120_000) }] });
  const r = await call('GetMetricStatistics', {
    Namespace: 'T', MetricName: 'm', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600,
    ExtendedStatistics: ['tm90', 'tc90', 'ts90', 'wm90', 'TM(10%:90%)', 'PR(:50)', 'IQM', 'TS(91:100)'],
  });
  t.same(r.Datapoints[0].ExtendedStatistics, {
    tm90: 45.5, // mean of 1..90
    tc90: 90,
    ts90: 4095,
    wm90: (4095 + 10 * 90) / 100, // 91..100 clamped to 90
    'TM(10%:90%)': 50.5, // mean of 11..90
    'PR(:50)': 50,
    IQM: 50.5, // mean of 26..75
    'TS(91:100)': 955,
  });
  await rejects(t, call('GetMetricStatistics', {
    Namespace: 'T', MetricName: 'm', StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0), Period: 3600, ExtendedStatistics: ['TM(10%:90)'],
  }), 'InvalidParameterValueException', 'InvalidParameterValue', /TM\(10%:90\)/);
  const md = await call('GetMetricData', {
    StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0),
    MetricDataQueries: [{ Id: 'a', MetricStat: { Metric: { Namespace: 'T', MetricName: 'm' }, Period: 3600, Stat: 'tm99' } }],
  });
  t.same(md.MetricDataResults[0].Values, [50]);
});
