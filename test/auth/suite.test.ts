// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * AWS's published vectors: the aws-sig-v4-test-suite requests with their expected Authorization
 * headers, and the S3 documentation examples (single-chunk GET/PUT, aws-chunked upload with the
 * documented chunk signatures, and the signed-trailer upload).
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { parseSignature } from '../../src/auth/index.js';
import { canonicalUri } from '../../src/auth/canonical.js';
import { AwsError } from '../../src/errors.js';
import { authenticator, fixture, isoMs, pieces, readAll, streamError, testIdentity, wireFromRaw } from './helpers.js';

interface Case {
  name: string;
  request: string;
  authorization: string;
}
interface Suite {
  credentials: { accessKeyId: string; secretAccessKey: string };
  date: string;
  region: string;
  service: string;
  cases: Case[];
}
interface S3Examples {
  credentials: { accessKeyId: string; secretAccessKey: string };
  cases: Case[];
  streaming: { request: string; authorization: string; chunks: Array<[number, string]> };
  streamingTrailer: {
    seedSignature: string;
    amzDate: string;
    scope: string;
    chunks: Array<[number, string]>;
    trailer: string;
    trailerSignature: string;
    request: string;
    authorization: string;
  };
}

const suite = fixture<Suite>('sigv4-suite.json');
const s3 = fixture<S3Examples>('s3-examples.json');

/** One authenticator for the plain key, one for the same key as temporary credentials (post-sts-token). */
async function suiteAuth(c: Case) {
  const id = testIdentity();
  const token = /X-Amz-Security-Token:(.*)\n/.exec(c.request)?.[1];
  await id.addKey({ ...suite.credentials, kind: token ? 'session' : 'root', userName: undefined, sessionToken: token });
  return authenticator(id.identity, isoMs(suite.date));
}

t.test('aws-sig-v4-test-suite vectors verify', async (t) => {
  for (const c of suite.cases) {
    const auth = await suiteAuth(c);
    const req = wireFromRaw(c.request, ['Authorization', c.authorization]);
    const sig = parseSignature(req, suite.service);
    t.ok(sig, `${c.name}: parsed`);
    const p = await auth.authenticate(req, sig!, suite.service);
    t.equal(p.accountId, '123456789012', `${c.name}: verified`);
    await readAll(req.body);
  }
});

t.test('aws-sig-v4-test-suite vectors fail when tampered', async (t) => {
  for (const c of suite.cases) {
    const auth = await suiteAuth(c);
    // flip the last signature digit
    const last = c.authorization.slice(-1);
    const bad = c.authorization.slice(0, -1) + (last === '0' ? '1' : '0');
    const req = wireFromRaw(c.request, ['Authorization', bad]);
    const sig = parseSignature(req, suite.service)!;
    const err = await auth.authenticate(req, sig, suite.service).then(
      () => undefined,
      (e: unknown) => e,
    );
    const e = err ?? (await streamError(req.body));
    t.ok(e instanceof AwsError, `${c.name}: rejected`);
    t.equal((e as AwsError).code, 'SignatureDoesNotMatch', `${c.name}: code`);
    t.match((e as AwsError).message, /The Canonical String for this request should have been/);
  }
});

t.test('canonical URIs of the suite (non-S3 normalizes and encodes twice, S3 once)', async (t) => {
  t.equal(canonicalUri('/example space/', false), '/example%20space/');
  t.equal(canonicalUri('/example%20space/', false), '/example%2520space/');
  t.equal(canonicalUri('/\u1234', false), '/%E1%88%B4');
  t.equal(canonicalUri('/./example', false), '/example');
  t.equal(canonicalUri('', false), '/');
  t.equal(canonicalUri('/example%20space/', true), '/example%20space/');
  t.equal(canonicalUri('/a/../b//c/', true), '/a/../b//c/');
  t.equal(canonicalUri('/test$file.text', true), '/test%24file.text');
  t.equal(canonicalUri('/k%2Fey%2a', true), '/k%2Fey%2A');
  t.equal(canonicalUri('/%FF%fe', true), '/%FF%FE', 'non-UTF-8 bytes survive as bytes');
});

t.test('S3 documentation examples verify', async (t) => {
  const id = testIdentity();
  await id.addKey({ ...s3.credentials });
  const auth = authenticator(id.identity, Date.UTC(2013, 4, 24, 0, 5));
  for (const c of s3.cases) {
    const req = wireFromRaw(c.request, ['Authorization', c.authorization]);
    const sig = parseSignature(req, 's3')!;
    await auth.authenticate(req, sig, 's3');
    const body = await readAll(req.body);
    t.equal(body.toString(), c.name === 'put-object' ? 'Welcome to Amazon S3.' : '', c.name);
  }
  // the PUT body altered: x-amz-content-sha256 no longer matches
  const put = s3.cases[1];
  const req = wireFromRaw(put.request.replace('Welcome to Amazon S3.', 'Welcome to Amazon S4.'), ['Authorization', put.authorization]);
  await auth.authenticate(req, parseSignature(req, 's3')!, 's3');
  const e = await streamError(req.body);
  t.equal(e.code, 'XAmzContentSHA256Mismatch');
  t.equal(e.fields?.ClientComputedContentSHA256, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
});

function docChunkedBody(chunks: Array<[number, string]>, trailer?: string): Buffer {
  const parts: Buffer[] = [];
  for (const [size, sig] of chunks) {
    parts.push(Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`));
    if (size > 0) parts.push(Buffer.alloc(size, 'a'), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(trailer ?? '\r\n'));
  return Buffer.concat(parts);
}

t.test('S3 aws-chunked example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) verifies chunk by chunk', async (t) => {
  const id = testIdentity();
  await id.addKey({ ...s3.credentials });
  const auth = authenticator(id.identity, Date.UTC(2013, 4, 24, 0, 5));
  const body = docChunkedBody(s3.streaming.chunks);
  t.equal(body.length, 66824, 'the documented Content-Length');
  for (const size of [1, 7, 4096, 70000]) {
    const req = wireFromRaw(s3.streaming.request, ['Authorization', s3.streaming.authorization]);
    req.body = pieces(body, size);
    await auth.authenticate(req, parseSignature(req, 's3')!, 's3');
    t.equal(req.decodedContentLength, 66560);
    const out = await readAll(req.body);
    t.ok(out.equals(Buffer.alloc(66560, 'a')), `decoded with ${size}-byte pieces`);
  }
  for (let i = 0; i < 3; i++) {
    const chunks = s3.streaming.chunks.map(([n, s], j): [number, string] => [n, j === i ? s.replace(/^./, (c) => (c === '0' ? '1' : '0')) : s]);
    const req = wireFromRaw(s3.streaming.request, ['Authorization', s3.streaming.authorization]);
    req.body = Readable.from([docChunkedBody(chunks)]);
    await auth.authenticate(req, parseSignature(req, 's3')!, 's3');
    const e = await streamError(req.body);
    t.equal(e.code, 'SignatureDoesNotMatch', `chunk ${i} signature altered`);
    t.match(e.fields?.StringToSign, /^AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n/);
  }
  // one data byte altered
  const tampered = docChunkedBody(s3.streaming.chunks);
  tampered[200] = 0x62;
  const req = wireFromRaw(s3.streaming.request, ['Authorization', s3.streaming.authorization]);
  req.body = Readable.from([tampered]);
  await auth.authenticate(req, parseSignature(req, 's3')!, 's3');
  t.equal((await streamError(req.body)).code, 'SignatureDoesNotMatch', 'tampered data');
});

t.test('S3 signed-trailer example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async (t) => {
  const ex = s3.streamingTrailer;
  const id = testIdentity();
  await id.addKey({ ...s3.credentials });
  const auth = authenticator(id.identity, Date.UTC(2013, 4, 24, 0, 5));
  const run = async (trailer: string) => {
    const req = wireFromRaw(ex.request, ['Authorization', ex.authorization]);
    req.body = pieces(docChunkedBody(ex.chunks, trailer), 999);
    const sig = parseSignature(req, 's3')!;
    t.equal(sig.signature, ex.seedSignature);
    await auth.authenticate(req, sig, 's3');
    return req;
  };
  const ok = await run(`${ex.trailer}\r\nx-amz-trailer-signature:${ex.trailerSignature}\r\n\r\n`);
  t.equal((await readAll(ok.body)).length, 66560, 'seed, chunk and trailer signatures verified');
  t.same(ok.trailers, { 'x-amz-checksum-crc32c': 'sOO8/Q==' });

  const badSig = await run(`${ex.trailer}\r\nx-amz-trailer-signature:${'0'.repeat(64)}\r\n\r\n`);
  t.match(await streamError(badSig.body), { code: 'SignatureDoesNotMatch', fields: { StringToSign: /^AWS4-HMAC-SHA256-TRAILER\n/ } }, 'trailer signature altered');
  const noSig = await run(`${ex.trailer}\r\n\r\n`);
  t.equal((await streamError(noSig.body)).code, 'InvalidRequest', 'trailer signature missing');
  const badSum = await run(`x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:${ex.trailerSignature}\r\n\r\n`);
  t.equal((await streamError(badSum.body)).code, 'SignatureDoesNotMatch', 'checksum altered: the trailer signature no longer matches');
});
