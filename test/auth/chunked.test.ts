// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * aws-chunked decoding: trailing checksums of every algorithm, and everything that must fail
 * without crashing or hanging (truncation, excess bytes, garbage framing, missing or undeclared
 * trailers, missing decoded length), plus bounded buffering under back-pressure.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { AwsChunkedDecoder, parseSignature, type ChunkedOptions } from '../../src/auth/index.js';
import { checksumBase64, CHECKSUM_ALGORITHMS, headerOfAlgorithm } from '../../src/checksums.js';
import { AwsError } from '../../src/errors.js';
import { authenticator, pieces, readAll, streamError, testIdentity, wire } from './helpers.js';
import { deriveSigningKey, scopeOf, signHex, stringToSign } from '../../src/auth/signing.js';
import { canonicalRequest } from '../../src/auth/canonical.js';

const DATA = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(500));

/** Unsigned aws-chunked framing of `data` in `size`-byte chunks, with optional trailer lines. */
function frame(data: Buffer, size: number, trailers: string[] = [], finalCrlf = true): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) {
    const c = data.subarray(i, i + size);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  for (const l of trailers) parts.push(Buffer.from(`${l}\r\n`));
  if (finalCrlf) parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function decode(body: Buffer | Readable, opts: Partial<ChunkedOptions> = {}) {
  let trailers: Record<string, string> | undefined;
  const d = new AwsChunkedDecoder({ service: 's3', decodedLength: DATA.length, onTrailers: (x) => (trailers = x), ...opts });
  const src = Buffer.isBuffer(body) ? pieces(body, 1000) : body;
  src.on('error', (e) => d.destroy(e));
  return { out: src.pipe(d), trailers: () => trailers };
}

t.test('trailing checksums of every algorithm', async (t) => {
  for (const alg of CHECKSUM_ALGORITHMS) {
    const name = headerOfAlgorithm(alg);
    const good = decode(frame(DATA, 8192, [`${name}:${checksumBase64(alg, DATA)}`]), { declaredTrailers: [name] });
    t.ok((await readAll(good.out)).equals(DATA), `${alg}: data`);
    t.same(good.trailers(), { [name]: checksumBase64(alg, DATA) }, `${alg}: trailers`);
    const bad = decode(frame(DATA, 8192, [`${name}:${checksumBase64(alg, Buffer.from('x'))}`]), { declaredTrailers: [name] });
    t.match(await streamError(bad.out), { code: 'BadDigest', status: 400, message: `The ${alg} you specified did not match the calculated checksum.` });
  }
  const noFinal = decode(frame(DATA, 4000, [`x-amz-checksum-crc32:${checksumBase64('CRC32', DATA)}`], false), { declaredTrailers: ['x-amz-checksum-crc32'] });
  t.equal((await readAll(noFinal.out)).length, DATA.length, 'final CRLF after the trailers may be missing');
  const none = decode(frame(DATA, 5000));
  t.equal((await readAll(none.out)).length, DATA.length, 'no trailer at all');
});

t.test('framing errors fail the stream, never hang or crash', async (t) => {
  const body = frame(DATA, 8192);
  const e = async (b: Buffer | Readable, opts: Partial<ChunkedOptions> = {}) => streamError(decode(b, opts).out);
  t.match(await e(body.subarray(0, body.length - 7)), { code: 'IncompleteBody' }, 'truncated');
  t.match(await e(body.subarray(0, 5000)), { code: 'IncompleteBody' }, 'truncated inside a chunk');
  t.match(await e(body, { decodedLength: DATA.length - 1 }), { code: 'IncompleteBody', message: /more bytes than x-amz-decoded-content-length/ }, 'longer than declared');
  t.match(await e(body, { decodedLength: DATA.length + 1 }), { code: 'IncompleteBody' }, 'shorter than declared');
  t.match(await e(Buffer.from('zz\r\nhello\r\n0\r\n\r\n')), { code: 'InvalidRequest', message: /invalid chunk header 'zz'/ }, 'garbage size');
  t.match(await e(Buffer.from('5\r\nhelloXX0\r\n\r\n'), { decodedLength: 5 }), { code: 'InvalidRequest', message: /not followed by CRLF/ }, 'missing CRLF after data');
  t.match(await e(Buffer.concat([body, Buffer.from('5\r\nhello\r\n')])), { code: 'InvalidRequest', message: /data follows the final chunk/ });
  t.match(await e(Buffer.from('5\nhello\r\n0\r\n\r\n'), { decodedLength: 5 }), { code: 'InvalidRequest', message: /CRLF/ }, 'bare LF');
  t.match(await e(Buffer.alloc(100_000, 'a')), { code: 'InvalidRequest', message: /too long/ }, 'endless header line');
  t.match(await e(Buffer.from('fffffffffffffffff\r\n')), { code: 'InvalidRequest' }, 'absurd size');
  t.match(await e(frame(DATA, 8192, ['x-amz-checksum-crc32:AAAAAA=='])), { code: 'InvalidRequest', message: /not declared in x-amz-trailer/ });
  t.match(await e(frame(DATA, 8192), { declaredTrailers: ['x-amz-checksum-sha256'] }), { code: 'InvalidRequest', message: /declared trailer 'x-amz-checksum-sha256' is missing/ });
  t.match(await e(frame(DATA, 8192, ['no colon here']), { declaredTrailers: ['x-amz-checksum-crc32'] }), { code: 'InvalidRequest', message: /invalid trailer line/ });
  t.throws(() => new AwsChunkedDecoder({ service: 's3', declaredTrailers: ['x-amz-checksum-md5'] }), { code: 'InvalidRequest' });
  const signing = { signingKey: Buffer.alloc(32), amzDate: '20260101T000000Z', scope: 's', seedSignature: '0'.repeat(64), accessKeyId: 'A' };
  t.match(await e(body, { signing }), { code: 'InvalidRequest', message: /lacks its chunk-signature/ }, 'unsigned chunk in signed mode');
  const failing = new Readable({ read() { this.destroy(new Error('socket reset')); } });
  t.match(await decode(failing).out.toArray().catch((x: Error) => x), { message: 'socket reset' }, 'source error reaches the consumer');
});

t.test('random mutations of a valid body: always an AwsError or the right bytes, never a crash or hang', async (t) => {
  const name = 'x-amz-checksum-crc32c';
  const body = frame(DATA.subarray(0, 3000), 700, [`${name}:${checksumBase64('CRC32C', DATA.subarray(0, 3000))}`]);
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  let errors = 0;
  for (let round = 0; round < 200; round++) {
    const b = Buffer.from(body);
    const edits = 1 + rnd(3);
    for (let k = 0; k < edits; k++) b[rnd(b.length)] = rnd(256);
    const cut = rnd(4) === 0 ? rnd(b.length) : b.length;
    const { out } = decode(pieces(b.subarray(0, cut), 1 + rnd(400)), { declaredTrailers: [name], decodedLength: 3000 });
    try {
      const got = await readAll(out);
      t.ok(got.equals(DATA.subarray(0, 3000)), `round ${round}: accepted only with the original bytes`);
    } catch (e) {
      errors++;
      if (!(e instanceof AwsError)) t.fail(`round ${round}: ${(e as Error).message}`);
    }
  }
  t.ok(errors > 150, `${errors} of 200 mutated bodies refused`);
});

t.test('back-pressure: an unread decoder buffers boundedly', async (t) => {
  const big = Buffer.alloc(64 * 1024, 'b');
  let produced = 0;
  const src = Readable.from((function* () {
    for (let i = 0; i < 100; i++) {
      produced++;
      yield Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from('\r\n')]);
    }
    yield Buffer.from('0\r\n\r\n');
  })());
  const { out } = decode(src, { decodedLength: 100 * big.length });
  await tick();
  await tick();
  t.ok(produced < 10, `the source was paused (${produced} of 100 chunks produced)`);
  t.ok(out.readableLength <= 256 * 1024, `decoder buffer bounded (${out.readableLength} bytes)`);
  t.equal((await readAll(out)).length, 100 * big.length);
});

t.test('through the Authenticator: missing decoded length, signed chunks, unsigned trailer', async (t) => {
  const AK = 'AKIAIOSFODNN7EXAMPLE';
  const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const id = testIdentity();
  await id.addKey({ accessKeyId: AK, secretAccessKey: SK });
  const now = Date.UTC(2026, 0, 1, 12);
  const amzDate = '20260101T120000Z';
  const make = (mode: string, extra: string[], body: Buffer) => {
    const rawHeaders = ['Host', 'localhost', 'x-amz-date', amzDate, 'x-amz-content-sha256', mode, 'Content-Encoding', 'aws-chunked', ...extra];
    const signedHeaders = rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()).sort();
    const creq = canonicalRequest({ method: 'PUT', path: '/b/k', query: '', rawHeaders, signedHeaders, payloadHash: mode, s3: true, presigned: false });
    const scope = scopeOf('20260101', 'us-east-1', 's3');
    const key = deriveSigningKey(SK, '20260101', 'us-east-1', 's3');
    const seed = signHex(key, stringToSign(amzDate, scope, creq));
    const req = wire({
      method: 'PUT',
      target: '/b/k',
      rawHeaders: [...rawHeaders, 'Transfer-Encoding', 'chunked', 'Authorization', `AWS4-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${seed}`],
      body,
    });
    return { req, key, seed, scope };
  };
  const auth = authenticator(id.identity, now);
  const noLen = make('STREAMING-UNSIGNED-PAYLOAD-TRAILER', [], frame(DATA, 8192));
  await t.rejects(auth.authenticate(noLen.req, parseSignature(noLen.req, 's3')!, 's3'), { code: 'MissingContentLength', status: 411 });

  const crc = `x-amz-checksum-crc64nvme:${checksumBase64('CRC64NVME', DATA)}`;
  const ok = make('STREAMING-UNSIGNED-PAYLOAD-TRAILER', ['x-amz-decoded-content-length', String(DATA.length), 'x-amz-trailer', 'x-amz-checksum-crc64nvme'], frame(DATA, 8192, [crc]));
  await auth.authenticate(ok.req, parseSignature(ok.req, 's3')!, 's3');
  t.ok((await readAll(ok.req.body)).equals(DATA));
  t.same(ok.req.trailers, { 'x-amz-checksum-crc64nvme': checksumBase64('CRC64NVME', DATA) });

  // signed chunks built here from the seed signature
  const signedBody = (key: Buffer, seed: string, scope: string, tamper = false) => {
    let prev = seed;
    const parts: Buffer[] = [];
    const sizes = [8192, 8192, DATA.length - 16384, 0];
    let off = 0;
    for (const n of sizes) {
      const c = DATA.subarray(off, off + n);
      off += n;
      const h = sha256hex(c);
      const sig = signHex(key, `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n${h}`);
      prev = sig;
      parts.push(Buffer.from(`${n.toString(16)};chunk-signature=${sig}\r\n`));
      if (n > 0) parts.push(tamper && off > 10000 ? Buffer.alloc(n, 'x') : c, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('\r\n'));
    return Buffer.concat(parts);
  };
  const s = make('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', ['x-amz-decoded-content-length', String(DATA.length)], Buffer.alloc(0));
  s.req.body = pieces(signedBody(s.key, s.seed, s.scope), 3000);
  await auth.authenticate(s.req, parseSignature(s.req, 's3')!, 's3');
  t.ok((await readAll(s.req.body)).equals(DATA), 'signed chunks verified');
  const s2 = make('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', ['x-amz-decoded-content-length', String(DATA.length)], Buffer.alloc(0));
  s2.req.body = pieces(signedBody(s2.key, s2.seed, s2.scope, true), 3000);
  await auth.authenticate(s2.req, parseSignature(s2.req, 's3')!, 's3');
  t.match(await streamError(s2.req.body), { code: 'SignatureDoesNotMatch', fields: { AWSAccessKeyId: AK } }, 'tampered chunk');
});

function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
