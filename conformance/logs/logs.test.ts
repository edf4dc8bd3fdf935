// SPDX-License-Identifier: AGPL-3.0-or-later
/** CloudWatch Logs through @aws-sdk/client-cloudwatch-logs (awsJson 1.1), boto3 and aws-cli. */
import t from 'tap';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { run, startTestGateway } from '../harness.js';
import { logBackends } from '../backends/suites.js';

for (const b of logBackends()) {
  t.test(`SDK v3 on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const logs = new CloudWatchLogsClient(gw.clientConfig);
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/conf/app', tags: { a: 'b' } }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/conf/app', logStreamName: 'i-1' }));
    const now = Date.now();
    const put = await logs.send(new PutLogEventsCommand({
      logGroupName: '/conf/app', logStreamName: 'i-1',
      logEvents: Array.from({ length: 30 }, (_, n) => ({ timestamp: now - 30_000 + n * 1000, message: n % 3 === 0 ? `ERROR n=${n}` : `{"n":${n}}` })),
    }));
    t.match(put.nextSequenceToken, /^\d+$/);
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/conf' }));
    t.equal(groups.logGroups?.[0]?.logGroupName, '/conf/app');
    t.equal(groups.logGroups?.[0]?.storedBytes! > 0, true);
    const get = await logs.send(new GetLogEventsCommand({ logGroupName: '/conf/app', logStreamName: 'i-1', startFromHead: true, limit: 5 }));
    t.same(get.events?.map((e) => e.message), ['ERROR n=0', '{"n":1}', '{"n":2}', 'ERROR n=3', '{"n":4}']);
    t.match(get.nextForwardToken, /^f\/\d{56}\/s$/);
    const errors: string[] = [];
    for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 4 }, { logGroupName: '/conf/app', filterPattern: 'ERROR' })) {
      errors.push(...(page.events ?? []).map((e) => e.message!));
    }
    t.equal(errors.length, 10);
    const json = await logs.send(new FilterLogEventsCommand({ logGroupName: '/conf/app', filterPattern: '{ $.n >= 28 }' }));
    t.same(json.events?.map((e) => e.message), ['{"n":28}', '{"n":29}']);
    const err = await logs.send(new CreateLogGroupCommand({ logGroupName: '/conf/app' })).catch((e) => e);
    t.equal(err.name, 'ResourceAlreadyExistsException');
    t.equal(err.$metadata.httpStatusCode, 400);
    const missing = await logs.send(new GetLogEventsCommand({ logGroupName: '/conf/app', logStreamName: 'nope' })).catch((e) => e);
    t.equal(missing.name, 'ResourceNotFoundException');
  });
}

for (const b of logBackends()) {
  t.test(`boto3 and aws-cli on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const script = `
import boto3, json, time
logs = boto3.client('logs')
logs.create_log_group(logGroupName='py')
logs.create_log_stream(logGroupName='py', logStreamName='s')
now = int(time.time() * 1000)
r = logs.put_log_events(logGroupName='py', logStreamName='s', logEvents=[{'timestamp': now, 'message': 'hello world'}])
ev = logs.get_log_events(logGroupName='py', logStreamName='s', startFromHead=True)['events']
streams = logs.describe_log_streams(logGroupName='py')['logStreams']
print(json.dumps({'msgs': [e['message'] for e in ev], 'streams': [s['logStreamName'] for s in streams], 'rejected': r.get('rejectedLogEventsInfo')}))
  `;
    const r = await run('python3', ['-c', script], { env: gw.env() });
    t.equal(r.code, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { msgs: ['hello world'], streams: ['s'], rejected: null });
    const cli = await run('aws', ['logs', 'filter-log-events', '--log-group-name', 'py', '--filter-pattern', 'hello', '--output', 'json'], { env: gw.env() });
    t.equal(cli.code, 0, cli.stderr);
    t.same(JSON.parse(cli.stdout).events.map((e: { message: string }) => e.message), ['hello world']);
  });
}
