// SPDX-License-Identifier: AGPL-3.0-or-later
/** Remote-write encoding, label mapping, and the writer's batching, retries and 400 bisection. */
import t from 'tap';
import { createServer } from 'node:http';
import { decodeRemoteWrite, encodeRemoteWrite, encodeWriteRequest } from '../../translators/grafana/remote-write.js';
import { escapeDimName, identityLabels, metricFromLabels, unescapeDimName } from '../../translators/grafana/labels.js';
import { RemoteWriter } from '../../translators/grafana/writer.js';

t.test('WriteRequest protobuf: labels sorted byte-wise, doubles and int64 ms timestamps', async (t) => {
  const series = [{ labels: [['job', 'x'], ['__name__', 'cw_sum'], ['InstanceId', 'i-1']] as Array<[string, string]>, samples: [{ value: 1.5, timestamp: 1_795_000_000_123 }, { value: -2, timestamp: 1 }] }];
  const raw = encodeWriteRequest(series);
  // field 1 (timeseries), length-delimited; first label is InstanceId (upper case sorts before _)
  t.equal(raw[0], 0x0a);
  t.ok(raw.includes(Buffer.from('InstanceId')));
  t.ok(raw.indexOf(Buffer.from('InstanceId')) < raw.indexOf(Buffer.from('__name__')));
  const back = decodeRemoteWrite(encodeRemoteWrite(series));
  t.same(back, [{ labels: [['InstanceId', 'i-1'], ['__name__', 'cw_sum'], ['job', 'x']], samples: series[0].samples }]);
  const long = 'v'.repeat(300);
  t.same(decodeRemoteWrite(encodeRemoteWrite([{ labels: [['a', long]], samples: [] }]))[0].labels, [['a', long]], 'multi-byte varint lengths');
});

t.test('dimension names map to label names and back', async (t) => {
  for (const name of ['InstanceId', 'Auto Scaling Group', 'aws:cluster_name', 'µs/é', '_', '__x', 'a_20b']) {
    const l = escapeDimName(name);
    t.match(l, /^dim_[A-Za-z0-9_]+$/, `${name} → ${l}`);
    t.equal(unescapeDimName(l), name);
  }
  t.not(escapeDimName('a b'), escapeDimName('a_b'));
  t.equal(unescapeDimName('namespace'), undefined);
  const m = { namespace: 'AWS/EC2', metricName: 'CPU', dimensions: [{ Name: 'B c', Value: '2' }, { Name: 'a', Value: '1' }] };
  const labels = Object.fromEntries(identityLabels({ accountId: '123456789012', region: 'eu-west-1' }, m));
  t.equal(labels.ndims, '2');
  t.same(metricFromLabels(labels), { namespace: 'AWS/EC2', metricName: 'CPU', dimensions: [{ Name: 'B c', Value: '2' }, { Name: 'a', Value: '1' }] });
});

/** A receiver that answers from a script: one status per request. */
async function receiver(statuses: number[], reject?: (labels: string[]) => boolean) {
  const seen: string[][] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const series = decodeRemoteWrite(Buffer.concat(chunks));
      const names = series.map((s) => s.labels.find((l) => l[0] === 'n')![1]);
      seen.push(names);
      const scripted = statuses.shift();
      if (scripted !== undefined && scripted !== 204) return res.writeHead(scripted).end('try later');
      if (reject?.(names)) return res.writeHead(400).end('out of bounds');
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`, seen, close: () => new Promise((r) => server.close(r)) };
}

const one = (n: string) => [{ labels: [['n', n]] as Array<[string, string]>, samples: [{ value: 1, timestamp: 1000 }] }];
const opts = { batchSamples: 100, flushMs: 5, maxPendingSamples: 1000, retries: 3, timeoutMs: 2000 };

t.test('writer: concurrent callers share a request; 503 is retried', async (t) => {
  const r = await receiver([503, 503]);
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url });
  await Promise.all([w.write(one('a')), w.write(one('b')), w.write(one('c'))]);
  t.same(r.seen, [['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']], 'one batch, sent three times');
  t.equal(w.stats.retries, 2);
});

t.test('writer: a 400 for one series rejects only its caller', async (t) => {
  const r = await receiver([], (names) => names.includes('bad'));
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url });
  const results = await Promise.allSettled([w.write(one('a')), w.write([...one('b'), ...one('bad')]), w.write(one('c'))]);
  t.same(results.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.match((results[1] as PromiseRejectedResult).reason.message, /rejected 1 series: out of bounds/);
  const delivered = r.seen.filter((s) => !s.includes('bad')).flat();
  t.same(delivered.sort(), ['a', 'b', 'c'], 'every other series was written');
});

t.test('writer: retries give up with an error naming the TSDB', async (t) => {
  const r = await receiver([500, 500, 500, 500, 500]);
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url, retries: 1 });
  await t.rejects(w.write(one('a')), /failed after 2 attempts: HTTP 500/);
});

t.test('writer: back-pressure holds callers beyond maxPendingSamples', async (t) => {
  const r = await receiver([]);
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url, batchSamples: 2, maxPendingSamples: 2 });
  const many = Array.from({ length: 10 }, (_, i) => w.write(one(`s${i}`)));
  await Promise.all(many);
  t.ok(r.seen.every((b) => b.length <= 2), 'no request beyond the batch size');
  t.equal(r.seen.flat().length, 10);
});

t.test('writer: callers waiting longer than maxWaitMs for room fail with 429', async (t) => {
  const r = await receiver([503, 503, 503]);
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url, batchSamples: 1, maxPendingSamples: 1, maxWaitMs: 50 });
  const first = w.write(one('slow'));
  const err = await w.write(one('late')).catch((e) => e);
  t.equal(err.status, 429);
  t.match(err.message, /queue is full/);
  await first;
  t.equal(w.stats.throttled, 1);
});

t.test('writer: group commit — at most maxInFlight requests; callers queued meanwhile share one, same label sets merged', async (t) => {
  let open = 0;
  let most = 0;
  const requests: Array<{ series: number; samples: number }> = [];
  const server = createServer((req, res) => {
    open++;
    most = Math.max(most, open);
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s = decodeRemoteWrite(Buffer.concat(chunks));
      requests.push({ series: s.length, samples: s.reduce((n, x) => n + x.samples.length, 0) });
      setTimeout(() => (open--, res.writeHead(204).end()), 60);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const w = new RemoteWriter({ ...opts, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, flushMs: 1 });
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 12; i++) {
    // every caller writes the same two label sets, at its own millisecond
    calls.push(w.write(['a', 'b'].map((n) => ({ labels: [['n', n]] as Array<[string, string]>, key: n, samples: [{ value: i, timestamp: 1000 + i }] }))));
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(calls);
  t.ok(most <= 2, `at most 2 requests at once (saw ${most})`);
  t.equal(requests.reduce((n, r) => n + r.samples, 0), 24, 'every sample delivered once');
  t.ok(requests.length < 12, `fewer requests than callers (${requests.length})`);
  t.ok(requests.every((r) => r.series === 2), 'each request: one TimeSeries per label set, whatever the number of callers in it');
  t.equal(w.stats.series, requests.length * 2);
});

t.test('writer: a 404 (no remote-write receiver) fails the batch at once: no split, no retry', async (t) => {
  const r = await receiver([404, 404, 404, 404]);
  t.teardown(r.close);
  const w = new RemoteWriter({ ...opts, url: r.url });
  const results = await Promise.allSettled([w.write(one('a')), w.write(one('b'))]);
  t.same(results.map((x) => x.status), ['rejected', 'rejected']);
  t.match((results[0] as PromiseRejectedResult).reason.message, /HTTP 404/);
  t.equal(r.seen.length, 1, 'one request');
  t.ok(w.lastFailure && w.lastFailure.at >= w.lastOkAt, 'remembered for health');
});

t.test('writer: a backlog behind a slow TSDB goes out in larger requests (at most 8 batches each)', async (t) => {
  const sizes: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      sizes.push(decodeRemoteWrite(Buffer.concat(chunks)).length);
      setTimeout(() => res.writeHead(204).end(), 80);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const w = new RemoteWriter({ ...opts, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, batchSamples: 2, maxInFlight: 1, maxPendingSamples: 100 });
  await Promise.all(Array.from({ length: 40 }, (_, i) => w.write(one(`s${i}`))));
  t.equal(sizes.reduce((a, b) => a + b, 0), 40, 'every series delivered');
  t.equal(sizes[0], 2, 'the first request: one batch');
  t.equal(Math.max(...sizes), 16, 'the backlog behind it: 8 batches a request, no more');
  t.ok(sizes.length <= 5, `${sizes.length} requests for 40 series`);
});
