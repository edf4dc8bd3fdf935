// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bad input at the HTTP and SigV4 level, as raw bytes: each gets an AWS-shaped error with a
 * request id, and the gateway keeps serving.
 */
import t, { type Test } from 'tap';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../bench/sha256.js';
import { rawHttp, startTestGateway } from '../harness.js';

const gw = await startTestGateway(t);
const host = `127.0.0.1:${gw.port}`;
const raw = (bytes: string | Buffer, ms?: number) => rawHttp(gw.port, bytes, ms);

async function alive(t: Test) {
  const r = await fetch(`${gw.url}/_mcgw/health`);
  t.equal(r.status, 200, 'gateway still serves');
}

const form = 'Action=GetCallerIdentity&Version=2011-06-15';
const formHead = (extra: string) =>
  `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n${extra}\r\n`;

t.test('a request with no signature reaches only S3', async (t) => {
  const res = await raw(formHead('') + form);
  t.match(res, /^HTTP\/1\.1 403/);
  t.match(res, /<Code>MissingAuthenticationToken<\/Code>/);
  t.match(res, /<RequestId>\S+<\/RequestId>/);
  await alive(t);
});

t.test('a malformed Authorization header', async (t) => {
  const res = await raw(formHead('Authorization: AWS4-HMAC-SHA256 Credential=AKIA/garbage\r\nX-Amz-Date: 20260101T000000Z\r\n') + form);
  t.match(res, /^HTTP\/1\.1 400/);
  t.match(res, /<Code>IncompleteSignature<\/Code>/);
  t.match(res, /<RequestId>\S+<\/RequestId>/);
  await alive(t);
});

t.test('a 100 KB header', async (t) => {
  const res = await raw(`GET /bucket HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
  t.match(res, /^HTTP\/1\.1 (400|431)/);
  t.match(res, /<Code>RequestHeaderSectionTooLarge<\/Code>/);
  t.match(res, /<RequestId>\S+<\/RequestId>/);
  await alive(t);
});

t.test('a header section past Node\'s own limit', async (t) => {
  const res = await raw(`GET /bucket HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(1024 * 1024)}\r\n\r\n`);
  t.match(res, /^HTTP\/1\.1 431/);
  t.match(res, /<Code>RequestHeaderSectionTooLarge<\/Code>/);
  await alive(t);
});

t.test('two Host headers', async (t) => {
  const res = await raw(`GET /bucket HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\n\r\n`);
  t.match(res, /^HTTP\/1\.1 400/);
  t.match(res, /<RequestId>\S+<\/RequestId>/);
  await alive(t);
});

t.test('a non-UTF-8 path', async (t) => {
  const res = await raw(`GET /%ff%fe/%c0%af HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  t.match(res, /^HTTP\/1\.1 [45]\d\d/);
  t.match(res, /<Error>.*<Code>\w+<\/Code>/s);
  t.match(res, /<RequestId>\S+<\/RequestId>/);
  await alive(t);
});

t.test('a body shorter than its Content-Length, then the client goes away', async (t) => {
  await raw(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=Get`, 300);
  await alive(t);
});

t.test('a body larger than the buffered-body limit', async (t) => {
  const limit = gw.gateway.config.limits.maxBufferedBody;
  const body = Buffer.alloc(limit + 1024, 'a');
  const signer = new SignatureV4({ service: 'dynamodb', region: gw.region, credentials: gw.credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: gw.port,
    path: '/',
    headers: { host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-length': String(body.length) },
    body,
  });
  // fetch sets Content-Length itself (a second one is refused by the npm undici that the
  // gateway's translators load, which then serves the process's fetch)
  const { 'content-length': _length, ...headers } = signed.headers;
  const res = await fetch(gw.url, { method: 'POST', headers, body });
  t.equal(res.status, 413);
  const json = (await res.json()) as { __type: string };
  t.match(json.__type, /RequestEntityTooLarge/);
  t.ok(res.headers.get('x-amzn-requestid'));
  await alive(t);
});
