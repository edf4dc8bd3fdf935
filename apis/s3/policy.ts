// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Bucket policies: validation on PutBucketPolicy and evaluation for each request. Supported:
 * Effect Allow/Deny, Principal "*" / {"AWS": "*" | account id | account root ARN | user/role ARN
 * (lists too)}, Action / NotAction with wildcards, Resource with wildcards on this bucket's ARNs.
 * Conditions are refused (NotImplemented) rather than ignored. Explicit Deny beats every Allow.
 */
import type { Principal } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { compileGlob } from '../../src/util/regex.js';

export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  /** undefined: NotPrincipal is unsupported; ['*'] matches everyone. */
  principals: string[];
  actions: string[];
  notActions?: string[];
  resources: string[];
}

function malformed(message: string): AwsError {
  return new AwsError('MalformedPolicy', message, { status: 400 });
}

function strings(v: unknown, field: string): string[] {
  const arr = Array.isArray(v) ? v : [v];
  if (arr.length === 0 || arr.some((x) => typeof x !== 'string')) throw malformed(`Invalid ${field}`);
  return arr as string[];
}

function principalsOf(p: unknown): string[] {
  if (p === '*') return ['*'];
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== 1 || keys[0] !== 'AWS') throw new AwsError('NotImplemented', `Policy principals other than AWS are not implemented by this gateway: ${keys.join(', ')}`, { status: 501, fault: 'Receiver' });
    const list = strings(o.AWS, 'principal');
    for (const x of list) {
      if (x !== '*' && !/^\d{12}$/.test(x) && !/^arn:aws:(iam|sts)::\d{12}:(root|user\/.+|role\/.+|assumed-role\/.+)$/.test(x)) throw malformed('Invalid principal in policy');
    }
    return list;
  }
  throw malformed('Invalid principal in policy');
}

/** Parses and validates a policy document for `bucket`. */
export function parsePolicy(text: string, bucket: string): PolicyStatement[] {
  if (!text.trimStart().startsWith('{')) throw malformed("Policies must be valid JSON and the first byte must be '{'");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') throw malformed('The policy must contain a valid version string');
  const stmts = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  if (stmts.length === 0) throw malformed('Missing required field Statement');
  return stmts.map((raw: unknown) => {
    if (!raw || typeof raw !== 'object') throw malformed('Statement is not an object');
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Invalid effect: ' + String(s.Effect));
    if (s.Condition !== undefined) throw new AwsError('NotImplemented', 'Policy conditions are not implemented by this gateway.', { status: 501, fault: 'Receiver' });
    if (s.NotPrincipal !== undefined || s.NotResource !== undefined) throw new AwsError('NotImplemented', 'NotPrincipal and NotResource are not implemented by this gateway.', { status: 501, fault: 'Receiver' });
    if (s.Principal === undefined) throw malformed('Missing required field Principal');
    if (s.Action === undefined && s.NotAction === undefined) throw malformed('Missing required field Action');
    if (s.Resource === undefined) throw malformed('Missing required field Resource');
    const actions = s.Action !== undefined ? strings(s.Action, 'action') : [];
    const notActions = s.NotAction !== undefined ? strings(s.NotAction, 'action') : undefined;
    for (const a of [...actions, ...(notActions ?? [])]) if (a !== '*' && !/^s3:[A-Za-z*?]+$/.test(a)) throw malformed('Policy has invalid action');
    const resources = strings(s.Resource, 'resource');
    for (const r of resources) {
      const m = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r);
      if (!m || !globMatch(m[1], bucket)) throw malformed('Policy has invalid resource');
    }
    return { effect: s.Effect, principals: principalsOf(s.Principal), actions, notActions, resources };
  });
}

/** IAM-style wildcard match: '*' any run, '?' one character; case-sensitive. */
export function globMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  // linear time (src/util/regex.ts): on V8's RegExp, `*a*a*a*a*b` against a long key backtracks for minutes
  return compileGlob(pattern, { caseInsensitive }).test(value);
}

function principalMatches(list: string[], p: Principal): boolean {
  for (const x of list) {
    if (x === '*') return true;
    if (p.kind === 'anonymous') continue;
    if (x === p.accountId || x === `arn:aws:iam::${p.accountId}:root`) return true;
    if (x === p.arn) return true;
    if (p.kind === 'assumed-role' && p.roleName && x === `arn:aws:iam::${p.accountId}:role/${p.roleName}`) return true;
  }
  return false;
}

function actionMatches(s: PolicyStatement, action: string): boolean {
  if (s.notActions) return !s.notActions.some((a) => globMatch(a, action, true));
  return s.actions.some((a) => globMatch(a, action, true));
}

export type PolicyDecision = 'allow' | 'deny' | 'none';

/** Evaluates `action` on `resource` (an S3 ARN) for `principal`. */
export function evaluatePolicy(stmts: PolicyStatement[] | undefined, principal: Principal, action: string, resource: string): PolicyDecision {
  if (!stmts) return 'none';
  let allowed = false;
  for (const s of stmts) {
    if (!principalMatches(s.principals, principal) || !actionMatches(s, action) || !s.resources.some((r) => globMatch(r, resource))) continue;
    if (s.effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'none';
}

/** The IAM action an S3 operation needs (the ones this gateway serves). */
export function actionOf(operation: string): string {
  switch (operation) {
    case 'HeadObject':
      return 's3:GetObject';
    case 'HeadBucket':
    case 'ListObjects':
    case 'ListObjectsV2':
      return 's3:ListBucket';
    case 'ListObjectVersions':
      return 's3:ListBucketVersions';
    case 'CopyObject':
    case 'UploadPart':
    case 'UploadPartCopy':
    case 'CreateMultipartUpload':
    case 'CompleteMultipartUpload':
      return 's3:PutObject';
    case 'DeleteObjects':
      return 's3:DeleteObject';
    case 'AbortMultipartUpload':
      return 's3:AbortMultipartUpload';
    case 'ListParts':
      return 's3:ListMultipartUploadParts';
    case 'ListMultipartUploads':
      return 's3:ListBucketMultipartUploads';
    case 'GetBucketLifecycleConfiguration':
    case 'PutBucketLifecycleConfiguration':
    case 'DeleteBucketLifecycle':
      return operation.startsWith('Get') ? 's3:GetLifecycleConfiguration' : 's3:PutLifecycleConfiguration';
    case 'GetBucketCors':
    case 'PutBucketCors':
    case 'DeleteBucketCors':
      return operation.startsWith('Get') ? 's3:GetBucketCORS' : 's3:PutBucketCORS';
    case 'GetBucketEncryption':
    case 'PutBucketEncryption':
    case 'DeleteBucketEncryption':
      return operation.startsWith('Get') ? 's3:GetEncryptionConfiguration' : 's3:PutEncryptionConfiguration';
    default:
      return `s3:${operation}`;
  }
}
