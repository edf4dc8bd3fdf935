// SPDX-License-Identifier: AGPL-3.0-or-later
/** ServiceDefinition.localEndpoints: unsigned requests under a prefix, with fall-through to AWS. */
import { request } from 'node:http';
import t from 'tap';
import { startTestGateway } from '../../conformance/harness.js';

const gw = await startTestGateway(t);
const seen: string[] = [];
gw.gateway.services.set('local-test', {
  name: 'local-test',
  model: 'none',
  operations: {},
  localEndpoints: [
    {
      prefix: '/latest/',
      async handle(raw, res) {
        seen.push(raw.url ?? '');
        if (raw.url === '/latest/pass') return false;
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`local ${raw.method} ${raw.url}`);
        return true;
      },
    },
  ],
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(`${gw.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

t.test('an unsigned request under the prefix is served by the endpoint', async (t) => {
  const r = await get('/latest/meta-data/instance-id');
  t.equal(r.status, 200);
  t.equal(r.body, 'local GET /latest/meta-data/instance-id');
  const put = await get('/latest/api/token', {}, 'PUT');
  t.equal(put.body, 'local PUT /latest/api/token');
});

t.test('signed requests and other paths never reach it; false falls through to the AWS pipeline', async (t) => {
  seen.length = 0;
  const signed = await get('/latest/x', { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' });
  t.not(signed.body.startsWith('local'), true);
  const presigned = await get('/latest/x?X-Amz-Credential=a&X-Amz-Signature=b');
  t.not(presigned.body.startsWith('local'), true);
  const other = await get('/lately/x');
  t.not(other.body.startsWith('local'), true);
  t.same(seen, [], 'the endpoint saw none of them');
  const pass = await get('/latest/pass');
  t.same(seen, ['/latest/pass']);
  t.match(pass.body, /<Error>/, 'the pipeline answered with an AWS error (S3: a bucket called latest)');
});
