// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { ConfigError } from '../../src/config.js';
import { parseAlternatorConfig } from '../../translators/alternator/config.js';

const base = { endpoints: ['http://127.0.0.1:8000'], accessKeyId: 'mcgw', secretAccessKey: '$6$salt$hash' };

t.test('defaults', async (t) => {
  const c = parseAlternatorConfig(base, 'eu-west-1');
  t.equal(c.tablePrefix, 'a{account}_');
  t.equal(c.txTable, 'mcgw_tx');
  t.equal(c.maxTableNameLength, 222);
  t.equal(c.region, 'eu-west-1');
  t.equal(c.endpoints[0]!.origin, 'http://127.0.0.1:8000');
  t.equal(c.txLeaseMs, 30_000);
});

t.test('clear messages for bad sections', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /'backends.alternator' section is missing/],
    [{ ...base, endpoints: [] }, /'backends.alternator.endpoints' must be a non-empty list/],
    [{ ...base, endpoints: ['nope'] }, /'nope' is not a URL/],
    [{ ...base, endpoints: ['ftp://x:1'] }, /must be http:\/\/ or https:\/\//],
    [{ ...base, accessKeyId: undefined }, /'backends.alternator.accessKeyId' must be a non-empty string \(required\)/],
    [{ ...base, secretAccessKey: '' }, /secretAccessKey/],
    [{ ...base, tablePrefix: 'tenant_' }, /must contain \{account\}/],
    [{ ...base, tablePrefix: '{account}/' }, /only a-z A-Z 0-9 _ \. -/],
    [{ ...base, txTable: 'x' }, /'backends.alternator.txTable' must be a table name/],
    [{ ...base, retries: -1 }, /'backends.alternator.retries' must be a number >= 0/],
    [{ ...base, maxTableNameLength: 15 }, /leaves no room for table names/],
    [{ ...base, endpoint: 'http://x' }, /unknown key 'backends.alternator.endpoint'/],
  ];
  for (const [section, re] of bad) {
    t.throws(() => parseAlternatorConfig(section as Record<string, unknown>, 'us-east-1'), re);
    try {
      parseAlternatorConfig(section as Record<string, unknown>, 'us-east-1');
    } catch (e) {
      t.type(e, ConfigError);
    }
  }
});
