// SPDX-License-Identifier: AGPL-3.0-or-later
/** The Loki fake (HTTP API semantics the Loki store relies on) and the Loki store on it. */
import t from 'tap';
import { startFakeLoki, parseLogQL } from '../fakes/loki/server.js';
import { LokiLogStore } from '../../translators/grafana/logs.js';

t.test('LogQL subset', async (t) => {
  t.same(parseLogQL('{a="x", b!~"y.*"} |= "err" != `dbg` |~ "n=\\\\d"'), {
    matchers: [['a', '=', 'x'], ['b', '!~', 'y.*']],
    filters: [['|=', 'err'], ['!=', 'dbg'], ['|~', 'n=\\d']],
  });
  t.throws(() => parseLogQL('{a=~".*"}'), /at least one regexp or equality matcher/);
  t.throws(() => parseLogQL('a="x"'), /parse error/);
});

t.test('push, query_range (start inclusive, end exclusive, limit, direction), delete', async (t) => {
  const srv = await startFakeLoki();
  t.teardown(srv.close);
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  const now = Date.now();
  const push = (values: unknown[], stream = { app: 'a' }) =>
    fetch(`${srv.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams: [{ stream, values }] }) });
  t.equal((await push([[ns(now - 3000), 'one'], [ns(now - 2000), 'two', { k: 'v' }], [ns(now - 1000), 'three'], [ns(now - 1000), 'three']])).status, 204);
  const old = await push([[ns(now - 8 * 86_400_000), 'old'], [ns(now), 'new']]);
  t.equal(old.status, 400);
  t.match(await old.text(), /too old/);
  const q = async (params: Record<string, string>, headers: Record<string, string> = {}) =>
    (await (await fetch(`${srv.url}/loki/api/v1/query_range?${new URLSearchParams(params)}`, { headers })).json()) as { data: { result: Array<{ stream: Record<string, string>; values: unknown[][] }> } };
  const lines = (r: Awaited<ReturnType<typeof q>>) => r.data.result.flatMap((s) => s.values.map((v) => v[1]));
  t.same(lines(await q({ query: '{app="a"}', start: ns(now - 3000), end: ns(now), direction: 'forward' }, { 'x-loki-response-encoding-flags': 'categorize-labels' })), ['one', 'two', 'three'], 'duplicates kept once; new at end excluded');
  t.same(lines(await q({ query: '{app="a"}', start: ns(now - 3000), end: ns(now + 1), limit: '2' })), ['new', 'three'], 'backward by default');
  t.same(lines(await q({ query: '{app="a"} |~ "t.o"', start: ns(now - 5000), end: ns(now + 1), direction: 'forward' })), ['two']);
  const cat = await q({ query: '{app="a"} |= "two"', start: ns(now - 5000), end: ns(now + 1) }, { 'x-loki-response-encoding-flags': 'categorize-labels' });
  t.same(cat.data.result[0].values[0][2], { structuredMetadata: { k: 'v' } });
  const merged = await q({ query: '{app="a"} |= "two"', start: ns(now - 5000), end: ns(now + 1) });
  t.same(merged.data.result[0].stream, { app: 'a', k: 'v' }, 'without the flag, metadata joins the labels');
  const tooMany = await fetch(`${srv.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{app="a"}', limit: '5001' })}`);
  t.equal(tooMany.status, 400);
  t.equal((await fetch(`${srv.url}/loki/api/v1/delete?${new URLSearchParams({ query: '{app="a"}', start: '0', end: String((now - 1500) / 1000) })}`, { method: 'POST' })).status, 204);
  t.same(lines(await q({ query: '{app="a"}', start: ns(now - 5000), end: ns(now + 1), direction: 'forward' })), ['three', 'new']);
});

t.test('Loki store: positions, paging past 5000 entries, group scans, deletes', async (t) => {
  const srv = await startFakeLoki();
  t.teardown(srv.close);
  const store = new LokiLogStore({ url: srv.url, headers: {}, timeoutMs: 5000, healthCacheMs: 5000 });
  const tenant = { accountId: '111122223333', region: 'us-east-1' };
  const base = Date.now() - 60_000;
  const events = Array.from({ length: 5200 }, (_, i) => ({ timestamp: base + Math.floor(i / 100), message: `m${i}` }));
  const ids = await store.append(tenant, 'g', 's/1', events, base + 5);
  t.equal(ids.length, 5200);
  t.ok(ids.every((id, i) => /^\d{56}$/.test(id) && (i === 0 || id > ids[i - 1])), 'positions ordered by arrival');
  const all = await store.readStream(tenant, 'g', 's/1', { limit: 6000, fromHead: true });
  t.equal(all.length, 5200);
  t.same(all.slice(0, 2).map((e) => [e.message, e.timestamp, e.ingestionTime]), [['m0', base, base + 5], ['m1', base, base + 5]]);
  const tail = await store.readStream(tenant, 'g', 's/1', { limit: 3, fromHead: false });
  t.same(tail.map((e) => e.message), ['m5197', 'm5198', 'm5199']);
  const next = await store.readStream(tenant, 'g', 's/1', { limit: 2, fromHead: true, after: all[4].id });
  t.same(next.map((e) => e.message), ['m5', 'm6']);
  const before = await store.readStream(tenant, 'g', 's/1', { limit: 2, fromHead: false, before: all[4].id });
  t.same(before.map((e) => e.message), ['m2', 'm3']);
  await store.append(tenant, 'g', 'other', [{ timestamp: base + 10, message: 'ERROR x' }], base + 20);
  const scan = await store.scanGroup(tenant, 'g', { limit: 2, match: (m) => m.startsWith('ERROR') || m === 'm42' });
  t.same(scan.events.map((e) => [e.stream, e.message]), [['s/1', 'm42'], ['other', 'ERROR x']]);
  const only = await store.scanGroup(tenant, 'g', { limit: 10, streams: new Set(['other']) });
  t.same(only.events.map((e) => e.message), ['ERROR x']);
  const paged = await store.scanGroup(tenant, 'g', { limit: 1, streamPrefix: 's/', match: (m) => m === 'm1' || m === 'm5100' });
  t.same(paged.events.map((e) => e.message), ['m1']);
  t.ok(paged.next);
  const rest = await store.scanGroup(tenant, 'g', { limit: 1, streamPrefix: 's/', after: paged.next, match: (m) => m === 'm1' || m === 'm5100' });
  t.same(rest.events.map((e) => e.message), ['m5100']);
  await store.deleteStream(tenant, 'g', 's/1');
  t.same(await store.readStream(tenant, 'g', 's/1', { limit: 10, fromHead: true }), []);
  t.equal((await store.readStream(tenant, 'g', 'other', { limit: 10, fromHead: true })).length, 1);
  t.same(await store.readStream({ ...tenant, accountId: '999988887777' }, 'g', 'other', { limit: 10, fromHead: true }), [], 'other accounts see nothing');
  await store.deleteGroup(tenant, 'g');
  t.same((await store.scanGroup(tenant, 'g', { limit: 10 })).events, []);
});
