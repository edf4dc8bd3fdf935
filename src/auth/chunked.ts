// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Streaming decoder for S3's aws-chunked payloads:
 *   <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n
 *   [<trailer-name>:<value>\r\n …][x-amz-trailer-signature:<sig>\r\n]\r\n
 * It passes data on as it arrives (bounded memory, back-pressure through Transform), verifies
 * every chunk signature (AWS4-HMAC-SHA256-PAYLOAD, chained from the request signature), the
 * trailer signature (AWS4-HMAC-SHA256-TRAILER), the trailing checksum and the declared decoded
 * length, and errors the stream with the AWS error when any of them fails.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { algorithmOfHeader, createChecksum, type ChecksumAlgorithm, type ChecksumHasher } from '../checksums.js';
import { badChunkFraming, badDigest, chunkSignatureMismatch, incompleteBody, invalidStreamingHeader } from './errors.js';
import { chunkStringToSign, sameSignature, signHex, trailerStringToSign } from './signing.js';
import { sha256Hex } from './signing.js';

export interface ChunkSigning {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  /** The request's own signature: the first chunk chains from it. */
  seedSignature: string;
  accessKeyId: string;
}

export interface ChunkedOptions {
  service: string;
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): chunk signatures are required. */
  signing?: ChunkSigning;
  /** The trailer signature is required (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER). */
  signedTrailer?: boolean;
  /** Lower-case trailer names declared in x-amz-trailer. */
  declaredTrailers?: string[];
  decodedLength?: number;
  /** Called with the verified trailers (signature line excluded) before the stream ends. */
  onTrailers?: (trailers: Record<string, string>) => void;
}

const MAX_LINE = 4096;
const MAX_TRAILERS = 16;
const CHUNK_HEADER = /^([0-9a-fA-F]{1,16})(?:;(.*))?$/;
const SIG_EXT = /^chunk-signature=([0-9a-f]{64})$/;

type State = 'size' | 'data' | 'crlf' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private crlfSeen = 0;
  private decoded = 0;
  private chunkHash?: Hash;
  private chunkSig = '';
  private previous: string;
  private readonly checksums = new Map<string, { alg: ChecksumAlgorithm; h: ChecksumHasher }>();
  private readonly trailers: Record<string, string> = {};
  private trailerCount = 0;
  private trailerSignature?: string;

  constructor(private readonly opts: ChunkedOptions) {
    super();
    this.previous = opts.signing?.seedSignature ?? '';
    for (const name of opts.declaredTrailers ?? []) {
      const alg = algorithmOfHeader(name);
      if (!alg) throw invalidStreamingHeader(`The value specified in the x-amz-trailer header is not supported: ${name}`);
      this.checksums.set(name, { alg, h: createChecksum(alg) });
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      // the final empty line after the trailers may be missing at end of stream
      if (this.state === 'trailer' && this.line === '') this.finish();
      if (this.state !== 'done') throw incompleteBody(this.opts.service, 'The aws-chunked request body ended before its final chunk.');
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private fail(detail: string): never {
    throw badChunkFraming(this.opts.service, detail);
  }

  private consume(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const lf = buf.indexOf(10, i);
          const end = lf < 0 ? n : lf;
          if (this.line.length + (end - i) > MAX_LINE) this.fail('a chunk header or trailer line is too long');
          this.line += buf.toString('latin1', i, end);
          if (lf < 0) return;
          i = lf + 1;
          if (!this.line.endsWith('\r')) this.fail('a line is not terminated by CRLF');
          const line = this.line.slice(0, -1);
          this.line = '';
          if (this.state === 'size') this.chunkHeader(line);
          else this.trailerLine(line);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, n - i);
          const part = buf.subarray(i, i + take);
          this.data(part);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = 'crlf';
          break;
        }
        case 'crlf': {
          const expect = this.crlfSeen === 0 ? 13 : 10;
          if (buf[i] !== expect) this.fail('chunk data is not followed by CRLF');
          i++;
          if (++this.crlfSeen === 2) {
            this.crlfSeen = 0;
            this.endChunk();
            this.state = 'size';
          }
          break;
        }
        case 'done':
          this.fail('data follows the final chunk');
      }
    }
  }

  private chunkHeader(line: string): void {
    const m = CHUNK_HEADER.exec(line);
    if (!m) this.fail(`invalid chunk header '${line.slice(0, 80)}'`);
    const size = parseInt(m[1], 16);
    if (!Number.isSafeInteger(size)) this.fail('chunk size out of range');
    if (this.opts.signing) {
      const sig = m[2] !== undefined ? SIG_EXT.exec(m[2]) : null;
      if (!sig) this.fail('a chunk lacks its chunk-signature');
      this.chunkSig = sig[1];
      this.chunkHash = createHash('sha256');
    }
    if (this.opts.decodedLength !== undefined && this.decoded + size > this.opts.decodedLength) {
      throw incompleteBody(this.opts.service, 'The aws-chunked body carries more bytes than x-amz-decoded-content-length declares.');
    }
    if (size === 0) {
      this.endChunk();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private data(part: Buffer): void {
    this.chunkHash?.update(part);
    for (const c of this.checksums.values()) c.h.update(part);
    this.decoded += part.length;
    this.push(part);
  }

  /** Verifies the signature of the chunk just read (signed modes). */
  private endChunk(): void {
    const s = this.opts.signing;
    if (!s || !this.chunkHash) return;
    const toSign = chunkStringToSign(s.amzDate, s.scope, this.previous, this.chunkHash.digest('hex'));
    const expected = signHex(s.signingKey, toSign);
    if (!sameSignature(expected, this.chunkSig)) throw chunkSignatureMismatch(this.opts.service, s.accessKeyId, toSign, this.chunkSig);
    this.previous = this.chunkSig;
    this.chunkHash = undefined;
  }

  private trailerLine(line: string): void {
    if (line === '') return this.finish();
    if (++this.trailerCount > MAX_TRAILERS) this.fail('too many trailers');
    const colon = line.indexOf(':');
    if (colon <= 0) this.fail(`invalid trailer line '${line.slice(0, 80)}'`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      if (!this.opts.signedTrailer) this.fail('a trailer signature was sent for an unsigned trailer');
      this.trailerSignature = value;
      return;
    }
    if (this.trailerSignature !== undefined) this.fail('trailers follow the trailer signature');
    if (!this.checksums.has(name)) this.fail(`trailer '${name}' was not declared in x-amz-trailer`);
    if (name in this.trailers) this.fail(`trailer '${name}' is sent twice`);
    this.trailers[name] = value;
  }

  /** After the last trailer line: trailer signature, checksums, decoded length. */
  private finish(): void {
    const s = this.opts.signing;
    const names = Object.keys(this.trailers).sort();
    if (this.opts.signedTrailer && s && names.length > 0) {
      if (this.trailerSignature === undefined) this.fail('the trailer signature is missing');
      const canonical = names.map((k) => `${k}:${this.trailers[k]}\n`).join('');
      const toSign = trailerStringToSign(s.amzDate, s.scope, this.previous, sha256Hex(canonical));
      const expected = signHex(s.signingKey, toSign);
      if (!sameSignature(expected, this.trailerSignature)) throw chunkSignatureMismatch(this.opts.service, s.accessKeyId, toSign, this.trailerSignature);
    }
    for (const [name, c] of this.checksums) {
      const got = this.trailers[name];
      if (got === undefined) this.fail(`the declared trailer '${name}' is missing`);
      if (c.h.digest().toString('base64') !== got) throw badDigest(c.alg);
    }
    if (this.opts.decodedLength !== undefined && this.decoded !== this.opts.decodedLength) {
      throw incompleteBody(this.opts.service);
    }
    this.state = 'done';
    this.opts.onTrailers?.({ ...this.trailers });
  }
}
