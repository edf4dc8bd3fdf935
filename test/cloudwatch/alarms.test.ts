// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { T0, rejects, setup, type T } from './helpers.js';

const MIN = 60_000;

async function world(t: T) {
  const s = await setup(t);
  const put = (values: Array<[number, number]>, metric = 'Errors') =>
    s.call('PutMetricData', { Namespace: 'App', MetricData: values.map(([ago, v]) => ({ MetricName: metric, Value: v, Timestamp: new Date(s.clock.now() - ago * MIN) })) });
  const alarm = (name: string, extra: Record<string, unknown> = {}) =>
    s.call('PutMetricAlarm', {
      AlarmName: name, Namespace: 'App', MetricName: 'Errors', Statistic: 'Sum', Period: 60,
      EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', ...extra,
    });
  const state = async (name: string) => (await s.call('DescribeAlarms', { AlarmNames: [name] })).MetricAlarms[0];
  const tick = async () => {
    s.clock.advance(MIN);
    await s.cw.alarms.tick();
  };
  return { ...s, put, alarm, state, tick };
}

t.test('PutMetricAlarm, DescribeAlarms, DeleteAlarms', async (t) => {
  const { call, alarm, gw, alice } = await world(t);
  await alarm('cpu-high', { AlarmDescription: 'too many', Dimensions: [{ Name: 'Host', Value: 'a' }], AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops'] });
  await alarm('cpu-low');
  const d = await call('DescribeAlarms', {});
  t.same(d.MetricAlarms.map((a: { AlarmName: string }) => a.AlarmName), ['cpu-high', 'cpu-low']);
  t.same(d.CompositeAlarms, []);
  const a = d.MetricAlarms[0];
  t.equal(a.AlarmArn, `arn:aws:cloudwatch:us-east-1:${alice.accountId}:alarm:cpu-high`);
  t.equal(a.StateValue, 'INSUFFICIENT_DATA');
  t.equal(a.StateReason, 'Unchecked: Initial alarm creation');
  t.equal(a.ActionsEnabled, true);
  t.same(a.Dimensions, [{ Name: 'Host', Value: 'a' }]);
  t.same(a.AlarmActions, ['arn:aws:sns:us-east-1:123456789012:ops']);
  t.equal((await call('DescribeAlarms', { AlarmNamePrefix: 'cpu-h' })).MetricAlarms.length, 1);
  t.equal((await call('DescribeAlarms', { StateValue: 'ALARM' })).MetricAlarms.length, 0);
  t.equal((await call('DescribeAlarms', { ActionPrefix: 'arn:aws:sns' })).MetricAlarms.length, 1);
  const p1 = await call('DescribeAlarms', { MaxRecords: 1 });
  t.equal(p1.MetricAlarms.length, 1);
  const p2 = await call('DescribeAlarms', { MaxRecords: 1, NextToken: p1.NextToken });
  t.same(p2.MetricAlarms.map((x: { AlarmName: string }) => x.AlarmName), ['cpu-low']);
  t.notOk(p2.NextToken);
  const bob = await gw.account('bob');
  t.same((await call('DescribeAlarms', {}, bob)).MetricAlarms, [], 'tenancy');
  const hist = await call('DescribeAlarmHistory', { AlarmName: 'cpu-high' });
  t.same(hist.AlarmHistoryItems.map((h: { HistoryItemType: string; HistorySummary: string }) => [h.HistoryItemType, h.HistorySummary]), [['ConfigurationUpdate', 'Alarm "cpu-high" created']]);
  await call('DeleteAlarms', { AlarmNames: ['cpu-high', 'does-not-exist'] });
  t.same((await call('DescribeAlarms', {})).MetricAlarms.map((x: { AlarmName: string }) => x.AlarmName), ['cpu-low']);
});

t.test('static threshold evaluation, state reasons and history', async (t) => {
  const { call, alarm, put, state, tick } = await world(t);
  await alarm('errs');
  await put([[0.5, 9]]);
  await tick();
  let a = await state('errs');
  t.equal(a.StateValue, 'ALARM');
  t.match(a.StateReason, /^Threshold Crossed: 1 out of the last 1 datapoints \[9\.0 \(10\/01\/26 11:59:00\)\] was greater than the threshold \(5\.0\)/);
  const data = JSON.parse(a.StateReasonData);
  t.equal(data.statistic, 'Sum');
  t.same(data.recentDatapoints, [9]);
  await put([[0.5, 1]]);
  await tick();
  a = await state('errs');
  t.equal(a.StateValue, 'OK');
  t.match(a.StateReason, /1 datapoint \[1\.0 .*\] was not greater than the threshold \(5\.0\)/);
  const hist = await call('DescribeAlarmHistory', { AlarmName: 'errs', HistoryItemType: 'StateUpdate' });
  t.same(hist.AlarmHistoryItems.map((h: { HistorySummary: string }) => h.HistorySummary), ['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);
  const asc = await call('DescribeAlarmHistory', { AlarmName: 'errs', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' });
  t.equal(asc.AlarmHistoryItems[0].HistorySummary, 'Alarm updated from INSUFFICIENT_DATA to ALARM');
});

t.test('M out of N', async (t) => {
  const { alarm, put, state, clock, cw } = await world(t);
  await alarm('m-of-n', { EvaluationPeriods: 3, DatapointsToAlarm: 2 });
  // periods 11:57, 11:58, 11:59: 10, 1, 10 -> 2 of 3 breach
  await put([[3, 10], [2, 1], [1, 10]]);
  await cw.alarms.tick();
  t.equal((await state('m-of-n')).StateValue, 'ALARM');
  t.match((await state('m-of-n')).StateReason, /2 out of the last 3 datapoints/);
  clock.advance(MIN);
  await put([[1, 1]]); // 11:58 1, 11:59 10, 12:00 1 -> 1 of 3
  await cw.alarms.tick();
  t.equal((await state('m-of-n')).StateValue, 'OK');
});

t.test('TreatMissingData with no data at all', async (t) => {
  const { alarm, state, cw, call } = await world(t);
  for (const m of ['missing', 'breaching', 'notBreaching', 'ignore']) await alarm(`all-${m}`, { TreatMissingData: m, EvaluationPeriods: 2 });
  await alarm('all-default', { EvaluationPeriods: 2 });
  await call('SetAlarmState', { AlarmName: 'all-ignore', StateValue: 'ALARM', StateReason: 'manual' });
  await call('SetAlarmState', { AlarmName: 'all-missing', StateValue: 'OK', StateReason: 'manual' });
  await cw.alarms.tick();
  t.equal((await state('all-missing')).StateValue, 'INSUFFICIENT_DATA');
  t.match((await state('all-missing')).StateReason, /Insufficient Data: 2 datapoints were unknown/);
  t.equal((await state('all-default')).StateValue, 'INSUFFICIENT_DATA');
  t.equal((await state('all-breaching')).StateValue, 'ALARM');
  t.equal((await state('all-notBreaching')).StateValue, 'OK');
  t.equal((await state('all-ignore')).StateValue, 'ALARM', 'ignore keeps the current state');
});

t.test('TreatMissingData with fewer real datapoints than EvaluationPeriods', async (t) => {
  const { alarm, state, cw, call, put, tick } = await world(t);
  for (const m of ['missing', 'breaching', 'notBreaching', 'ignore']) await alarm(`part-${m}`, { TreatMissingData: m, EvaluationPeriods: 3 });
  await call('SetAlarmState', { AlarmName: 'part-ignore', StateValue: 'OK', StateReason: 'manual' });
  await put([[1, 9]]); // one breaching point, two missing; M = N = 3
  await cw.alarms.tick();
  t.equal((await state('part-breaching')).StateValue, 'ALARM', 'missing filled as breaching: 3 of 3');
  t.match((await state('part-breaching')).StateReason, /2 missing datapoints treated as breaching/);
  t.equal((await state('part-notBreaching')).StateValue, 'OK');
  t.equal((await state('part-missing')).StateValue, 'OK', 'real points alone cannot reach 3');
  t.equal((await state('part-ignore')).StateValue, 'OK', 'ignore: undecided, state kept');
  // enough real points in the wider evaluation range: TreatMissingData does not matter
  await put([[4, 9], [6, 9]]);
  await tick();
  for (const m of ['missing', 'breaching', 'notBreaching', 'ignore']) t.equal((await state(`part-${m}`)).StateValue, 'ALARM', m);
});

t.test('percentile alarms and EvaluateLowSampleCountPercentile', async (t) => {
  const { call, state, cw, clock } = await world(t);
  const base = { Namespace: 'App', MetricName: 'Lat', ExtendedStatistic: 'p90', Period: 60, EvaluationPeriods: 1, Threshold: 50, ComparisonOperator: 'GreaterThanThreshold' };
  await call('PutMetricAlarm', { ...base, AlarmName: 'p-eval', EvaluateLowSampleCountPercentile: 'evaluate' });
  await call('PutMetricAlarm', { ...base, AlarmName: 'p-ignore', EvaluateLowSampleCountPercentile: 'ignore' });
  await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Lat', Values: [10, 20, 30, 100, 100], Timestamp: new Date(clock.now() - 30_000) }] });
  await cw.alarms.tick();
  t.equal((await state('p-eval')).StateValue, 'ALARM', 'p90 of 5 samples = 100');
  t.equal((await state('p-ignore')).StateValue, 'INSUFFICIENT_DATA', '5 samples are too few for p90: state kept');
  clock.advance(MIN);
  await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Lat', Values: [10, 100], Counts: [95, 5], Timestamp: new Date(clock.now() - 30_000) }] });
  await cw.alarms.tick();
  t.equal((await state('p-ignore')).StateValue, 'OK', '100 samples are enough');
});

t.test('metric math alarm', async (t) => {
  const { call, put, state, cw } = await world(t);
  await call('PutMetricAlarm', {
    AlarmName: 'ratio', EvaluationPeriods: 1, Threshold: 0.5, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Metrics: [
      { Id: 'e', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'r', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Requests' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'ratio', Expression: 'e / r', ReturnData: true },
    ],
  });
  await put([[0.5, 3]], 'Errors');
  await put([[0.5, 4]], 'Requests');
  await cw.alarms.tick();
  t.equal((await state('ratio')).StateValue, 'ALARM');
  const a = await state('ratio');
  t.equal(a.Metrics.length, 3);
  t.notOk(a.MetricName);
});

t.test('SetAlarmState, actions enabled/disabled, webhooks with retries', async (t) => {
  const calls: Array<{ url: string; body: string }> = [];
  let failures = 1;
  const { ActionDispatcher } = await import('../../apis/cloudwatch/actions.js');
  let dispatcher!: InstanceType<typeof ActionDispatcher>;
  const s = await setup(t, T0, {
    actions: {
      fire: (...args: Parameters<InstanceType<typeof ActionDispatcher>['fire']>) => dispatcher.fire(...args),
      settle: () => dispatcher.settle(),
      close: () => dispatcher.close(),
    } as unknown as InstanceType<typeof ActionDispatcher>,
  });
  dispatcher = new ActionDispatcher(
    s.gw,
    new Map([['arn:aws:sns:us-east-1:123456789012:ops', { url: 'http://hook.test/ops' }]]),
    async (url, init) => {
      calls.push({ url, body: init.body });
      return { status: failures-- > 0 ? 503 : 204 };
    },
    [0, 0],
  );
  const { call } = s;
  await call('PutMetricAlarm', {
    AlarmName: 'hooked', Namespace: 'App', MetricName: 'Errors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops', 'arn:aws:sns:us-east-1:123456789012:unknown'],
  });
  await call('SetAlarmState', { AlarmName: 'hooked', StateValue: 'ALARM', StateReason: 'testing', StateReasonData: '{"a":1}' });
  await dispatcher.settle();
  t.equal(calls.length, 2, 'one retry after a 503');
  const body = JSON.parse(calls[1].body);
  t.equal(body.AlarmName, 'hooked');
  t.equal(body.NewStateValue, 'ALARM');
  t.equal(body.OldStateValue, 'INSUFFICIENT_DATA');
  t.equal(body.NewStateReason, 'testing');
  const hist = await call('DescribeAlarmHistory', { AlarmName: 'hooked', HistoryItemType: 'Action' });
  t.same(hist.AlarmHistoryItems.map((h: { HistorySummary: string }) => h.HistorySummary).sort(), [
    'Failed to execute action arn:aws:sns:us-east-1:123456789012:unknown',
    'Successfully executed action arn:aws:sns:us-east-1:123456789012:ops',
  ]);
  await call('DisableAlarmActions', { AlarmNames: ['hooked'] });
  await call('SetAlarmState', { AlarmName: 'hooked', StateValue: 'OK', StateReason: 'x' });
  await call('SetAlarmState', { AlarmName: 'hooked', StateValue: 'ALARM', StateReason: 'y' });
  await dispatcher.settle();
  t.equal(calls.length, 2, 'no deliveries with actions disabled');
  t.equal((await call('DescribeAlarms', { AlarmNames: ['hooked'] })).MetricAlarms[0].ActionsEnabled, false);
  await rejects(t, call('SetAlarmState', { AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }), 'ResourceNotFound', 'ResourceNotFound', /nope/);
  await rejects(t, call('SetAlarmState', { AlarmName: 'hooked', StateValue: 'OK', StateReason: 'x', StateReasonData: '{' }), 'InvalidFormatFault', 'InvalidFormat');
});

t.test('composite alarms', async (t) => {
  const { call, alarm, cw } = await world(t);
  await alarm('a');
  await alarm('b');
  await call('PutCompositeAlarm', { AlarmName: 'both', AlarmRule: 'ALARM("a") AND NOT OK(b)' });
  await call('SetAlarmState', { AlarmName: 'a', StateValue: 'ALARM', StateReason: 'x' });
  await call('SetAlarmState', { AlarmName: 'b', StateValue: 'OK', StateReason: 'x' });
  const composite = async () => (await call('DescribeAlarms', { AlarmNames: ['both'], AlarmTypes: ['CompositeAlarm'] })).CompositeAlarms[0];
  t.equal((await composite()).StateValue, 'INSUFFICIENT_DATA');
  // evaluate composites only (the metric alarms have no data and would go INSUFFICIENT_DATA)
  await (cw.alarms as unknown as { evaluateComposites(now: number): Promise<number> }).evaluateComposites(T0);
  t.equal((await composite()).StateValue, 'OK');
  await call('SetAlarmState', { AlarmName: 'b', StateValue: 'ALARM', StateReason: 'x' });
  await (cw.alarms as unknown as { evaluateComposites(now: number): Promise<number> }).evaluateComposites(T0 + 60_000);
  t.equal((await composite()).StateValue, 'ALARM');
  t.same((await call('DescribeAlarms', { ParentsOfAlarmName: 'a', AlarmTypes: ['CompositeAlarm'] })).CompositeAlarms.map((x: { AlarmName: string }) => x.AlarmName), ['both']);
  t.same((await call('DescribeAlarms', { ChildrenOfAlarmName: 'both', AlarmTypes: ['MetricAlarm'] })).MetricAlarms.map((x: { AlarmName: string }) => x.AlarmName), ['a', 'b']);
  await rejects(t, call('PutCompositeAlarm', { AlarmName: 'bad', AlarmRule: 'ALARM(a) AND' }), 'ValidationError', 'ValidationError', /AlarmRule/);
});

t.test('DescribeAlarmsForMetric and tags', async (t) => {
  const { call, alarm, alice } = await world(t);
  await alarm('x', { Dimensions: [{ Name: 'Host', Value: 'a' }], Tags: [{ Key: 'team', Value: 'ops' }] });
  await alarm('y');
  const r = await call('DescribeAlarmsForMetric', { Namespace: 'App', MetricName: 'Errors', Dimensions: [{ Name: 'Host', Value: 'a' }] });
  t.same(r.MetricAlarms.map((a: { AlarmName: string }) => a.AlarmName), ['x']);
  t.equal((await call('DescribeAlarmsForMetric', { Namespace: 'App', MetricName: 'Errors' })).MetricAlarms.length, 2);
  const arn = `arn:aws:cloudwatch:us-east-1:${alice.accountId}:alarm:x`;
  t.same((await call('ListTagsForResource', { ResourceARN: arn })).Tags, [{ Key: 'team', Value: 'ops' }]);
  await call('TagResource', { ResourceARN: arn, Tags: [{ Key: 'env', Value: 'prod' }] });
  await call('UntagResource', { ResourceARN: arn, TagKeys: ['team'] });
  t.same((await call('ListTagsForResource', { ResourceARN: arn })).Tags, [{ Key: 'env', Value: 'prod' }]);
  await rejects(t, call('ListTagsForResource', { ResourceARN: arn + 'zzz' }), 'ResourceNotFoundException', 'ResourceNotFoundException');
});

t.test('PutMetricAlarm validation', async (t) => {
  const { alarm, call } = await world(t);
  await rejects(t, alarm('v', { ComparisonOperator: 'Bigger' }), 'InvalidParameterValueException', 'InvalidParameterValue', /ComparisonOperator/);
  await rejects(t, alarm('v', { EvaluationPeriods: 2, DatapointsToAlarm: 3 }), 'ValidationError', 'ValidationError', /DatapointsToAlarm/);
  await rejects(t, alarm('v', { TreatMissingData: 'sometimes' }), 'ValidationError', 'ValidationError', /TreatMissingData/);
  await rejects(t, alarm('v', { ExtendedStatistic: 'p99' }), 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Statistic and ExtendedStatistic/);
  await rejects(t, alarm('v', { EvaluateLowSampleCountPercentile: 'ignore' }), 'ValidationError', 'ValidationError', /ExtendedStatistic/);
  await rejects(t, alarm('v', { EvaluationPeriods: 1441 }), 'ValidationError', 'ValidationError', /86,400/);
  await rejects(t, alarm('v', { AlarmActions: ['not-an-arn'] }), 'ValidationError', 'ValidationError', /Invalid arn syntax/);
  await rejects(t, call('PutMetricAlarm', { AlarmName: 'v', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 1 }), 'MissingRequiredParameterException', 'MissingParameter', /Namespace/);
  t.same((await call('DescribeAlarms', {})).MetricAlarms, [], 'nothing was stored');
});

t.test('two gateways on one state store: one evaluates at a time', async (t) => {
  const { alarm, put, cw, gw, clock } = await world(t);
  const { AlarmEngine } = await import('../../apis/cloudwatch/alarm-engine.js');
  const { ActionDispatcher } = await import('../../apis/cloudwatch/actions.js');
  const other = new AlarmEngine(gw, cw.backend, new ActionDispatcher(gw));
  await alarm('shared');
  await put([[0.5, 9]]);
  t.equal(await cw.alarms.tick(), 1, 'the first engine takes the lease');
  clock.advance(MIN);
  t.equal(await other.tick(), 0, 'the other waits while the lease is held');
  clock.advance(MIN);
  t.equal(await cw.alarms.tick(), 1);
  clock.advance(31_000 + MIN);
  t.equal(await other.tick(), 1, 'an expired lease passes to the other engine');
});
