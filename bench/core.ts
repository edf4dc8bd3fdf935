// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Core bench: a signed no-op request (sts GetCallerIdentity, full SigV4 verification, awsQuery
 * codec) through the gateway vs plain fastify returning the same bytes; wrk with 16 connections,
 * server on one core, load on the other. Target: ≥ 0.6× plain fastify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds, signedPost, startGatewayPinned, startPinned, stopChild, wrk, type Row } from './lib.js';

/** Runs `load` and returns its result with the server's CPU µs per request ('' when unknown). */
function withCpu(pid: number | undefined, seconds: number, load: () => ReturnType<typeof wrk>): { r: ReturnType<typeof wrk>; cpu: string } {
  const before = processCpuSeconds(pid);
  const r = load();
  const after = processCpuSeconds(pid);
  const requests = r.requestsPerSec * seconds;
  return { r, cpu: before === undefined || after === undefined || requests === 0 ? '' : `, ${(((after - before) * 1e6) / requests).toFixed(0)} µs CPU/req` };
}

export async function benchCore(seconds = 8): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-core-'));
  const gw = await startGatewayPinned(dir);
  const port = gw.port;
  try {
    const req = await signedPost(port, 'sts', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, 'Action=GetCallerIdentity&Version=2011-06-15');
    const { headers, body } = req;
    const probe = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body });
    const bytes = Buffer.from(await probe.arrayBuffer());
    if (probe.status !== 200) throw new Error(`probe failed: ${probe.status} ${bytes}`);
    const { r: ours, cpu: ourCpu } = withCpu(gw.child.pid, seconds, () => wrk(`http://127.0.0.1:${port}/`, req, { seconds }));
    const plain = await startPinned(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'plain-fastify.js'), '0', bytes.toString('base64'), probe.headers.get('content-type') ?? 'text/xml'], /ready on (\d+)/);
    let peer;
    let peerCpu = '';
    try {
      ({ r: peer, cpu: peerCpu } = withCpu(plain.child.pid, seconds, () => wrk(`http://127.0.0.1:${plain.match[1]}/`, req, { seconds })));
    } finally {
      await stopChild(plain.child);
    }
    if (ours.non2xx) throw new Error(`${ours.non2xx} gateway responses were not 2xx`);
    const ratio = ours.requestsPerSec / peer.requestsPerSec;
    return [
      {
        workload: 'signed sts GetCallerIdentity, 16 conns',
        ours: `${Math.round(ours.requestsPerSec)} req/s (p50 ${ours.p50ms.toFixed(2)} ms${ourCpu})`,
        peerName: 'plain fastify, same bytes',
        peer: `${Math.round(peer.requestsPerSec)} req/s (p50 ${peer.p50ms.toFixed(2)} ms${peerCpu})`,
        ratio,
        target: '≥ 0.6×',
        pass: ratio >= 0.6,
      },
    ];
  } finally {
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
