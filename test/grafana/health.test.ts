// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * /_mcgw/health with the grafana backend: the TSDB's and Loki's real state. A stand-in TSDB (its
 * /-/ready and remote-write endpoints) and the Loki fake are stopped and restarted on the same
 * ports; the health answer follows, and a remote write the TSDB refuses shows as degraded.
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startTestGateway } from '../../conformance/harness.js';
import { startFakeLoki } from '../fakes/loki/server.js';
import { ReadyProbe, tsdbReadyUrl } from '../../translators/grafana/health.js';

/** A TSDB stand-in: /-/ready answers `ready`, the remote-write endpoint `write`. */
async function standIn(port = 0, state: { ready: number; write: number } = { ready: 200, write: 204 }) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/-/ready') {
        hits++;
        return res.writeHead(state.ready).end(state.ready === 200 ? 'Prometheus Server is Ready.\n' : 'Service Unavailable');
      }
      if (req.url === '/api/v1/write') return res.writeHead(state.write).end(state.write === 404 ? '404 page not found' : '');
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    state,
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

t.test('ReadyProbe: cached, shared by concurrent calls, names why a store is down', async (t) => {
  const s = await standIn();
  let now = 1000;
  const p = new ReadyProbe('prometheus', `http://127.0.0.1:${s.port}/-/ready`, {}, 5000, () => now);
  const [a, b] = await Promise.all([p.check(), p.check()]);
  t.equal(a.state, 'ok');
  t.equal(b, a);
  t.equal(s.hits(), 1, 'concurrent calls share one probe');
  now += 4999;
  await p.check();
  t.equal(s.hits(), 1, 'within the cache time, no probe');
  now += 1;
  s.state.ready = 503;
  const busy = await p.check();
  t.same([busy.state, s.hits()], ['down', 2]);
  t.match(busy.detail, /HTTP 503 Service Unavailable/);
  await s.close();
  now += 5000;
  const gone = await p.check();
  t.equal(gone.state, 'down');
  // a kept-alive connection closing, or the next connection refused
  t.match(gone.detail, new RegExp(`prometheus http://127.0.0.1:${s.port}/-/ready: (.*ECONNREFUSED|other side closed)`));
  t.equal(tsdbReadyUrl('http://mimir:8080/prometheus', 'mimir'), 'http://mimir:8080/ready');
  t.equal(tsdbReadyUrl('http://vm:8428', 'victoriametrics'), 'http://vm:8428/-/ready');
});

t.test('/_mcgw/health follows the TSDB and Loki going down and coming back', async (t) => {
  let tsdb = await standIn();
  let loki = await startFakeLoki();
  const lokiPort = Number(new URL(loki.url).port);
  t.teardown(async () => {
    await tsdb.close();
    await loki.close();
  });
  const gw = await startTestGateway(t, {
    config: {
      cloudwatch: { backend: 'grafana' },
      logs: { backend: 'grafana' },
      backends: { grafana: { prometheus: { url: `http://127.0.0.1:${tsdb.port}`, healthCacheMs: 0, retries: 0 }, loki: { url: loki.url, healthCacheMs: 0 } } },
    } as never,
  });
  const health = async () => {
    const h = (await (await fetch(`${gw.url}/_mcgw/health`)).json()) as { status: string; services: Record<string, { backend: string; state: string; detail?: string }> };
    return { status: h.status, monitoring: h.services.monitoring, logs: h.services.logs };
  };
  let h = await health();
  t.same([h.status, h.monitoring.backend, h.monitoring.state, h.logs.backend, h.logs.state], ['ok', 'grafana', 'ok', 'grafana', 'ok'], 'both stores up');
  t.match(h.monitoring.detail, /prometheus http:\/\/127\.0\.0\.1:\d+\/-\/ready: ready/);
  t.match(h.logs.detail, /loki http:\/\/127\.0\.0\.1:\d+\/ready: ready/);

  await tsdb.close();
  h = await health();
  t.same([h.status, h.monitoring.state, h.logs.state], ['degraded', 'down', 'ok'], 'TSDB stopped: cloudwatch down, the gateway degraded');
  t.match(h.monitoring.detail, /ECONNREFUSED/);

  await loki.close();
  h = await health();
  t.same([h.monitoring.state, h.logs.state], ['down', 'down'], 'Loki stopped too');

  tsdb = await standIn(tsdb.port);
  loki = await startFakeLoki(lokiPort);
  h = await health();
  t.same([h.status, h.monitoring.state, h.logs.state], ['ok', 'ok', 'ok'], 'both restarted on their ports: ok again');

  // ready, but the write path refuses (no remote-write receiver): degraded until a write goes through
  tsdb.state.write = 404;
  const cw = new CloudWatchClient({ endpoint: gw.url, region: gw.region, credentials: gw.credentials, disableRequestCompression: true, maxAttempts: 1 });
  t.teardown(() => cw.destroy());
  const put = () => cw.send(new PutMetricDataCommand({ Namespace: 'H', MetricData: [{ MetricName: 'm', Value: 1 }] }));
  await t.rejects(put());
  h = await health();
  t.equal(h.monitoring.state, 'degraded');
  t.match(h.monitoring.detail, /last remote write failed: remote write to .*HTTP 404: 404 page not found/);
  tsdb.state.write = 204;
  await put();
  h = await health();
  t.equal(h.monitoring.state, 'ok', 'a write that goes through clears it');
});
