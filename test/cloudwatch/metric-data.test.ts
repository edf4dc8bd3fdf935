// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { T0, rejects, setup } from './helpers.js';

const M = (name: string, host: string) => ({ Namespace: 'App', MetricName: name, Dimensions: [{ Name: 'Host', Value: host }] });

async function seed(call: (op: string, i: unknown) => Promise<unknown>) {
  // 5 minutes of data for two hosts: a = 1,2,3,4,5 ; b = 10,20,(missing),40,50
  const data = [];
  for (let i = 0; i < 5; i++) {
    const ts = new Date(T0 - (5 - i) * 60_000);
    data.push({ MetricName: 'Req', Dimensions: [{ Name: 'Host', Value: 'a' }], Timestamp: ts, Value: i + 1 });
    if (i !== 2) data.push({ MetricName: 'Req', Dimensions: [{ Name: 'Host', Value: 'b' }], Timestamp: ts, Value: (i + 1) * 10 });
  }
  await call('PutMetricData', { Namespace: 'App', MetricData: data });
}

const range = { StartTime: new Date(T0 - 5 * 60_000), EndTime: new Date(T0) };
const stat = (id: string, host: string, extra = {}) => ({ Id: id, MetricStat: { Metric: M('Req', host), Period: 60, Stat: 'Sum' }, ...extra });

/** Evaluates `expr` as query e over the seeded series a and b (not returned): [label, values] per result. */
async function overAB(call: (op: string, i: unknown) => Promise<{ MetricDataResults: Array<{ Label: string; Values: number[] }> }>, expr: string) {
  const r = await call('GetMetricData', {
    ...range, ScanBy: 'TimestampAscending',
    MetricDataQueries: [stat('a', 'a', { ReturnData: false }), stat('b', 'b', { ReturnData: false }), { Id: 'e', Expression: expr }],
  });
  return r.MetricDataResults.map((x) => [x.Label, x.Values] as [string, number[]]);
}

t.test('MetricStat results, default ScanBy is TimestampDescending', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  const r = await call('GetMetricData', { ...range, MetricDataQueries: [stat('a', 'a')] });
  t.equal(r.MetricDataResults.length, 1);
  const res = r.MetricDataResults[0];
  t.equal(res.Id, 'a');
  t.equal(res.Label, 'Req');
  t.equal(res.StatusCode, 'Complete');
  t.same(res.Values, [5, 4, 3, 2, 1]);
  t.same(res.Timestamps[0], new Date(T0 - 60_000));
  const asc = await call('GetMetricData', { ...range, ScanBy: 'TimestampAscending', MetricDataQueries: [stat('a', 'a')] });
  t.same(asc.MetricDataResults[0].Values, [1, 2, 3, 4, 5]);
});

t.test('metric math: arithmetic, matching timestamps, functions', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  const q = async (expr: string) => {
    const r = await overAB(call, expr);
    t.equal(r.length, 1, `only ReturnData queries for ${expr}`);
    return r[0][1];
  };
  t.same(await q('a + b'), [11, 22, 44, 55], 'a timestamp missing in one series is missing in the result');
  t.same(await q('(a + 1) * 2 - 4 / 2'), [2, 4, 6, 8, 10]);
  t.same(await q('2 ^ a'), [2, 4, 8, 16, 32]);
  t.same(await q('-a'), [-1, -2, -3, -4, -5]);
  t.same(await q('SUM([a, b])'), [11, 22, 3, 44, 55]);
  t.same(await q('SUM(METRICS())'), [11, 22, 3, 44, 55]);
  t.same(await q('MAX(METRICS("b"))'), [10, 20, 40, 50]);
  t.same(await q('AVG(a)'), [3, 3, 3, 3, 3], 'AVG of one series is a scalar, returned at every period');
  t.same(await q('RATE(a)'), [1 / 60, 1 / 60, 1 / 60, 1 / 60]);
  t.same(await q('DIFF(b)'), [10, 20, 10]);
  t.same(await q('FILL(b, 0)'), [10, 20, 0, 40, 50]);
  t.same(await q('FILL(b, REPEAT)'), [10, 20, 20, 40, 50]);
  t.same(await q('FILL(b, LINEAR)'), [10, 20, 30, 40, 50]);
  t.same(await q('IF(a > 2, a, 0)'), [0, 0, 3, 4, 5]);
  t.same(await q('IF(a >= 4, a)'), [4, 5]);
  t.same(await q('a > 2 AND a < 5'), [0, 0, 1, 1, 0]);
  t.same(await q('ABS(a - 3)'), [2, 1, 0, 1, 2]);
  t.same(await q('PERIOD(a) + 0 * a'), [60, 60, 60, 60, 60]);
});

t.test('SEARCH', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  await call('PutMetricData', { Namespace: 'Other', MetricData: [{ MetricName: 'Req', Dimensions: [{ Name: 'Host', Value: 'z' }], Value: 7, Timestamp: new Date(T0 - 60_000) }] });
  const run = async (expr: string) => {
    const r = await call('GetMetricData', { ...range, ScanBy: 'TimestampAscending', MetricDataQueries: [{ Id: 's', Expression: expr }] });
    return r.MetricDataResults.map((x: { Id: string; Label: string; Values: number[] }) => [x.Id, x.Label, x.Values]);
  };
  t.same(await run(`SEARCH('{App,Host} MetricName="Req"', 'Sum', 60)`), [['s', 'a Req', [1, 2, 3, 4, 5]], ['s', 'b Req', [10, 20, 40, 50]]]);
  t.same(await run(`SEARCH('{App,Host} Host=b', 'Maximum', 300)`), [['s', 'b Req', [50]]]);
  t.same(await run(`SEARCH('Req NOT Host=a', 'Sum', 300)`), [['s', 'b Req', [120]], ['s', 'z Req', [7]]]);
  t.same(await run(`SUM(SEARCH('{App,Host} Req', 'Sum', 300))`), [['s', 's', [135]]]);
  t.same(await run(`REMOVE_EMPTY(SEARCH('{App,Zone}', 'Sum', 60))`), []);
});

t.test('MaxDatapoints and NextToken', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  const req = { ...range, ScanBy: 'TimestampAscending', MaxDatapoints: 3, MetricDataQueries: [stat('a', 'a'), stat('b', 'b')] };
  const p1 = await call('GetMetricData', req);
  t.same(p1.MetricDataResults.map((r: { Values: number[]; StatusCode: string }) => [r.Values, r.StatusCode]), [[[1, 2, 3], 'PartialData'], [[], 'PartialData']]);
  t.ok(p1.NextToken);
  const p2 = await call('GetMetricData', { ...req, NextToken: p1.NextToken });
  t.same(p2.MetricDataResults.map((r: { Values: number[] }) => r.Values), [[4, 5], [10]]);
  const p3 = await call('GetMetricData', { ...req, NextToken: p2.NextToken });
  t.same(p3.MetricDataResults.map((r: { Values: number[] }) => r.Values), [[], [20, 40, 50]]);
  t.notOk(p3.NextToken);
  await rejects(t, call('GetMetricData', { ...req, MaxDatapoints: 4, NextToken: p1.NextToken }), 'InvalidNextToken', 'InvalidNextToken');
  await rejects(t, call('GetMetricData', { ...req, NextToken: 'garbage' }), 'InvalidNextToken', 'InvalidNextToken');
});

t.test('validation', async (t) => {
  const { call } = await setup(t);
  const bad = (queries: unknown[], re: RegExp) => rejects(t, call('GetMetricData', { ...range, MetricDataQueries: queries }), 'ValidationError', 'ValidationError', re);
  await bad([{ Id: 'A1', Expression: '1' }], /must start with a lowercase letter/);
  await bad([{ Id: 'a', Expression: '1' }, { Id: 'a', Expression: '2' }], /used more than once/);
  await bad([{ Id: 'a' }], /exactly one of MetricStat and Expression/);
  await bad([{ Id: 'e', Expression: 'x + 1' }], /Unrecognized identifier x/);
  await bad([{ Id: 'e', Expression: 'f' }, { Id: 'f', Expression: 'e' }], /Circular/);
  await bad([{ Id: 'e', Expression: '1 +' }], /Error in expression 'e'/);
  await bad([{ Id: 'e', Expression: 'NOPE(1)' }], /Unrecognized function NOPE/);
  await rejects(t, call('GetMetricData', { ...range, MetricDataQueries: [{ Id: 'a', MetricStat: { Metric: M('Req', 'a'), Period: 7, Stat: 'Sum' } }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /Period/);
  await rejects(t, call('GetMetricData', { StartTime: range.EndTime, EndTime: range.StartTime, MetricDataQueries: [{ Id: 'a', Expression: '1' }] }),
    'InvalidParameterValueException', 'InvalidParameterValue', /StartTime/);
});

t.test('dynamic labels', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  const r = await call('GetMetricData', {
    ...range, ScanBy: 'TimestampAscending',
    MetricDataQueries: [
      { Id: 's', Expression: `SEARCH('{App,Host} MetricName="Req"', 'Sum', 60)`, Label: "${PROP('Dim.Host')} ${PROP('MetricName')} ${PROP('Stat')}/${PROP('Period')} max=${MAX}" },
      { ...stat('a', 'a'), Label: '${LABEL} (${DATAPOINT_COUNT} points, avg ${AVG})' },
    ],
  });
  t.same(r.MetricDataResults.map((x: { Label: string }) => x.Label), ['a Req Sum/60 max=5', 'b Req Sum/60 max=50', 'Req (5 points, avg 3)']);
});

t.test('Metrics Insights SQL', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Req', Dimensions: [{ Name: 'Host', Value: 'c' }, { Name: 'Az', Value: 'x' }], Value: 1000, Timestamp: new Date(T0 - 60_000) }] });
  const run = async (sql: string, period = 300) => {
    const r = await call('GetMetricData', { ...range, ScanBy: 'TimestampAscending', MetricDataQueries: [{ Id: 'q', Expression: sql, Period: period }] });
    return r.MetricDataResults.map((x: { Label: string; Values: number[] }) => [x.Label, x.Values]);
  };
  t.same(await run('SELECT SUM(Req) FROM SCHEMA(App, Host)'), [['Req', [135]]], 'SCHEMA excludes the metric with an extra dimension');
  t.same(await run('SELECT SUM(Req) FROM App'), [['Req', [1135]]]);
  t.same(await run('SELECT AVG(Req) FROM SCHEMA("App", Host) GROUP BY Host ORDER BY MAX() DESC'), [['b', [30]], ['a', [3]]]);
  t.same(await run("SELECT MAX(Req) FROM SCHEMA(App, Host) WHERE Host != 'a' GROUP BY Host LIMIT 1"), [['b', [50]]]);
  t.same(await run('SELECT COUNT(Req) FROM App GROUP BY Host', 60).then((x) => x.map((y: [string, number[]]) => [y[0], y[1].length])), [['a', 5], ['b', 4], ['c', 1]]);
  await rejects(t, call('GetMetricData', { ...range, MetricDataQueries: [{ Id: 'q', Expression: 'SELECT MEDIAN(Req) FROM App', Period: 60 }] }), 'ValidationError', 'ValidationError', /unknown function MEDIAN/);
  await rejects(t, call('GetMetricData', { ...range, MetricDataQueries: [{ Id: 'q', Expression: 'SELECT SUM(Req) FROM App' }] }), 'ValidationError', 'ValidationError', /Period/);
});

t.test('more metric math: RUNNING_SUM, DIFF_TIME, DATAPOINT_COUNT, SORT, SLICE, FIRST, LAST, TIME_SERIES', async (t) => {
  const { call } = await setup(t);
  await seed(call);
  const q = (expr: string) => overAB(call, expr);
  t.same(await q('RUNNING_SUM(a)'), [['e', [1, 3, 6, 10, 15]]]);
  t.same(await q('DIFF_TIME(b)'), [['e', [60, 120, 60]]]);
  t.same(await q('DATAPOINT_COUNT(METRICS())'), [['e', [2, 2, 1, 2, 2]]]);
  t.same(await q('DATAPOINT_COUNT(b) + 0 * a'), [['e', [4, 4, 4, 4, 4]]]);
  t.same((await q('SORT(METRICS(), MAX, DESC)')).map((x: [string, number[]]) => x[1][0]), [10, 1]);
  t.same((await q('SORT(METRICS(), AVG, ASC, 1)')).map((x: [string, number[]]) => x[1][0]), [1]);
  t.same((await q('SLICE(METRICS(), 1, 2)')).map((x: [string, number[]]) => x[1][0]), [10]);
  t.same((await q('LAST(METRICS())'))[0][1], [10, 20, 40, 50]);
  t.same((await q('FIRST(METRICS())'))[0][1], [1, 2, 3, 4, 5]);
  t.same((await q('TIME_SERIES(7)'))[0][1], [7, 7, 7, 7, 7]);
  await rejects(t, call('GetMetricData', { ...range, MetricDataQueries: [stat('a', 'a'), { Id: 'e', Expression: 'SORT(METRICS(), MEDIAN, ASC)' }] }), 'ValidationError', 'ValidationError');
});
