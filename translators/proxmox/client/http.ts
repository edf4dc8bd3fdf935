// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The one door to a Proxmox VE cluster. `proxmox-api` (GPL-3.0) gives the typed paths
 * (`api.nodes.$(n).qemu.$(vmid).clone.$post({...})`); this module is the engine under it: API token
 * auth (`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`), form-encoded parameters, the
 * `{"data":…}` envelope, failures as typed PveError (errors.ts), and TLS that trusts only the
 * configured CA (the cluster's pve-root-ca.pem or the node's self-signed certificate), optionally
 * pinning the server certificate's SHA-256 fingerprint too. TLS verification is never disabled.
 * Every call is counted by path template, so tests and benches can prove O(1) call counts.
 */
import http from 'node:http';
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { proxmoxApi, type ApiRequestable, type Proxmox } from 'proxmox-api';
import type { ProxmoxConfig } from '../config.js';
import { fromResponse, PveError } from './errors.js';

export type PveParams = Record<string, string | number | boolean | string[] | undefined | null>;

export type PveConnection = Pick<ProxmoxConfig, 'url' | 'tokenId' | 'tokenSecret' | 'ca' | 'fingerprint' | 'requestTimeoutMs'>;

/** Encodes parameters as pve-http-server reads them: booleans as 1/0, arrays as repeated keys. */
export function encodeParams(params: PveParams | undefined): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const e of v) out.append(k, e);
    else out.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  return out;
}

/** Checks the certificate against the pin; without a pin, the usual host name check. */
export function pinnedIdentity(fingerprint: string | undefined) {
  return (host: string, cert: PeerCertificate): Error | undefined => {
    if (!fingerprint) return checkServerIdentity(host, cert);
    if (cert.fingerprint256 !== fingerprint) {
      return new Error(`Proxmox certificate fingerprint ${cert.fingerprint256} does not match the pinned ${fingerprint}`);
    }
    return undefined;
  };
}

export class PveHttp implements ApiRequestable {
  readonly api: Proxmox.Api;
  /** Calls by "METHOD /template" since start. */
  readonly counts = new Map<string, number>();
  private readonly agent: http.Agent;
  private readonly auth: string;

  constructor(private readonly conn: PveConnection) {
    this.auth = `PVEAPIToken=${conn.tokenId}=${conn.tokenSecret}`;
    this.agent =
      conn.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ca: conn.ca, rejectUnauthorized: true, checkServerIdentity: pinnedIdentity(conn.fingerprint) })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.api = proxmoxApi(this);
  }

  /** Total calls made, or those of one "METHOD /template" key. */
  callCount(key?: string): number {
    if (key) return this.counts.get(key) ?? 0;
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async doRequest(httpMethod: string, path: string, pathTemplate: string, params?: Record<string, any>): Promise<any> {
    const method = httpMethod.toUpperCase();
    const key = `${method} ${pathTemplate.replace(/^\/api2\/json/, '')}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const form = encodeParams(params as PveParams);
    const withBody = method === 'POST' || method === 'PUT';
    const query = !withBody && [...form.keys()].length > 0 ? `?${form}` : '';
    const body = withBody ? Buffer.from(form.toString()) : undefined;
    const base = this.conn.url.pathname.replace(/\/+$/, '');
    const req = { method, path };
    const headers: Record<string, string> = { Authorization: this.auth, Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(body.length);
    }
    const mod = this.conn.url.protocol === 'https:' ? https : http;
    const res = await new Promise<{ status: number; reason: string; text: string; type: string }>((resolve, reject) => {
      const r = mod.request(
        {
          method,
          protocol: this.conn.url.protocol,
          hostname: this.conn.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.conn.url.port || (this.conn.url.protocol === 'https:' ? 8006 : 80),
          path: `${base}${path}${query}`,
          headers,
          agent: this.agent,
          timeout: this.conn.requestTimeoutMs,
        },
        (m) => {
          const chunks: Buffer[] = [];
          m.on('data', (c: Buffer) => chunks.push(c));
          m.on('end', () => resolve({ status: m.statusCode ?? 0, reason: m.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8'), type: String(m.headers['content-type'] ?? '') }));
          m.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.conn.requestTimeoutMs} ms`)));
      r.on('error', reject);
      r.end(body);
    }).catch((e: Error) => {
      throw new PveError('transport', 0, `${method} ${path}: ${e.message}`, req);
    });
    let parsed: unknown;
    if (res.type.startsWith('application/json') && res.text) {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        throw new PveError('other', res.status, `${method} ${path}: answer is not JSON`, req);
      }
    }
    if (res.status !== 200) throw fromResponse(res.status, res.reason, parsed, req);
    if (!parsed || typeof parsed !== 'object' || !('data' in parsed)) throw new PveError('other', res.status, `${method} ${path}: answer has no data envelope`, req);
    return (parsed as { data: unknown }).data;
  }

  /** Untyped call for paths or parameters the typed model lacks. */
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, params?: PveParams, template?: string): Promise<T> {
    return this.doRequest(method, `/api2/json${path}`, `/api2/json${template ?? path}`, params as Record<string, unknown>) as Promise<T>;
  }

  close(): void {
    this.agent.destroy();
  }
}
