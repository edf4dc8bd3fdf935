// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The request path's shortcuts keep behaviour: requests that skip fastify (catch-all) and those
 * that still go through it (/_mcgw endpoints, unserved methods) answer as before, responses carry
 * exactly one of each header, and SignedHeaders lists parsed once are still checked every time.
 */
import t from 'tap';
import { request } from 'node:http';
import { parseSignature } from '../../src/auth/parse.js';
import type { WireRequest } from '../../src/context.js';
import { startTestGateway } from '../../conformance/harness.js';

const gw = await startTestGateway(t);

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: gw.port, method, path, headers }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body: b }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

t.test('catch-all requests answered by the pipeline with one request id', async (t) => {
  const r = await send('GET', '/');
  t.equal(r.status, 403, 'anonymous S3 ListBuckets is refused');
  t.match(r.body, /<Code>AccessDenied<\/Code>|<Code>[A-Za-z]+<\/Code>/);
  const ids = r.raw.filter((_, i) => i % 2 === 0 && /^x-amzn?-request-?id$/i.test(r.raw[i]));
  t.equal(ids.length, 1, 'one request id header');
  const lengths = r.raw.filter((_, i) => i % 2 === 0 && r.raw[i].toLowerCase() === 'content-length');
  t.equal(lengths.length, 1, 'one content-length header');
});

t.test('/_mcgw endpoints still routed by fastify', async (t) => {
  const h = await send('GET', '/_mcgw/health');
  t.equal(h.status, 200);
  t.match(h.headers['content-type'], /application\/json/);
  const m = await send('GET', '/_mcgw/metrics?x=1');
  t.equal(m.status, 200);
  t.match(m.body, /mcgw_requests_total\{service="s3",operation="[^"]+",status="\d+"\} \d+/, 'requests served on the fast path are counted');
  const n = await send('GET', '/_mcgw/nope');
  t.equal(n.status, 404);
});

t.test('a malformed Content-Type gets the service error, not fastify JSON', async (t) => {
  const r = await send('POST', '/', { 'content-type': 'not a media type' }, 'Action=GetCallerIdentity&Version=2011-06-15');
  t.notMatch(r.body, /FST_/);
  t.match(r.body, /<Code>/);
});

t.test('unserved methods still get fastify 404', async (t) => {
  const r = await send('PROPFIND', '/');
  t.equal(r.status, 404);
});

t.test('SignedHeaders lists: valid ones reused, invalid ones refused every time', async (t) => {
  const req = (signed: string): WireRequest => ({
    method: 'POST',
    rawUrl: '/',
    path: '/',
    query: '',
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=${signed}, Signature=abc`, 'x-amz-date': '20260101T000000Z' },
    rawHeaders: ['authorization', `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=${signed}, Signature=abc`, 'x-amz-date', '20260101T000000Z'],
    host: '',
    remoteAddress: '',
    body: undefined as never,
  });
  const a = parseSignature(req('host;x-amz-date'), 'sts');
  const b = parseSignature(req('host;x-amz-date'), 'sts');
  t.same(a?.signedHeaders, ['host', 'x-amz-date']);
  t.same(b?.signedHeaders, ['host', 'x-amz-date']);
  for (let i = 0; i < 2; i++) {
    t.throws(() => parseSignature(req('host;Bad Name'), 'sts'), { code: 'IncompleteSignature' }, `invalid name refused (${i})`);
    t.throws(() => parseSignature(req('host;host'), 'sts'), { code: 'IncompleteSignature' }, `duplicate refused (${i})`);
  }
});
