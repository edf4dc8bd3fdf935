// SPDX-License-Identifier: AGPL-3.0-or-later
/** `mcgw grafana provision`: argument handling (provision.ts does the work). */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config.js';
import { readCredentialsFile } from '../../src/server/bootstrap.js';
import { grafanaSettings, lokiSettings, prometheusSettings } from './config.js';
import { pushProvisioning, scrapeConfig, writeProvisioning, type ProvisionInput } from './provision.js';

export const GRAFANA_USAGE = `mcgw grafana provision [--config FILE] [--data-dir DIR] [--gateway-url URL] [--out DIR]
                       [--access-key-id ID --secret-access-key KEY]
  Grafana data sources for this gateway (CloudWatch with the gateway as custom endpoint, the
  Prometheus and Loki of backends.grafana) and a dashboard of the gateway's own /_mcgw/metrics.
  --out DIR   write Grafana provisioning files (datasources/, dashboards/) and a Prometheus scrape
              job instead of calling Grafana's HTTP API (backends.grafana.grafana: url, token)
  Keys: the first account's root key (DATA_DIR/credentials.json) unless given.
`;

export async function grafanaCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'provision') {
    err(`mcgw: grafana needs 'provision'\n\n${GRAFANA_USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      'gateway-url': { type: 'string' },
      out: { type: 'string' },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
    },
    strict: true,
  });
  try {
    const config = loadConfig({ config: values.config, dataDir: values['data-dir'] });
    const g = config.backends.grafana;
    let accessKeyId = values['access-key-id'];
    let secretAccessKey = values['secret-access-key'];
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      const c = readCredentialsFile(config.dataDir);
      if (!c) {
        err(`mcgw: no credentials in ${config.dataDir}: pass --access-key-id and --secret-access-key (or run 'mcgw serve' once)\n`);
        return 1;
      }
      accessKeyId = c.accessKeyId;
      secretAccessKey = c.secretAccessKey;
    }
    const input: ProvisionInput = {
      gatewayUrl: (values['gateway-url'] ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`).replace(/\/+$/, ''),
      region: config.region,
      accessKeyId,
      secretAccessKey,
      prometheus: g?.prometheus !== undefined ? prometheusSettings(g) : undefined,
      loki: g?.loki !== undefined ? lokiSettings(g) : undefined,
    };
    if (values.out !== undefined) {
      for (const f of writeProvisioning(values.out, input)) out(`wrote ${f}`);
    } else {
      if (g?.grafana === undefined) {
        err('mcgw: backends.grafana.grafana (url, token) is not configured: set it, or write files with --out DIR\n');
        return 2;
      }
      for (const line of await pushProvisioning(grafanaSettings(g), input)) out(line);
      out(`\nPrometheus scrape job for the gateway dashboard:\n${scrapeConfig(input.gatewayUrl)}`);
    }
    return 0;
  } catch (e) {
    err(`mcgw: ${e instanceof ConfigError ? 'configuration error: ' : ''}${(e as Error).message}\n`);
    return e instanceof ConfigError ? 2 : 1;
  }
}
