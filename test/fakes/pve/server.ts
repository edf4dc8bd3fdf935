// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The fake Proxmox VE API server: HTTPS on 127.0.0.1 (free port), `/api2/json/…`, request flow of
 * pve-http-server (src/PVE/APIServer/AnyEvent.pm) and pve-manager (PVE/HTTPServer.pm):
 * 1. methods other than GET/POST/PUT/DELETE → 501 "method 'X' not available" (no body);
 *    paths outside /api2/json → 501 (no body);
 * 2. auth_handler (auth.ts): failures → 401 without body, delayed (3 s in PVE);
 *    `POST|GET /access/ticket` and `GET /access/domains` need no auth;
 * 3. a body on GET/DELETE → 501 "Unexpected content for method 'GET'"; POST/PUT bodies are
 *    `application/x-www-form-urlencoded` or `application/json`; query parameters join them
 *    (and win); `_dc` is dropped; repeated form keys make arrays;
 * 4. rest_handler: find the method (501 JSON "Method 'GET /x' not implemented"), merge URI
 *    parameters, check permissions (403), proxy to the node in `{node}`: an unreachable node
 *    answers 595 with the connect error as reason and no body (AnyEvent::HTTP's status for
 *    connection failures, passed through by proxy_request), then validate (400) and run (500 on die);
 *    without quorum (half the nodes or more down) every write fails "cluster not ready - no quorum?".
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from './auth.js';
import type { FakePve } from './core.js';
import { PveError, paramError } from './errors.js';
import { sendBare, sendData, sendError } from './http.js';
import type { Method, Router } from './router.js';
import { validate, type Params } from './schema.js';
import { makeSelfSigned } from './tls.js';

const KNOWN = new Set(['GET', 'POST', 'PUT', 'DELETE']);
const MAX_POST = 64 * 1024;

export interface ListenOptions {
  unauthorizedDelayMs: number;
  host?: string;
  port?: number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** PVE::APIServer::Formatter::extract_auth_value: `<name>=<value>` in a cookie or header. */
function extractAuthValue(text: string | undefined, name: string): string | undefined {
  if (!text) return undefined;
  const m = new RegExp(`(?:^|\\s|;)${name}(?:=|\\s+)(\\S+?)(?:;|\\s|$)`).exec(text);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

/** decode_urlencoded of pve-http-server: '+' → space, %XX → byte (bad escapes stay), UTF-8. */
function perlUnescape(s: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(s.replace(/\+/g, ' '), 'utf8');
  for (let i = 0; i < src.length; i++) {
    const h = src.toString('latin1', i + 1, i + 3);
    if (src[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(h)) {
      bytes.push(parseInt(h, 16));
      i += 2;
    } else {
      bytes.push(src[i]!);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeForm(body: string, into: Params): void {
  for (const kv of body.split(/[&;]/)) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    const k = perlUnescape(eq < 0 ? kv : kv.slice(0, eq));
    if (eq < 0) {
      into[k] = into[k] ?? null;
      continue;
    }
    const v = perlUnescape(kv.slice(eq + 1));
    const old = into[k];
    if (old === undefined || old === null) into[k] = v;
    else into[k] = Array.isArray(old) ? [...old, v] : [old, v];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_POST) throw new PveError(501, 'for data too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class ApiServer {
  private server?: Server;
  readonly cert = makeSelfSigned();

  constructor(
    private readonly fake: FakePve,
    private readonly router: Router,
    private readonly opts: ListenOptions,
  ) {}

  async listen(): Promise<string> {
    this.server = createServer({ key: this.cert.key, cert: this.cert.cert }, (req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) sendBare(res, 501, e instanceof Error ? e.message : String(e));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    return `https://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private unauthorized(res: ServerResponse, err: PveError): void {
    const delay = this.opts.unauthorizedDelayMs;
    const send = () => sendBare(res, 401, err.message);
    if (delay > 0) setTimeout(send, delay);
    else send();
  }

  private authenticate(req: IncomingMessage, method: string, rel: string): Principal | 'anonymous' {
    if ((rel === '/access/ticket' && (method === 'GET' || method === 'POST')) || (rel === '/access/domains' && method === 'GET')) {
      return 'anonymous';
    }
    const auth = this.fake.auth;
    const authHeader = header(req, 'authorization');
    const ticket = extractAuthValue(header(req, 'cookie'), 'PVEAuthCookie') ?? extractAuthValue(authHeader, 'PVEAuthCookie');
    if (ticket) {
      const p = auth.verifyTicket(ticket);
      if (method !== 'GET') auth.verifyCsrf(p.user, header(req, 'csrfpreventiontoken'));
      return p;
    }
    const token = extractAuthValue(authHeader, 'PVEAPIToken');
    if (token) return auth.verifyToken(token);
    throw new PveError(401, 'No ticket\n');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (!KNOWN.has(method)) return sendBare(res, 501, `method '${method}' not available`);
    const url = new URL(req.url ?? '/', 'https://pve');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const m = /^\/api2\/+([a-z][a-z0-9]+)(\/.*)?$/.exec(path);
    if (!m) return sendBare(res, 501, path.startsWith('/api2') ? 'no such uri' : `no such file '${path}'`);
    if (m[1] !== 'json') return sendBare(res, 501, `no formatter for uri ${m[2] ?? '/'}, ${m[1]}`);
    const rel = (m[2] ?? '/').replace(/\/+$/, '') || '/';

    let principal: Principal | 'anonymous';
    try {
      principal = this.authenticate(req, method, rel);
    } catch (e) {
      if (e instanceof PveError) return this.unauthorized(res, e);
      throw e;
    }

    const params: Params = {};
    const len = Number(header(req, 'content-length') ?? 0);
    if (len || header(req, 'transfer-encoding')) {
      if (header(req, 'transfer-encoding')) return sendBare(res, 501, 'chunked transfer encoding not supported');
      if (method !== 'PUT' && method !== 'POST') return sendBare(res, 501, `Unexpected content for method '${method}'`);
      const ct = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      let body: string;
      try {
        body = await readBody(req);
      } catch (e) {
        return sendBare(res, 501, (e as Error).message);
      }
      if (ct === 'application/json') {
        // decode_json dies inside handle_api2_request's eval: 501 with the parser's message.
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch (e) {
          return sendBare(res, 501, `malformed JSON string: ${(e as Error).message}`);
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return sendBare(res, 501, 'Not a HASH reference');
        Object.assign(params, parsed as Params);
      } else if (!ct || ct === 'application/x-www-form-urlencoded') {
        decodeForm(body, params);
      } else {
        return sendBare(res, 506, `upload 'Content-Type '${ct}' not implemented`);
      }
    }
    decodeForm(url.search.replace(/^\?/, ''), params);
    delete params._dc;

    try {
      sendData(res, await this.dispatch(method as Method, rel, params, principal));
    } catch (e) {
      const err = e instanceof PveError ? e : new PveError(500, `${e instanceof Error ? e.message : String(e)}\n`);
      if (err.status === 595 || err.status === 596) return sendBare(res, err.status, err.message);
      if (err.status === 401) {
        const delay = this.opts.unauthorizedDelayMs;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      }
      sendError(res, err);
    }
  }

  private async dispatch(method: Method, rel: string, params: Params, principal: Principal | 'anonymous'): Promise<unknown> {
    const found = this.router.find(method, rel);
    if (!found) throw new PveError(501, `Method '${method} ${rel}' not implemented`);
    const { route, uri } = found;
    const conflicts: Record<string, string> = {};
    for (const [k, v] of Object.entries(uri)) {
      if (params[k] !== undefined && String(params[k]) !== v) conflicts[k] = 'duplicate parameter (already defined in URI) with conflicting values!';
      params[k] = v;
    }
    if (Object.keys(conflicts).length) throw new PveError(400, 'Parameter verification failed.\n', conflicts);
    this.fake.counters.record(method, route.path);
    const anon: Principal = { id: '', user: '', isToken: false };
    const ctx = { fake: this.fake, params, principal: principal === 'anonymous' ? anon : principal, auth: this.fake.auth };
    if (typeof uri.node === 'string') {
      const node = this.fake.nodes.get(uri.node);
      route.perm?.(ctx);
      if (!node) this.fake.node(uri.node);
      else if (node.down) throw new PveError(node.downStatus ?? 595, node.down);
    } else {
      route.perm?.(ctx);
    }
    // Without quorum pmxcfs (/etc/pve) is read-only: PVE refuses writes (PVE::Cluster::check_cfs_quorum).
    if (method !== 'GET' && rel !== '/access/ticket' && !this.fake.quorate()) throw new PveError(500, 'cluster not ready - no quorum?\n');
    ctx.params = validate(params, route.props);
    // qemu-server: raise_param_exc({ skiplock => "Only root may use this option." }) for anyone
    // but root@pam itself (its API tokens included).
    if (ctx.params.skiplock === 1 && ctx.principal.id !== 'root@pam') paramError({ skiplock: 'Only root may use this option.' });
    return await route.handler(ctx);
  }
}
