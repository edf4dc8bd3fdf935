// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Alternator translator bench: GetItem and PutItem through the gateway on the Alternator
 * translator (client SigV4 verified, table name prefixed, re-signed upstream, answer mapped and
 * given x-amz-crc32) against the same requests sent to the upstream directly (the Alternator
 * stand-in of test/fakes/alternator, signed with the role's key), in one run. Both servers on
 * the server core, wrk on the load core. Targets (issue 9): ≤ 15 % throughput cost and ≤ 1 ms
 * added p50. Note the translator and the upstream share one core here; against a real cluster
 * the upstream runs elsewhere: a second row per operation reports each process's CPU µs per
 * request (/proc), the figure that carries over to that deployment. Standalone: `node dist/bench/alternator.js [seconds]`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printRows, processCpuSeconds, signedPost, startGatewayPinned, startPinned, stopChild, wrk, type Row, type WrkRequest } from './lib.js';

const SHIM_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fakes', 'alternator', 'main.js');
const HEADERS = (op: string) => ({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${op}` });

async function call(port: number, op: string, input: unknown, creds?: { accessKeyId: string; secretAccessKey: string }): Promise<any> {
  const r = await signedPost(port, 'dynamodb', HEADERS(op), JSON.stringify(input), creds);
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: r.headers, body: r.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${op} failed: ${res.status} ${text}`);
  return JSON.parse(text);
}

const item = (pk: string) => ({ pk: { S: pk }, name: { S: 'item-1' }, n: { N: '12345.678' }, tags: { SS: ['a', 'b'] } });

export async function benchAlternator(seconds = 6): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-alt-'));
  const shim = await startPinned(process.execPath, [SHIM_MAIN, '--data-dir', join(dir, 'alternator'), '--nodes', '1'], /(\{"endpoints".*\})\n/);
  const up = JSON.parse(shim.match[1]!) as { endpoints: string[]; port: number; accessKeyId: string; secretAccessKey: string };
  const role = { accessKeyId: up.accessKeyId, secretAccessKey: up.secretAccessKey };
  const config = join(dir, 'bench-config.json');
  writeFileSync(config, JSON.stringify({ dynamodb: { backend: 'alternator' }, backends: { alternator: { endpoints: up.endpoints, accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey } } }));
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', config]);
  const rows: Row[] = [];
  try {
    await call(gw.port, 'CreateTable', { TableName: 'bench', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' });
    await call(gw.port, 'PutItem', { TableName: 'bench', Item: item('g') });
    const upName = ((await call(up.port, 'ListTables', {}, role)).TableNames as string[]).find((n) => n.endsWith('_bench'))!;
    const reqs = async (port: number, table: string, creds?: typeof role): Promise<Record<string, WrkRequest>> => ({
      GetItem: await signedPost(port, 'dynamodb', HEADERS('GetItem'), JSON.stringify({ TableName: table, Key: { pk: { S: 'g' } } }), creds),
      PutItem: await signedPost(port, 'dynamodb', HEADERS('PutItem'), JSON.stringify({ TableName: table, Item: item('p') }), creds),
    });
    const via = await reqs(gw.port, 'bench');
    const direct = await reqs(up.port, upName, role);
    /** wrk's result and the CPU µs per request the translator and the stand-in spent on it. */
    const measured = (port: number, req: WrkRequest) => {
      const t0 = processCpuSeconds(gw.child.pid);
      const u0 = processCpuSeconds(shim.child.pid);
      const r = wrk(`http://127.0.0.1:${port}/`, req, { seconds });
      const per = (a?: number, b?: number) => (a === undefined || b === undefined ? NaN : ((b - a) * 1e6) / (r.requestsPerSec * seconds));
      return { ...r, translatorUs: per(t0, processCpuSeconds(gw.child.pid)), upstreamUs: per(u0, processCpuSeconds(shim.child.pid)) };
    };
    for (const name of ['GetItem', 'PutItem']) {
      const o = measured(gw.port, via[name]!);
      const p = measured(up.port, direct[name]!);
      const o1 = wrk(`http://127.0.0.1:${gw.port}/`, via[name]!, { seconds: Math.max(2, Math.round(seconds / 2)), connections: 1, threads: 1 });
      const p1 = wrk(`http://127.0.0.1:${up.port}/`, direct[name]!, { seconds: Math.max(2, Math.round(seconds / 2)), connections: 1, threads: 1 });
      if (o.non2xx || p.non2xx) throw new Error(`${o.non2xx} translator / ${p.non2xx} upstream ${name} responses were not 2xx`);
      const ratio = o.requestsPerSec / p.requestsPerSec;
      const added = o1.p50ms - p1.p50ms;
      rows.push({
        workload: `${name} via translator, 16 conns (p50 at 1 conn: ${o1.p50ms.toFixed(2)} vs ${p1.p50ms.toFixed(2)} ms, +${added.toFixed(2)} ms)`,
        ours: `${Math.round(o.requestsPerSec)} req/s (p50 ${o.p50ms.toFixed(2)} ms)`,
        peerName: 'the upstream directly (Alternator stand-in)',
        peer: `${Math.round(p.requestsPerSec)} req/s (p50 ${p.p50ms.toFixed(2)} ms)`,
        ratio,
        target: '≥ 0.85× (≤ 15 % cost), ≤ +1 ms p50',
        pass: ratio >= 0.85 && added <= 1,
      });
      // Both servers share one core here, so the rate above is bounded by their summed CPU. What the
      // translator costs where it has its own CPU: its CPU per request against the upstream's.
      rows.push({
        workload: `${name}: CPU per request (16 conns; the stand-in is a proxy plus a whole second gateway)`,
        ours: `translator ${o.translatorUs.toFixed(0)} µs (stand-in behind it ${o.upstreamUs.toFixed(0)} µs)`,
        peerName: 'the stand-in served directly',
        peer: `${p.upstreamUs.toFixed(0)} µs`,
        ratio: p.upstreamUs / o.translatorUs,
        target: 'reported (> 1: a translator with its own core outpaces the upstream)',
        pass: true,
      });
    }
    return rows;
  } finally {
    await stopChild(gw.child);
    await stopChild(shim.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printRows('alternator', await benchAlternator(Number(process.argv[2] ?? 6)));
}
