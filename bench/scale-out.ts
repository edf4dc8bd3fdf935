// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Scale-out bench: what keeping the gateway's state in a shared DynamoDB-API table costs on the
 * request path. A signed sts GetCallerIdentity (SigV4 verification resolves the access key
 * through the identity cache) through a gateway whose state is in a DynamoDB-API table (served by
 * a second gateway's embedded engine), with the identity generation re-read every 1000 ms
 * (default) and on every request (identityCacheMs: 0), vs the same gateway on local LMDB state.
 * wrk with 16 connections. Target: ≥ 0.8× LMDB with the default cache (the request path then
 * never waits for the table).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_CREDENTIALS, signedPost, startGatewayPinned, stopChild, wrk, type Row, type WrkResult } from './lib.js';

const fmt = (r: WrkResult) => `${Math.round(r.requestsPerSec)} req/s (p50 ${r.p50ms.toFixed(2)} ms)`;

export async function benchScaleOut(seconds = 6): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-scale-'));
  const children: Array<Awaited<ReturnType<typeof startGatewayPinned>>['child']> = [];
  const start = async (name: string, state?: Record<string, unknown>) => {
    const args: string[] = [];
    if (state) {
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify({ state }));
      args.push('--config', f);
    }
    const gw = await startGatewayPinned(join(dir, name), args);
    children.push(gw.child);
    return gw.port;
  };
  try {
    const upstream = await start('upstream');
    const shared = (cacheMs: number) => ({ backend: 'dynamodb', endpoints: [`http://127.0.0.1:${upstream}`], table: 'mcgw-state', ...BENCH_CREDENTIALS, identityCacheMs: cacheMs });
    const lmdb = await start('lmdb');
    const cached = await start('dynamo-cached', shared(1000));
    const uncached = await start('dynamo-uncached', shared(0));
    const run = async (port: number) => {
      const req = await signedPost(port, 'sts', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, 'Action=GetCallerIdentity&Version=2011-06-15');
      const probe = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: req.headers, body: req.body });
      if (probe.status !== 200) throw new Error(`probe failed: ${probe.status} ${await probe.text()}`);
      const r = wrk(`http://127.0.0.1:${port}/`, req, { seconds });
      if (r.non2xx) throw new Error(`${r.non2xx} responses were not 2xx`);
      return r;
    };
    const peer = await run(lmdb);
    const withCache = await run(cached);
    const everyRequest = await run(uncached);
    return [
      {
        workload: 'signed sts GetCallerIdentity, 16 conns, state in a DynamoDB-API table, identityCacheMs 1000',
        ours: fmt(withCache),
        peerName: 'same on LMDB state',
        peer: fmt(peer),
        ratio: withCache.requestsPerSec / peer.requestsPerSec,
        target: '≥ 0.8×',
        pass: withCache.requestsPerSec / peer.requestsPerSec >= 0.8,
      },
      {
        workload: 'same, identityCacheMs 0 (generation read on every request)',
        ours: fmt(everyRequest),
        peerName: 'same on LMDB state',
        peer: fmt(peer),
        ratio: everyRequest.requestsPerSec / peer.requestsPerSec,
        target: 'reported',
        pass: true,
      },
    ];
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}
