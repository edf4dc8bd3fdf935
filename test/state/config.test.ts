// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redact } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('defaults', async (t) => {
  const c = loadConfig({}, {});
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 4566);
  t.equal(c.region, 'us-east-1');
  t.equal(c.s3.backend, 'embedded');
  t.same(c.s3.baseDomains, ['localhost', 's3.localhost']);
  t.equal(c.dev, false);
});

t.test('file < env < flags', async (t) => {
  const f = join(dir, 'c.yaml');
  writeFileSync(f, 'port: 5000\nregion: eu-west-1\ns3:\n  backend: ceph\nlimits:\n  maxConnections: 7\n');
  const c = loadConfig({ config: f, port: 6000 }, { MCGW_REGION: 'eu-central-1', MCGW_DYNAMODB_BACKEND: 'alternator' });
  t.equal(c.port, 6000);
  t.equal(c.region, 'eu-central-1');
  t.equal(c.s3.backend, 'ceph');
  t.same(c.s3.baseDomains, ['localhost', 's3.localhost'], 'sections merge over defaults');
  t.equal(c.dynamodb.backend, 'alternator');
  t.equal(c.limits.maxConnections, 7);
  t.equal(c.limits.maxHeaderBytes, 16384);
  const j = join(dir, 'c.json');
  writeFileSync(j, JSON.stringify({ ec2: { backend: 'proxmox' } }));
  t.equal(loadConfig({ config: j }, {}).ec2.backend, 'proxmox');
});

t.test('clear errors', async (t) => {
  const bad = (text: string, re: RegExp) => {
    const f = join(dir, `bad-${Math.random()}.yaml`);
    writeFileSync(f, text);
    let err: unknown;
    try {
      loadConfig({ config: f }, {});
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ConfigError, `ConfigError for ${JSON.stringify(text)}`);
    t.match((err as Error)?.message, re);
  };
  bad('port: 99999\n', /'port' must be an integer/);
  bad('s3:\n  backend: minio\n', /'s3.backend' must be one of embedded, ceph/);
  bad('colour: blue\n', /unknown config key 'colour'/);
  bad('region: "Not A Region"\n', /'region' must look like an AWS region/);
  bad('port: [1\n', /not valid YAML/);
  bad('limits:\n  maxBufferedBody: -1\n', /'limits.maxBufferedBody' must be a non-negative number/);
  t.throws(() => loadConfig({ config: join(dir, 'missing.yaml') }, {}), /cannot read config file/);
});

t.test('redact hides secrets', async (t) => {
  t.same(redact({ backends: { ceph: { accessKey: 'AK', secretKey: 'S', endpoint: 'http://x' } }, token: 't', list: [{ password: 'p' }] }), {
    backends: { ceph: { accessKey: '***', secretKey: '***', endpoint: 'http://x' } },
    token: '***',
    list: [{ password: '***' }],
  });
});
