// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Entry points of the protocol layer for src/server: which codec serves a request
 * (selectCodec), which service an unauthenticated or unsigned request is probably for
 * (guessService), and the X-Amz-Target routing of DynamoDB Streams (serviceForTarget).
 */
import type { WireRequest } from '../context.js';
import { AwsError } from '../errors.js';
import { cborCodec, cborPath } from './cbor.js';
import { header } from './common.js';
import { jsonCodec, targetPrefix } from './json.js';
import type { ServiceModel } from './model.js';
import { ec2Codec, queryCodec } from './query.js';
import { hasNoEscapes } from './query-input.js';
import { createRestXmlCodec } from './restxml.js';
import type { Codec, CodecOptions } from './types.js';

export { targetPrefix } from './json.js';
export { cborPath } from './cbor.js';

/**
 * Target prefixes and query API versions → signing names. Facts of the models' metadata
 * (targetPrefix, apiVersion, patched); test/protocols/index.test.ts checks them against the models.
 */
export const TARGET_SERVICES: Record<string, string> = {
  DynamoDB_20120810: 'dynamodb',
  DynamoDBStreams_20120810: 'streams.dynamodb',
  Logs_20140328: 'logs',
  GraniteServiceVersion20100801: 'monitoring',
};
export const QUERY_VERSIONS: Record<string, string> = {
  '2011-06-15': 'sts',
  '2010-05-08': 'iam',
  '2016-11-15': 'ec2',
  '2010-08-01': 'monitoring',
};

/**
 * The service a request is for, from its X-Amz-Target (DynamoDB Streams shares the signing name
 * 'dynamodb' with DynamoDB and differs only by target prefix).
 */
export function serviceForTarget(signingName: string, req: WireRequest): string {
  if (signingName !== 'dynamodb') return signingName;
  const t = targetPrefix(req);
  return t && TARGET_SERVICES[t.prefix] === 'streams.dynamodb' ? 'streams.dynamodb' : signingName;
}

/**
 * Best guess of the service before authentication (to shape errors such as a missing
 * signature): X-Amz-Target prefix, rpc-v2-cbor path, query Action+Version (query string, or form
 * body when already read), else 's3'.
 */
export function guessService(req: WireRequest): string {
  const t = targetPrefix(req);
  if (t && TARGET_SERVICES[t.prefix]) return TARGET_SERVICES[t.prefix]!;
  const c = cborPath(req.path);
  if (c && TARGET_SERVICES[c.service]) return TARGET_SERVICES[c.service]!;
  if (req.path === '/' || req.path === '') {
    let form = req.query;
    if (!formValue(form, 'Action')) {
      const ct = header(req, 'content-type') ?? '';
      form = req.bodyBuffer && ct.startsWith('application/x-www-form-urlencoded') ? req.bodyBuffer.toString('utf8') : '';
    }
    const version = formValue(form, 'Version');
    if (formValue(form, 'Action') && version && QUERY_VERSIONS[version]) return QUERY_VERSIONS[version]!;
  }
  return 's3';
}

/**
 * The first value of `name` in a form/query string, as URLSearchParams reads it (null when
 * absent). Strings without escapes are scanned in place: the usual Action=…&Version=…
 */
function formValue(form: string, name: string): string | null {
  if (form === '') return null;
  if (!hasNoEscapes(form)) return new URLSearchParams(form).get(name);
  let i = 0;
  for (;;) {
    const amp = form.indexOf('&', i);
    const end = amp < 0 ? form.length : amp;
    if (form.startsWith(name, i)) {
      const after = i + name.length;
      if (after === end) return '';
      if (form.charCodeAt(after) === 61 /* = */) return form.slice(after + 1, end);
    }
    if (amp < 0) return null;
    i = amp + 1;
  }
}

const restXmlCodecs = new WeakMap<CodecOptions, Codec>();

/**
 * The codec for this request among the protocols the service speaks. Services with several
 * (CloudWatch: rpc-v2-cbor, json, query) are told apart by the request: a
 * /service/…/operation/… path or `smithy-protocol` header → CBOR, an X-Amz-Target header or
 * x-amz-json content type → JSON, anything else → query.
 */
export function selectCodec(model: ServiceModel, req: WireRequest, opts: CodecOptions): Codec {
  const protocols = model.metadata.protocols ?? [model.metadata.protocol];
  const has = (p: string) => protocols.includes(p);
  if (has('rest-xml')) {
    let c = restXmlCodecs.get(opts);
    if (!c) restXmlCodecs.set(opts, (c = createRestXmlCodec(opts)));
    return c;
  }
  if (has('smithy-rpc-v2-cbor') && (header(req, 'smithy-protocol') === 'rpc-v2-cbor' || cborPath(req.path))) return cborCodec;
  const ct = (header(req, 'content-type') ?? '').toLowerCase();
  if (has('json') && (header(req, 'x-amz-target') !== undefined || ct.startsWith('application/x-amz-json'))) return jsonCodec;
  if (has('query')) return queryCodec;
  if (has('ec2')) return ec2Codec;
  if (has('json')) return jsonCodec;
  if (has('smithy-rpc-v2-cbor')) return cborCodec;
  throw new AwsError('InternalFailure', `No codec for the protocols ${protocols.join(', ')} of ${model.metadata.serviceId}.`, { status: 500 });
}
