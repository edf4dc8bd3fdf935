// SPDX-License-Identifier: AGPL-3.0-or-later
/** What one PutMetricData call becomes on the wire: per-second aggregation, statistic sets, cw_dist. */
import t from 'tap';
import { PrometheusMetricStore } from '../../translators/grafana/metrics.js';
import { prometheusSettings } from '../../translators/grafana/config.js';
import { decodeRemoteWrite, encodeRemoteWrite } from '../../translators/grafana/remote-write.js';
import type { MetricPoint } from '../../apis/cloudwatch/backend.js';

t.test('one call: samples per statistic, metric, unit and second', async (t) => {
  const store = new PrometheusMetricStore(prometheusSettings({ prometheus: { url: 'http://127.0.0.1:1' } }));
  const tenant = { accountId: '123456789012', region: 'eu-west-1' };
  const metric = { namespace: 'AWS/EC2', metricName: 'CPU', dimensions: [{ Name: 'Instance Id', Value: 'i-1' }] };
  const T = 1_795_000_000_000;
  const pts: MetricPoint[] = [
    { metric, timestamp: T + 100, unit: 'Percent', storageResolution: 60, values: [1, 2], counts: [1, 3] },
    { metric, timestamp: T + 900, unit: 'Percent', storageResolution: 60, values: [2.0001] },
    { metric, timestamp: T + 1000, unit: 'Percent', storageResolution: 60, stats: { sampleCount: 4, sum: 10, min: 1, max: 4 } },
    { metric, timestamp: T + 1000, unit: 'Count', storageResolution: 60, stats: { sampleCount: 2, sum: 10, min: 5, max: 5 } },
  ];
  const series = decodeRemoteWrite(encodeRemoteWrite(store.seriesFor(tenant, pts)));
  const view = series.map((s) => {
    const l = Object.fromEntries(s.labels);
    return [l.__name__, l.unit, l.value ?? '', s.samples.map((x) => [x.timestamp - (x.timestamp % 1000) - T, x.value])];
  });
  t.same(view, [
    ['cw_count', 'Percent', '', [[0, 5], [1000, 4]]],
    ['cw_sum', 'Percent', '', [[0, 9.0001], [1000, 10]]],
    ['cw_min', 'Percent', '', [[0, 1], [1000, 1]]],
    ['cw_max', 'Percent', '', [[0, 2.0001], [1000, 4]]],
    ['cw_dist', 'Percent', '1', [[0, 1]]],
    ['cw_dist', 'Percent', '2', [[0, 4]]],
    ['cw_count', 'Count', '', [[1000, 2]]],
    ['cw_sum', 'Count', '', [[1000, 10]]],
    ['cw_min', 'Count', '', [[1000, 5]]],
    ['cw_max', 'Count', '', [[1000, 5]]],
    ['cw_dist', 'Count', '5', [[1000, 2]]],
  ], 'values of one second aggregated; 2.0001 rounded to 3 digits joins 2; a min≠max set gives no distribution');
  const first = Object.fromEntries(series[0].labels);
  t.same(first, { __name__: 'cw_count', account: '123456789012', dim_Instance_20Id: 'i-1', metric_name: 'CPU', namespace: 'AWS/EC2', ndims: '1', region: 'eu-west-1', unit: 'Percent' });
  t.same(series[0].labels.map((l) => l[0]), [...series[0].labels.map((l) => l[0])].sort(), 'labels in byte order');
  const ms = series.map((s) => s.samples.map((x) => x.timestamp % 1000));
  t.ok(ms.flat().every((m) => m === ms[0][0]), 'one millisecond for the whole call');
  const next = decodeRemoteWrite(encodeRemoteWrite(store.seriesFor(tenant, pts.slice(0, 1))));
  t.not(next[0].samples[0].timestamp, series[0].samples[0].timestamp, 'the next call uses another millisecond');
});

t.test('orgId: account sends each account as its own X-Scope-OrgID tenant (Mimir)', async (t) => {
  const { createServer } = await import('node:http');
  const seen: Array<[string, string]> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const acct = decodeRemoteWrite(Buffer.concat(chunks))[0].labels.find((l) => l[0] === 'account')![1];
      seen.push([String(req.headers['x-scope-orgid']), acct]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const store = new PrometheusMetricStore(prometheusSettings({ prometheus: { url, flavor: 'mimir', remoteWriteUrl: `${url}/api/v1/push`, orgId: 'account' } }));
  const pt = (): MetricPoint => ({ metric: { namespace: 'N', metricName: 'm', dimensions: [] }, timestamp: Date.now(), unit: 'None', storageResolution: 60, values: [1] });
  await Promise.all([store.put({ accountId: '111111111111', region: 'r' }, [pt()]), store.put({ accountId: '222222222222', region: 'r' }, [pt()])]);
  t.same(seen.sort(), [['111111111111', '111111111111'], ['222222222222', '222222222222']], 'one request per tenant, never mixed');
  await store.close();
});
