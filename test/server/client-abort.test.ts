// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A client that closes its connection in the middle of a request body is not a server failure:
 * no "internal error" in the log (a debug line instead), and the gateway keeps serving.
 */
import t from 'tap';
import { connect } from 'node:net';
import { startTestGateway } from '../../conformance/harness.js';
import { createLogger } from '../../src/log.js';

const lines: string[] = [];
const gw = await startTestGateway(t, { log: createLogger('debug', (l) => lines.push(l)) });

function basicIso(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

t.test('a body cut off by the client is logged as the client leaving', async (t) => {
  const now = basicIso(new Date());
  const auth = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/${now.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`;
  const head = [
    'POST / HTTP/1.1',
    `Host: 127.0.0.1:${gw.port}`,
    'Content-Type: application/x-amz-json-1.0',
    'X-Amz-Target: DynamoDB_20120810.GetItem',
    `X-Amz-Date: ${now}`,
    `Authorization: ${auth}`,
    'Content-Length: 100000',
    '',
    '',
  ].join('\r\n');
  await new Promise<void>((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1', () => {
      s.write(head + '{"TableName":"t","Key"', () => setTimeout(() => (s.destroy(), resolve()), 50));
    });
    s.on('error', reject);
  });
  // the gateway notices the close, fails the body read, and answers nobody
  for (let i = 0; i < 50 && !lines.some((l) => l.includes('client went away')); i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(lines.some((l) => l.includes('client went away mid-request')), 'logged at debug');
  t.notOk(lines.some((l) => l.includes('internal error')), 'not as an internal error');
  const health = await fetch(`${gw.url}/_mcgw/health`);
  t.equal(health.status, 200, 'still serving');
});
