// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { T0, rejects, setup } from './helpers.js';

t.test('groups: create, describe, retention, tags, delete', async (t) => {
  const { call, gw, alice } = await setup(t);
  await call('CreateLogGroup', { logGroupName: '/app/web', tags: { team: 'ops' } });
  await call('CreateLogGroup', { logGroupName: '/app/api' });
  await call('CreateLogGroup', { logGroupName: 'other' });
  await rejects(t, call('CreateLogGroup', { logGroupName: '/app/web' }), 'ResourceAlreadyExistsException', /already exists/);
  await rejects(t, call('CreateLogGroup', { logGroupName: 'bad name' }), 'InvalidParameterException', /regular expression pattern/);
  const all = await call('DescribeLogGroups', {});
  t.same(all.logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['/app/api', '/app/web', 'other']);
  const web = all.logGroups[1];
  t.equal(web.arn, `arn:aws:logs:us-east-1:${alice.accountId}:log-group:/app/web:*`);
  t.equal(web.logGroupArn, `arn:aws:logs:us-east-1:${alice.accountId}:log-group:/app/web`);
  t.equal(web.creationTime, T0);
  t.equal(web.storedBytes, 0);
  t.equal(web.logGroupClass, 'STANDARD');
  t.same((await call('DescribeLogGroups', { logGroupNamePrefix: '/app' })).logGroups.length, 2);
  t.same((await call('DescribeLogGroups', { logGroupNamePattern: 'pi' })).logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['/app/api']);
  const p1 = await call('DescribeLogGroups', { limit: 2 });
  t.equal(p1.logGroups.length, 2);
  const p2 = await call('DescribeLogGroups', { limit: 2, nextToken: p1.nextToken });
  t.same(p2.logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['other']);
  t.notOk(p2.nextToken);
  await call('PutRetentionPolicy', { logGroupName: '/app/web', retentionInDays: 7 });
  t.equal((await call('DescribeLogGroups', { logGroupNamePrefix: '/app/web' })).logGroups[0].retentionInDays, 7);
  await rejects(t, call('PutRetentionPolicy', { logGroupName: '/app/web', retentionInDays: 2 }), 'InvalidParameterException', /enum value set/);
  await call('DeleteRetentionPolicy', { logGroupName: '/app/web' });
  t.notOk('retentionInDays' in (await call('DescribeLogGroups', { logGroupNamePrefix: '/app/web' })).logGroups[0]);
  t.same((await call('ListTagsLogGroup', { logGroupName: '/app/web' })).tags, { team: 'ops' });
  await call('TagResource', { resourceArn: web.logGroupArn, tags: { env: 'prod' } });
  await call('UntagResource', { resourceArn: web.logGroupArn, tagKeys: ['team'] });
  t.same((await call('ListTagsForResource', { resourceArn: web.logGroupArn })).tags, { env: 'prod' });
  const bob = await gw.account('bob');
  t.same((await call('DescribeLogGroups', {}, bob)).logGroups, [], 'tenancy');
  await rejects(t, call('ListTagsForResource', { resourceArn: web.logGroupArn }, bob), 'ResourceNotFoundException');
  await call('DeleteLogGroup', { logGroupName: '/app/web' });
  await rejects(t, call('DeleteLogGroup', { logGroupName: '/app/web' }), 'ResourceNotFoundException', /log group does not exist/);
});

t.test('streams and PutLogEvents / GetLogEvents with tokens', async (t) => {
  const { call, clock } = await setup(t);
  await call('CreateLogGroup', { logGroupName: 'g' });
  await rejects(t, call('CreateLogStream', { logGroupName: 'nope', logStreamName: 's' }), 'ResourceNotFoundException', /log group does not exist/);
  await call('CreateLogStream', { logGroupName: 'g', logStreamName: 's1' });
  await call('CreateLogStream', { logGroupName: 'g', logStreamName: 's2' });
  await rejects(t, call('CreateLogStream', { logGroupName: 'g', logStreamName: 's1' }), 'ResourceAlreadyExistsException');
  await rejects(t, call('CreateLogStream', { logGroupName: 'g', logStreamName: 'a:b' }), 'InvalidParameterException');
  await rejects(t, call('PutLogEvents', { logGroupName: 'g', logStreamName: 'nope', logEvents: [{ timestamp: T0, message: 'x' }] }), 'ResourceNotFoundException', /log stream does not exist/);
  const events = Array.from({ length: 25 }, (_, n) => ({ timestamp: T0 - 100_000 + n * 1000, message: `line ${n}` }));
  const put = await call('PutLogEvents', { logGroupName: 'g', logStreamName: 's1', logEvents: events });
  t.match(put.nextSequenceToken, /^\d{56}$/);
  t.notOk(put.rejectedLogEventsInfo);
  // tail: the newest 10, oldest first
  const tail = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', limit: 10 });
  t.same(tail.events.map((e: { message: string }) => e.message), Array.from({ length: 10 }, (_, n) => `line ${n + 15}`));
  t.equal(tail.events[0].ingestionTime, T0);
  const back = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', limit: 10, nextToken: tail.nextBackwardToken });
  t.same(back.events.map((e: { message: string }) => e.message), Array.from({ length: 10 }, (_, n) => `line ${n + 5}`));
  // from head, page forward until the token repeats (as the SDK paginators do)
  const seen: string[] = [];
  let token: string | undefined;
  for (let guard = 0; guard < 10; guard++) {
    const r = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', startFromHead: true, limit: 10, ...(token ? { nextToken: token } : {}) });
    seen.push(...r.events.map((e: { message: string }) => e.message));
    if (r.nextForwardToken === token) break;
    token = r.nextForwardToken;
  }
  t.equal(seen.length, 25);
  t.equal(seen[24], 'line 24');
  // new events appear after the last forward token
  clock.advance(1000);
  await call('PutLogEvents', { logGroupName: 'g', logStreamName: 's1', logEvents: [{ timestamp: T0, message: 'late' }] });
  const more = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', nextToken: token });
  t.same(more.events.map((e: { message: string }) => e.message), ['late']);
  // time window
  const win = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', startFromHead: true, startTime: T0 - 100_000 + 3000, endTime: T0 - 100_000 + 6000 });
  t.same(win.events.map((e: { message: string }) => e.message), ['line 3', 'line 4', 'line 5']);
  await rejects(t, call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1', nextToken: 'zzz' }), 'InvalidParameterException', /nextToken/);
  // stream metadata
  const ds = await call('DescribeLogStreams', { logGroupName: 'g' });
  t.same(ds.logStreams.map((s: { logStreamName: string }) => s.logStreamName), ['s1', 's2']);
  t.equal(ds.logStreams[0].firstEventTimestamp, T0 - 100_000);
  t.equal(ds.logStreams[0].lastEventTimestamp, T0);
  t.equal(ds.logStreams[0].lastIngestionTime, T0 + 1000);
  t.notOk('firstEventTimestamp' in ds.logStreams[1]);
  const byTime = await call('DescribeLogStreams', { logGroupName: 'g', orderBy: 'LastEventTime', descending: true, limit: 1 });
  t.same(byTime.logStreams.map((s: { logStreamName: string }) => s.logStreamName), ['s1']);
  t.ok(byTime.nextToken);
  await rejects(t, call('DescribeLogStreams', { logGroupName: 'g', orderBy: 'LastEventTime', logStreamNamePrefix: 's' }), 'InvalidParameterException', /LastEventTime/);
  await call('DeleteLogStream', { logGroupName: 'g', logStreamName: 's1' });
  await rejects(t, call('GetLogEvents', { logGroupName: 'g', logStreamName: 's1' }), 'ResourceNotFoundException');
});

t.test('PutLogEvents batch rules and rejected events', async (t) => {
  const { call } = await setup(t);
  await call('CreateLogGroup', { logGroupName: 'g' });
  await call('CreateLogStream', { logGroupName: 'g', logStreamName: 's' });
  const put = (logEvents: unknown[]) => call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents });
  await rejects(t, put([{ timestamp: T0, message: 'b' }, { timestamp: T0 - 1, message: 'a' }]), 'InvalidParameterException', /chronological order/);
  await rejects(t, put([{ timestamp: T0 - 25 * 3_600_000, message: 'a' }, { timestamp: T0, message: 'b' }]), 'InvalidParameterException', /24 hours/);
  await rejects(t, put([]), 'InvalidParameterException', /greater than or equal to 1/);
  await rejects(t, put([{ timestamp: T0, message: '' }]), 'InvalidParameterException');
  await rejects(t, put([{ timestamp: T0, message: 'x'.repeat(1_048_576) }]), 'InvalidParameterException', /Upload too large/);
  const r = await put([
    { timestamp: T0 - 14 * 86_400_000 - 3_600_000, message: 'old' },
    { timestamp: T0 - 14 * 86_400_000 - 3_600_000 + 1, message: 'old2' },
    { timestamp: T0 - 14 * 86_400_000 + 3_600_000, message: 'ok' },
  ]);
  t.same(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1 });
  const r2 = await put([{ timestamp: T0, message: 'now' }, { timestamp: T0 + 3 * 3_600_000, message: 'future' }]);
  t.same(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
  await call('PutRetentionPolicy', { logGroupName: 'g', retentionInDays: 1 });
  const r3 = await put([{ timestamp: T0 - 86_400_000 - 60_000, message: 'expired' }, { timestamp: T0 - 120_000, message: 'fresh' }]);
  t.same(r3.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
  const all = await call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', startFromHead: true });
  t.same(all.events.map((e: { message: string }) => e.message), ['ok', 'fresh', 'now']);
});

t.test('FilterLogEvents across streams with patterns and paging', async (t) => {
  const { call } = await setup(t);
  await call('CreateLogGroup', { logGroupName: 'g' });
  for (const s of ['web-1', 'web-2', 'db']) await call('CreateLogStream', { logGroupName: 'g', logStreamName: s });
  const put = (s: string, lines: Array<[number, string]>) => call('PutLogEvents', { logGroupName: 'g', logStreamName: s, logEvents: lines.map(([d, m]) => ({ timestamp: T0 - 60_000 + d, message: m })) });
  await put('web-1', [[0, 'ERROR disk full'], [20, '{"level":"error","latency":250,"user":{"id":7}}'], [40, '127.0.0.1 - GET /a 200 512']]);
  await put('web-2', [[10, 'WARN slow request'], [30, '{"level":"info","latency":20}'], [50, '10.0.0.9 - POST /b 503 12']]);
  await put('db', [[5, 'ERROR deadlock detected'], [15, 'INFO checkpoint']]);
  const f = async (q: Record<string, unknown>) => (await call('FilterLogEvents', { logGroupName: 'g', ...q })).events.map((e: { message: string }) => e.message);
  t.same(await f({}), [
    'ERROR disk full', 'ERROR deadlock detected', 'WARN slow request', 'INFO checkpoint', '{"level":"error","latency":250,"user":{"id":7}}',
    '{"level":"info","latency":20}', '127.0.0.1 - GET /a 200 512', '10.0.0.9 - POST /b 503 12',
  ], 'interleaved by time');
  t.same(await f({ filterPattern: 'ERROR' }), ['ERROR disk full', 'ERROR deadlock detected']);
  t.same(await f({ filterPattern: 'ERROR -disk' }), ['ERROR deadlock detected']);
  t.same(await f({ filterPattern: '?WARN ?INFO' }), ['WARN slow request', 'INFO checkpoint']);
  t.same(await f({ filterPattern: '"slow request"' }), ['WARN slow request']);
  t.same(await f({ filterPattern: '{ $.level = "error" }' }), ['{"level":"error","latency":250,"user":{"id":7}}']);
  t.same(await f({ filterPattern: '{ $.latency > 100 || $.level = "inf*" }' }).then((x) => x.length), 2);
  t.same(await f({ filterPattern: '{ $.user.id = 7 && $.latency >= 250 }' }).then((x) => x.length), 1);
  t.same(await f({ filterPattern: '{ $.user NOT EXISTS }' }), ['{"level":"info","latency":20}']);
  t.same(await f({ filterPattern: '[ip, dash, method, path, status = 5*, bytes]' }), ['10.0.0.9 - POST /b 503 12']);
  t.same(await f({ filterPattern: '[ip, ..., bytes > 100]' }), ['127.0.0.1 - GET /a 200 512']);
  t.same(await f({ filterPattern: '%dead[a-z]+%' }), ['ERROR deadlock detected']);
  t.same(await f({ logStreamNames: ['db'] }), ['ERROR deadlock detected', 'INFO checkpoint']);
  t.same(await f({ logStreamNamePrefix: 'web-', filterPattern: 'ERROR' }), ['ERROR disk full']);
  t.same(await f({ startTime: T0 - 60_000 + 10, endTime: T0 - 60_000 + 20 }), ['WARN slow request', 'INFO checkpoint']);
  const p1 = await call('FilterLogEvents', { logGroupName: 'g', limit: 3 });
  t.equal(p1.events.length, 3);
  t.match(p1.events[0].eventId, /^\d{56}$/);
  t.equal(p1.events[0].logStreamName, 'web-1');
  const p2 = await call('FilterLogEvents', { logGroupName: 'g', limit: 10, nextToken: p1.nextToken });
  t.equal(p2.events.length, 5);
  t.notOk(p2.nextToken);
  await rejects(t, call('FilterLogEvents', { logGroupName: 'g', filterPattern: '{ $.a = }' }), 'InvalidParameterException');
  await rejects(t, call('FilterLogEvents', { logGroupName: 'g', logStreamNames: ['db'], logStreamNamePrefix: 'd' }), 'InvalidParameterException');
});

t.test('retention really expires events', async (t) => {
  const { call, clock, logs } = await setup(t);
  await call('CreateLogGroup', { logGroupName: 'r' });
  await call('CreateLogStream', { logGroupName: 'r', logStreamName: 's' });
  await call('PutLogEvents', { logGroupName: 'r', logStreamName: 's', logEvents: [{ timestamp: T0 - 3_600_000, message: 'a' }, { timestamp: T0, message: 'b' }] });
  await call('PutRetentionPolicy', { logGroupName: 'r', retentionInDays: 1 });
  clock.advance(86_400_000 - 1_000);
  t.equal(await logs.sweep(), 1);
  t.same((await call('FilterLogEvents', { logGroupName: 'r' })).events.map((e: { message: string }) => e.message), ['b']);
  t.same((await call('GetLogEvents', { logGroupName: 'r', logStreamName: 's', startFromHead: true })).events.map((e: { message: string }) => e.message), ['b']);
});

t.test('range checks name the violated bound', async (t) => {
  const { call } = await setup(t);
  await rejects(t, call('DescribeLogGroups', { limit: 0 }), 'InvalidParameterException', /greater than or equal to 1/);
  await rejects(t, call('DescribeLogGroups', { limit: 51 }), 'InvalidParameterException', /less than or equal to 50/);
  await rejects(t, call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', limit: 10_001 }), 'InvalidParameterException', /less than or equal to 10000/);
});
