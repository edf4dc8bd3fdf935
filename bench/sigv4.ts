// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 verification throughput on one core: parseSignature + Authenticator.authenticate of an
 * S3 GetObject signed by @smithy/signature-v4 (header auth, UNSIGNED-PAYLOAD, the headers the
 * JS SDK signs), with the signing key cached and with the cache cleared before every request.
 * benchChunked(): signed aws-chunked decoding in MB per CPU-second, beside plain SHA-256.
 * Rates are per second of CPU time of this process. Target: ≥ 50,000 cached verifications/s.
 * `node dist/bench/sigv4.js` prints the JSON.
 */
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import { AwsChunkedDecoder, Authenticator, parseSignature } from '../src/auth/index.js';
import { deriveSigningKey, EMPTY_SHA256, sha256Hex, signHex } from '../src/auth/signing.js';
import type { WireRequest } from '../src/context.js';
import { IdentityStore } from '../src/state/identity.js';
import { MemoryStateStore } from '../src/state/memory.js';
import { Sha256 } from './sha256.js';

const KEY = 'AKIABENCHMARKKEY0001';
const SECRET = 'benchmark-secret-key-0000000000000000000';

async function signedRequest(): Promise<WireRequest> {
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: SECRET }, sha256: Sha256, uriEscapePath: false });
  const headers: Record<string, string> = {
    host: 'bucket.s3.localhost:4566',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-user-agent': 'aws-sdk-js/3.1175.0',
    'amz-sdk-invocation-id': '4f0c2b1e-0000-4000-8000-000000000000',
    'amz-sdk-request': 'attempt=1; max=3',
    'x-amz-checksum-mode': 'ENABLED',
    range: 'bytes=0-1023',
  };
  const s = await signer.sign({ method: 'GET', protocol: 'http:', hostname: 'bucket.s3.localhost', port: 4566, path: '/photos/2026/cat%20picture.jpg', query: { versionId: 'null' }, headers });
  const rawHeaders: string[] = [];
  for (const [k, v] of Object.entries(s.headers)) rawHeaders.push(k, v);
  const lower: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) lower[rawHeaders[i].toLowerCase()] = rawHeaders[i + 1];
  return {
    method: 'GET',
    rawUrl: '/photos/2026/cat%20picture.jpg?versionId=null',
    path: '/photos/2026/cat%20picture.jpg',
    query: 'versionId=null',
    headers: lower,
    rawHeaders,
    host: headers.host,
    remoteAddress: '127.0.0.1',
    body: Readable.from([]),
  };
}

/**
 * Verifications per second of CPU time used by this process (user + system, which also counts
 * GC threads): "per core", and stable on a machine shared with other work.
 */
async function rate(cpuMs: number, once: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  let n = 0;
  let used = 0;
  while (used < cpuMs * 1000) {
    for (let i = 0; i < 500; i++) await once();
    n += 500;
    const d = process.cpuUsage(start);
    used = d.user + d.system;
  }
  return Math.round((n * 1e6) / used);
}

export async function benchSigV4(ms = 1500): Promise<{ cachedPerSec: number; uncachedPerSec: number }> {
  const identity = new IdentityStore(new MemoryStateStore());
  await identity.addKey({ accessKeyId: KEY, secretAccessKey: SECRET, accountId: '123456789012', kind: 'root', status: 'Active', createDate: Date.now() });
  const auth = new Authenticator({ identity, clock: { now: () => Date.now() }, dev: false });
  const req = await signedRequest();
  const verify = async () => {
    const sig = parseSignature(req, 's3');
    if (!sig) throw new Error('unsigned');
    await auth.authenticate(req, sig, 's3');
  };
  await rate(200, verify); // warm-up
  const cachedPerSec = await rate(ms, verify);
  const uncachedPerSec = await rate(ms, async () => {
    auth.clearSigningKeyCache();
    await verify();
  });
  return { cachedPerSec, uncachedPerSec };
}

/**
 * aws-chunked decoding with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 64 KiB chunks)
 * against the peer it cannot beat: one SHA-256 pass over the same bytes. MB per CPU-second.
 */
export async function benchChunked(totalMiB = 32): Promise<{ decodeMBps: number; sha256MBps: number; ratio: number }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const n = totalMiB * 16;
  const signingKey = deriveSigningKey(SECRET, '20260101', 'us-east-1', 's3');
  const scope = '20260101/us-east-1/s3/aws4_request';
  const amzDate = '20260101T000000Z';
  const seed = '0'.repeat(64);
  const frames: Buffer[] = [];
  let prev = seed;
  const sig = (data: Buffer) => (prev = signHex(signingKey, `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${EMPTY_SHA256}\n${sha256Hex(data)}`));
  const s1 = sig(chunk);
  const header = Buffer.from(`${chunk.length.toString(16)};chunk-signature=`);
  // every chunk carries the same data, so re-sign the chain once per position
  for (let i = 0; i < n; i++) frames.push(Buffer.concat([header, Buffer.from(i === 0 ? s1 : sig(chunk)), Buffer.from('\r\n'), chunk, Buffer.from('\r\n')]));
  frames.push(Buffer.from(`0;chunk-signature=${sig(Buffer.alloc(0))}\r\n\r\n`));
  const bytes = n * chunk.length;
  const cpu = async (fn: () => Promise<void>) => {
    const start = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(start);
    return (bytes / 1e6) / ((d.user + d.system) / 1e6);
  };
  const decodeMBps = await cpu(async () => {
    const d = new AwsChunkedDecoder({ service: 's3', signing: { signingKey, amzDate, scope, seedSignature: seed, accessKeyId: KEY }, decodedLength: bytes });
    const src = Readable.from(frames);
    let got = 0;
    for await (const c of src.pipe(d)) got += (c as Buffer).length;
    if (got !== bytes) throw new Error('decode failed');
  });
  const sha256MBps = await cpu(async () => {
    const h = createHash('sha256');
    for (let i = 0; i < n; i++) h.update(chunk);
    h.digest();
  });
  return { decodeMBps: Math.round(decodeMBps), sha256MBps: Math.round(sha256MBps), ratio: Math.round((decodeMBps / sha256MBps) * 100) / 100 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchSigV4();
  const c = await benchChunked();
  console.log(JSON.stringify({ ...r, target: 50000, pass: r.cachedPerSec >= 50000, chunked: c }));
}
