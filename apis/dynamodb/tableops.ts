// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * UpdateTable (billing mode, throughput, GSI create/delete/update with backfill, streams,
 * deletion protection, table class), tags, TTL settings, and the small read-only operations
 * clients and Terraform call: DescribeContinuousBackups, DescribeEndpoints, DescribeLimits.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import type { DynamoBackend, ScalarType, TableInfo } from './backend.js';
import { describeTable } from './describe.js';
import { ConstraintErrors, invalidParam, resourceNotFound, validation } from './errors.js';
import { indexInfo, namedTable, tagsOf } from './tables.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

function applyGsiUpdates(t: TableInfo, updates: any[], defs: Map<string, ScalarType>, now: number): void {
  for (const u of updates) {
    if (u.Create) {
      const c = u.Create;
      if (t.indexes.some((i) => i.name === c.IndexName)) throw validation(`One or more parameter values were invalid: Index already exists: ${c.IndexName}`);
      for (const k of c.KeySchema ?? []) {
        if (!defs.has(k.AttributeName)) {
          throw invalidParam(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${c.KeySchema.map((x: any) => x.AttributeName).join(', ')}], AttributeDefinitions: [${[...defs.keys()].join(', ')}]`);
        }
      }
      if (t.billingMode === 'PAY_PER_REQUEST' && c.ProvisionedThroughput) {
        throw invalidParam(`ProvisionedThroughput should not be specified for index: ${c.IndexName} when BillingMode is PAY_PER_REQUEST`);
      }
      if (t.indexes.filter((i) => i.kind === 'GSI').length >= 20) throw invalidParam('GlobalSecondaryIndex count exceeds the per-table limit of 20');
      const info = indexInfo(c, 'GSI', defs, now);
      // the backend backfills inside the same update: the index is usable once this returns
      t.indexes.push(info);
    } else if (u.Delete) {
      const i = t.indexes.findIndex((x) => x.kind === 'GSI' && x.name === u.Delete.IndexName);
      if (i < 0) throw resourceNotFound(`Requested resource not found: Index: ${u.Delete.IndexName} not found`);
      t.indexes.splice(i, 1);
    } else if (u.Update) {
      const idx = t.indexes.find((x) => x.kind === 'GSI' && x.name === u.Update.IndexName);
      if (!idx) throw resourceNotFound(`Requested resource not found: Index: ${u.Update.IndexName} not found`);
      const pt = u.Update.ProvisionedThroughput;
      if (pt) idx.provisioned = { read: pt.ReadCapacityUnits, write: pt.WriteCapacityUnits };
    } else {
      throw validation('One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified');
    }
  }
  const used = new Set([t.hash.name, t.range?.name, ...t.indexes.flatMap((i) => [i.hash.name, i.range?.name])]);
  t.attributeDefinitions = [...defs].filter(([n]) => used.has(n)).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

export function updateTable(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.tableName(input.TableName, 'tableName');
    c.enumOf(input.BillingMode, 'billingMode', ['PROVISIONED', 'PAY_PER_REQUEST']);
    c.enumOf(input.TableClass, 'tableClass', ['STANDARD', 'STANDARD_INFREQUENT_ACCESS']);
    c.enumOf(input.StreamSpecification?.StreamViewType, 'streamSpecification.streamViewType', ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']);
    c.throwIfAny();
    const anything = ['ProvisionedThroughput', 'BillingMode', 'StreamSpecification', 'GlobalSecondaryIndexUpdates', 'SSESpecification', 'ReplicaUpdates', 'TableClass', 'DeletionProtectionEnabled', 'OnDemandThroughput'];
    if (!anything.some((k) => input[k] != null)) {
      throw validation('At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required');
    }
    await namedTable(backend, ctx.accountId, input);
    const now = ctx.gateway.clock.now();
    const t = await backend.updateTable(ctx.accountId, input.TableName, (cur) => {
      const t: TableInfo = structuredClone(cur);
      if (input.BillingMode && input.BillingMode !== t.billingMode) {
        t.billingMode = input.BillingMode;
        if (t.billingMode === 'PAY_PER_REQUEST') t.billingModeUpdated = now;
      }
      const pt = input.ProvisionedThroughput;
      if (t.billingMode === 'PAY_PER_REQUEST' && pt) {
        throw invalidParam('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
      }
      if (t.billingMode === 'PROVISIONED' && input.BillingMode === 'PROVISIONED' && cur.billingMode === 'PAY_PER_REQUEST' && !pt) {
        throw invalidParam('ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
      }
      if (pt) {
        if (pt.ReadCapacityUnits === t.provisioned.read && pt.WriteCapacityUnits === t.provisioned.write && !input.GlobalSecondaryIndexUpdates && !input.BillingMode) {
          throw validation(`The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${t.provisioned.read}. Requested ReadCapacityUnits: ${pt.ReadCapacityUnits}. Current WriteCapacityUnits provisioned for the table: ${t.provisioned.write}. Requested WriteCapacityUnits: ${pt.WriteCapacityUnits}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`);
        }
        if (pt.ReadCapacityUnits > t.provisioned.read || pt.WriteCapacityUnits > t.provisioned.write) t.provisioned.lastIncrease = now;
        if (pt.ReadCapacityUnits < t.provisioned.read || pt.WriteCapacityUnits < t.provisioned.write) {
          t.provisioned.lastDecrease = now;
          t.provisioned.decreasesToday++;
        }
        t.provisioned.read = pt.ReadCapacityUnits;
        t.provisioned.write = pt.WriteCapacityUnits;
      }
      if (input.GlobalSecondaryIndexUpdates) {
        const defs = new Map<string, ScalarType>(t.attributeDefinitions.map((a) => [a.AttributeName, a.AttributeType]));
        for (const a of input.AttributeDefinitions ?? []) defs.set(a.AttributeName, a.AttributeType);
        applyGsiUpdates(t, input.GlobalSecondaryIndexUpdates, defs, now);
      }
      const ss = input.StreamSpecification;
      if (ss) {
        if (ss.StreamEnabled && t.stream?.enabled) throw validation(`Table already has an enabled stream: TableName: ${t.name}`);
        if (!ss.StreamEnabled && !t.stream?.enabled) throw validation('Table already has no enabled stream');
        if (ss.StreamEnabled) {
          if (!ss.StreamViewType) throw validation('StreamSpecification.StreamViewType must be specified when StreamEnabled is true');
          t.stream = { enabled: true, viewType: ss.StreamViewType, label: new Date(now).toISOString().replace('Z', '') };
        } else t.stream = { ...t.stream!, enabled: false };
      }
      if (input.SSESpecification) t.sse = { enabled: !!input.SSESpecification.Enabled, type: input.SSESpecification.SSEType, kmsKey: input.SSESpecification.KMSMasterKeyId };
      if (input.TableClass) t.tableClass = input.TableClass;
      if (input.DeletionProtectionEnabled != null) t.deletionProtection = !!input.DeletionProtectionEnabled;
      if (input.OnDemandThroughput) t.onDemand = { read: input.OnDemandThroughput.MaxReadRequestUnits, write: input.OnDemandThroughput.MaxWriteRequestUnits };
      return t;
    });
    // the response shows the new indexes CREATING, as DynamoDB does; DescribeTable then ACTIVE
    const created = new Set<string>((input.GlobalSecondaryIndexUpdates ?? []).filter((u: any) => u.Create).map((u: any) => u.Create.IndexName));
    const d = await describeTable(backend, t, 'UPDATING');
    for (const g of (d.GlobalSecondaryIndexes as any[] | undefined) ?? []) if (created.has(g.IndexName)) Object.assign(g, { IndexStatus: 'CREATING', Backfilling: false });
    return { TableDescription: d };
  };
}

const ARN_RE = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table\/([a-zA-Z0-9_.-]{3,255})$/;

async function tableByArn(backend: DynamoBackend, account: string, arn: unknown): Promise<TableInfo> {
  const c = new ConstraintErrors();
  c.required(arn, 'resourceArn');
  c.lengthMin(arn as string, 'resourceArn', 1);
  c.lengthMax(arn as string, 'resourceArn', 1283);
  c.throwIfAny();
  const m = ARN_RE.exec(String(arn));
  if (!m) throw validation(`Invalid TableArn: Invalid ResourceArn provided as input ${String(arn)}`);
  const t = m[2] === account ? await backend.getTable(account, m[3]!) : undefined;
  if (!t) throw resourceNotFound(`Requested resource not found: ResourcArn: ${String(arn)} not found`);
  return t;
}

export function tagResource(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await tableByArn(backend, ctx.accountId, input.ResourceArn);
    const tags = tagsOf(input.Tags);
    if (!Object.keys(tags).length) throw validation('1 validation error detected: Value null at \'tags\' failed to satisfy constraint: Member must not be null');
    await backend.updateTable(ctx.accountId, t.name, (cur) => {
      const merged = { ...cur.tags, ...tags };
      if (Object.keys(merged).length > 50) throw validation('One or more parameter values were invalid: The number of tags exceeds the limit of 50');
      return { ...cur, tags: merged };
    });
    return {};
  };
}

export function untagResource(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await tableByArn(backend, ctx.accountId, input.ResourceArn);
    const keys: string[] = input.TagKeys ?? [];
    await backend.updateTable(ctx.accountId, t.name, (cur) => ({ ...cur, tags: Object.fromEntries(Object.entries(cur.tags).filter(([k]) => !keys.includes(k))) }));
    return {};
  };
}

export function listTagsOfResource(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await tableByArn(backend, ctx.accountId, input.ResourceArn);
    const all = Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value }));
    const start = input.NextToken ? Number(input.NextToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw validation('Invalid NextToken');
    const page = all.slice(start, start + 10);
    return start + 10 < all.length ? { Tags: page, NextToken: String(start + 10) } : { Tags: page };
  };
}

/** UpdateTimeToLive's checks before the table changes (also run before a pass-through). */
export async function prepareUpdateTimeToLive(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<TableInfo> {
  const c = new ConstraintErrors();
  c.tableName(input.TableName, 'tableName');
  c.required(input.TimeToLiveSpecification, 'timeToLiveSpecification');
  c.required(input.TimeToLiveSpecification?.AttributeName, 'timeToLiveSpecification.attributeName');
  c.lengthMin(input.TimeToLiveSpecification?.AttributeName, 'timeToLiveSpecification.attributeName', 1);
  c.lengthMax(input.TimeToLiveSpecification?.AttributeName, 'timeToLiveSpecification.attributeName', 255);
  c.required(input.TimeToLiveSpecification?.Enabled, 'timeToLiveSpecification.enabled');
  c.throwIfAny();
  return namedTable(backend, ctx.accountId, input);
}

/** DescribeTimeToLive's check: the table exists. */
export function prepareDescribeTimeToLive(backend: DynamoBackend, ctx: RequestContext, input: In): Promise<TableInfo> {
  return namedTable(backend, ctx.accountId, input);
}

export function updateTimeToLive(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    await prepareUpdateTimeToLive(backend, ctx, input);
    const spec = input.TimeToLiveSpecification;
    await backend.updateTable(ctx.accountId, input.TableName, (cur) => {
      if (spec.Enabled && cur.ttl?.enabled) throw validation('TimeToLive is already enabled');
      if (!spec.Enabled && !cur.ttl?.enabled) throw validation('TimeToLive is already disabled');
      if (!spec.Enabled && cur.ttl && cur.ttl.attribute !== spec.AttributeName) throw validation('TimeToLive is active on a different AttributeName: current AttributeName is ' + cur.ttl.attribute);
      return { ...cur, ttl: { attribute: spec.AttributeName, enabled: !!spec.Enabled } };
    });
    return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: !!spec.Enabled } };
  };
}

export function describeTimeToLive(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await prepareDescribeTimeToLive(backend, ctx, input);
    if (!t.ttl?.enabled) return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
    return { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl.attribute } };
  };
}

export function describeContinuousBackups(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.tableName(input.TableName, 'tableName');
    c.throwIfAny();
    const t = await backend.getTable(ctx.accountId, input.TableName);
    if (!t) throw new AwsError('TableNotFoundException', `Table not found: ${input.TableName}`);
    // this gateway keeps no backups: say so
    return { ContinuousBackupsDescription: { ContinuousBackupsStatus: 'DISABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } };
  };
}

export function describeEndpoints(): Handler {
  return async (ctx) => ({ Endpoints: [{ Address: ctx.http.host, CachePeriodInMinutes: 1440 }] });
}

export function describeLimits(): Handler {
  return async () => ({ AccountMaxReadCapacityUnits: 80000, AccountMaxWriteCapacityUnits: 80000, TableMaxReadCapacityUnits: 40000, TableMaxWriteCapacityUnits: 40000 });
}


