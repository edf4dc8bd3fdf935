// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Requests signed by the real AWS SDK for JavaScript v3 (captured by a request handler that
 * sends nothing), verified by the Authenticator: header auth for every protocol, presigned
 * S3 URLs, S3 PutObject with a streaming body (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER,
 * CRC32 trailer), and @smithy/signature-v4 directly.
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { EC2Client, DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client, GetObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { parseSignature } from '../../src/auth/index.js';
import { checksumBase64 } from '../../src/checksums.js';
import { authenticator, readAll, streamError, testIdentity, toWire, wire, type Captured } from './helpers.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ENDPOINT = 'http://localhost:4566';
const credentials = { accessKeyId: AKID, secretAccessKey: SECRET };

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  return readAll(body as Readable);
}

/** A client config whose handler captures the signed request and fails the call. */
function capture(sink: Captured[]) {
  return {
    endpoint: ENDPOINT,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: {
      async handle(request: HttpRequest) {
        sink.push({ request, body: await bodyBytes(request.body) });
        throw new Error('captured');
      },
    },
  };
}

async function captureOne(send: (cfg: ReturnType<typeof capture>) => Promise<unknown>): Promise<Captured> {
  const sink: Captured[] = [];
  await send(capture(sink)).catch((e: Error) => {
    if (e.message !== 'captured') throw e;
  });
  if (sink.length !== 1) throw new Error(`captured ${sink.length} requests`);
  return sink[0];
}

const id = testIdentity();
await id.addKey({ accessKeyId: AKID, secretAccessKey: SECRET });

t.test('header-signed requests of every protocol verify', async (t) => {
  const clients: Array<[string, (cfg: ReturnType<typeof capture>) => Promise<unknown>]> = [
    ['dynamodb', (c) => new DynamoDBClient(c as never).send(new ListTablesCommand({ Limit: 5 }))],
    ['sts', (c) => new STSClient(c as never).send(new GetCallerIdentityCommand({}))],
    ['ec2', (c) => new EC2Client(c as never).send(new DescribeRegionsCommand({ RegionNames: ['us-east-1'] }))],
    ['iam', (c) => new IAMClient(c as never).send(new ListUsersCommand({ PathPrefix: '/a b/' }))],
    ['logs', (c) => new CloudWatchLogsClient(c as never).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'x' }))],
    ['monitoring', (c) => new CloudWatchClient(c as never).send(new ListMetricsCommand({ Namespace: 'AWS/EC2' }))],
    ['s3', (c) => new S3Client({ ...(c as object), forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'a b/ü+*', MaxKeys: 3 }))],
  ];
  for (const [service, send] of clients) {
    const c = await captureOne(send);
    const auth = authenticator(id.identity, Date.now());
    const req = toWire(c);
    const sig = parseSignature(req, 's3');
    t.equal(sig?.service, service, `${service}: scope`);
    const p = await auth.authenticate(req, sig!, service);
    t.equal(p.accountId, '123456789012', `${service}: verified`);
    t.same(await readAll(req.body), c.body, `${service}: body passes unchanged`);

    // the same request with one body byte changed fails (deferred or literal hash), or a header changed
    const bad = toWire(c);
    if (c.body.length > 0) {
      const b = Buffer.from(c.body);
      b[b.length - 1] ^= 1;
      bad.body = Readable.from([b]);
      const s = parseSignature(bad, 's3')!;
      const err = await auth.authenticate(bad, s, service).then(() => streamError(bad.body), (e: unknown) => e);
      t.match(err, { code: /SignatureDoesNotMatch|InvalidSignatureException|AuthFailure|XAmzContentSHA256Mismatch/ }, `${service}: tampered body refused`);
    } else {
      bad.rawHeaders = bad.rawHeaders.map((v, i) => (i % 2 === 1 && bad.rawHeaders[i - 1].toLowerCase() === 'host' ? 'evil.example' : v));
      const s = parseSignature(bad, 's3')!;
      await t.rejects(auth.authenticate(bad, s, service), { code: 'SignatureDoesNotMatch' }, `${service}: tampered host refused`);
    }
  }
});

t.test('presigned S3 URLs verify, expire, and refuse tampering', async (t) => {
  const now = Date.now();
  const client = new S3Client({ endpoint: ENDPOINT, region: 'us-east-1', credentials, forcePathStyle: true });
  const url = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/ä file+(1).txt' }), { expiresIn: 300 }));
  const mk = (target = url.pathname + url.search) => wire({ method: 'GET', target, rawHeaders: ['Host', url.host] });
  const ok = mk();
  const sig = parseSignature(ok, 's3')!;
  t.equal(sig.kind, 'presigned');
  t.equal(sig.expiresSeconds, 300);
  t.equal(sig.payloadHash, 'UNSIGNED-PAYLOAD');
  t.match(await authenticator(id.identity, now).authenticate(ok, sig, 's3'), { accountId: '123456789012', kind: 'user' }, 'verified');

  const late = mk();
  await t.rejects(authenticator(id.identity, now + 301_000).authenticate(late, parseSignature(late, 's3')!, 's3'), {
    code: 'AccessDenied',
    message: 'Request has expired',
    fields: { 'X-Amz-Expires': 300 },
  });
  const early = mk();
  await t.rejects(authenticator(id.identity, now - 3600_000).authenticate(early, parseSignature(early, 's3')!, 's3'), {
    code: 'AccessDenied',
    message: 'Request is not yet valid',
    fields: { ServerTime: /Z$/ },
  });
  const other = mk(url.pathname.replace('dir', 'dir2') + url.search);
  await t.rejects(authenticator(id.identity, now).authenticate(other, parseSignature(other, 's3')!, 's3'), { code: 'SignatureDoesNotMatch' });
  const extra = wire({ method: 'GET', target: url.pathname + url.search, rawHeaders: ['Host', url.host, 'x-amz-meta-x', '1'] });
  await t.rejects(authenticator(id.identity, now).authenticate(extra, parseSignature(extra, 's3')!, 's3'), {
    code: 'AccessDenied',
    fields: { HeadersNotSigned: 'x-amz-meta-x' },
  });
});

t.test('S3 PutObject with a streaming body: aws-chunked, unsigned payload, CRC32 trailer', async (t) => {
  const data = Buffer.alloc(200_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  const c = await captureOne((cfg) =>
    new S3Client({ ...(cfg as object), forcePathStyle: true }).send(
      new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), ContentLength: data.length }),
    ),
  );
  const req = toWire(c);
  t.equal(req.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  t.equal(req.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
  const auth = authenticator(id.identity, Date.now());
  await auth.authenticate(req, parseSignature(req, 's3')!, 's3');
  t.equal(req.decodedContentLength, data.length);
  const out = await readAll(req.body);
  t.ok(out.equals(data), 'decoded payload');
  t.same(req.trailers, { 'x-amz-checksum-crc32': checksumBase64('CRC32', data) });

  // the same upload with a wrong checksum in the trailer
  const wrong = toWire(c);
  const text = c.body.toString('latin1').replace(/x-amz-checksum-crc32:[^\r]*/, 'x-amz-checksum-crc32:AAAAAA==');
  wrong.body = Readable.from([Buffer.from(text, 'latin1')]);
  await auth.authenticate(wrong, parseSignature(wrong, 's3')!, 's3');
  t.match(await streamError(wrong.body), { code: 'BadDigest', message: 'The CRC32 you specified did not match the calculated checksum.' });
});

t.test('@smithy/signature-v4 signatures verify (header, presigned, non-S3 presigned)', async (t) => {
  const now = Date.now();
  const mkSigner = (service: string) => new SignatureV4({ service, region: 'eu-central-1', credentials, sha256: Sha256, uriEscapePath: service !== 's3' });
  const base = () =>
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: 'localhost',
      port: 4566,
      path: '/some path/../x',
      query: { b: 'two words', a: ['2', '1'], 'c~': '' },
      headers: { host: 'localhost:4566', 'content-type': 'application/x-amz-json-1.0', 'x-custom': '  spaced   out  ' },
      body: '{"a":1}',
    });
  const signed = (await mkSigner('dynamodb').sign(base())) as HttpRequest;
  const req = toWire({ request: signed, body: Buffer.from('{"a":1}') });
  const auth = authenticator(id.identity, now);
  await auth.authenticate(req, parseSignature(req, 'dynamodb')!, 'dynamodb');
  t.equal((await readAll(req.body)).toString(), '{"a":1}', 'header-signed json request');

  const pre = (await mkSigner('sts').presign(new HttpRequest({ ...base(), method: 'GET', body: undefined, path: '/' }), { expiresIn: 60 })) as HttpRequest;
  const preq = toWire({ request: pre, body: Buffer.alloc(0) });
  const psig = parseSignature(preq, 'sts')!;
  t.equal(psig.kind, 'presigned');
  await auth.authenticate(preq, psig, 'sts');
  t.pass('presigned sts request');
});
