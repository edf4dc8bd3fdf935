// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The gateway's own metrics in Prometheus text format (GET /_mcgw/metrics): requests by service,
 * operation and status; a latency histogram by service and operation; backend errors.
 */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histo {
  counts: number[];
  sum: number;
  count: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histo>();
  private readonly backendErrors = new Map<string, number>();
  private readonly started = Date.now();

  /** Label strings and histograms per service and operation, built once rather than per request. */
  private readonly series = new Map<string, Map<string, { histo: Histo; statusKeys: Map<number, string> }>>();

  /** Records one finished request. */
  observeRequest(service: string, operation: string, status: number, seconds: number): void {
    let ops = this.series.get(service);
    if (!ops) this.series.set(service, (ops = new Map()));
    let s = ops.get(operation);
    if (!s) {
      const lk = `service="${esc(service)}",operation="${esc(operation)}"`;
      let histo = this.latency.get(lk);
      if (!histo) this.latency.set(lk, (histo = { counts: new Array(BUCKETS.length).fill(0), sum: 0, count: 0 }));
      ops.set(operation, (s = { histo, statusKeys: new Map() }));
    }
    let rk = s.statusKeys.get(status);
    if (rk === undefined) s.statusKeys.set(status, (rk = `service="${esc(service)}",operation="${esc(operation)}",status="${status}"`));
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    const h = s.histo;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** Records a failed call to a backend (Ceph, Proxmox, Alternator, the TSDB…). */
  backendError(service: string, backend: string, kind: string): void {
    const k = `service="${esc(service)}",backend="${esc(backend)}",kind="${esc(kind)}"`;
    this.backendErrors.set(k, (this.backendErrors.get(k) ?? 0) + 1);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP mcgw_requests_total Requests served, by service, operation and HTTP status.');
    out.push('# TYPE mcgw_requests_total counter');
    for (const [k, v] of this.requests) out.push(`mcgw_requests_total{${k}} ${v}`);
    out.push('# HELP mcgw_request_duration_seconds Request latency from first byte in to response handed to the socket.');
    out.push('# TYPE mcgw_request_duration_seconds histogram');
    for (const [k, h] of this.latency) {
      for (let i = 0; i < BUCKETS.length; i++) out.push(`mcgw_request_duration_seconds_bucket{${k},le="${BUCKETS[i]}"} ${h.counts[i]}`);
      out.push(`mcgw_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`mcgw_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`mcgw_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push('# HELP mcgw_backend_errors_total Failed calls to a backend, by service, backend and kind.');
    out.push('# TYPE mcgw_backend_errors_total counter');
    for (const [k, v] of this.backendErrors) out.push(`mcgw_backend_errors_total{${k}} ${v}`);
    const mem = process.memoryUsage();
    out.push('# HELP mcgw_process_resident_memory_bytes Resident set size.');
    out.push('# TYPE mcgw_process_resident_memory_bytes gauge');
    out.push(`mcgw_process_resident_memory_bytes ${mem.rss}`);
    out.push('# HELP mcgw_uptime_seconds Seconds since the gateway started.');
    out.push('# TYPE mcgw_uptime_seconds gauge');
    out.push(`mcgw_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return out.join('\n') + '\n';
  }
}
