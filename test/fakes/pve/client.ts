// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Test helpers: the real `proxmox-api` client pointed at the fake with its CA pinned (no TLS
 * checks disabled), and a raw HTTPS request for the wire details (status line, headers, body).
 */
import { request } from 'node:https';
import { proxmoxApi, type Proxmox } from 'proxmox-api';
import { Agent, fetch } from 'undici';
import type { FakePveHandle } from './index.js';

export function pinnedFetch(caPem: string): (url: string | URL, init?: Parameters<typeof fetch>[1]) => ReturnType<typeof fetch> {
  const agent = new Agent({ connect: { ca: caPem, servername: 'localhost' } });
  return (url, init) => fetch(url, { ...init, dispatcher: agent });
}

export function tokenClient(pve: FakePveHandle, tokenID = pve.tokenId, tokenSecret = pve.tokenSecret): Proxmox.Api {
  return proxmoxApi({ host: pve.host, port: pve.port, tokenID, tokenSecret, fetch: pinnedFetch(pve.caPem) as never });
}

export function passwordClient(pve: FakePveHandle, username = pve.user, password = pve.password): Proxmox.Api {
  return proxmoxApi({ host: pve.host, port: pve.port, username, password, fetch: pinnedFetch(pve.caPem) as never });
}

export interface RawResponse {
  status: number;
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: Record<string, unknown>;
}

export function raw(
  pve: FakePveHandle,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(opts.auth === false ? {} : { Authorization: pve.authorization }), ...opts.headers };
  if (opts.body !== undefined) {
    headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: pve.host, port: pve.port, method, path, headers, ca: pve.caPem, servername: 'localhost' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Polls a task until it stops; returns its status object. */
export async function waitTask(api: Proxmox.Api, upid: string, timeoutMs = 10_000): Promise<{ status: string; exitstatus?: string }> {
  const node = upid.split(':')[1]!;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = (await api.nodes.$(node).tasks.$(upid).status.$get()) as { status: string; exitstatus?: string };
    if (st.status === 'stopped') return st;
    if (Date.now() > until) throw new Error(`task ${upid} still running`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
