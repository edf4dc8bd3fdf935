// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The one listener: AWS requests go straight from Node's server to the Pipeline (bypassesFastify);
 * fastify, with every content-type parser removed so bodies stay raw streams, serves the gateway's
 * own /_mcgw endpoints, requests its router must see, and the 503s while closing. Responses are
 * written to the raw socket so status, headers and HEAD bodies are exactly what the codec produced.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import type { LocalEndpoint, WireRequest, WireResponse } from '../context.js';
import type { GatewayHandle } from '../gateway.js';
import type { Metrics } from '../observability/metrics.js';
import { TurnQueue } from '../util/turn.js';
import { healthReport } from './health.js';
import { Pipeline } from './pipeline.js';

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'] as const;
const SERVED = new Set<string>(METHODS);

/**
 * Requests fastify's router would only hand to the catch-all route: a served method and a path
 * that cannot match /_mcgw/:what even after percent-decoding (its second character is neither
 * '_' nor '%'). These go straight to the pipeline, skipping fastify's routing, Request/Reply
 * objects and content-type parsing (about a third of the per-request CPU); everything else, and
 * every request once the server is closing (fastify's 503), goes through fastify as before.
 */
function bypassesFastify(raw: IncomingMessage): boolean {
  const url = raw.url;
  if (url === undefined || url.charCodeAt(0) !== 47 /* / */) return false;
  const c = url.charCodeAt(1);
  return c !== 95 /* _ */ && c !== 37 /* % */ && SERVED.has(raw.method ?? '');
}

/**
 * Request ids: 16 upper-case hex characters, like S3's. A random per-process prefix plus a
 * counter: unique across restarts and gateways, without drawing random bytes per request.
 */
const ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let idCounter = 0;
export function newRequestId(): string {
  idCounter = (idCounter + 1) >>> 0;
  return ID_PREFIX + idCounter.toString(16).toUpperCase().padStart(8, '0');
}

export function buildHttpServer(gw: GatewayHandle): FastifyInstance {
  const limits = gw.config.limits;
  let closing = false;
  const app = Fastify({
    // the server fastify would create (same options and timeouts), with the catch-all fast path
    // in front of fastify's own request handler
    serverFactory: (handler, options) => {
      const opts = options as { http?: ServerOptions; keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
      // headersTimeout is enforced by a periodic sweep (Node's default: every 30 s): sweep often
      // enough that a slow client is cut off close to the configured time
      const sweep = Math.min(30_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4)));
      const server = createServer({ ...opts.http, connectionsCheckingInterval: sweep }, (raw, res) => {
        if (!closing && bypassesFastify(raw)) void serve(raw, res);
        else handler(raw, res);
      });
      if (limits.maxConnections > 0) limitConnections(server, limits.maxConnections);
      server.keepAliveTimeout = opts.keepAliveTimeout;
      server.requestTimeout = opts.requestTimeout;
      server.setTimeout(opts.connectionTimeout);
      if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
      return server;
    },
    logger: false,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: 0,
    requestTimeout: 0,
    routerOptions: { maxParamLength: 8192 },
    // Node's own parser refuses header sections beyond this with 431; below it the gateway answers
    // with the service's own error (checkHeaders), so keep it well above limits.maxHeaderBytes.
    http: { maxHeaderSize: Math.max(limits.maxHeaderBytes * 8, 128 * 1024) },
    frameworkErrors: (error, request, reply) => {
      // e.g. a URL find-my-way cannot decode: answer through the pipeline like any other request
      void serve(request.raw, reply.raw);
    },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      // headers not complete within limits.headersTimeoutMs (slowloris): S3's answer to a socket
      // that stopped sending
      const slow = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = tooLarge ? 431 : 400;
      const [code, message] = tooLarge
        ? ['RequestHeaderSectionTooLarge', 'Your request header section exceeds the maximum allowed size.']
        : slow
          ? ['RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.']
          : ['BadRequest', 'The request could not be parsed.'];
      socket.end(rawError(status, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request', code, message));
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  const pipe = new Pipeline(gw);

  // the services' non-AWS endpoints (EC2 guest metadata), listed once the services exist
  let locals: LocalEndpoint[] | undefined;

  async function serve(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    locals ??= [...gw.services.values()].flatMap((d) => d.localEndpoints ?? []);
    const local = localFor(locals, raw);
    if (local && (await local.handle(raw, res))) return;
    const started = performance.now();
    const requestId = newRequestId();
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    // most requests never look at their abort signal: create it on first use
    let abort: AbortController | undefined;
    const signal = (): AbortSignal => {
      if (!abort) {
        const ac = (abort = new AbortController());
        if (res.closed) {
          if (!res.writableFinished) ac.abort();
        } else {
          res.once('close', () => {
            if (!res.writableFinished) ac.abort();
          });
        }
      }
      return abort.signal;
    };
    const req: WireRequest = {
      method: raw.method ?? 'GET',
      rawUrl: url,
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: raw.headers,
      rawHeaders: raw.rawHeaders,
      host: raw.headers.host ?? '',
      remoteAddress: raw.socket.remoteAddress ?? '',
      body: raw,
      // declared up front, so every request object keeps one shape as the layers fill them in
      bodyBuffer: undefined,
      decodedContentLength: undefined,
      trailers: undefined,
    };
    const { response, service, operation } = await pipe.handle(req, requestId, signal);
    write(res, response, requestId, raw, { metrics: gw.metrics, service, operation, status: response.status, started });
  }

  app.route({
    method: [...METHODS],
    url: '/_mcgw/:what',
    handler: async (request, reply) => {
      const what = (request.params as { what: string }).what;
      if (what === 'health') return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(await healthReport(gw)));
      if (what === 'metrics') return reply.code(200).header('content-type', 'text/plain; version=0.0.4').send(gw.metrics.render());
      return reply.code(404).header('content-type', 'application/json').send(JSON.stringify({ error: 'not found', endpoints: ['/_mcgw/health', '/_mcgw/metrics'] }));
    },
  });
  app.route({
    method: [...METHODS],
    url: '*',
    handler: async (request, reply) => {
      reply.hijack();
      await serve(request.raw, reply.raw);
    },
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onReady', async () => {
    app.server.headersTimeout = limits.headersTimeoutMs;
  });
  return app;
}

/** The local endpoint an unsigned request's path falls under, if any (the answer may still decline). */
function localFor(locals: LocalEndpoint[], raw: IncomingMessage): LocalEndpoint | undefined {
  if (locals.length === 0) return undefined;
  const url = raw.url ?? '/';
  const ep = locals.find((l) => url.startsWith(l.prefix));
  if (!ep || raw.headers.authorization !== undefined || /[?&]x-amz-(signature|credential)=/i.test(url)) return undefined;
  return ep;
}

/** A whole HTTP response with an S3-style XML error, for answers written straight to a socket. */
function rawError(status: number, reason: string, code: string, message: string): string {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${newRequestId()}</RequestId></Error>`;
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * limits.maxConnections: a connection beyond the limit is answered 503 SlowDown (what S3 sends
 * when it sheds load; SDKs back off and retry) and closed, rather than dropped without a word as
 * Node's own server.maxConnections does.
 */
function limitConnections(server: Server, max: number): void {
  let open = 0;
  server.prependListener('connection', (socket: Socket) => {
    if (open >= max) {
      socket.pause();
      socket.end(rawError(503, 'Service Unavailable', 'SlowDown', 'Please reduce your request rate.'), () => socket.destroy());
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}

/** What the request-latency metric records once a response is handed to the socket. */
interface Served {
  metrics: Metrics;
  service: string;
  operation: string;
  status: number;
  started: number;
}

function observe(s: Served): void {
  s.metrics.observeRequest(s.service, s.operation, s.status, (performance.now() - s.started) / 1e3);
}

function write(res: ServerResponse, r: WireResponse, requestId: string, raw: IncomingMessage, served: Served): void {
  if (res.headersSent || res.destroyed) {
    // the client is gone: a streamed answer nobody will read must still end its source (an
    // upstream response left paused would hold its pool connection for good)
    if (r.body instanceof Readable) r.body.destroy();
    return;
  }
  // one header object for writeHead (far cheaper than a setHeader per header); names are
  // matched case-insensitively like setHeader/hasHeader did, the codec's spelling kept
  const headers: OutgoingHttpHeaders = {};
  let hasId = false;
  let hasLength = false;
  const spelling: Record<string, string> = {};
  for (const k in r.headers) {
    const lk = k.toLowerCase();
    if (lk === 'x-amzn-requestid' || lk === 'x-amz-request-id') hasId = true;
    else if (lk === 'content-length') hasLength = true;
    // a later spelling of the same name replaces the earlier one, as setHeader did
    const prev = spelling[lk];
    if (prev !== undefined && prev !== k) delete headers[prev];
    spelling[lk] = k;
    headers[k] = r.headers[k];
  }
  if (!hasId) headers['x-amzn-RequestId'] = requestId;
  // a request whose body was not read (error before the handler consumed it) ends the connection
  // rather than having Node read and discard an upload of unknown size
  if (!raw.readableEnded && r.status >= 300) {
    if (spelling['connection'] !== undefined) delete headers[spelling['connection']];
    headers['connection'] = 'close';
  }
  const body = r.body;
  if (body === undefined || raw.method === 'HEAD') {
    if (body instanceof Readable) body.destroy();
    res.once('finish', () => observe(served));
    res.writeHead(r.status, headers);
    res.end();
  } else if (body instanceof Readable) {
    res.once('finish', () => observe(served));
    res.writeHead(r.status, headers);
    pipeTo(body, res);
  } else {
    if (!hasLength) headers['content-length'] = Buffer.byteLength(body);
    held.push({ res, status: r.status, headers, body, served });
  }
}

/**
 * A streamed body into its response, the two ends tied as stream.pipeline ties them (a body that
 * fails or closes before its end destroys the response; a response closed early destroys the
 * body, so a file is closed and an upstream exchange ended), without the AbortController and
 * DOMException pipeline makes per call (~3 % of a proxied 1 MiB GET's CPU).
 */
export function pipeTo(body: Readable, res: ServerResponse): void {
  body.on('error', (err) => {
    if (!res.destroyed) res.destroy(err);
  });
  body.once('close', () => {
    if (!body.readableEnded && !res.destroyed) res.destroy();
  });
  const stop = (): void => {
    if (!body.destroyed) body.destroy();
  };
  res.once('close', stop);
  // an error of the response (a write after its end, say) ends the body too; pipeline caught
  // these, and Readable.pipe re-throws a destination's error nobody listens to
  res.on('error', stop);
  body.pipe(res);
}

/**
 * Small responses are held until the event loop has handled every request of the current I/O
 * turn, then sent one after another. Under concurrent load, writes interleaved with request
 * handling each woke the client's idle thread (a cross-CPU wake-up inside the socket send) and
 * evicted the caches the next request needed: measured with 16 connections, holding them cut
 * the CPU per signed request almost by half. A lone request waits only for the loop to reach
 * its check phase (setImmediate). (socket.cork cannot do this: ServerResponse.end uncorks.)
 */
interface Held {
  res: ServerResponse;
  status: number;
  headers: OutgoingHttpHeaders;
  body: string | Uint8Array;
  served: Served;
}

const held = new TurnQueue<Held>(
  (h) => {
    if (h.res.headersSent || h.res.destroyed) return;
    h.res.writeHead(h.status, h.headers);
    h.res.end(h.body);
    observe(h.served);
  },
  // one bad response (say, a header Node refuses) must not strand the others of the turn
  (h, err) => h.res.destroy(err as Error),
);
