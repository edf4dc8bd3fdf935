// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Alternator translator bench: GetItem and PutItem through the gateway on the Alternator
 * translator (client SigV4 verified, table name prefixed, re-signed upstream, answer mapped and
 * given x-amz-crc32) against the same requests sent to the upstream directly (the Alternator
 * stand-in of test/fakes/alternator, signed with the role's key), in one run. Targets (issue 9):
 * ≤ 15 % throughput cost and ≤ 1 ms added p50.
 *
 * Where each process runs (taskset): the upstream (the stand-in: its Alternator-like HTTP front
 * and the embedded engine behind it, one process) on core 1 (UPSTREAM_CORE) in both runs, alone,
 * as Alternator has its own nodes in production; wrk on core 0 (FRONT_CORE) in both runs; in the
 * translated run the gateway is on core 0 too, beside wrk. So the upstream has the same dedicated
 * CPU in both runs and the ratio says how much of its throughput survives the extra hop; when
 * the gateway's core saturates first, the ratio shows it (the rows give each core's busy share).
 * The two sides run interleaved (lib.ts interleavedWrk: a warm-up each, then four rounds in
 * alternating order, totals compared), at 16 connections and at 64: with 16, two stages in
 * series share the requests in flight (Little's law), so the upstream sees fewer at a time than
 * when wrk drives it alone and serves them in smaller batches, at more CPU each; 64 keeps both
 * stages busy, i.e. measures throughput at saturation. Both rows are judged against the target.
 * Each process's CPU µs per request (/proc) is reported as well: the figure that carries over to
 * other machines and upstreams. `MCGW_BENCH_GATEWAY_NODE_ARGS` (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`) is passed to the gateway's node. Standalone: `node
 * dist/bench/alternator.js [seconds]`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreBusy, FRONT_CORE, interleavedWrk, printRows, signedPost, startGatewayPinned, startPinned, stopChild, UPSTREAM_CORE, wrk, type Row, type SideResult, type WrkRequest } from './lib.js';

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
  const shim = await startPinned(process.execPath, [SHIM_MAIN, '--data-dir', join(dir, 'alternator'), '--nodes', '1'], /(\{"endpoints".*\})\n/, process.env, UPSTREAM_CORE);
  const up = JSON.parse(shim.match[1]!) as { endpoints: string[]; port: number; accessKeyId: string; secretAccessKey: string };
  const role = { accessKeyId: up.accessKeyId, secretAccessKey: up.secretAccessKey };
  const config = join(dir, 'bench-config.json');
  writeFileSync(config, JSON.stringify({ dynamodb: { backend: 'alternator' }, backends: { alternator: { endpoints: up.endpoints, accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey } } }));
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', config], {}, FRONT_CORE);
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
    const pids = { translator: gw.child.pid, upstream: shim.child.pid };
    const p50At1 = (port: number, req: WrkRequest) => wrk(`http://127.0.0.1:${port}/`, req, { seconds: Math.max(2, Math.round(seconds / 2)), connections: 1, threads: 1, core: FRONT_CORE });
    for (const name of ['GetItem', 'PutItem']) {
      const o1 = p50At1(gw.port, via[name]!);
      const p1 = p50At1(up.port, direct[name]!);
      const added = o1.p50ms - p1.p50ms;
      for (const connections of [16, 64]) {
        const [o, p] = interleavedWrk([{ url: `http://127.0.0.1:${gw.port}/`, req: via[name]! }, { url: `http://127.0.0.1:${up.port}/`, req: direct[name]! }], pids, { seconds, connections, core: FRONT_CORE, warmupSeconds: 1 }) as [SideResult, SideResult];
        if (o.non2xx || p.non2xx) throw new Error(`${o.non2xx} translator / ${p.non2xx} upstream ${name} responses were not 2xx`);
        const ratio = o.requestsPerSec / p.requestsPerSec;
        const tu = o.cpuUsPerRequest.translator!;
        rows.push({
          workload: `${name} via translator, ${connections} conns (p50 at 1 conn: ${o1.p50ms.toFixed(2)} vs ${p1.p50ms.toFixed(2)} ms, +${added.toFixed(2)} ms)`,
          ours: `${Math.round(o.requestsPerSec)} req/s (p50 ${o.p50ms.toFixed(2)} ms; core 0: translator ${coreBusy(tu, o.requestsPerSec)} + wrk; core 1: upstream ${coreBusy(o.cpuUsPerRequest.upstream!, o.requestsPerSec)})`,
          peerName: 'the upstream directly (Alternator stand-in)',
          peer: `${Math.round(p.requestsPerSec)} req/s (p50 ${p.p50ms.toFixed(2)} ms; core 1: upstream ${coreBusy(p.cpuUsPerRequest.upstream!, p.requestsPerSec)})`,
          ratio,
          target: '≥ 0.85× (≤ 15 % cost), ≤ +1 ms p50',
          pass: ratio >= 0.85 && added <= 1,
        });
        // the figure that carries over to other machines and upstreams: each process's CPU per request
        rows.push({
          workload: `${name}: CPU per request (${connections} conns; the stand-in is a proxy plus a whole second gateway)`,
          ours: `translator ${tu.toFixed(0)} µs (stand-in behind it ${o.cpuUsPerRequest.upstream!.toFixed(0)} µs)`,
          peerName: 'the stand-in served directly',
          peer: `${p.cpuUsPerRequest.upstream!.toFixed(0)} µs`,
          ratio: p.cpuUsPerRequest.upstream! / tu,
          target: 'reported (> 1: the translator needs less CPU per request than the upstream)',
          pass: true,
        });
      }
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
