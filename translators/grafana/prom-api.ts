// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Prometheus HTTP API reads (prometheus.io/docs/prometheus/latest/querying/api/: query_range,
 * series), as served by Prometheus, Mimir (under /prometheus) and VictoriaMetrics.
 */
export interface RangeSeries {
  metric: Record<string, string>;
  /** [unix seconds, value as text] */
  values: Array<[number, string]>;
}

export class PromApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'PromApiError';
  }
}

export class PromApi {
  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs: number,
    private readonly extraParams: Record<string, string> = {},
  ) {}

  private async call<T>(path: string, params: URLSearchParams, orgId?: string): Promise<T> {
    for (const [k, v] of Object.entries(this.extraParams)) params.set(k, v);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...this.headers };
    if (orgId) headers['x-scope-orgid'] = orgId;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method: 'POST', headers, body: params.toString(), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new PromApiError(`${this.base}${path}: ${(e as Error).message}`, 503);
    }
    const text = await res.text();
    let body: { status?: string; data?: T; error?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new PromApiError(`${this.base}${path}: HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok || body.status !== 'success') throw new PromApiError(`${this.base}${path}: HTTP ${res.status}: ${body.error ?? text.slice(0, 200)}`, res.status);
    return body.data as T;
  }

  /** A range query; times in epoch ms (sent as seconds with millisecond decimals), step in ms. */
  async queryRange(query: string, startMs: number, endMs: number, stepMs: number, orgId?: string): Promise<RangeSeries[]> {
    const p = new URLSearchParams({ query, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${stepMs / 1000}` });
    const data = await this.call<{ resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>('/api/v1/query_range', p, orgId);
    return data.result;
  }

  /** Label sets of the series matching `match` with samples in [start, end] (epoch ms). */
  async series(match: string, startMs: number, endMs: number, orgId?: string): Promise<Array<Record<string, string>>> {
    const p = new URLSearchParams({ 'match[]': match, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3) });
    return this.call<Array<Record<string, string>>>('/api/v1/series', p, orgId);
  }
}
