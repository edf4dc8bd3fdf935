// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Tenancy: each account's tables live in Alternator under an account prefix (`a{account}_` by
 * default). Every table name the client sends is prefixed on the way up; every name, ARN and
 * error message coming down is mapped back. A name without the caller's prefix never reaches a
 * client, so one account can never name, list or reach another's tables.
 */
import { AwsError } from '../../src/errors.js';
import { ConstraintErrors, resourceNotFound, validation } from '../../apis/dynamodb/errors.js';
import type { AlternatorConfig } from './config.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

/** Any ARN naming a table (Alternator's own partition/service words vary by version). */
const UP_ARN = /arn:[^:\s"']*:[^:\s"']*:[^:\s"']*:[^:\s"']*:table\/([a-zA-Z0-9_.-]+)/g;
const CLIENT_ARN = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]{3,255})(\/.*)?$/;

export function arnNotFound(arn: unknown): AwsError {
  return resourceNotFound(`Requested resource not found: ResourcArn: ${String(arn)} not found`);
}

export class TenantNames {
  private readonly cache = new Map<string, string>();

  constructor(private readonly cfg: AlternatorConfig) {}

  prefix(account: string): string {
    let p = this.cache.get(account);
    if (p === undefined) {
      p = this.cfg.tablePrefix.replace('{account}', account);
      this.cache.set(account, p);
    }
    return p;
  }

  /** Longest table name an account may use (Alternator's limit minus the prefix). */
  maxName(account: string): number {
    return this.cfg.maxTableNameLength - this.prefix(account).length;
  }

  /** The Alternator name of a client table name (DynamoDB's own constraints checked first). */
  up(account: string, name: unknown, path = 'tableName'): string {
    const c = new ConstraintErrors();
    c.tableName(name, path);
    c.throwIfAny();
    const s = String(name);
    if (s.length > this.maxName(account)) throw resourceNotFound(`Requested resource not found: Table: ${s} not found`);
    return this.prefix(account) + s;
  }

  /** CreateTable: a name too long for Alternator after prefixing is refused, saying the limit. */
  upForCreate(account: string, name: unknown): string {
    const c = new ConstraintErrors();
    c.tableName(name, 'tableName');
    c.throwIfAny();
    const s = String(name);
    const max = this.maxName(account);
    if (s.length > max) throw validation(`TableName must be at least 3 characters long and at most ${max} characters long (the backend's limit of ${this.cfg.maxTableNameLength} includes the account prefix)`);
    return this.prefix(account) + s;
  }

  /** The client name of an Alternator name, or undefined when it is not the account's. */
  down(account: string, upName: string): string | undefined {
    const p = this.prefix(account);
    return upName.startsWith(p) ? upName.slice(p.length) : undefined;
  }

  downOrSelf(account: string, upName: string): string {
    return this.down(account, upName) ?? upName;
  }

  clientArn(account: string, region: string, name: string, rest = ''): string {
    return `arn:aws:dynamodb:${region}:${account}:table/${name}${rest}`;
  }

  /** An Alternator ARN (table, index or stream) as the client's ARN. */
  arnDown(account: string, region: string, arn: string): string {
    const i = arn.indexOf(':table/');
    if (i < 0) return arn;
    const tail = arn.slice(i + 7);
    const slash = tail.indexOf('/');
    const name = slash < 0 ? tail : tail.slice(0, slash);
    return this.clientArn(account, region, this.downOrSelf(account, name), slash < 0 ? '' : tail.slice(slash));
  }

  /**
   * A client table ARN (TagResource & co.) as its table name, checked like the embedded engine:
   * constraints, shape, then another account's ARN names nothing the caller can reach.
   */
  tableOfArn(account: string, arn: unknown): string {
    const c = new ConstraintErrors();
    c.required(arn, 'resourceArn');
    c.lengthMin(arn as string, 'resourceArn', 1);
    c.lengthMax(arn as string, 'resourceArn', 1283);
    c.throwIfAny();
    const m = CLIENT_ARN.exec(String(arn));
    if (!m || m[4]) throw validation(`Invalid TableArn: Invalid ResourceArn provided as input ${String(arn)}`);
    if (m[2] !== account || m[3]!.length > this.maxName(account)) throw arnNotFound(arn);
    return m[3]!;
  }

  /** An upstream error message with the caller's names and ARNs. */
  message(account: string, region: string, msg: string): string {
    if (!msg) return msg;
    const p = this.prefix(account);
    return msg.replace(UP_ARN, (a: string) => this.arnDown(account, region, a)).split(p).join('');
  }

  /** Maps an upstream error for the client (names in the message and in known fields). */
  error(account: string, region: string, e: AwsError): AwsError {
    const msg = this.message(account, region, e.message);
    if (msg === e.message) return e;
    return new AwsError(e.code, msg, { status: e.status, fields: e.fields, headers: e.headers });
  }

  // ---- documents -------------------------------------------------------------------------

  /** A TableDescription (CreateTable, DescribeTable, UpdateTable, DeleteTable) in place. */
  table(account: string, region: string, d: Doc | undefined): void {
    if (!d || typeof d !== 'object') return;
    if (typeof d.TableName === 'string') d.TableName = this.downOrSelf(account, d.TableName);
    if (typeof d.TableArn === 'string') d.TableArn = this.arnDown(account, region, d.TableArn);
    // Alternator's stream ARNs need not name the table: the client's is built from name and label
    if (typeof d.LatestStreamArn === 'string') d.LatestStreamArn = typeof d.LatestStreamLabel === 'string' ? this.clientArn(account, region, d.TableName, `/stream/${d.LatestStreamLabel}`) : this.arnDown(account, region, d.LatestStreamArn);
    for (const list of [d.GlobalSecondaryIndexes, d.LocalSecondaryIndexes]) {
      if (Array.isArray(list)) for (const ix of list) if (typeof ix?.IndexArn === 'string') ix.IndexArn = this.arnDown(account, region, ix.IndexArn);
    }
  }

  /** ConsumedCapacity: one object or a list. */
  capacity(account: string, cc: unknown): void {
    for (const c of Array.isArray(cc) ? cc : cc ? [cc] : []) if (typeof c?.TableName === 'string') c.TableName = this.downOrSelf(account, c.TableName);
  }

  /** A map keyed by table name, renamed with `fn`. */
  renameKeys(m: unknown, fn: (name: string) => string): Doc | undefined {
    if (!m || typeof m !== 'object') return undefined;
    const out: Doc = {};
    for (const [k, v] of Object.entries(m as Doc)) out[fn(k)] = v;
    return out;
  }
}
