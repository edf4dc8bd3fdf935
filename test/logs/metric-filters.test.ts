// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { createCloudWatch } from '../../apis/cloudwatch/index.js';
import { caller } from '../cloudwatch/fixture.js';
import { T0, rejects, setup } from './helpers.js';

t.test('metric filters publish CloudWatch metrics from PutLogEvents', async (t) => {
  const s = await setup(t);
  const cw = await createCloudWatch(s.gw, { scheduler: false });
  s.gw.services.set(cw.def.name, cw.def);
  const metrics = caller(s.gw, cw.def, s.alice);
  const { call } = s;
  await call('CreateLogGroup', { logGroupName: 'web' });
  await call('CreateLogStream', { logGroupName: 'web', logStreamName: 'a' });
  await call('PutMetricFilter', {
    logGroupName: 'web', filterName: 'errors', filterPattern: '{ $.status >= 500 }',
    metricTransformations: [{ metricName: 'Errors', metricNamespace: 'Web', metricValue: '1', defaultValue: 0 }],
  });
  await call('PutMetricFilter', {
    logGroupName: 'web', filterName: 'bytes', filterPattern: '[ip, method, path, status, bytes]',
    metricTransformations: [{ metricName: 'Bytes', metricNamespace: 'Web', metricValue: '$bytes', unit: 'Bytes', dimensions: { Method: '$method' } }],
  });
  await rejects(t, call('PutMetricFilter', { logGroupName: 'nope', filterName: 'x', filterPattern: '', metricTransformations: [{ metricName: 'm', metricNamespace: 'n', metricValue: '1' }] }), 'ResourceNotFoundException');
  await rejects(t, call('PutMetricFilter', { logGroupName: 'web', filterName: 'x', filterPattern: '{ $.a = ', metricTransformations: [{ metricName: 'm', metricNamespace: 'n', metricValue: '1' }] }), 'InvalidParameterException');
  const ts = T0 - 120_000;
  await call('PutLogEvents', {
    logGroupName: 'web', logStreamName: 'a',
    logEvents: [
      { timestamp: ts, message: '{"status":503}' },
      { timestamp: ts + 1, message: '{"status":200}' },
      { timestamp: ts + 2, message: '{"status":500}' },
      { timestamp: ts + 3, message: '10.0.0.1 GET /a 200 512' },
      { timestamp: ts + 4, message: '10.0.0.1 POST /b 201 100' },
      { timestamp: ts + 5, message: '10.0.0.1 GET /c 200 8' },
    ],
  });
  const stat = (name: string, dims: unknown[] = []) =>
    metrics('GetMetricStatistics', { Namespace: 'Web', MetricName: name, Dimensions: dims, StartTime: new Date(T0 - 600_000), EndTime: new Date(T0), Period: 600, Statistics: ['Sum', 'SampleCount'] });
  t.same((await stat('Errors')).Datapoints.map((d: { Sum: number }) => d.Sum), [2]);
  const get = await stat('Bytes', [{ Name: 'Method', Value: 'GET' }]);
  t.same(get.Datapoints.map((d: { Sum: number; SampleCount: number; Unit: string }) => [d.Sum, d.SampleCount, d.Unit]), [[520, 2, 'Bytes']]);
  const d = await call('DescribeMetricFilters', { logGroupName: 'web' });
  t.same(d.metricFilters.map((f: { filterName: string }) => f.filterName), ['bytes', 'errors']);
  t.same((await call('DescribeMetricFilters', { metricName: 'Errors', metricNamespace: 'Web' })).metricFilters.map((f: { filterName: string }) => f.filterName), ['errors']);
  await call('DeleteMetricFilter', { logGroupName: 'web', filterName: 'bytes' });
  await rejects(t, call('DeleteMetricFilter', { logGroupName: 'web', filterName: 'bytes' }), 'ResourceNotFoundException');
});

t.test('TestMetricFilter', async (t) => {
  const { call } = await setup(t);
  const r = await call('TestMetricFilter', { filterPattern: '[ip, user, status = 4*, size]', logEventMessages: ['1.2.3.4 bob 404 12', '1.2.3.4 bob 200 12', 'short'] });
  t.same(r.matches, [{ eventNumber: 1, eventMessage: '1.2.3.4 bob 404 12', extractedValues: { $ip: '1.2.3.4', $user: 'bob', $status: '404', $size: '12' } }]);
  const j = await call('TestMetricFilter', { filterPattern: '{ $.level = "error" }', logEventMessages: ['{"level":"error"}', '{"level":"info"}'] });
  t.same(j.matches, [{ eventNumber: 1, eventMessage: '{"level":"error"}', extractedValues: { '$.level': 'error' } }]);
});
