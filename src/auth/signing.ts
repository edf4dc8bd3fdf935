// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * SigV4 arithmetic: signing key derivation (cached in a bounded LRU), string to sign, signature
 * computation and a constant-time comparison.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** One-shot SHA-256 (node:crypto.hash, much faster than createHash for small inputs). */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), 'hex');
}

export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
}

/** Least-recently-used cache of signing keys by (secret, date, region, service). */
export class SigningKeyCache {
  private readonly map = new Map<string, Buffer>();
  hits = 0;
  misses = 0;

  constructor(private readonly max = 1024) {}

  get(secret: string, date: string, region: string, service: string): Buffer {
    const id = `${date}\n${region}\n${service}\n${secret}`;
    const hit = this.map.get(id);
    if (hit) {
      this.hits++;
      if (this.map.size * 2 > this.max) {
        // refresh recency (only matters once eviction is near)
        this.map.delete(id);
        this.map.set(id, hit);
      }
      return hit;
    }
    this.misses++;
    const key = deriveSigningKey(secret, date, region, service);
    this.map.set(id, key);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    return key;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}

export function scopeOf(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

export function signHex(signingKey: Uint8Array, toSign: string): string {
  return createHmac('sha256', signingKey).update(toSign, 'utf8').digest('hex');
}

/** Constant-time comparison of two signatures (hex strings). */
export function sameSignature(expectedHex: string, providedHex: string): boolean {
  const a = Buffer.from(expectedHex, 'latin1');
  const b = Buffer.from(providedHex, 'latin1');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Chunk string to sign for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER). */
export function chunkStringToSign(amzDate: string, scope: string, previous: string, chunkSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
}

export function trailerStringToSign(amzDate: string, scope: string, previous: string, trailerSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${trailerSha256Hex}`;
}
