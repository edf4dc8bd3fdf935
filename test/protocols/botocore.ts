// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * botocore (what aws-cli and boto3 run) as a second real client for codec tests: one python
 * process per batch serializes requests with botocore's own serializers and parses responses
 * with its own parsers. Uses the first python3 on PATH that has botocore (pyenv's here), else
 * /usr/bin/python3; tests skip, saying so, when none has it.
 */
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import type { WireRequest, WireResponse } from '../../src/context.js';

const SCRIPT = String.raw`
import base64, datetime, json, sys
import botocore.session, botocore.serialize, botocore.parsers
from botocore.awsrequest import prepare_request_dict, create_request_object, HeadersDict

session = botocore.session.get_session()

def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, datetime.datetime):
        return {'$date': v.timestamp()}
    if isinstance(v, (bytes, bytearray)):
        return {'$bytes': base64.b64encode(bytes(v)).decode()}
    return v

def revive(v):
    if isinstance(v, dict):
        if '$date' in v:
            return datetime.datetime.fromtimestamp(v['$date'], datetime.timezone.utc)
        if '$bytes' in v:
            return base64.b64decode(v['$bytes'])
        return {k: revive(x) for k, x in v.items()}
    if isinstance(v, list):
        return [revive(x) for x in v]
    return v

jobs = json.load(sys.stdin)
out = []
for job in jobs:
    model = session.get_service_model(job['service'])
    op = model.operation_model(job['operation'])
    protocol = job.get('protocol') or model.resolved_protocol
    try:
        if job['kind'] == 'serialize':
            ser = botocore.serialize.create_serializer(protocol, include_validation=job.get('validate', True))
            rd = ser.serialize_to_request(revive(job['params']), op)
            prepare_request_dict(rd, endpoint_url='http://localhost:4566')
            req = create_request_object(rd).prepare()
            body = req.body or b''
            if isinstance(body, str):
                body = body.encode()
            out.append({'method': req.method, 'url': req.url, 'headers': dict(req.headers), 'body': base64.b64encode(body).decode()})
        else:
            parser = botocore.parsers.create_parser(protocol)
            resp = {'status_code': job['status'], 'headers': HeadersDict(job['headers']), 'body': base64.b64decode(job['body'])}
            out.append({'parsed': jsonable(parser.parse(resp, op.output_shape))})
    except Exception as e:
        out.append({'exception': type(e).__name__ + ': ' + str(e)})
print(json.dumps(out))
`;

let python: string | null | undefined;

/** The python3 with botocore, or null. */
export function botocorePython(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', 'import botocore'], { encoding: 'utf8' });
    if (r.status === 0) {
      python = exe;
      break;
    }
  }
  return python;
}

export type BotoJob =
  | { kind: 'serialize'; service: string; operation: string; protocol?: string; params: unknown; validate?: boolean }
  | { kind: 'parse'; service: string; operation: string; protocol?: string; status: number; headers: Record<string, string>; body: string };

function encodeValues(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.getTime() / 1000 };
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (Array.isArray(v)) return v.map(encodeValues);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValues(x)]));
  return v;
}

/** Runs jobs through botocore; values come back with dates as {$date: epochSeconds}. */
export function botocore(jobs: BotoJob[]): Array<Record<string, unknown>> {
  const exe = botocorePython();
  if (!exe) throw new Error('no python3 with botocore');
  const r = spawnSync(exe, ['-c', SCRIPT], { input: JSON.stringify(encodeValues(jobs)), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`botocore helper failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

/** A parse job for a codec response. */
export function parseJob(service: string, operation: string, res: WireResponse, protocol?: string): BotoJob {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const body = res.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(res.body) ? res.body : Buffer.from(String(res.body));
  return { kind: 'parse', service, operation, protocol, status: res.status, headers, body: body.toString('base64') };
}

/** The WireRequest of a serialize job's result. */
export function botoRequest(r: Record<string, unknown>): WireRequest {
  const url = new URL(String(r.url));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers as Record<string, string>)) headers[k.toLowerCase()] = v;
  const body = Buffer.from(String(r.body), 'base64');
  return {
    method: String(r.method),
    rawUrl: url.pathname + url.search,
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    headers,
    rawHeaders: Object.entries(headers).flat(),
    host: url.host,
    remoteAddress: '127.0.0.1',
    body: Readable.from([body]),
    bodyBuffer: body,
  };
}

/** botocore's data directory (its service models), or null. */
export function botocoreDataDir(): string | null {
  const exe = botocorePython();
  if (!exe) return null;
  const r = spawnSync(exe, ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
