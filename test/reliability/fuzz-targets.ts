// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * What the fuzzer feeds: every wire codec (json 1.0/1.1, rpc-v2-cbor, awsQuery, ec2 query,
 * rest-xml) through its parse, and every expression language a client can send (DynamoDB
 * condition/projection/update expressions and PartiQL, Logs filter patterns and Insights queries,
 * CloudWatch metric math, SEARCH, Metrics Insights and composite alarm rules). Inputs are
 * fast-check arbitraries mixing the language's own tokens with arbitrary text, so most inputs get
 * past the lexer. The only acceptable failures are AwsError and the parsers' own syntax errors
 * (which the handlers turn into AwsErrors).
 */
import fc from 'fast-check';
import { encode } from 'cbor-x';
import { Readable } from 'node:stream';
import type { WireRequest } from '../../src/context.js';
import { isAwsError } from '../../src/errors.js';
import { cborCodec } from '../../src/protocols/cbor.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel, type ServiceModel } from '../../src/protocols/model.js';
import { ec2Codec, queryCodec } from '../../src/protocols/query.js';
import { createRestXmlCodec } from '../../src/protocols/restxml.js';
import type { Codec } from '../../src/protocols/types.js';
import { parseCondition, parseProjection, parseUpdate } from '../../apis/dynamodb/expr/parser.js';
import { parseStatement } from '../../apis/dynamodb/partiql-parse.js';
import { compileFilterPattern, compileExtractor, FilterPatternError } from '../../apis/logs/filter-pattern.js';
import { parseQuery, QuerySyntaxError } from '../../apis/logs/insights-parse.js';
import { parseExpression, MathSyntaxError } from '../../apis/cloudwatch/math-parse.js';
import { parseSearch } from '../../apis/cloudwatch/search.js';
import { parseInsights } from '../../apis/cloudwatch/metrics-insights.js';
import { parseRule, RuleSyntaxError } from '../../apis/cloudwatch/composite.js';
import { regexArb, sameAsV8, subjectArb } from './regex-diff.js';

export interface Target {
  name: string;
  arb: fc.Arbitrary<unknown>;
  run(input: unknown): unknown;
  /** Inputs always tried first: what earlier runs found. */
  examples?: unknown[];
  /** Errors beyond acceptable() that this target's handler turns into an AwsError. */
  accepts?(e: unknown): boolean;
}

/** A parser's own refusal (turned into the service's AwsError by its handler). */
export function acceptable(e: unknown): boolean {
  return isAwsError(e) || e instanceof FilterPatternError || e instanceof MathSyntaxError || e instanceof RuleSyntaxError;
}

function wire(method: string, path: string, query: string, headers: Record<string, string>, body: Buffer): WireRequest {
  return {
    method,
    rawUrl: query ? `${path}?${query}` : path,
    path,
    query,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    host: headers.host ?? 'localhost:4566',
    remoteAddress: '127.0.0.1',
    body: Readable.from([body]),
    bodyBuffer: body,
  };
}

/** Text made of `tokens` and arbitrary pieces, joined by optional spaces. */
function language(tokens: string[]): fc.Arbitrary<string> {
  const piece = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.constantFrom('(', ')', '"', "'", '`', ',', '.', '[', ']', '{', '}', '\\', '\u0000', '\u{1F600}') });
  return fc.oneof({ weight: 1, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 6, arbitrary: fc.array(fc.tuple(piece, fc.constantFrom('', ' ')), { maxLength: 24 }).map((xs) => xs.map(([a, b]) => a + b).join('')) });
}

const jsonish = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom('{', '[', '{"a":', '{"TableName":"t","Key":{"k":{"S":', '{"Item":{"a":{"M":{"b":{"L":[{"N":"1e99999"}]}}}}}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}') },
);

function jsonTarget(name: string, stem: string, prefix: string): Target {
  const model = loadModel(stem);
  const ops = [...model.operations.keys()];
  const members = [...new Set([...model.operations.values()].flatMap((o) => Object.keys(o.input?.members ?? {})))];
  const doc = fc.dictionary(fc.constantFrom(...members), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }).map((d) => JSON.stringify(d));
  return {
    name,
    arb: fc.tuple(fc.constantFrom(...ops, 'NoSuchOp', ''), fc.oneof(doc, jsonish)),
    run: ([op, body]: [string, string]) => jsonCodec.parse(wire('POST', '/', '', { 'x-amz-target': `${prefix}.${op}`, 'content-type': 'application/x-amz-json-1.0' }, Buffer.from(body)), model),
  } as Target;
}

function queryTarget(name: string, stem: string, codec: Codec): Target {
  const model = loadModel(stem);
  const ops = [...model.operations.keys()];
  const keys = [...new Set([...model.operations.values()].flatMap((o) => Object.keys(o.input?.members ?? {})))];
  const key = fc.oneof(fc.constantFrom(...keys), fc.constantFrom(...keys).map((k) => `${k}.member.1`), fc.constantFrom(...keys).map((k) => `${k}.1.Name`), fc.string({ maxLength: 12 }));
  const value = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '1', '-1', '1e400', 'true', '2026-01-01T00:00:00Z', '99999999999999999999', '%zz', '\u0000'));
  return {
    name,
    arb: fc.tuple(fc.constantFrom(...ops), fc.array(fc.tuple(key, value), { maxLength: 12 })),
    run: ([op, pairs]: [string, [string, string][]]) => {
      const form = [`Action=${op}`, `Version=${model.metadata.apiVersion}`, ...pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)].join('&');
      return codec.parse(wire('POST', '/', '', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form)), model);
    },
  } as Target;
}

function cborTarget(): Target {
  const model = loadModel('monitoring-2010-08-01');
  const ops = [...model.operations.keys()];
  return {
    name: 'rpc-v2-cbor (CloudWatch)',
    arb: fc.tuple(fc.constantFrom(...ops), fc.oneof(fc.jsonValue({ maxDepth: 5 }).map((v) => Buffer.from(encode(v))), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)))),
    run: ([op, body]: [string, Buffer]) => cborCodec.parse(wire('POST', `/service/GraniteServiceVersion20100801/operation/${op}`, '', { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, body), model),
  } as Target;
}

function restXmlTarget(): Target {
  const model: ServiceModel = loadModel('s3-2006-03-01');
  const codec = createRestXmlCodec({ s3BaseDomains: ['localhost', 's3.localhost'] });
  const sub = ['uploads', 'versioning', 'tagging', 'acl', 'policy', 'cors', 'lifecycle', 'encryption', 'delete', 'versions', 'list-type=2', 'uploadId=x', 'partNumber=1', 'versionId=null', 'restore', 'attributes', 'object-lock', 'retention', 'legal-hold', 'location', 'max-keys=-1', 'prefix=%FF', 'x-id=GetObject'];
  const xml = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.tuple(fc.constantFrom('Tagging', 'VersioningConfiguration', 'Delete', 'CompleteMultipartUpload', 'CORSConfiguration', 'LifecycleConfiguration', 'CreateBucketConfiguration'), fc.string({ maxLength: 40 })).map(([root, inner]) => `<?xml version="1.0"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`),
    fc.constantFrom('<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>', '<Delete><Object><Key>k</Key></Object>'.repeat(2000), '<a>'.repeat(5000)),
  );
  return {
    name: 'rest-xml (S3)',
    arb: fc.record({
      method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS'),
      path: fc.oneof(fc.constantFrom('/', '/b', '/bucket/', '/bucket/key', '/bucket/a/b/c', '/bucket/%ZZ', '/bucket/..%2F..', '//'), fc.string({ maxLength: 20 }).map((s) => `/bucket/${encodeURIComponent(s)}`)),
      query: fc.array(fc.oneof(fc.constantFrom(...sub), fc.string({ maxLength: 10 })), { maxLength: 3 }).map((q) => q.join('&')),
      headers: fc.dictionary(fc.constantFrom('x-amz-copy-source', 'range', 'x-amz-tagging', 'content-md5', 'x-amz-meta-a', 'if-match', 'x-amz-object-lock-retain-until-date', 'x-amz-acl', 'content-length', 'x-amz-checksum-crc32'), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      body: xml,
    }),
    run: ({ method, path, query, headers, body }: { method: string; path: string; query: string; headers: Record<string, string>; body: string }) =>
      codec.parse(wire(method, path, query, { host: 'localhost:4566', ...headers }, Buffer.from(body)), model),
  } as Target;
}

const DDB_TOKENS = ['SET a = :v', 'SET #n = #n + :v', 'REMOVE a[1]', 'ADD a :v', 'DELETE s :w', '#n', '#a', ':v', ':w', 'a', 'b.c', 'a[0]', 'a[99999999999]', '=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'attribute_exists(', 'attribute_not_exists(', 'attribute_type(', 'begins_with(', 'contains(', 'size(', 'SET', 'REMOVE', 'ADD', 'DELETE', 'if_not_exists(', 'list_append(', '+', '-', ',', '(', ')'];
const PARTIQL_TOKENS = ['SELECT', '*', 'FROM', '"t"', '"t"."i"', 'WHERE', 'a', '=', '?', "'x'", '1', 'AND', 'OR', 'INSERT', 'INTO', 'VALUE', "{'a': 1}", 'UPDATE', 'SET', 'REMOVE', 'DELETE', 'EXISTS', 'MISSING', 'IS', 'NOT', 'BETWEEN', 'IN', '[', ']', '<<', '>>', 'begins_with(', 'contains(', 'size(', 'ORDER BY', 'DESC', 'RETURNING', 'ALL OLD *'];
const REGEX_TOKENS = ['a', 'b', 'a*', 'a+', 'a?', '.*', '.+', '\\d', '\\w+', '\\s*', '[a-z]', '[^b]', '{2,5}', '{1000}', '|', '^', '$', '\\', '(', ')', '!', '%', 'é', '\\1'];
const FILTER_TOKENS = ['ERROR', '"Exception"', '-debug', '?WARN', '{', '}', '$.a', '$.a.b[0]', '=', '!=', '<', '>=', '"x*"', '&&', '||', '[', ']', 'ip', 'user', '...', '*', 'IS NULL', 'NOT EXISTS', 'TRUE', '%[a-z]+%', '%a*a*a*a*b%', '%(a+)+$%', '"*a*a*a*b"'];
const INSIGHTS_TOKENS = ['fields', '@timestamp', '@message', '|', 'filter', 'stats', 'count(*)', 'avg(x)', 'by', 'bin(5m)', 'sort', 'desc', 'limit', '10', 'parse', '"* [*] *"', 'as', 'a,b,c', 'like', '/re+/', 'display', 'dedup', 'ispresent(', 'strlen(', '=', '!=', 'and', 'or', 'not', 'in', '["a"]'];
const MATH_TOKENS = ['m1', 'm2', 'e1', '+', '-', '*', '/', '^', 'SUM(', 'AVG(', 'METRICS()', 'METRICS("m")', 'FILL(', 'REPEAT', 'LINEAR', 'IF(', 'RATE(', 'DIFF(', 'ANOMALY_DETECTION_BAND(', 'SEARCH(', 'PERIOD(', 'MAX(', 'TIME_SERIES(', '1', '0', '1e308', 'AND', 'OR', '==', '!=', '<', '>', ',', '[', ']'];
const SEARCH_TOKENS = ['{AWS/EC2,InstanceId}', '{Ns}', 'MetricName="CPU"', 'Load', 'AND', 'OR', 'NOT', '"quoted"', 'Namespace=', "'Average'", '300', ',', '(', ')', '*', ':', '='];
const MI_TOKENS = ['SELECT', 'AVG(', 'MAX(', 'COUNT(', 'CPUUtilization', ')', 'FROM', 'SCHEMA(', '"AWS/EC2"', 'InstanceId', 'WHERE', '=', '!=', "'i-1'", 'GROUP BY', 'ORDER BY', 'DESC', 'LIMIT', '10', 'AND', 'OR', 'LIKE', "'%x%'"];
const RULE_TOKENS = ['ALARM(', 'OK(', 'INSUFFICIENT_DATA(', '"a"', 'b', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:c', ')', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', '(', ')'];

export function targets(): Target[] {
  return [
    jsonTarget('json 1.0 (DynamoDB)', 'dynamodb-2012-08-10', 'DynamoDB_20120810'),
    jsonTarget('json 1.1 (Logs)', 'logs-2014-03-28', 'Logs_20140328'),
    jsonTarget('json 1.0 query-compatible (CloudWatch)', 'monitoring-2010-08-01', 'GraniteServiceVersion20100801'),
    cborTarget(),
    queryTarget('awsQuery (STS)', 'sts-2011-06-15', queryCodec),
    queryTarget('awsQuery (IAM)', 'iam-2010-05-08', queryCodec),
    queryTarget('ec2 query', 'ec2-2016-11-15', ec2Codec),
    restXmlTarget(),
    { name: 'DynamoDB condition expressions', arb: language(DDB_TOKENS), run: (s) => parseCondition(s as string, 'ConditionExpression') },
    { name: 'DynamoDB projection expressions', arb: language(DDB_TOKENS), run: (s) => parseProjection(s as string) },
    { name: 'DynamoDB update expressions', arb: language(DDB_TOKENS), run: (s) => parseUpdate(s as string) },
    // '-.%bg9y': a minus and a dot not followed by a digit crashed the lexer (found by the long run)
    { name: 'PartiQL', arb: language(PARTIQL_TOKENS), run: (s) => parseStatement(s as string, [{ S: 'p' }, { N: '1' }]), examples: ['-.%bg9y', 'SELECT * FROM "t" WHERE a = -.x'] },
    {
      name: 'Logs filter patterns',
      arb: fc.tuple(language(FILTER_TOKENS), fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)))),
      run: ([p, msg]) => {
        compileFilterPattern(p as string)(msg as string);
        compileExtractor(p as string)(msg as string);
      },
    },
    {
      // a %regex% over events up to 20,000 characters: the 1 s bound catches any backtracking blow-up
      name: 'Logs filter regex over long events',
      arb: fc.tuple(language(REGEX_TOKENS), fc.constantFrom('a', 'ab', 'a ', 'a1', 'aaaaaaaab'), fc.integer({ min: 1, max: 20_000 }), fc.string({ maxLength: 4 })),
      run: ([re, unit, n, tail]) => compileFilterPattern(`%${re as string}%`)((unit as string).repeat(n as number).slice(0, 20_000) + (tail as string)),
      examples: [['(a+)+$', 'a', 20_000, '!'], ['a*a*a*a*a*a*a*a*b', 'a', 20_000, '']],
    },
    // StartQuery answers MalformedQueryException for QuerySyntaxError (a bad /regex/ included)
    { name: 'Logs Insights queries', arb: language(INSIGHTS_TOKENS), run: (s) => parseQuery(s as string), accepts: (e) => e instanceof QuerySyntaxError },
    {
      // the engine behind every user-supplied regex, against V8 on short subjects; any difference throws
      name: 'linear regex engine vs V8 RegExp',
      arb: fc.tuple(regexArb, fc.constantFrom('', 'i', 'm', 's'), fc.array(subjectArb, { minLength: 1, maxLength: 3 })),
      run: ([src, flags, subjects]) => sameAsV8(src as string, flags as string, subjects as string[]),
    },
    { name: 'CloudWatch metric math', arb: language(MATH_TOKENS), run: (s) => parseExpression(s as string) },
    { name: 'CloudWatch SEARCH', arb: language(SEARCH_TOKENS), run: (s) => parseSearch(s as string) },
    { name: 'CloudWatch Metrics Insights', arb: language(MI_TOKENS), run: (s) => parseInsights(s as string) },
    { name: 'CloudWatch composite alarm rules', arb: language(RULE_TOKENS), run: (s) => parseRule(s as string) },
  ];
}
