// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The real @aws-sdk/client-ec2 wired straight into the EC2 codec and handlers, in process: the
 * SDK serializes the request and parses the response exactly as over HTTP, but without server or
 * SigV4, and on the fixture's controllable clock. Conformance suites (conformance/ec2) do the same
 * through the real server.
 */
import { Readable } from 'node:stream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EC2_MODEL } from '../../apis/ec2/index.js';
import type { WireRequest, WireResponse } from '../../src/context.js';
import { isAwsError } from '../../src/errors.js';
import { selectCodec } from '../../src/protocols/index.js';
import { loadModel } from '../../src/protocols/model.js';
import type { Ec2Fixture } from './helpers.js';

interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  hostname: string;
}

let seq = 0;

export function wireClient(f: Ec2Fixture, as = f.principal): EC2Client {
  const model = loadModel(EC2_MODEL);
  const handler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: SdkRequest) {
      const buf = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body as string | Uint8Array);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
      const req: WireRequest = {
        method: request.method,
        rawUrl: request.path,
        path: request.path,
        query: '',
        headers,
        rawHeaders: Object.entries(headers).flat(),
        host: request.hostname,
        remoteAddress: '127.0.0.1',
        body: Readable.from([buf]),
        bodyBuffer: buf,
      };
      const codec = selectCodec(model, req, { s3BaseDomains: [] });
      const rc = { requestId: `wire-${++seq}`, service: 'ec2', region: f.gw.config.region, request: req };
      let res: WireResponse;
      try {
        const { operation, input } = await codec.parse(req, model);
        const h = f.def.operations[operation];
        if (!h) throw new Error(`operation ${operation} is not registered`);
        const out = await h(f.gw.context(as, 'ec2', operation), input);
        res = codec.serialize(model, operation, out, { ...rc, operation });
      } catch (e) {
        if (!isAwsError(e)) throw e;
        res = codec.serializeError(model, e, rc);
      }
      const body = res.body === undefined ? Buffer.alloc(0) : typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      return { response: { statusCode: res.status, reason: '', headers: flat, body: Buffer.isBuffer(body) ? Readable.from([body]) : body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return new EC2Client({
    region: f.gw.config.region,
    endpoint: 'http://ec2.localhost',
    credentials: { accessKeyId: 'AKIAWIRETEST00000000', secretAccessKey: 'wire-test-secret' },
    requestHandler: handler as never,
    maxAttempts: 1,
  });
}
