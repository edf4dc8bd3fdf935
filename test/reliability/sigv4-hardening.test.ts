// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 hardening beyond conformance/core/auth.test.ts: a captured request replayed once the
 * 15-minute window has passed, every parameter of a presigned URL tampered with one at a time,
 * header smuggling (mixed-case duplicate Host, CRLF and bare LF in values, Content-Length with
 * Transfer-Encoding), and the signature comparison going through crypto.timingSafeEqual.
 */
import t from 'tap';
import * as crypto from 'node:crypto';
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Client, GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Sha256 } from '../../bench/sha256.js';
import { rawHttp, startTestGateway } from '../../conformance/harness.js';


t.test('sigv4 hardening', async (t) => {
  let offset = 0;
  const gw = await startTestGateway(t, { clock: { now: () => Date.now() + offset } });
  const host = `127.0.0.1:${gw.port}`;
  const s3 = new S3Client(gw.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: 'hard' }));
  await s3.send(new PutObjectCommand({ Bucket: 'hard', Key: 'k', Body: 'body' }));

  await t.test('a captured request replayed after 15 minutes is refused', async (t) => {
    for (const [service, target, body, code, status] of [
      ['dynamodb', 'DynamoDB_20120810.ListTables', '{}', 'InvalidSignatureException', 400],
      ['s3', undefined, '', 'RequestTimeTooSkewed', 403],
      ['logs', 'Logs_20140328.DescribeLogGroups', '{}', 'InvalidSignatureException', 400],
    ] as const) {
      offset = 0;
      const signer = new SignatureV4({ service, region: gw.region, credentials: gw.credentials, sha256: Sha256 });
      const headers: Record<string, string> = { host };
      if (target) Object.assign(headers, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target });
      const req = await signer.sign({ method: target ? 'POST' : 'GET', protocol: 'http:', hostname: '127.0.0.1', port: gw.port, path: target ? '/' : '/hard/k', headers, body: target ? body : undefined });
      const send = () => fetch(`${gw.url}${req.path}`, { method: req.method, headers: req.headers, body: req.body as string | undefined });
      t.equal((await send()).status, 200, `${service}: the request as captured`);
      t.equal((await send()).status, 200, `${service}: replayed at once (inside the window, as AWS allows)`);
      offset = 16 * 60_000;
      const late = await send();
      const text = await late.text();
      t.equal(late.status, status, `${service}: replayed 16 minutes later: ${status}`);
      t.match(text, code, `${service}: ${code}`);
      t.ok(late.headers.get('x-amzn-requestid') ?? late.headers.get('x-amz-request-id'), 'with a request id');
    }
    offset = 0;
  });

  await t.test('every parameter of a presigned URL is covered by its signature', async (t) => {
    const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'hard', Key: 'k' }), { expiresIn: 600 }));
    t.equal((await fetch(url)).status, 200, 'untampered: 200');
    const tamper: Array<[string, (u: URL) => void]> = [
      ['X-Amz-Algorithm', (u) => u.searchParams.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA512')],
      ['X-Amz-Credential (key)', (u) => u.searchParams.set('X-Amz-Credential', u.searchParams.get('X-Amz-Credential')!.replace(/^AKIA/, 'AKIB'))],
      ['X-Amz-Credential (region)', (u) => u.searchParams.set('X-Amz-Credential', u.searchParams.get('X-Amz-Credential')!.replace(gw.region, 'eu-west-1'))],
      ['X-Amz-Credential (service)', (u) => u.searchParams.set('X-Amz-Credential', u.searchParams.get('X-Amz-Credential')!.replace('/s3/', '/ec2/'))],
      ['X-Amz-Date', (u) => u.searchParams.set('X-Amz-Date', u.searchParams.get('X-Amz-Date')!.replace(/\d(Z)$/, (d) => `${(Number(d[0]) + 1) % 10}Z`))],
      ['X-Amz-Expires', (u) => u.searchParams.set('X-Amz-Expires', '601')],
      ['X-Amz-SignedHeaders', (u) => u.searchParams.set('X-Amz-SignedHeaders', 'host;x-amz-date')],
      ['X-Amz-Signature (one digit)', (u) => u.searchParams.set('X-Amz-Signature', u.searchParams.get('X-Amz-Signature')!.replace(/.$/, (c) => (c === '0' ? '1' : '0')))],
      ['X-Amz-Signature (truncated)', (u) => u.searchParams.set('X-Amz-Signature', u.searchParams.get('X-Amz-Signature')!.slice(0, 63))],
      ['X-Amz-Signature (removed)', (u) => u.searchParams.delete('X-Amz-Signature')],
      ['an added parameter', (u) => u.searchParams.set('response-content-type', 'text/html')],
      ['an added versionId', (u) => u.searchParams.set('versionId', 'null')],
      ['the key', (u) => (u.pathname = '/hard/k2')],
      ['the bucket', (u) => (u.pathname = '/hard2/k')],
    ];
    for (const [what, fn] of tamper) {
      const u = new URL(url);
      fn(u);
      const r = await fetch(u);
      const body = await r.text();
      // a scope naming another service routes the request to that service, which refuses it
      t.ok(r.status === 403 || r.status === 400 || r.status === 401, `${what}: refused (${r.status})`);
      t.match(body, /<Code>(SignatureDoesNotMatch|AccessDenied|AuthorizationQueryParametersError|InvalidAccessKeyId|AuthFailure)<\/Code>/, `${what}: ${/<Code>(\w+)/.exec(body)?.[1]}`);
      t.notMatch(body, /^body$/);
    }
  });

  await t.test('header smuggling', async (t) => {
    const cases: Array<[string, string]> = [
      ['Host and host', `GET /hard/k HTTP/1.1\r\nHost: ${host}\r\nhost: evil.example\r\n\r\n`],
      ['HOST twice, mixed case', `GET /hard/k HTTP/1.1\r\nHOST: ${host}\r\nhOsT: ${host}\r\n\r\n`],
      ['CR inside a value', `GET /hard/k HTTP/1.1\r\nHost: ${host}\r\nX-Amz-Date: 2026\rX-Injected: 1\r\n\r\n`],
      ['bare LF line ending', `GET /hard/k HTTP/1.1\r\nHost: ${host}\nX-Injected: 1\r\n\r\n`],
      ['Content-Length with Transfer-Encoding', `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['two Content-Lengths', `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`],
      ['NUL in a header value', `GET /hard/k HTTP/1.1\r\nHost: ${host}\r\nX-A: a\u0000b\r\n\r\n`],
      ['obsolete line folding', `GET /hard/k HTTP/1.1\r\nHost: ${host}\r\nX-A: a\r\n b\r\n\r\n`],
    ];
    for (const [what, bytes] of cases) {
      const res = await rawHttp(gw.port, bytes);
      t.match(res, /^HTTP\/1\.1 400/, `${what}: 400`);
      t.match(res, /<Code>\w+<\/Code>/, `${what}: an AWS error body`);
      t.match(res, /<RequestId>\S+<\/RequestId>/, `${what}: with a request id`);
    }
    t.equal((await fetch(`${gw.url}/_mcgw/health`)).status, 200, 'still serving');
  });
});

t.test('signatures are compared with crypto.timingSafeEqual', async (t) => {
  let calls = 0;
  const spy = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls++;
    return crypto.timingSafeEqual(a, b);
  };
  const { startGateway } = await t.mockImport<typeof import('../../src/server/start.js')>(new URL('../../src/server/start.js', import.meta.url).href, { 'node:crypto': { ...crypto, timingSafeEqual: spy } });
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/mcgw-tse-');
  const { silentLogger } = await import('../../src/log.js');
  const gw = await startGateway({ port: 0, host: '127.0.0.1', dataDir: dir, log: silentLogger, env: {} });
  t.teardown(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cfg = { endpoint: gw.url, region: 'us-east-1', credentials: { accessKeyId: gw.root.accessKeyId, secretAccessKey: gw.root.secretAccessKey }, forcePathStyle: true as const, maxAttempts: 1 };
  const s3 = new S3Client(cfg);
  await s3.send(new CreateBucketCommand({ Bucket: 'tse' }));
  t.ok(calls >= 1, `a header signature: timingSafeEqual called (${calls})`);
  let before = calls;
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'tse', Key: 'none' }), { expiresIn: 60 });
  await fetch(url);
  t.ok(calls > before, 'a presigned signature: timingSafeEqual called');
  before = calls;
  const bad = new S3Client({ ...cfg, credentials: { ...cfg.credentials, secretAccessKey: 'x'.repeat(40) } });
  await bad.send(new CreateBucketCommand({ Bucket: 'tse2' })).catch(() => undefined);
  t.ok(calls > before, 'a wrong signature: refused through timingSafeEqual');
  before = calls;
  // aws-chunked signed streaming upload: every chunk signature is compared the same way
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: cfg.credentials, sha256: Sha256 });
  const h = `127.0.0.1:${gw.port}`;
  const date = new Date();
  const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: gw.port, path: '/tse/chunked', headers: { host: h, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' } }, { signingDate: date });
  const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1];
  // chunk signatures as the SigV4 streaming spec defines them
  const amzDate = String(signed.headers['x-amz-date']);
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const hmac = (k: crypto.BinaryLike, d: string) => crypto.createHmac('sha256', k).update(d).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${cfg.credentials.secretAccessKey}`, amzDate.slice(0, 8)), 'us-east-1'), 's3'), 'aws4_request');
  const hex = (d: Buffer | string) => crypto.createHash('sha256').update(d).digest('hex');
  const chunk = (prev: string, data: string) => hmac(key, `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${hex('')}\n${hex(data)}`).toString('hex');
  const chunkSig = chunk(seed, 'hello');
  const endSig = chunk(chunkSig, '');
  const body = `5;chunk-signature=${chunkSig}\r\nhello\r\n0;chunk-signature=${endSig}\r\n\r\n`;
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${gw.url}/tse/chunked`, { method: 'PUT', headers: { ...headers, host: h, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
  t.equal(status, 200, `the chunked upload is accepted: ${status}`);
  t.ok(calls >= before + 3, `seed, chunk and final chunk signatures: timingSafeEqual called ${calls - before} times`);
});
