// SPDX-License-Identifier: AGPL-3.0-or-later
/** CloudWatch dashboards mirrored into Grafana (dashboards.ts converts, grafana-api.ts calls). */
import type { DashboardMirror } from '../../apis/cloudwatch/dashboards.js';
import type { GrafanaSettings } from './config.js';
import { dashboardUid, folderUid, toGrafanaDashboard, type DatasourceUids } from './dashboards.js';
import { GrafanaApi } from './grafana-api.js';

/** The data source uids `mcgw grafana provision` creates. */
export const DATASOURCE_UIDS: Required<DatasourceUids> = { prometheus: 'mcgw-prometheus', cloudwatch: 'mcgw-cloudwatch', loki: 'mcgw-loki' };

export class GrafanaDashboardMirror implements DashboardMirror {
  private readonly api: GrafanaApi;
  private readonly folders = new Set<string>();

  constructor(
    settings: GrafanaSettings,
    private readonly closedRanges: boolean,
    private readonly ds: DatasourceUids = DATASOURCE_UIDS,
  ) {
    this.api = new GrafanaApi(settings);
  }

  async put(tenant: { accountId: string; region: string }, name: string, body: string): Promise<void> {
    const folder = folderUid(tenant.accountId);
    if (!this.folders.has(folder)) {
      await this.api.ensureFolder(folder, `CloudWatch ${tenant.accountId}`);
      this.folders.add(folder);
    }
    await this.api.upsertDashboard(toGrafanaDashboard(tenant, name, body, { ds: this.ds, closedRanges: this.closedRanges }), folder, `PutDashboard ${name}`);
  }

  async delete(accountId: string, names: string[]): Promise<void> {
    for (const n of names) await this.api.deleteDashboard(dashboardUid(accountId, n));
  }
}
