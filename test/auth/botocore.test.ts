// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Requests signed by botocore (boto3 / aws-cli's signer), captured before sending by
 * fixtures/gen-botocore.py: S3 with awkward keys and queries, PutObject over http (literal
 * payload hash + CRC32 header) and https (aws-chunked, unsigned payload, CRC32 trailer),
 * presigned URLs (path and virtual-host style), and every query/json protocol.
 */
import t from 'tap';
import { parseSignature } from '../../src/auth/index.js';
import { authenticator, fixture, isoMs, readAll, streamError, testIdentity, wire } from './helpers.js';

interface Captured {
  name: string;
  service: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string;
}
const f = fixture<{ generator: string; credentials: { accessKeyId: string; secretAccessKey: string }; requests: Captured[] }>('botocore.json');

const id = testIdentity();
await id.addKey({ ...f.credentials });

function toWire(c: Captured, body = Buffer.from(c.body, 'base64')) {
  const u = new URL(c.url);
  // the raw request target as botocore sends it (URL keeps botocore's percent-encoding)
  const target = c.url.slice(c.url.indexOf('/', c.url.indexOf('//') + 2));
  const rawHeaders = c.headers.flat();
  rawHeaders.push('Host', u.host);
  return wire({ method: c.method, target, rawHeaders, body });
}

function amzDateOf(c: Captured): string {
  const h = c.headers.find(([k]) => k.toLowerCase() === 'x-amz-date');
  return h ? h[1] : (new URL(c.url).searchParams.get('X-Amz-Date') as string);
}

t.test(`botocore-signed requests verify (${f.generator})`, async (t) => {
  for (const c of f.requests) {
    const req = toWire(c);
    const sig = parseSignature(req, 's3');
    t.ok(sig, `${c.name}: parsed`);
    t.equal(sig!.service, c.service, `${c.name}: service`);
    const auth = authenticator(id.identity, isoMs(amzDateOf(c)) + 60_000);
    await auth.authenticate(req, sig!, c.service);
    const body = await readAll(req.body);
    if (req.decodedContentLength !== undefined) {
      t.equal(body.length, req.decodedContentLength, `${c.name}: aws-chunked decoded`);
      t.match(req.trailers, { 'x-amz-checksum-crc32': /^[A-Za-z0-9+/]{6}==$/ }, `${c.name}: trailer verified`);
    } else {
      t.same(body, Buffer.from(c.body, 'base64'), `${c.name}: body unchanged`);
    }
  }
});

t.test('botocore-signed requests with one byte of body changed are refused', async (t) => {
  for (const c of f.requests) {
    const body = Buffer.from(c.body, 'base64');
    if (body.length === 0) continue;
    // a payload byte (past the first chunk header for aws-chunked bodies)
    body[Math.min(body.length - 1, 40)] ^= 0x20;
    const req = toWire(c, body);
    const sig = parseSignature(req, 's3')!;
    const auth = authenticator(id.identity, isoMs(amzDateOf(c)) + 60_000);
    const err = await auth.authenticate(req, sig, c.service).then(() => streamError(req.body), (e: unknown) => e);
    t.match(err, { code: /SignatureDoesNotMatch|InvalidSignatureException|AuthFailure|XAmzContentSHA256Mismatch|BadDigest|InvalidRequest/ }, `${c.name}: refused`);
  }
});
