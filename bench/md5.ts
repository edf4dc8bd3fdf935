// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multi-buffer MD5 (src/hash/md5-lanes.ts) against node:crypto's (OpenSSL) md5. Standalone:
 *   node dist/bench/md5.js [rounds]
 * N concurrent 1 MiB streams, each fed one 64 KiB chunk per event-loop turn, digested at the
 * end; prints per-stream and aggregate MB/s (median and best of the rounds) and the aggregate's
 * ratio to OpenSSL's single stream — the CPU-cost ratio, since both run on the one thread.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createLaneMd5 } from '../src/hash/md5-lanes.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const rounds = Number(process.argv[2] ?? 7);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Hasher {
  update(b: Buffer): void;
  digest(): Promise<Buffer> | Buffer;
}
const crypto = (): Hasher => createHash('md5');
const lanes = (): Hasher => createLaneMd5();

const data = Array.from({ length: 16 }, () => randomBytes(MiB));

/** Seconds to hash `n` concurrent 1 MiB streams made by `make`, 64 KiB per stream per turn. */
async function once(make: () => Hasher, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const hs = Array.from({ length: n }, make);
  for (let off = 0; off < MiB; off += CHUNK) {
    for (let i = 0; i < n; i++) hs[i].update(data[i].subarray(off, off + CHUNK));
    await turn();
  }
  await Promise.all(hs.map((h) => h.digest()));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Aggregate MB/s (median, best) over the rounds, after a warm-up. */
async function measure(make: () => Hasher, n: number): Promise<{ med: number; best: number }> {
  for (let i = 0; i < 3; i++) await once(make, n);
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // several runs per sample so each lasts tens of milliseconds
    const reps = Math.max(1, Math.ceil(16 / n));
    let s = 0;
    for (let i = 0; i < reps; i++) s += await once(make, n);
    rates.push((reps * n * MiB) / s / 1e6);
  }
  rates.sort((a, b) => a - b);
  return { med: rates[rates.length >> 1], best: rates[rates.length - 1] };
}

const fmt = (x: number): string => x.toFixed(0).padStart(6);
const base = await measure(crypto, 1);
console.log(`crypto md5 1 stream        per-stream ${fmt(base.med)} MB/s (best ${fmt(base.best)})`);
for (const n of [1, 4, 8, 16]) {
  const c = n === 1 ? base : await measure(crypto, n);
  const l = await measure(lanes, n);
  console.log(
    `n=${String(n).padStart(2)}  crypto aggr ${fmt(c.med)} | lanes per-stream ${fmt(l.med / n)} aggr ${fmt(l.med)} MB/s ` +
      `(best ${fmt(l.best)})  lanes/openssl-1 ${(l.med / base.med).toFixed(2)}x (best/best ${(l.best / base.best).toFixed(2)}x)`,
  );
}
