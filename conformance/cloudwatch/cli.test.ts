// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * aws-cli against CloudWatch and Logs: v2 from Debian (/usr/bin/aws 2.9, whose botocore speaks
 * awsQuery to CloudWatch) and v1 from PATH (botocore 1.43, awsJson 1.0 with x-amzn-query-mode).
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { run, startTestGateway } from '../harness.js';
import { metricBackends } from '../backends/suites.js';

const CLIS: Array<[string, string]> = [['aws-cli v2 (query)', '/usr/bin/aws'], ['aws-cli v1 (json)', 'aws']];

for (const b of metricBackends()) {
  for (const [name, bin] of CLIS) {
    // the TSDB backends get one CLI (the wire protocols are the same on every backend)
    const skip = b.skip || (bin.startsWith('/') && !existsSync(bin) ? `${bin} is not installed` : b.name !== 'embedded' && bin.startsWith('/') ? 'aws-cli v2 runs on the embedded store only' : false);
    t.test(`${name} on ${b.name}`, { skip }, async (t) => {
      const gw = await startTestGateway(t, { config: await b.config(t) });
      const aws = async (...args: string[]) => {
        // aws-cli 2.9 predates AWS_ENDPOINT_URL: pass the endpoint explicitly
        const r = await run(bin, [...args, '--endpoint-url', gw.url, '--output', 'json'], { env: gw.env() });
        return { ...r, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
      };
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const ts = new Date(minute - 60_000).toISOString();
      let r = await aws('cloudwatch', 'put-metric-data', '--namespace', 'Cli', '--metric-data',
        JSON.stringify([{ MetricName: 'Jobs', Dimensions: [{ Name: 'Queue', Value: 'q1' }], Value: 3, Unit: 'Count', Timestamp: ts }, { MetricName: 'Jobs', Dimensions: [{ Name: 'Queue', Value: 'q1' }], Value: 5, Unit: 'Count', Timestamp: ts }]));
      t.equal(r.code, 0, r.stderr);
      r = await aws('cloudwatch', 'get-metric-statistics', '--namespace', 'Cli', '--metric-name', 'Jobs', '--dimensions', 'Name=Queue,Value=q1',
        '--start-time', new Date(minute - 600_000).toISOString(), '--end-time', new Date(minute).toISOString(), '--period', '60', '--statistics', 'Sum', 'Maximum');
      t.equal(r.code, 0, r.stderr);
      t.same(r.json.Datapoints.map((d: { Sum: number; Maximum: number; Unit: string }) => [d.Sum, d.Maximum, d.Unit]), [[8, 5, 'Count']]);
      r = await aws('cloudwatch', 'list-metrics', '--namespace', 'Cli');
      t.same(r.json.Metrics, [{ Namespace: 'Cli', MetricName: 'Jobs', Dimensions: [{ Name: 'Queue', Value: 'q1' }] }]);
      r = await aws('cloudwatch', 'put-metric-alarm', '--alarm-name', 'jobs-high', '--namespace', 'Cli', '--metric-name', 'Jobs', '--dimensions', 'Name=Queue,Value=q1',
        '--statistic', 'Sum', '--period', '60', '--evaluation-periods', '1', '--threshold', '100', '--comparison-operator', 'GreaterThanThreshold');
      t.equal(r.code, 0, r.stderr);
      r = await aws('cloudwatch', 'describe-alarms', '--alarm-names', 'jobs-high');
      t.equal(r.json.MetricAlarms[0].AlarmName, 'jobs-high');
      t.equal(r.json.MetricAlarms[0].Threshold, 100);
      r = await aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'nope', '--state-value', 'OK', '--state-reason', 'x');
      t.not(r.code, 0);
      t.match(r.stderr, /ResourceNotFound/);
      r = await aws('cloudwatch', 'put-metric-data', '--namespace', 'AWS/EC2', '--metric-name', 'x', '--value', '1');
      t.not(r.code, 0);
      t.match(r.stderr, /InvalidParameterValue/);
      // Logs (awsJson 1.1 for both)
      t.equal((await aws('logs', 'create-log-group', '--log-group-name', 'cli')).code, 0);
      t.equal((await aws('logs', 'create-log-stream', '--log-group-name', 'cli', '--log-stream-name', 's')).code, 0);
      r = await aws('logs', 'put-log-events', '--log-group-name', 'cli', '--log-stream-name', 's', '--log-events', JSON.stringify([{ timestamp: Date.now(), message: 'ERROR from cli' }]));
      t.equal(r.code, 0, r.stderr);
      r = await aws('logs', 'filter-log-events', '--log-group-name', 'cli', '--filter-pattern', 'ERROR');
      t.same(r.json.events.map((e: { message: string }) => e.message), ['ERROR from cli']);
      r = await aws('logs', 'describe-log-groups', '--log-group-name-prefix', 'nope-');
      t.same(r.json.logGroups, []);
    });
  }
}
