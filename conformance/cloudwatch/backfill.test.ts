// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Back-filled datapoints (CloudWatch takes timestamps up to two weeks old) and exact period
 * buckets [T, T+period): a datapoint on the first and on the last millisecond of a bucket, one on
 * the next bucket's first millisecond, one at EndTime (excluded), on every metric backend.
 */
import t from 'tap';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startTestGateway } from '../harness.js';
import { metricBackends } from '../backends/suites.js';

for (const b of metricBackends()) {
  t.test(`back-filled datapoints and exact buckets on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const cw = new CloudWatchClient(gw.clientConfig);
    const hour = 3_600_000;
    // 13 days and 20 hours ago, on an hour boundary
    const T = Math.floor((Date.now() - 13 * 86_400_000 - 20 * hour) / hour) * hour;
    const dims = [{ Name: 'Auto Scaling Group', Value: 'asg/1' }];
    const at = (ms: number, v: number) => ({ MetricName: 'Lat', Dimensions: dims, Timestamp: new Date(ms), Value: v, Unit: 'Milliseconds' as const });
    await cw.send(new PutMetricDataCommand({ Namespace: 'Back/Fill', MetricData: [at(T, 1), at(T + 59_999, 2), at(T + 60_000, 4), at(T + 120_000, 8), at(T + 3_599_999, 16)] }));
    // a second call for the same metric and second adds up, as in CloudWatch
    await cw.send(new PutMetricDataCommand({ Namespace: 'Back/Fill', MetricData: [at(T + 60_000, 32)] }));
    const stats = async (start: number, end: number, period: number) =>
      (await cw.send(new GetMetricStatisticsCommand({
        Namespace: 'Back/Fill', MetricName: 'Lat', Dimensions: dims, StartTime: new Date(start), EndTime: new Date(end), Period: period,
        Statistics: ['Sum', 'SampleCount', 'Minimum', 'Maximum'],
      }))).Datapoints!.map((d) => [d.Timestamp!.getTime() - T, d.Sum, d.SampleCount, d.Minimum, d.Maximum]).sort((a, b) => a[0]! - b[0]!);
    t.same(await stats(T, T + 180_000, 60), [
      [0, 3, 2, 1, 2],
      [60_000, 36, 2, 4, 32],
      [120_000, 8, 1, 8, 8],
    ], 'one-minute buckets: first and last millisecond in, the next bucket apart');
    t.same(await stats(T, T + 120_000, 60), [
      [0, 3, 2, 1, 2],
      [60_000, 36, 2, 4, 32],
    ], 'a datapoint at EndTime is not counted');
    t.same(await stats(T, T + 60_000 + 1000, 60), [
      [0, 3, 2, 1, 2],
      [60_000, 36, 2, 4, 32],
    ], 'a partial last bucket');
    t.same(await stats(T, T + 2 * hour, 3600), [[0, 63, 6, 1, 32]], 'one-hour bucket');
    t.same(await stats(T - hour, T, 3600), [], 'nothing before T');
    const md = await cw.send(new GetMetricDataCommand({
      StartTime: new Date(T), EndTime: new Date(T + 300_000), ScanBy: 'TimestampAscending',
      MetricDataQueries: [{ Id: 'p', MetricStat: { Metric: { Namespace: 'Back/Fill', MetricName: 'Lat', Dimensions: dims }, Period: 60, Stat: 'p50' } }],
    }));
    t.same(md.MetricDataResults?.[0]?.Timestamps?.map((d) => d.getTime() - T), [0, 60_000, 120_000]);
    t.same(md.MetricDataResults?.[0]?.Values, [1, 4, 8], 'percentiles per bucket');
  });
}
