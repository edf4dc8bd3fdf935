// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * PutDashboard on the grafana backend: the CloudWatch body becomes a Grafana dashboard in the
 * account's folder (Grafana fake, test/fakes/grafana), whose PromQL, run on the real Prometheus,
 * gives the values GetMetricStatistics gives; Get/List answer the CloudWatch body; Delete removes both.
 */
import t from 'tap';
import {
  CloudWatchClient,
  DeleteDashboardsCommand,
  GetDashboardCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  PutDashboardCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { startTestGateway } from '../harness.js';
import { upBackend } from '../backends/suites.js';
import { startFakeGrafana } from '../../test/fakes/grafana/server.js';

const prom = upBackend('prometheus');

t.test('dashboards mirrored into Grafana', { skip: prom.error ?? false }, async (t) => {
  const grafana = await startFakeGrafana({ token: 'glsa_test' });
  t.teardown(grafana.close);
  const gw = await startTestGateway(t, {
    config: {
      cloudwatch: { backend: 'grafana' },
      backends: { grafana: { prometheus: { url: prom.info!.url, flavor: prom.info!.flavor }, grafana: { url: grafana.url, token: 'glsa_test' } } },
    },
  });
  const cw = new CloudWatchClient(gw.clientConfig);
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  await cw.send(new PutMetricDataCommand({
    Namespace: 'App/Web',
    MetricData: [1, 2, 3, 4].map((v, i) => ({ MetricName: 'Latency', Dimensions: [{ Name: 'Api Name', Value: 'get' }], Value: v * 10, Timestamp: new Date(minute - 240_000 + i * 60_000) })),
  }));
  const body = {
    start: '-PT6H',
    widgets: [
      { type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { title: 'Latency', region: gw.region, period: 60, stat: 'Average', metrics: [['App/Web', 'Latency', 'Api Name', 'get'], ['.', '.', '.', '.', { stat: 'p90', label: 'p90' }], [{ expression: 'm1 * 2', label: 'double' }]] } },
      { type: 'text', width: 12, height: 3, properties: { markdown: '# Hello' } },
      { type: 'alarm', properties: { title: 'Alarms', alarms: [`arn:aws:cloudwatch:${gw.region}:${gw.accountId}:alarm:high-latency`] } },
    ],
  };
  await cw.send(new PutDashboardCommand({ DashboardName: 'web', DashboardBody: JSON.stringify(body) }));
  const folder = grafana.grafana.folders.get(`mcgw-${gw.accountId}`);
  t.equal(folder?.title, `CloudWatch ${gw.accountId}`, "the account's folder");
  const dash = [...grafana.grafana.dashboards.values()].find((d) => d.folderUid === folder?.uid)!;
  t.equal(dash.model.title, 'web');
  t.same((dash.model.time as object), { from: 'now-21600s', to: 'now' });
  const panels = dash.model.panels as Array<Record<string, any>>;
  t.same(panels.map((p) => [p.type, p.title, p.gridPos]), [
    ['timeseries', 'Latency', { x: 0, y: 0, w: 12, h: 6 }],
    ['text', '', { x: 12, y: 0, w: 12, h: 3 }],
    ['text', 'Alarms', { x: 0, y: 6, w: 6, h: 6 }],
  ]);
  t.equal(panels[0].datasource.uid, '-- Mixed --');
  t.same(panels[0].targets.map((x: any) => x.datasource.uid), ['mcgw-prometheus', 'mcgw-cloudwatch', 'mcgw-cloudwatch']);
  t.equal(panels[0].targets[1].statistic, 'p90');
  t.equal(panels[0].targets[2].expression, 'm1 * 2');
  t.equal(panels[1].options.content, '# Hello');
  t.equal(panels[2].options.content, '- high-latency');
  // the panel's PromQL on Prometheus gives CloudWatch's one-minute averages
  const expr = panels[0].targets[0].expr as string;
  const res = await fetch(`${prom.info!.url}/api/v1/query_range?${new URLSearchParams({ query: expr, start: String((minute - 240_000 + 59_999) / 1000), end: String((minute - 1) / 1000), step: '60' })}`);
  const values = ((await res.json()) as any).data.result[0].values.map((v: [number, string]) => Number(v[1]));
  const st = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'App/Web', MetricName: 'Latency', Dimensions: [{ Name: 'Api Name', Value: 'get' }], StartTime: new Date(minute - 240_000), EndTime: new Date(minute), Period: 60, Statistics: ['Average'] }));
  t.same(values, st.Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime()).map((d) => d.Average), 'Grafana shows what CloudWatch answers');
  t.same(values, [10, 20, 30, 40]);
  // reads answer the CloudWatch body
  t.same(JSON.parse((await cw.send(new GetDashboardCommand({ DashboardName: 'web' }))).DashboardBody!), body);
  t.same((await cw.send(new ListDashboardsCommand({}))).DashboardEntries?.map((d) => d.DashboardName), ['web']);
  // an update keeps one Grafana dashboard
  await cw.send(new PutDashboardCommand({ DashboardName: 'web', DashboardBody: JSON.stringify({ widgets: [body.widgets[1]] }) }));
  t.equal(grafana.grafana.dashboards.size, 1);
  t.equal(dash.uid, [...grafana.grafana.dashboards.keys()][0]);
  await cw.send(new DeleteDashboardsCommand({ DashboardNames: ['web'] }));
  t.equal(grafana.grafana.dashboards.size, 0, 'deleted in Grafana too');
  // Grafana refusing: the call fails and nothing is stored
  await grafana.close();
  const err = await cw.send(new PutDashboardCommand({ DashboardName: 'down', DashboardBody: JSON.stringify(body) })).catch((e) => e);
  t.equal(err.$metadata?.httpStatusCode, 500);
  const missing = await cw.send(new GetDashboardCommand({ DashboardName: 'down' })).catch((e) => e);
  t.equal(missing.name, 'ResourceNotFound');
});
