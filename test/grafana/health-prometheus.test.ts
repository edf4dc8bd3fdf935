// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * /_mcgw/health against a real Prometheus (Debian's, from conformance/backends/prometheus/up.sh),
 * started for this test alone on its own port and scratch dir (the suites' shared one is never
 * touched): up → ok, stopped (down.sh) → down, started again → ok and writable.
 * Skipped when Prometheus is not installed.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { startTestGateway } from '../../conformance/harness.js';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'conformance', 'backends', 'prometheus');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const installed = spawnSync('sh', ['-c', 'command -v prometheus']).status === 0;

t.test('health follows a real Prometheus stopped and started again', { skip: installed ? false : 'prometheus is not installed (conformance/backends/prometheus/install.sh)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-health-prom-'));
  const env = { ...process.env, MCGW_BACKENDS_DIR: dir, MCGW_PROMETHEUS_PORT: String(await freePort()) };
  const script = (name: string) => spawnSync('bash', [join(SCRIPTS, name)], { env, encoding: 'utf8', timeout: 60_000 });
  t.teardown(() => {
    script('down.sh');
    rmSync(dir, { recursive: true, force: true });
  });
  const up = script('up.sh');
  if (up.status !== 0) return t.fail(`up.sh: ${up.stderr}`);
  const info = JSON.parse(up.stdout.trim().split('\n').pop()!) as { url: string; flavor: string };
  const gw = await startTestGateway(t, {
    config: { cloudwatch: { backend: 'grafana' }, backends: { grafana: { prometheus: { url: info.url, flavor: info.flavor, healthCacheMs: 0, retries: 0 } } } } as never,
  });
  const monitoring = async () => {
    const h = (await (await fetch(`${gw.url}/_mcgw/health`)).json()) as { status: string; services: Record<string, { state: string; detail?: string }> };
    return { status: h.status, ...h.services.monitoring };
  };
  const cw = new CloudWatchClient({ endpoint: gw.url, region: gw.region, credentials: gw.credentials, disableRequestCompression: true, maxAttempts: 1 });
  t.teardown(() => cw.destroy());
  const put = () => cw.send(new PutMetricDataCommand({ Namespace: 'Health', MetricData: [{ MetricName: 'm', Value: 1 }] }));

  await put();
  let h = await monitoring();
  t.same([h.status, h.state], ['ok', 'ok'], 'Prometheus up');
  t.match(h.detail, `prometheus ${info.url}/-/ready: ready`);

  t.equal(script('down.sh').status, 0);
  h = await monitoring();
  t.same([h.status, h.state], ['degraded', 'down'], 'Prometheus stopped');
  await t.rejects(put(), 'a write fails meanwhile (and the gateway stays up)');

  t.equal(script('up.sh').status, 0);
  h = await monitoring();
  t.same([h.status, h.state], ['degraded', 'degraded'], 'ready again, but the last write failed');
  t.match(h.detail, /last remote write failed/);
  await put();
  h = await monitoring();
  t.same([h.status, h.state], ['ok', 'ok'], 'a write goes through: ok');
});
