// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Response writing as pve-http-server does it (src/PVE/APIServer/AnyEvent.pm `response`,
 * src/PVE/APIServer/Formatter/Standard.pm, json formatter):
 * - JSON results: `Content-Type: application/json;charset=UTF-8`, body `{"data":…}` (plus `total`
 *   or `changes` when set; on errors `message` and, for parameter errors, `errors`);
 * - status line reason = first line of the message (or the standard phrase);
 * - headers Server: pve-api-daemon/3.0, Date, Expires (= Date), Cache-Control: max-age=0,
 *   Pragma: no-cache; Connection: close on every status >= 400;
 * - responses without content (401 from the auth handler, 501 for unknown methods, 595/596 from
 *   the node proxy) carry no body and no Content-Type.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { PveError } from './errors.js';

export const JSON_CT = 'application/json;charset=UTF-8';

function reasonOf(status: number, message: string | undefined): string {
  const first = (message ?? '').split('\n')[0] ?? '';
  // Reason phrases must be latin-1 without control characters.
  const clean = first.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
  return clean || STATUS_CODES[status] || 'Unknown';
}

function baseHeaders(status: number): Record<string, string> {
  const date = new Date().toUTCString();
  const h: Record<string, string> = {
    Server: 'pve-api-daemon/3.0',
    Date: date,
    Expires: date,
    'Cache-Control': 'max-age=0',
    Pragma: 'no-cache',
  };
  if (status >= 400) h.Connection = 'close';
  return h;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  message?: string,
): void {
  const raw = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, reasonOf(status, message), {
    ...baseHeaders(status),
    'Content-Type': JSON_CT,
    'Content-Length': String(raw.length),
  });
  res.end(raw);
}

/** A result with the `total` attribute (PVE's set_result_attrib('total', …)), e.g. task logs. */
export class WithTotal {
  constructor(
    readonly data: unknown,
    readonly total: number,
  ) {}
}

export function sendData(res: ServerResponse, result: unknown): void {
  const data = result instanceof WithTotal ? result.data : result;
  const body: Record<string, unknown> = { data: data === undefined ? null : data };
  if (result instanceof WithTotal && result.total) body.total = result.total;
  sendJson(res, 200, body);
}

export function sendError(res: ServerResponse, err: PveError): void {
  const body: Record<string, unknown> = { data: null };
  if (err.errors && Object.keys(err.errors).length) body.errors = err.errors;
  body.message = err.message || STATUS_CODES[err.status] || '';
  sendJson(res, err.status, body, err.message);
}

/** A bare status line without body, as HTTP::Response->new(code, msg) sends it. */
export function sendBare(res: ServerResponse, status: number, message: string): void {
  // PVE sends no Content-Length and closes; Node would switch to chunked, so say 0 explicitly.
  res.writeHead(status, reasonOf(status, message), { ...baseHeaders(status), 'Content-Length': '0' });
  res.end();
}
