// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB bench: GetItem, PutItem and a Query returning 100 items, each one fixed signed
 * request replayed by wrk, against the gateway (full SigV4 verification, embedded engine) and
 * dynalite (no verification, in memory) in the same run: each side warmed up, then four rounds
 * in alternating order, totals compared. Targets: GetItem/PutItem ≥ 1.2× dynalite; p50 < 1 ms
 * at one connection. Standalone: `node dist/bench/dynamodb.js [seconds]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleavedWrk, printRows, signedPost, startGatewayPinned, startPinned, stopChild, wrk, type Row, type SideResult, type WrkRequest } from './lib.js';


function signedRequest(port: number, op: string, input: unknown): Promise<WrkRequest> {
  return signedPost(port, 'dynamodb', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${op}` }, JSON.stringify(input));
}

async function call(port: number, op: string, input: unknown): Promise<unknown> {
  const r = await signedRequest(port, op, input);
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: r.headers, body: r.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${op} failed: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function prepare(port: number): Promise<Record<string, WrkRequest>> {
  await call(port, 'CreateTable', {
    TableName: 'bench',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    ProvisionedThroughput: { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 },
  });
  for (let deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const d = (await call(port, 'DescribeTable', { TableName: 'bench' })) as { Table: { TableStatus: string } };
    if (d.Table.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const item = (pk: string, sk: number) => ({ pk: { S: pk }, sk: { N: String(sk) }, name: { S: `item-${sk}` }, n: { N: '12345.678' }, tags: { SS: ['a', 'b'] } });
  for (let i = 0; i < 100; i++) await call(port, 'PutItem', { TableName: 'bench', Item: item('q', i) });
  await call(port, 'PutItem', { TableName: 'bench', Item: item('g', 1) });
  return {
    GetItem: await signedRequest(port, 'GetItem', { TableName: 'bench', Key: { pk: { S: 'g' }, sk: { N: '1' } } }),
    PutItem: await signedRequest(port, 'PutItem', { TableName: 'bench', Item: item('p', 1) }),
    Query100: await signedRequest(port, 'Query', { TableName: 'bench', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } } }),
  };
}

/** `durability`: the embedded engine's dynamodb.durability ('fsync' flushes every write). */
export async function benchDynamo(seconds = 6, durability: 'fsync' | 'os' = 'fsync'): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-ddb-'));
  const config = join(dir, 'bench-config.json');
  writeFileSync(config, JSON.stringify({ dynamodb: { backend: 'embedded', durability, ttlSweepSeconds: 0 } }));
  const rows: Row[] = [];
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', config]);
  const dynaliteCli = join(dirname(createRequire(import.meta.url).resolve('dynalite/package.json')), 'cli.js');
  const peer = await startPinned(process.execPath, [dynaliteCli, '--port', '0'], /listening at: http:\/\/localhost:(\d+)/);
  try {
    const ourPort = gw.port;
    const peerPort = Number((peer.match[1] as string) ?? 0);
    if (!peerPort) throw new Error('dynalite did not report a port');
    const ours = await prepare(ourPort);
    const theirs = await prepare(peerPort);
    // the server's CPU µs per request (all threads, /proc): steadier than req/s on a busy machine
    const cpu = (r: SideResult, who: string) => (Number.isFinite(r.cpuUsPerRequest[who]) ? `, ${r.cpuUsPerRequest[who]!.toFixed(0)} µs CPU/req` : '');
    for (const name of ['GetItem', 'PutItem', 'Query100']) {
      // both warmed up, then rounds in alternating order (lib.ts interleavedWrk): a drift of the
      // machine over the run, or a JIT still settling, falls on both sides alike
      const sides = [{ url: `http://127.0.0.1:${ourPort}/`, req: ours[name]! }, { url: `http://127.0.0.1:${peerPort}/`, req: theirs[name]! }];
      const [or, pr] = interleavedWrk(sides, { ours: gw.child.pid, peer: peer.child.pid }, { seconds: seconds * 2, rounds: 4, warmupSeconds: 1 }) as [SideResult, SideResult];
      const o = { ...or, cpu: cpu(or, 'ours') };
      const p = { ...pr, cpu: cpu(pr, 'peer') };
      const o1 = wrk(`http://127.0.0.1:${ourPort}/`, ours[name]!, { seconds: Math.max(2, seconds / 2), connections: 1, threads: 1 });
      if (o.non2xx) throw new Error(`${o.non2xx} gateway ${name} responses were not 2xx`);
      const ratio = o.requestsPerSec / p.requestsPerSec;
      const target = name === 'Query100' ? undefined : 1.2;
      rows.push({
        workload: `${name} (durability ${durability}), 16 conns (p50 at 1 conn: ${o1.p50ms.toFixed(2)} ms)`,
        ours: `${Math.round(o.requestsPerSec)} req/s (p50 ${o.p50ms.toFixed(2)} ms${o.cpu})`,
        peerName: 'dynalite (no SigV4, memory)',
        peer: `${Math.round(p.requestsPerSec)} req/s (p50 ${p.p50ms.toFixed(2)} ms${p.cpu})`,
        ratio,
        target: target ? `≥ ${target}×, p50 < 1 ms` : 'reported',
        pass: target ? ratio >= target && o1.p50ms < 1 : true,
      });
    }
    return rows;
  } finally {
    await stopChild(peer.child);
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printRows('dynamodb', await benchDynamo(Number(process.argv[2] ?? 6), process.argv[3] === 'os' ? 'os' : 'fsync'));
}
