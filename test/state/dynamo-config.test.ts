// SPDX-License-Identifier: AGPL-3.0-or-later
/** The `state` config section: defaults, the DynamoDB-API options, their checks and redaction. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redact } from '../../src/config.js';
import { DEFAULT_IDENTITY_CACHE_MS, parseDynamoStateConfig } from '../../src/state/dynamo/options.js';

const dir = mkdtempSync(join(tmpdir(), 'mcgw-state-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, doc: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(doc));
  return f;
};
const good = { backend: 'dynamodb', endpoints: ['http://10.0.0.1:8000', 'http://10.0.0.2:8000'], accessKeyId: 'alternator', secretAccessKey: '$6$salt$hash' };

t.test('LMDB by default', async (t) => {
  t.same(loadConfig({}, {}).state, { backend: 'lmdb' });
});

t.test('dynamodb: defaults filled in, secrets redacted', async (t) => {
  const c = loadConfig({ config: file('ok.json', { region: 'eu-west-1', state: good }) }, {});
  t.equal(c.state.backend, 'dynamodb');
  const o = parseDynamoStateConfig(c.state, c.region);
  t.match(o, { endpoints: good.endpoints, region: 'eu-west-1', table: 'mcgw-state', createTable: true, txTimeoutMs: 5000, identityCacheMs: DEFAULT_IDENTITY_CACHE_MS });
  t.equal((redact(c) as typeof c).state.secretAccessKey, '***');
  t.notMatch(JSON.stringify(redact(c)), /salt/);
});

t.test('from the environment', async (t) => {
  const c = loadConfig({}, { MCGW_STATE_BACKEND: 'dynamodb', MCGW_STATE_ENDPOINTS: 'http://a:8000, http://b:8000', MCGW_STATE_ACCESS_KEY_ID: 'r', MCGW_STATE_SECRET_ACCESS_KEY: 's' });
  t.same(parseDynamoStateConfig(c.state, c.region).endpoints, ['http://a:8000', 'http://b:8000']);
});

t.test('refused with a message naming the key', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ backend: 'redis' }, /'state.backend' must be one of lmdb, dynamodb/],
    [{ backend: 'dynamodb', accessKeyId: 'a', secretAccessKey: 'b' }, /'state.endpoints' must list/],
    [{ ...good, endpoints: ['10.0.0.1:8000'] }, /must be http\(s\) URLs/],
    [{ ...good, secretAccessKey: undefined }, /'state.secretAccessKey' must be a non-empty string/],
    [{ ...good, table: 'a b' }, /'state.table' must be 3-222/],
    [{ ...good, txTimeoutMs: 5 }, /'state.txTimeoutMs' must be a number ≥ 100/],
    [{ ...good, createTable: 'yes' }, /'state.createTable' must be true or false/],
    [{ ...good, endpont: 'x' }, /unknown key 'state.endpont'/],
  ];
  for (const [state, re] of bad) {
    t.throws(() => loadConfig({ config: file('bad.json', { state }) }, {}), { name: 'ConfigError', message: re }, re.source);
  }
  t.ok(new ConfigError('x') instanceof Error);
});
