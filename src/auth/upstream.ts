// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 for the gateway's own requests to its backends (Ceph RGW, Alternator), with the
 * verifier's arithmetic (signing.ts, canonical.ts): the signing key cached per day and
 * X-Amz-Date formatted once a second. aws4 took ~60 µs per request (a signing key derived
 * through four HMAC objects each time, its own canonicalisation).
 */
import { canonicalQuery, canonicalUri, splitQuery, trimAll } from './canonical.js';
import { ALGORITHM, scopeOf, SigningKeyCache, signHex, stringToSign } from './signing.js';

export interface UpstreamCreds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface UpstreamRequest {
  method: string;
  /** Path as sent, percent-encoded (canonicalised as the verifier does: S3 as is, others normalised and encoded again). */
  path: string;
  /** Query string as sent (without '?'), already encoded; '' for none. */
  query: string;
  /** Every header sent, names in lower case (host included); all of them are signed. */
  headers: Record<string, string>;
  /** x-amz-content-sha256's value: a body's hex SHA-256 or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

let dateSecond = -1;
let dateText = '';

/** X-Amz-Date (basic ISO 8601) of the current second, formatted once per second. */
export function amzDateNow(nowMs = Date.now()): string {
  const sec = Math.floor(nowMs / 1000);
  if (sec !== dateSecond) {
    dateSecond = sec;
    dateText = new Date(sec * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
  }
  return dateText;
}

export class UpstreamSigner {
  private readonly keys = new SigningKeyCache(64);

  constructor(
    private readonly region: string,
    private readonly service: string,
  ) {}

  /**
   * Adds x-amz-date and authorization to `r.headers` (which must already hold host and, for
   * S3, x-amz-content-sha256) and answers them.
   */
  sign(creds: UpstreamCreds, r: UpstreamRequest): Record<string, string> {
    const h = r.headers;
    const amzDate = amzDateNow();
    h['x-amz-date'] = amzDate;
    const date = amzDate.slice(0, 8);
    const names = Object.keys(h).sort();
    let block = '';
    for (const n of names) block += n + ':' + trimAll(h[n]!) + '\n';
    const signed = names.join(';');
    const query = r.query === '' ? '' : canonicalQuery(splitQuery(r.query));
    const canonical = `${r.method}\n${canonicalUri(r.path, this.service === 's3')}\n${query}\n${block}\n${signed}\n${r.payloadHash}`;
    const scope = scopeOf(date, this.region, this.service);
    const signature = signHex(this.keys.get(creds.secretAccessKey, date, this.region, this.service), stringToSign(amzDate, scope, canonical));
    h.authorization = `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
    return h;
  }
}
