// SPDX-License-Identifier: AGPL-3.0-or-later
/** The read side against a stand-in query API: cw_dist by sid, percentiles clamped to Min/Max. */
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusMetricStore } from '../../translators/grafana/metrics.js';
import { prometheusSettings } from '../../translators/grafana/config.js';
import { seriesId } from '../../translators/grafana/labels.js';

t.test('percentiles: cw_dist selected by sid (and unit), rounded values clamped to the exact Min and Max', async (t) => {
  const queries: string[] = [];
  const T = 1_795_000_000_000;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const q = new URLSearchParams(Buffer.concat(chunks).toString()).get('query') ?? '';
      queries.push(q);
      const at = (T + 59_999) / 1000;
      const row = (stat: string, v: number, extra: Record<string, string> = {}) => ({ metric: { cw_stat: stat, unit: 'Milliseconds', ...extra }, values: [[at, String(v)]] });
      // three values: 0.9996 (rounded 1), 999.6 twice (rounded 1000)
      const result = [row('sampleCount', 3), row('sum', 2000.1996), row('min', 0.9996), row('max', 999.6), row('dist', 1, { value: '1' }), row('dist', 2, { value: '1000' })];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const store = new PrometheusMetricStore(prometheusSettings({ prometheus: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } }));
  const tenant = { accountId: '123456789012', region: 'eu-west-1' };
  const metric = { namespace: 'App', metricName: 'Latency', dimensions: [{ Name: 'Host', Value: 'h1' }] };
  const [b] = await store.aggregate(tenant, { metric, start: T, end: T + 60_000, period: 60, unit: 'Milliseconds', percentiles: [0, 30, 50, 100], trimmed: [{ name: 'TM', kind: 'TM', lo: 0, hi: 100, percent: true }] });
  t.same([b.sampleCount, b.sum, b.min, b.max], [3, 2000.1996, 0.9996, 999.6], 'count, sum, min, max as stored');
  t.same(b.percentiles, { 0: 0.9996, 30: 0.9996, 50: 999.6, 100: 999.6 }, 'the lowest and highest buckets stand at the exact Min and Max');
  t.ok(Math.abs(b.trimmed!.TM! - 2000.1996 / 3) < 1e-9, 'TM over everything is the exact average here');
  t.match(queries[0], `cw_dist{sid="${seriesId(tenant, metric)}",unit="Milliseconds"}`);
  t.match(queries[0], /cw_count\{account="123456789012",region="eu-west-1",namespace="App",metric_name="Latency"/);
  t.notMatch(queries[0], /cw_dist\{[^}]*metric_name/, 'the distribution is not selected by the identity labels');
});
