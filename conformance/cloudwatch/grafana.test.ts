// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The calls Grafana's CloudWatch data source makes, replayed as raw signed HTTP the way its
 * aws-sdk-go builds send them: CloudWatch over awsQuery (form bodies, ISO-8601 times) —
 * ListMetrics, GetMetricData with REMOVE_EMPTY(SEARCH(…)), DescribeAlarms — and Logs over
 * awsJson 1.1 — DescribeLogGroups, GetLogGroupFields, StartQuery / GetQueryResults.
 */
import t from 'tap';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../bench/sha256.js';
import { startTestGateway, type TestGatewayHandle } from '../harness.js';
import { logBackends, metricBackends } from '../backends/suites.js';

async function send(gw: TestGatewayHandle, service: string, headers: Record<string, string>, body: string) {
  const url = new URL(gw.url);
  const signer = new SignatureV4({ service, region: gw.region, credentials: gw.credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/',
    headers: { host: url.host, 'user-agent': 'aws-sdk-go/1.50.0 (go1.21; linux; amd64) Grafana/10.4.0', ...headers }, body,
  });
  const res = await fetch(`${gw.url}/`, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const form = (params: Record<string, string>) => Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

for (const b of metricBackends()) {
  t.test(`Grafana CloudWatch data source calls on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const now = Math.floor(Date.now() / 300_000) * 300_000;
    const q = (params: Record<string, string>) => send(gw, 'monitoring', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, form({ ...params, Version: '2010-08-01' }));
    const put = form({
      Action: 'PutMetricData', Version: '2010-08-01', Namespace: 'MyApp',
      'MetricData.member.1.MetricName': 'CPUUtilization', 'MetricData.member.1.Dimensions.member.1.Name': 'InstanceId', 'MetricData.member.1.Dimensions.member.1.Value': 'i-1',
      'MetricData.member.1.Value': '40', 'MetricData.member.1.Timestamp': iso(now - 600_000),
      'MetricData.member.2.MetricName': 'CPUUtilization', 'MetricData.member.2.Dimensions.member.1.Name': 'InstanceId', 'MetricData.member.2.Dimensions.member.1.Value': 'i-2',
      'MetricData.member.2.Value': '80', 'MetricData.member.2.Timestamp': iso(now - 600_000),
    });
    t.equal((await send(gw, 'monitoring', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, put)).status, 200);

    const lm = await q({ Action: 'ListMetrics', Namespace: 'MyApp', MetricName: 'CPUUtilization' });
    t.equal(lm.status, 200);
    t.match(lm.text, /<ListMetricsResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/">/);
    t.equal((lm.text.match(/<member>\s*<Name>InstanceId<\/Name>/g) ?? []).length, 2);

    const md = await q({
      Action: 'GetMetricData', StartTime: iso(now - 3_600_000), EndTime: iso(now), ScanBy: 'TimestampAscending', MaxDatapoints: '100800',
      'MetricDataQueries.member.1.Id': 'a', 'MetricDataQueries.member.1.ReturnData': 'true', 'MetricDataQueries.member.1.Label': '${PROP(\'Dim.InstanceId\')}',
      'MetricDataQueries.member.1.Expression': `REMOVE_EMPTY(SEARCH('{MyApp,InstanceId} MetricName="CPUUtilization"', 'Average', 300))`,
    });
    t.equal(md.status, 200, md.text);
    t.equal((md.text.match(/<Id>a<\/Id>/g) ?? []).length, 2, 'one result per matching metric');
    t.match(md.text, /<Values>\s*<member>40(\.0)?<\/member>\s*<\/Values>/);
    t.match(md.text, /<StatusCode>Complete<\/StatusCode>/);

    const da = await q({ Action: 'DescribeAlarms', MaxRecords: '100' });
    t.equal(da.status, 200);
    t.match(da.text, /<DescribeAlarmsResult>/);

    const bad = await q({ Action: 'GetMetricData', StartTime: iso(now - 3_600_000), EndTime: iso(now), 'MetricDataQueries.member.1.Id': 'a', 'MetricDataQueries.member.1.Expression': 'SEARCH(' });
    t.equal(bad.status, 400);
    t.match(bad.text, /<Code>ValidationError<\/Code>/);
  });
}

for (const b of logBackends()) {
  t.test(`Grafana Logs calls (awsJson 1.1) on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const call = async (op: string, body: unknown) => {
      const r = await send(gw, 'logs', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${op}` }, JSON.stringify(body));
      t.equal(r.status, 200, `${op}: ${r.text}`);
      return JSON.parse(r.text);
    };
    await call('CreateLogGroup', { logGroupName: '/grafana/app' });
    await call('CreateLogStream', { logGroupName: '/grafana/app', logStreamName: 's' });
    const now = Date.now();
    await call('PutLogEvents', { logGroupName: '/grafana/app', logStreamName: 's', logEvents: [{ timestamp: now - 2000, message: '{"status":500,"path":"/x"}' }, { timestamp: now - 1000, message: '{"status":200,"path":"/y"}' }] });
    const groups = await call('DescribeLogGroups', { limit: 50, logGroupNamePrefix: '/grafana' });
    t.equal(groups.logGroups[0].logGroupName, '/grafana/app');
    const fields = await call('GetLogGroupFields', { logGroupName: '/grafana/app' });
    t.ok(fields.logGroupFields.some((f: { name: string }) => f.name === 'status'));
    const { queryId } = await call('StartQuery', {
      logGroupNames: ['/grafana/app'], startTime: Math.floor(now / 1000) - 3600, endTime: Math.floor(now / 1000) + 1, limit: 1000,
      queryString: 'fields @timestamp, status | filter status >= 500 | stats count(*) as errors by bin(1h)',
    });
    const res = await call('GetQueryResults', { queryId });
    t.equal(res.status, 'Complete');
    t.same(res.results[0].map((c: { field: string }) => c.field), ['bin(1h)', 'errors']);
    t.equal(res.results[0][1].value, '1');
  });
}
