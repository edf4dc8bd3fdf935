// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DynamoDB at scale: a table of 1,000,000 items (override with MCGW_BENCH_ITEMS) loaded through
 * BatchWriteItem by the real SDK client, then read back whole by a paginated Scan, while the
 * gateway's memory is sampled. Target (issue 4): the table loads and scans without memory growth —
 * the gateway's anonymous memory (RssAnon: heap and buffers, not the LMDB map, which is file
 * pages the kernel may drop) stays within a bound that does not grow with the item count.
 * Standalone: `node dist/bench/dynamodb-scale.js [items]`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, ScanCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { BENCH_CREDENTIALS, printRows, startGatewayPinned, stopChild, type Row } from './lib.js';

/** Anonymous resident memory of a process in MiB (heap, buffers; not file-backed maps). */
function rssAnonMiB(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Samples RssAnon every 500 ms; with MCGW_BENCH_TRACE set, prints one line every 10 s (RSS over time). */
class Sampler {
  readonly samples: number[] = [];
  private timer: NodeJS.Timeout;
  constructor(pid: number, phase: string, progress: () => number) {
    const t0 = performance.now();
    const trace = !!process.env.MCGW_BENCH_TRACE;
    this.timer = setInterval(() => {
      this.samples.push(rssAnonMiB(pid));
      if (trace && this.samples.length % 20 === 0) {
        process.stderr.write(`${phase} t=${((performance.now() - t0) / 1000).toFixed(0)}s items=${progress()} RssAnon=${this.samples[this.samples.length - 1]!.toFixed(0)} MiB\n`);
      }
    }, 500);
  }
  stop(): { first: number; peak: number; last: number } {
    clearInterval(this.timer);
    const s = this.samples.filter(Number.isFinite);
    return { first: s[0] ?? NaN, peak: Math.max(...s), last: s[s.length - 1] ?? NaN };
  }
}

export async function benchDynamoScale(items = Number(process.env.MCGW_BENCH_ITEMS ?? 1_000_000)): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-bench-ddb-scale-'));
  // 'os' durability: the bench measures memory, not the disk's fsync rate
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ dynamodb: { backend: 'embedded', durability: 'os' } }));
  // MCGW_BENCH_HEAP_MB caps the gateway's V8 heap: a run that completes under the cap holds no
  // memory that grows with the item count (the RSS figures alone include GC headroom)
  const heap = process.env.MCGW_BENCH_HEAP_MB;
  const gw = await startGatewayPinned(join(dir, 'data'), ['--config', join(dir, 'config.json')], heap ? { NODE_OPTIONS: `--max-old-space-size=${Number(heap)}` } : {});
  const pid = gw.child.pid!;
  const ddb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${gw.port}`, region: 'us-east-1', credentials: BENCH_CREDENTIALS, maxAttempts: 10 });
  try {
    await ddb.send(new CreateTableCommand({
      TableName: 'scale',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    const baseline = rssAnonMiB(pid);
    const load = new Sampler(pid, 'load', () => next);
    const t0 = performance.now();
    let next = 0;
    const payload = 'x'.repeat(64);
    const writer = async () => {
      for (;;) {
        const start = next;
        if (start >= items) return;
        next = Math.min(items, start + 25);
        let reqs: WriteRequest[] = [];
        for (let i = start; i < next; i++) {
          reqs.push({ PutRequest: { Item: { pk: { S: `user#${i % 10_000}` }, sk: { N: String(i) }, name: { S: `item ${i}` }, payload: { S: payload }, n: { N: String(i * 7) } } } });
        }
        while (reqs.length) {
          const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { scale: reqs } }));
          reqs = out.UnprocessedItems?.scale ?? [];
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const loadSeconds = (performance.now() - t0) / 1000;
    const loadMem = load.stop();

    let seen = 0;
    const scan = new Sampler(pid, 'scan', () => seen);
    const t1 = performance.now();
    let pages = 0;
    let esk: Record<string, never> | undefined;
    do {
      const out = await ddb.send(new ScanCommand({ TableName: 'scale', ExclusiveStartKey: esk }));
      seen += out.Count ?? 0;
      pages++;
      esk = out.LastEvaluatedKey as typeof esk;
    } while (esk);
    const scanSeconds = (performance.now() - t1) / 1000;
    const scanMem = scan.stop();
    if (seen !== items) throw new Error(`the scan saw ${seen} items, ${items} were written`);

    // "without memory growth": what the gateway holds after loading and scanning everything stays
    // within a fixed allowance over its size before the first item (caches, GC headroom)
    const allowance = 150;
    const grew = Math.max(loadMem.peak, scanMem.peak) - baseline;
    const fmt = (m: { first: number; peak: number; last: number }) => `RssAnon ${m.first.toFixed(0)}→peak ${m.peak.toFixed(0)}→${m.last.toFixed(0)} MiB`;
    return [
      {
        workload: `load ${items.toLocaleString('en')} items, BatchWriteItem ×25, 8 clients`,
        ours: `${loadSeconds.toFixed(1)} s, ${Math.round(items / loadSeconds)} items/s, ${fmt(loadMem)}`,
        peerName: 'before the first item',
        peer: `RssAnon ${baseline.toFixed(0)} MiB`,
        ratio: (loadMem.peak - baseline) / allowance,
        target: `growth ≤ ${allowance} MiB, not with the item count`,
        pass: loadMem.peak - baseline <= allowance,
      },
      {
        workload: `Scan all ${items.toLocaleString('en')} items (${pages} pages of 1 MB)`,
        ours: `${scanSeconds.toFixed(1)} s, ${Math.round(items / scanSeconds)} items/s, ${fmt(scanMem)}`,
        peerName: 'before the first item',
        peer: `RssAnon ${baseline.toFixed(0)} MiB`,
        ratio: grew / allowance,
        target: `growth ≤ ${allowance} MiB, not with the item count`,
        pass: grew <= allowance,
      },
    ];
  } finally {
    ddb.destroy();
    await stopChild(gw.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('dynamodb-scale.js')) {
  printRows('dynamodb-scale', await benchDynamoScale(process.argv[2] ? Number(process.argv[2]) : undefined));
}
