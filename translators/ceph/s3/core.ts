// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What every part of the RGW translator shares: the HTTP client, the per-account RGW users, the
 * gateway-side records, the bucket → owner mapping, the bucket's versioning state on RGW (kept in
 * step with the gateway's, which the API layer passes into each write), and the verified streaming
 * of a write body to RGW.
 */
import { IncomingMessage } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import type { PutOptions } from '../../../apis/s3/backend.js';
import { AwsError } from '../../../src/errors.js';
import type { StateStore, StateTable } from '../../../src/state/store.js';
import { header, objectPath, RgwClient, rgwError, xml, type RgwCreds, type RgwRequest, type RgwResponse } from './client.js';
import type { RgwConfig } from './config.js';
import { bucketKey, sideKey, TABLE, type BucketRec } from './records.js';
import { RgwUsers, type RgwUserRec } from './users.js';
import { VerifyingStream, type Verified, type VerifyOptions } from './verify.js';

type RgwVersioning = 'Enabled' | 'Suspended' | undefined;

export interface BucketCtx {
  name: string;
  owner: string;
  creds: RgwCreds;
  /** RGW's versioning state, once read. */
  versioning?: Promise<RgwVersioning>;
}

export function noRgwBucket(bucket: string): AwsError {
  return new AwsError('NoSuchBucket', 'The specified bucket does not exist', { status: 404, fields: { BucketName: bucket } });
}

export class RgwCore {
  readonly client: RgwClient;
  readonly users: RgwUsers;
  readonly table: StateTable;
  private readonly buckets = new Map<string, Promise<BucketCtx>>();

  constructor(
    readonly cfg: RgwConfig,
    state: StateStore,
    /** Epoch ms, whole seconds (S3 times have one-second resolution). */
    readonly now: () => number,
  ) {
    this.client = new RgwClient(cfg);
    this.table = state.table(TABLE);
    this.users = new RgwUsers(this.client, cfg, state.table<RgwUserRec>(TABLE));
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.table.get(key)) as T | undefined;
  }

  /** Removes a version's sidecar when there is one (a read costs far less than a write transaction). */
  async dropSide(bucket: string, key: string, versionId: string): Promise<void> {
    const k = sideKey(bucket, key, versionId);
    if ((await this.table.get(k)) !== undefined) await this.table.delete(k);
  }

  /** The bucket's owner and the RGW keys requests on it are signed with. */
  bucket(name: string): Promise<BucketCtx> {
    let p = this.buckets.get(name);
    if (!p) {
      p = (async () => {
        const rec = await this.get<BucketRec>(bucketKey(name));
        if (!rec) throw noRgwBucket(name);
        const u = await this.users.userFor(rec.owner);
        return { name, owner: rec.owner, creds: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey } };
      })();
      this.buckets.set(name, p);
      p.catch(() => this.buckets.delete(name));
    }
    return p;
  }

  forget(name: string): void {
    this.buckets.delete(name);
  }

  send(b: BucketCtx, r: RgwRequest): Promise<RgwResponse> {
    return this.client.send(b.creds, r);
  }

  expect(b: BucketCtx, r: RgwRequest, ok: number[]): Promise<RgwResponse> {
    return this.client.expect(b.creds, r, ok);
  }

  /** Makes RGW's versioning state of the bucket what the gateway's says, before a write. */
  /** RGW's versioning state of the bucket (read once, then kept in step by syncVersioning). */
  versioningOf(b: BucketCtx): Promise<RgwVersioning> {
    if (!b.versioning) {
      const p = this.client
        .xml<{ VersioningConfiguration?: { Status?: string } }>(b.creds, { method: 'GET', path: objectPath(b.name), query: { versioning: '' } })
        .then((x) => x.VersioningConfiguration?.Status as RgwVersioning);
      b.versioning = p;
      p.catch(() => (b.versioning = undefined));
    }
    return b.versioning;
  }

  async syncVersioning(b: BucketCtx, want: RgwVersioning): Promise<void> {
    const have = await this.versioningOf(b);
    if (want === undefined || have === want) return;
    const body = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${want}</Status></VersioningConfiguration>`;
    await (await this.expect(b, { method: 'PUT', path: objectPath(b.name), query: { versioning: '' }, headers: { 'content-type': 'application/xml' }, body }, [200])).body.dump();
    b.versioning = Promise.resolve(want);
  }

  /**
   * Streams a write body (PutObject, UploadPart) to RGW through the verifier and answers RGW's
   * response (2xx, body unread) and what the verifier computed. Anything that fails the checks
   * aborts the upstream request before its last byte.
   *
   * A body straight from the client's socket with nothing to verify (no Content-MD5, no
   * checksum) goes to RGW as it is: Node's HTTP parser delivers at most Content-Length bytes and
   * errors a short body, undici refuses a body that does not match the content-length it sends
   * and aborts the upstream request when the body errors, so RGW stores the object only when
   * every byte arrived, and no transform stands in between. Any other body (aws-chunked, a
   * payload hash checked at its end) is one whose last check runs after its last byte: it goes
   * through the verifier, which holds that byte back.
   */
  async writeBody(b: BucketCtx, r: Omit<RgwRequest, 'body'>, body: Readable, opts: VerifyOptions & Pick<PutOptions, 'signal'>): Promise<{ res: RgwResponse; verified: Verified; etag: string }> {
    const headers = { ...(r.headers ?? {}) };
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength);
    if (opts.contentLength !== undefined && opts.contentLength > 0 && body instanceof IncomingMessage && opts.contentMd5 === undefined && Object.keys(opts.checksums ?? {}).length === 0) {
      return this.sent(r, await this.send(b, { ...r, headers, body, signal: opts.signal }), { size: opts.contentLength, checksums: {} });
    }
    const verifier = new VerifyingStream(opts);
    let send: Readable | string;
    if (opts.contentLength === 0) {
      // nothing to hold back: check the (empty) body completely before RGW sees the request
      await new Promise<void>((resolve, reject) => pipeline(body, verifier, (e) => (e ? reject(e) : resolve())).resume?.());
      send = '';
    } else {
      pipeline(body, verifier, () => undefined);
      send = verifier;
    }
    let res: RgwResponse;
    try {
      res = await this.send(b, { ...r, headers, body: send, signal: opts.signal });
    } catch (e) {
      verifier.destroy();
      throw e;
    }
    if (verifier.errored) {
      await res.body.dump();
      throw verifier.errored;
    }
    return this.sent(r, res, verifier.result);
  }

  /** RGW's answer to a write whose body was `verified` (undefined: it never ended) checked against what was sent. */
  private async sent(r: Omit<RgwRequest, 'body'>, res: RgwResponse, verified: Verified | undefined): Promise<{ res: RgwResponse; verified: Verified; etag: string }> {
    if (res.statusCode !== 200) throw await rgwError(res, r);
    if (!verified) {
      await res.body.dump();
      throw new AwsError('InternalError', `Ceph RGW answered ${r.method} ${r.path} before the body was complete`, { status: 500 });
    }
    const etag = header(res, 'etag');
    if (!etag || (verified.md5 && etag.replace(/"/g, '') !== verified.md5.toString('hex'))) {
      await res.body.dump();
      throw new AwsError('InternalError', `Ceph RGW answered ${r.method} ${r.path} with ETag ${etag ?? '(none)'}${verified.md5 ? `, the body's MD5 is ${verified.md5.toString('hex')}` : ''}`, { status: 500 });
    }
    return { res, verified, etag };
  }

  /** Parses an XML answer. */
  async parse<T>(res: RgwResponse): Promise<T> {
    return xml.parse(await res.body.text()) as T;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
