// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The few Grafana HTTP API calls the gateway makes (grafana.com/docs/grafana/latest/developers/http_api/):
 * folders (GET/POST /api/folders), dashboards (POST /api/dashboards/db, GET and DELETE
 * /api/dashboards/uid/:uid), data sources (GET /api/datasources/uid/:uid, POST /api/datasources,
 * PUT /api/datasources/uid/:uid). Authentication: a service-account token (Bearer) or basic auth.
 */
import type { GrafanaSettings } from './config.js';

export class GrafanaApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GrafanaApiError';
  }
}

export class GrafanaApi {
  constructor(private readonly s: GrafanaSettings) {}

  private auth(): Record<string, string> {
    if (this.s.token) return { authorization: `Bearer ${this.s.token}` };
    if (this.s.user) return { authorization: `Basic ${Buffer.from(`${this.s.user}:${this.s.password}`).toString('base64')}` };
    return {};
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${this.s.url}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.auth() },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      throw new GrafanaApiError(`grafana ${method} ${path}: ${(e as Error).message}`, 503);
    }
    const text = await res.text();
    let doc: unknown = undefined;
    try {
      doc = text ? JSON.parse(text) : undefined;
    } catch {
      doc = { message: text };
    }
    return { status: res.status, body: doc as T };
  }

  private async must<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call<T & { message?: string }>(method, path, body);
    if (r.status >= 300) throw new GrafanaApiError(`grafana ${method} ${path}: HTTP ${r.status}: ${r.body?.message ?? ''}`, r.status);
    return r.body;
  }

  /** Creates the folder unless it exists. */
  async ensureFolder(uid: string, title: string): Promise<void> {
    const got = await this.call('GET', `/api/folders/${encodeURIComponent(uid)}`);
    if (got.status === 200) return;
    if (got.status !== 404) throw new GrafanaApiError(`grafana GET /api/folders/${uid}: HTTP ${got.status}`, got.status);
    const made = await this.call<{ message?: string }>('POST', '/api/folders', { uid, title });
    // a concurrent creator won: fine
    if (made.status >= 300 && made.status !== 409 && made.status !== 412) {
      throw new GrafanaApiError(`grafana POST /api/folders: HTTP ${made.status}: ${made.body?.message ?? ''}`, made.status);
    }
  }

  async upsertDashboard(dashboard: Record<string, unknown>, folderUid: string | undefined, message: string): Promise<{ uid: string; url: string; version: number }> {
    return this.must('POST', '/api/dashboards/db', { dashboard: { ...dashboard, id: null }, folderUid, overwrite: true, message });
  }

  /** Deletes a dashboard; false when it did not exist. */
  async deleteDashboard(uid: string): Promise<boolean> {
    const r = await this.call<{ message?: string }>('DELETE', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
    if (r.status === 404) return false;
    if (r.status >= 300) throw new GrafanaApiError(`grafana DELETE dashboard ${uid}: HTTP ${r.status}: ${r.body?.message ?? ''}`, r.status);
    return true;
  }

  async getDashboard(uid: string): Promise<{ dashboard: Record<string, unknown>; meta: Record<string, unknown> } | undefined> {
    const r = await this.call<{ dashboard: Record<string, unknown>; meta: Record<string, unknown> }>('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw new GrafanaApiError(`grafana GET dashboard ${uid}: HTTP ${r.status}`, r.status);
    return r.body;
  }

  /** Creates or updates a data source by uid. */
  async upsertDatasource(ds: Record<string, unknown> & { uid: string }): Promise<'created' | 'updated'> {
    const got = await this.call('GET', `/api/datasources/uid/${encodeURIComponent(ds.uid)}`);
    if (got.status === 200) {
      await this.must('PUT', `/api/datasources/uid/${encodeURIComponent(ds.uid)}`, ds);
      return 'updated';
    }
    await this.must('POST', '/api/datasources', ds);
    return 'created';
  }
}
