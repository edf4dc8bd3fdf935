// SPDX-License-Identifier: AGPL-3.0-or-later
/** `mcgw grafana provision` against the Grafana fake, and as provisioning files. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { grafanaCommand } from '../../translators/grafana/provision-cli.js';
import { startFakeGrafana } from '../fakes/grafana/server.js';

function setup(t: { teardown(fn: () => unknown): void }, grafanaUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-prov-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    port: 4566,
    region: 'eu-west-1',
    dataDir: dir,
    backends: {
      grafana: {
        prometheus: { url: 'http://127.0.0.1:9009/prometheus', flavor: 'mimir', orgId: 'tenant-1' },
        loki: { url: 'http://127.0.0.1:3100' },
        ...(grafanaUrl ? { grafana: { url: grafanaUrl, user: 'admin', password: 'pw' } } : {}),
      },
    },
  };
  writeFileSync(join(dir, 'mcgw.json'), JSON.stringify(config));
  return { dir, configFile: join(dir, 'mcgw.json') };
}

const run = async (args: string[]) => {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await grafanaCommand(args, (s) => lines.push(s), (s) => errs.push(s));
  return { code, out: lines.join('\n'), err: errs.join('') };
};

t.test('pushes data sources and the gateway dashboard through the API (idempotent)', async (t) => {
  const g = await startFakeGrafana({ user: 'admin', password: 'pw' });
  t.teardown(g.close);
  const { configFile } = setup(t, g.url);
  const args = ['provision', '--config', configFile, '--gateway-url', 'http://gw.example:4566', '--access-key-id', 'AKIAEXAMPLE', '--secret-access-key', 'secret'];
  let r = await run(args);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /mcgw CloudWatch \(mcgw-cloudwatch\): created/);
  const cw = g.grafana.datasources.get('mcgw-cloudwatch')!;
  t.same(cw.jsonData, { authType: 'keys', defaultRegion: 'eu-west-1', endpoint: 'http://gw.example:4566' });
  t.same(cw.secureJsonData, { accessKey: 'AKIAEXAMPLE', secretKey: 'secret' });
  const prom = g.grafana.datasources.get('mcgw-prometheus')!;
  t.equal(prom.url, 'http://127.0.0.1:9009/prometheus');
  t.same(prom.secureJsonData, { httpHeaderValue1: 'tenant-1' }, 'the Mimir tenant header');
  t.equal(g.grafana.datasources.get('mcgw-loki')?.type, 'loki');
  const dash = g.grafana.dashboards.get('mcgw-gateway')!;
  t.equal(dash.folderUid, 'mcgw');
  t.match(JSON.stringify(dash.model), /mcgw_requests_total/);
  t.match(r.out, /job_name: mcgw[\s\S]*metrics_path: \/_mcgw\/metrics[\s\S]*gw.example:4566/);
  r = await run(args);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /\(mcgw-cloudwatch\): updated/);
  t.equal(g.grafana.datasources.size, 3);
});

t.test('writes provisioning files; clear errors', async (t) => {
  const { dir, configFile } = setup(t);
  const out = join(dir, 'prov');
  let r = await run(['provision', '--config', configFile, '--out', out, '--access-key-id', 'AK', '--secret-access-key', 'SK']);
  t.equal(r.code, 0, r.err);
  const ds = parse(readFileSync(join(out, 'datasources', 'mcgw.yaml'), 'utf8'));
  t.equal(ds.apiVersion, 1);
  t.same(ds.datasources.map((d: { uid: string }) => d.uid), ['mcgw-cloudwatch', 'mcgw-prometheus', 'mcgw-loki']);
  t.equal(ds.datasources[0].jsonData.endpoint, 'http://127.0.0.1:4566');
  const providers = parse(readFileSync(join(out, 'dashboards', 'mcgw.yaml'), 'utf8'));
  t.equal(providers.providers[0].options.path, join(out, 'dashboards', 'mcgw'));
  t.equal(JSON.parse(readFileSync(join(out, 'dashboards', 'mcgw', 'mcgw-gateway.json'), 'utf8')).uid, 'mcgw-gateway');
  r = await run(['provision', '--config', configFile]);
  t.equal(r.code, 1);
  t.match(r.err, /no credentials/);
  r = await run(['provision', '--config', configFile, '--access-key-id', 'AK', '--secret-access-key', 'SK']);
  t.equal(r.code, 2);
  t.match(r.err, /backends.grafana.grafana .* is not configured/);
  r = await run(['nope']);
  t.equal(r.code, 2);
});

t.test('config validation names the key', async (t) => {
  const { prometheusSettings, lokiSettings } = await import('../../translators/grafana/config.js');
  t.throws(() => prometheusSettings(undefined), /backends.grafana.prometheus is missing/);
  t.throws(() => prometheusSettings({ prometheus: { url: 'ftp://x' } }), /only http and https/);
  t.throws(() => prometheusSettings({ prometheus: { url: 'http://x', flavor: 'influx' } }), /flavor must be one of/);
  t.throws(() => prometheusSettings({ prometheus: { url: 'http://x', batchSamples: 0 } }), /batchSamples must be an integer/);
  t.throws(() => prometheusSettings({ prometheus: { url: 'http://x', typo: 1 } }), /prometheus.typo: unknown key/);
  t.equal(prometheusSettings({ prometheus: { url: 'http://x/' } }).remoteWriteUrl, 'http://x/api/v1/write');
  t.equal(prometheusSettings({ prometheus: { url: 'http://x', flavor: 'victoriametrics' } }).closedRanges, false);
  t.throws(() => lokiSettings({ loki: { url: 'http://x', headers: { a: 1 } } }), /headers must be a mapping/);
});
