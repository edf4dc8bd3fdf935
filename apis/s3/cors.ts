// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bucket CORS: configuration validation, preflight (`OPTIONS`, routed by the codec to the
 * pseudo-operation `PreflightRequest`) answered from the rules, and the CORS headers added to
 * actual requests that carry an `Origin`.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { malformedXml } from '../../src/protocols/restxml-input.js';
import { getBucket, header, noSuchBucket } from './common.js';
import { globMatch } from './policy.js';
import type { CORSRule } from './shapes.gen.js';

const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

export function validateCors(rules: CORSRule[] | undefined): CORSRule[] {
  if (!rules || rules.length === 0) throw malformedXml();
  if (rules.length > 100) throw new AwsError('InvalidRequest', 'The number of CORS rules should not exceed allowed limit of 100 rules.', { status: 400 });
  for (const r of rules) {
    if (!r.AllowedMethods?.length || !r.AllowedOrigins?.length) throw malformedXml();
    for (const m of r.AllowedMethods) {
      if (!METHODS.has(m)) throw new AwsError('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`, { status: 400 });
    }
    for (const o of r.AllowedOrigins) {
      if ((o.match(/\*/g) ?? []).length > 1) throw new AwsError('InvalidRequest', `AllowedOrigin "${o}" can not have more than one wildcard.`, { status: 400 });
    }
    if (r.ID !== undefined && r.ID.length > 255) throw new AwsError('InvalidArgument', 'ID length should not exceed allowed limit of 255', { status: 400 });
  }
  return rules;
}

/** The first rule matching origin, method and (for preflight) the requested headers. */
export function matchRule(rules: CORSRule[], origin: string, method: string, requestHeaders: string[]): CORSRule | undefined {
  return rules.find(
    (r) =>
      r.AllowedOrigins.some((o) => globMatch(o, origin)) &&
      r.AllowedMethods.includes(method) &&
      requestHeaders.every((h) => (r.AllowedHeaders ?? []).some((a) => globMatch(a, h, true))),
  );
}

/** The response headers a matching rule grants. */
export function corsHeaders(rule: CORSRule, origin: string, requestHeaders: string[]): Record<string, string> {
  const any = rule.AllowedOrigins.includes('*');
  const h: Record<string, string> = {
    'Access-Control-Allow-Origin': any ? '*' : origin,
    'Access-Control-Allow-Methods': rule.AllowedMethods.join(', '),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!any) h['Access-Control-Allow-Credentials'] = 'true';
  if (requestHeaders.length) h['Access-Control-Allow-Headers'] = requestHeaders.join(', ');
  if (rule.ExposeHeaders?.length) h['Access-Control-Expose-Headers'] = rule.ExposeHeaders.join(', ');
  if (rule.MaxAgeSeconds !== undefined) h['Access-Control-Max-Age'] = String(rule.MaxAgeSeconds);
  return h;
}

function forbidden(method: string, configured: boolean): AwsError {
  return new AwsError(
    'AccessForbidden',
    configured
      ? 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.'
      : 'CORSResponse: CORS is not enabled for this bucket.',
    { status: 403, fields: { Method: method, ResourceType: configured ? 'OBJECT' : 'BUCKET' } },
  );
}

/** OPTIONS preflight: anyone may ask; the bucket's rules answer. */
export const PreflightRequest: Handler<{ Bucket?: string; Key?: string }> = async (ctx, input) => {
  const origin = header(ctx, 'origin');
  const method = header(ctx, 'access-control-request-method');
  if (!input.Bucket) throw new AwsError('BadRequest', 'Insufficient information. Origin request header needed.', { status: 400 });
  if (origin === undefined) throw new AwsError('BadRequest', 'Insufficient information. Origin request header needed.', { status: 400 });
  if (method === undefined) throw new AwsError('BadRequest', 'Invalid Access-Control-Request-Method: null', { status: 400 });
  const b = await getBucket(ctx, input.Bucket);
  if (!b) throw noSuchBucket(input.Bucket);
  const requested = (header(ctx, 'access-control-request-headers') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const rule = b.cors ? matchRule(b.cors, origin, method, requested) : undefined;
  if (!rule) throw forbidden(method, b.cors !== undefined);
  return { $status: 200, $headers: corsHeaders(rule, origin, requested) };
};

/** CORS headers for an actual request with an Origin header (added to successful responses). */
export async function actualRequestHeaders(ctx: RequestContext, bucket: string | undefined): Promise<Record<string, string> | undefined> {
  const origin = header(ctx, 'origin');
  if (origin === undefined || bucket === undefined) return undefined;
  const b = await getBucket(ctx, bucket);
  if (!b?.cors) return undefined;
  const method = ctx.http.method.toUpperCase();
  const rule = matchRule(b.cors, origin, method, []);
  if (!rule) return undefined;
  const h = corsHeaders(rule, origin, []);
  delete h['Access-Control-Allow-Headers'];
  return h;
}
