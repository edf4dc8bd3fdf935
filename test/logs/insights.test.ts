// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { T0, rejects, setup } from './helpers.js';

async function seeded(t: Parameters<typeof setup>[0]) {
  const s = await setup(t);
  await s.call('CreateLogGroup', { logGroupName: 'app' });
  for (const st of ['web', 'db']) await s.call('CreateLogStream', { logGroupName: 'app', logStreamName: st });
  const ev = (d: number, m: string) => ({ timestamp: T0 - 600_000 + d * 1000, message: m });
  await s.call('PutLogEvents', {
    logGroupName: 'app', logStreamName: 'web',
    logEvents: [
      ev(0, '{"level":"info","latency":10,"path":"/a"}'),
      ev(60, '{"level":"error","latency":300,"path":"/b"}'),
      ev(120, '{"level":"info","latency":20,"path":"/a"}'),
      ev(400, '{"level":"info","latency":40,"path":"/b"}'),
    ],
  });
  await s.call('PutLogEvents', { logGroupName: 'app', logStreamName: 'db', logEvents: [ev(30, 'user=alice action=login took 15ms'), ev(90, 'user=bob action=logout took 3ms')] });
  const q = async (queryString: string, extra: Record<string, unknown> = {}) => {
    const { queryId } = await s.call('StartQuery', { logGroupName: 'app', startTime: (T0 - 3_600_000) / 1000, endTime: T0 / 1000, queryString, ...extra });
    const r = await s.call('GetQueryResults', { queryId });
    t.equal(r.status, 'Complete');
    return r;
  };
  const rows = (r: { results: Array<Array<{ field: string; value: string }>> }) =>
    r.results.map((row) => Object.fromEntries(row.filter((c) => c.field !== '@ptr').map((c) => [c.field, c.value])));
  return { ...s, q, rows };
}

t.test('fields, filter, sort, limit', async (t) => {
  const { q, rows } = await seeded(t);
  const r = await q('fields @timestamp, level, latency | filter level = "info" and latency > 15 | sort latency desc | limit 5');
  t.same(rows(r), [
    { '@timestamp': '2026-01-10 11:56:40.000', level: 'info', latency: '40' },
    { '@timestamp': '2026-01-10 11:52:00.000', level: 'info', latency: '20' },
  ]);
  t.equal(r.statistics.recordsScanned, 6);
  t.equal(r.statistics.recordsMatched, 2);
  t.ok(r.results[0].some((c: { field: string }) => c.field === '@ptr'));
  const like = await q('fields @message | filter @message like /logout/');
  t.same(rows(like), [{ '@message': 'user=bob action=logout took 3ms' }]);
  const lim = await q('fields @timestamp | sort @timestamp asc | limit 2');
  t.equal(lim.results.length, 2);
  const defaultCols = await q('filter path = "/b" | sort @timestamp');
  t.same(Object.keys(rows(defaultCols)[0]), ['@timestamp', '@message']);
});

t.test('stats with bin() and by', async (t) => {
  const { q, rows } = await seeded(t);
  t.same(rows(await q('stats count(*) as n')), [{ n: '6' }]);
  t.same(rows(await q('filter ispresent(latency) | stats avg(latency), max(latency) by path')), [
    { path: '/a', 'avg(latency)': '15', 'max(latency)': '20' },
    { path: '/b', 'avg(latency)': '170', 'max(latency)': '300' },
  ]);
  t.same(rows(await q('filter ispresent(level) | stats count(*) by bin(5m)')), [
    { 'bin(5m)': '2026-01-10 11:50:00.000', 'count(*)': '3' },
    { 'bin(5m)': '2026-01-10 11:55:00.000', 'count(*)': '1' },
  ]);
});

t.test('parse with globs and regexes', async (t) => {
  const { q, rows } = await seeded(t);
  t.same(rows(await q('parse @message "user=* action=* took *ms" as user, action, ms | filter ispresent(user) | fields user, action, ms | sort user')), [
    { user: 'alice', action: 'login', ms: '15' },
    { user: 'bob', action: 'logout', ms: '3' },
  ]);
  t.same(rows(await q('parse @message /took (?<ms>\\d+)ms/ | stats sum(ms) as total')), [{ total: '18' }]);
});

t.test('errors and bookkeeping', async (t) => {
  const { call, q } = await seeded(t);
  await rejects(t, call('StartQuery', { logGroupName: 'app', startTime: 0, endTime: 10, queryString: 'fields | ' }), 'MalformedQueryException');
  await rejects(t, call('StartQuery', { logGroupName: 'app', startTime: 0, endTime: 10, queryString: 'explode x' }), 'MalformedQueryException', /unknown command/);
  await rejects(t, call('StartQuery', { logGroupName: 'nope', startTime: 0, endTime: 10, queryString: 'fields @message' }), 'ResourceNotFoundException');
  await rejects(t, call('GetQueryResults', { queryId: 'nope' }), 'ResourceNotFoundException');
  await q('fields @message');
  const d = await call('DescribeQueries', { logGroupName: 'app' });
  t.equal(d.queries.length, 1);
  t.equal(d.queries[0].status, 'Complete');
  const f = await call('GetLogGroupFields', { logGroupName: 'app', time: (T0 - 300_000) / 1000 });
  const names = f.logGroupFields.map((x: { name: string }) => x.name);
  t.ok(names.includes('@message') && names.includes('latency'), names.join(','));
});
