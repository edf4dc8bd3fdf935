// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Multi-buffer MD5 (src/hash/md5-lanes.ts, kernels in md5-kernel.ts): byte-identical to
 * crypto's md5 for every small length, random large ones, any chunking, any number of streams
 * updated interleaved across turns and finishing at different times; nothing held past a turn.
 */
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { DATA, INIT, PTRS, STAGED_SLAB, STAGED_SLABS, STATE1, instantiateMd5, laneData, laneState, type KernelOptions } from '../../src/hash/md5-kernel.js';
import { createLaneMd5, giveMd5Slab, takeMd5Slab, type LaneMd5, type Md5Slab } from '../../src/hash/md5-lanes.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A seeded PRNG (mulberry32): reproducible lengths and chunkings. */
function rng(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

/** The message padded as MD5 pads it (0x80, zeros, 64-bit little-endian bit length). */
function padded(m: Buffer): Buffer {
  const n = Math.ceil((m.length + 9) / 64) * 64;
  const b = Buffer.alloc(n);
  m.copy(b);
  b[m.length] = 0x80;
  b.writeUInt32LE((m.length * 8) >>> 0, n - 8);
  return b;
}

const variants: KernelOptions[] = [
  { transpose: 'shuffle', msgInMemory: true, anchor: 4 },
  { transpose: 'shuffle', msgInMemory: true, anchor: 3 },
  { transpose: 'shuffle', msgInMemory: false, anchor: 0 },
  { transpose: 'lane', msgInMemory: true, anchor: 1 },
];

t.test('kernels: every lane of md5x8, md5x4 and md5x1 matches crypto', async (t) => {
  for (const opts of variants) {
    const k = instantiateMd5(opts);
    for (const len of [0, 3, 55, 56, 64, 119, 1000, 5000]) {
      const msgs = Array.from({ length: 8 }, () => randomBytes(len));
      const blocks = padded(msgs[0]).length / 64;
      for (const lanes of [4, 8]) {
        for (let l = 0; l < lanes; l++) {
          k.mem.set(padded(msgs[l]), laneData(l));
          k.u32[PTRS / 4 + l] = laneData(l);
          for (let w = 0; w < 4; w++) k.u32[laneState(l, w)] = INIT[w];
        }
        (lanes === 8 ? k.x8 : k.x4)(blocks);
        const got = msgs.slice(0, lanes).map((_, l) => {
          const d = Buffer.alloc(16);
          for (let w = 0; w < 4; w++) d.writeUInt32LE(k.u32[laneState(l, w)], 4 * w);
          return d.toString('hex');
        });
        t.same(got, msgs.slice(0, lanes).map(md5), `md5x${lanes} ${JSON.stringify(opts)} length ${len}`);
      }
      k.u32.set(INIT, STATE1 / 4);
      k.mem.set(padded(msgs[0]), DATA);
      k.u32[PTRS / 4] = DATA;
      k.x1(blocks);
      t.equal(Buffer.from(k.mem.subarray(STATE1, STATE1 + 16)).toString('hex'), md5(msgs[0]), `md5x1 length ${len}`);
    }
  }
});

t.test('every length 0..300, whole and in 1-byte chunks, all concurrent', async (t) => {
  const msgs = Array.from({ length: 301 }, (_, n) => randomBytes(n));
  const whole = msgs.map((m) => {
    const h = createLaneMd5();
    h.update(m);
    return h.digest();
  });
  const bytewise = msgs.map((m) => {
    const h = createLaneMd5();
    for (let i = 0; i < m.length; i++) h.update(m.subarray(i, i + 1));
    return h.digest();
  });
  const want = msgs.map(md5);
  t.same((await Promise.all(whole)).map((d) => d.toString('hex')), want, 'one update');
  t.same((await Promise.all(bytewise)).map((d) => d.toString('hex')), want, '1-byte updates');
});

t.test('a lone stream, one byte per turn, then 63/64/65-byte chunks across turns', async (t) => {
  const m = randomBytes(700);
  const h = createLaneMd5();
  for (let i = 0; i < 200; i++) {
    h.update(m.subarray(i, i + 1));
    await turn();
  }
  for (let i = 200, j = 0; i < m.length; j++) {
    const n = [63, 64, 65][j % 3];
    h.update(m.subarray(i, i + n));
    i += n;
    if (j % 2) await turn();
  }
  t.equal((await h.digest()).toString('hex'), md5(m));
});

/**
 * `count` streams of random lengths (up to `maxLen`), fed interleaved across turns in chunks
 * from `chunk`, each idle in some turns, digested as soon as its data are in (so they finish at
 * different times); some digested in the turn of their last update, others a turn later.
 */
async function interleaved(count: number, maxLen: number, seed: number, chunk: (r: (n: number) => number) => number): Promise<{ got: string[]; want: string[] }> {
  const r = rng(seed);
  const msgs = Array.from({ length: count }, () => randomBytes(r(maxLen + 1)));
  const hs: LaneMd5[] = msgs.map(() => createLaneMd5());
  const off = msgs.map(() => 0);
  const out: Promise<Buffer>[] = [];
  const done = msgs.map(() => false);
  while (done.includes(false)) {
    for (let i = 0; i < count; i++) {
      if (done[i] || r(4) === 0) continue;
      let budget = r(3) * 1024 * (1 + r(256));
      do {
        const n = Math.min(chunk(r), msgs[i].length - off[i]);
        hs[i].update(msgs[i].subarray(off[i], off[i] + n));
        off[i] += n;
        budget -= n;
      } while (budget > 0 && off[i] < msgs[i].length);
      if (off[i] === msgs[i].length && r(2) === 0) {
        done[i] = true;
        out[i] = hs[i].digest();
      }
    }
    await turn();
    for (let i = 0; i < count; i++) {
      if (!done[i] && off[i] === msgs[i].length) {
        done[i] = true;
        out[i] = hs[i].digest();
      }
    }
  }
  return { got: (await Promise.all(out)).map((d) => d.toString('hex')), want: msgs.map(md5) };
}

const chunkings: [string, (r: (n: number) => number) => number][] = [
  ['63/64/65', (r) => 63 + r(3)],
  ['odd sizes', (r) => 1 + 2 * r(4000)],
  ['random up to 200 KiB', (r) => 1 + r(200 * 1024)],
];

t.test('concurrent streams interleaved across turns match crypto', async (t) => {
  let seed = 1;
  for (const count of [1, 2, 3, 4, 5, 8, 9, 17]) {
    for (const [name, chunk] of chunkings) {
      const maxLen = name === '63/64/65' ? 64 * 1024 : 3 * 1024 * 1024;
      const { got, want } = await interleaved(count, count > 9 ? maxLen / 2 : maxLen, seed++, chunk);
      t.same(got, want, `${count} streams, ${name} chunks (seed ${seed - 1})`);
    }
  }
});

t.test('a stream digested in the turn it was created', async (t) => {
  const m = randomBytes(5000);
  const a = createLaneMd5();
  a.update(m);
  const b = createLaneMd5();
  const [da, db] = await Promise.all([a.digest(), b.digest()]);
  t.equal(da.toString('hex'), md5(m));
  t.equal(db.toString('hex'), md5(Buffer.alloc(0)));
  t.equal(await a.digest(), da, 'digest again: the same result');
  t.throws(() => a.update(m), /digest already called/);
});

t.test('nothing is held past a turn; discard', async (t) => {
  const a = createLaneMd5();
  const big = randomBytes(1024 * 1024 + 30);
  a.update(big);
  await turn();
  const inner = a as unknown as { queue: Buffer[]; pending: number };
  t.equal(inner.pending, 30, 'only the sub-block tail remains');
  t.ok(inner.queue.every((b) => b !== big && b.length < 64), 'the chunk is no longer referenced');

  const m = randomBytes(100000);
  const b = createLaneMd5();
  const c = createLaneMd5();
  b.update(m);
  c.update(m);
  const pb = b.digest();
  c.discard();
  t.throws(() => c.update(m), /discarded/);
  await t.rejects(c.digest(), /discarded/);
  t.equal((await pb).toString('hex'), md5(m), 'the others are unaffected');
  const inC = c as unknown as { queue: Buffer[]; pending: number };
  t.equal(inC.pending + inC.queue.length, 0, 'a discarded stream holds nothing');
  a.discard();
});

t.test('a lone stream waits for company at most two turns, then goes alone; finishing does not wait', async (t) => {
  const a = createLaneMd5();
  const m = randomBytes(100_010); // 1,562 blocks and 42 bytes
  a.update(m);
  const inner = a as unknown as { queue: Buffer[]; pending: number };
  await turn();
  t.equal(inner.pending, m.length, 'alone, small and not finishing: it waits');
  await turn();
  t.equal(inner.pending, m.length, 'still waiting in the second turn');
  await turn();
  t.equal(inner.pending, 42, 'third turn: hashed alone, the sub-block tail left');
  t.ok(inner.queue.every((b) => b !== m && b.length < 64), 'the chunk is no longer referenced');
  t.equal((await a.digest()).toString('hex'), md5(m));

  const b = createLaneMd5();
  b.update(m);
  const inB = b as unknown as { pending: number };
  const d = b.digest();
  await turn();
  t.equal(inB.pending, 0, 'a digest asked for: hashed in the first turn');
  t.equal((await d).toString('hex'), md5(m));
});

t.test('staged bytes are hashed in place, beside chunk streams; a slab is refilled once drained', async (t) => {
  const r = rng(7);
  const streams = Array.from({ length: 11 }, (_, i) => {
    const staged = i % 3 !== 2;
    const data = randomBytes(i === 0 ? 0 : i === 1 ? 63 : r(3 * STAGED_SLAB + 5000));
    return { staged, data, off: 0, fill: 0, slab: staged ? takeMd5Slab() : undefined, h: createLaneMd5() };
  });
  t.ok(streams.every((s) => !s.staged || s.slab), 'a slab for each staged stream');
  const digests: Array<Promise<Buffer>> = [];
  while (streams.some((s) => s.off < s.data.length)) {
    const waits: Array<Promise<void>> = [];
    for (const s of streams) {
      if (s.off >= s.data.length || r(4) === 0) continue; // some idle this turn
      const n = Math.min(1 + r(100_000), s.data.length - s.off);
      if (!s.staged) s.h.update(s.data.subarray(s.off, s.off + n));
      else {
        const slab = s.slab as Md5Slab;
        const m = Math.min(n, STAGED_SLAB - s.fill);
        s.data.copy(slab.buf, s.fill, s.off, s.off + m);
        s.h.updateStaged(slab, s.fill, m);
        s.fill += m;
        s.off += m;
        if (s.fill === STAGED_SLAB) {
          // the writer's rule: refill only once drained; scribble at once to prove nothing reads it later
          waits.push(s.h.drained().then(() => {
            slab.buf.fill(0xee);
            s.fill = 0;
          }));
        }
        continue;
      }
      s.off += n;
    }
    await Promise.all(waits);
    await turn();
  }
  for (const s of streams) digests.push(s.h.digest());
  const got = (await Promise.all(digests)).map((d) => d.toString('hex'));
  t.same(got, streams.map((s) => md5(s.data)), 'every stream, staged or not, matches crypto');
  for (const s of streams) if (s.slab) giveMd5Slab(s.slab);
});

t.test('staging slabs: page-aligned views of the kernels\' memory, STAGED_SLABS of them', async (t) => {
  const taken: Md5Slab[] = [];
  for (let s = takeMd5Slab(); s; s = takeMd5Slab()) taken.push(s);
  t.equal(taken.length, STAGED_SLABS, 'all of them, then none');
  t.ok(taken.every((s) => s.at % 4096 === 0 && s.buf.byteOffset % 4096 === 0 && s.buf.length === STAGED_SLAB), 'aligned for O_DIRECT');
  t.equal(new Set(taken.map((s) => s.buf.buffer)).size, 1, 'one memory');
  for (const s of taken) giveMd5Slab(s);
  t.ok(takeMd5Slab(), 'given back, taken again');
});

t.test('drained with a sub-block tail staged: the tail is kept aside, the slab free to reuse', async (t) => {
  const slab = takeMd5Slab()!;
  const h = createLaneMd5();
  const first = randomBytes(100); // one block hashed in place, 36 bytes left staged
  first.copy(slab.buf, 0);
  h.updateStaged(slab, 0, first.length);
  await h.drained();
  slab.buf.fill(0xee, 0, 4096); // the writer reuses the slab at once
  const second = randomBytes(5000);
  second.copy(slab.buf, 0);
  h.updateStaged(slab, 0, second.length);
  await h.drained();
  slab.buf.fill(0xee, 0, 8192);
  t.equal((await h.digest()).toString('hex'), md5(Buffer.concat([first, second])), 'the MD5 of the bytes as staged');
  const empty = createLaneMd5();
  const small = randomBytes(10);
  small.copy(slab.buf, 0);
  empty.updateStaged(slab, 0, 10);
  await empty.drained();
  slab.buf.fill(0xee, 0, 64);
  t.equal((await empty.digest()).toString('hex'), md5(small), 'less than a block, drained at once');
  giveMd5Slab(slab);
});
