// SPDX-License-Identifier: AGPL-3.0-or-later
/** CreateTable, DescribeTable, ListTables and DeleteTable. */
import { randomUUID } from 'node:crypto';
import type { Handler } from '../../src/context.js';
import type { DynamoBackend, IndexInfo, KeyDef, Projection, ScalarType, TableInfo } from './backend.js';
import { describeTable } from './describe.js';
import { ConstraintErrors, invalidParam, resourceNotFound, validation } from './errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

const MAX_THROUGHPUT = 1_000_000_000_000;

function checkKeySchemaConstraints(c: ConstraintErrors, ks: any[] | undefined, path: string): void {
  c.required(ks, path);
  if (!ks) return;
  c.lengthMin(ks, path, 1);
  c.lengthMax(ks, path, 2);
  ks.forEach((k, i) => {
    c.required(k?.AttributeName, `${path}.${i + 1}.member.attributeName`);
    c.lengthMin(k?.AttributeName, `${path}.${i + 1}.member.attributeName`, 1);
    c.lengthMax(k?.AttributeName, `${path}.${i + 1}.member.attributeName`, 255);
    c.required(k?.KeyType, `${path}.${i + 1}.member.keyType`);
    c.enumOf(k?.KeyType, `${path}.${i + 1}.member.keyType`, ['HASH', 'RANGE']);
  });
}

function checkIndexConstraints(c: ConstraintErrors, list: any[] | undefined, path: string, gsi: boolean): void {
  if (!list) return;
  list.forEach((ix, i) => {
    const p = `${path}.${i + 1}.member`;
    c.tableName(ix?.IndexName, `${p}.indexName`);
    checkKeySchemaConstraints(c, ix?.KeySchema, `${p}.keySchema`);
    c.required(ix?.Projection, `${p}.projection`);
    c.enumOf(ix?.Projection?.ProjectionType, `${p}.projection.projectionType`, ['ALL', 'INCLUDE', 'KEYS_ONLY']);
    c.lengthMin(ix?.Projection?.NonKeyAttributes, `${p}.projection.nonKeyAttributes`, 1);
    if (gsi && ix?.ProvisionedThroughput) {
      c.required(ix.ProvisionedThroughput.WriteCapacityUnits, `${p}.provisionedThroughput.writeCapacityUnits`);
      c.min(ix.ProvisionedThroughput.WriteCapacityUnits, `${p}.provisionedThroughput.writeCapacityUnits`, 1);
      c.required(ix.ProvisionedThroughput.ReadCapacityUnits, `${p}.provisionedThroughput.readCapacityUnits`);
      c.min(ix.ProvisionedThroughput.ReadCapacityUnits, `${p}.provisionedThroughput.readCapacityUnits`, 1);
    }
  });
}

function indexKeysDefined(keys: string[], defs: string[]): void {
  if (keys.some((k) => !defs.includes(k))) {
    throw invalidParam(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defs.join(', ')}]`);
  }
}

function checkIndexSchema(ix: any, defs: string[], billing: string, gsi: boolean, tableHash: string, names: Set<string>): void {
  const keys: string[] = ix.KeySchema.map((k: any) => k.AttributeName);
  indexKeysDefined(keys, defs);
  if (keys.length === 2 && keys[0] === keys[1]) throw validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  if (ix.KeySchema[0].KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (ix.KeySchema[1] && ix.KeySchema[1].KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  if (!gsi) {
    if (keys.length !== 2) throw invalidParam(`Index KeySchema does not have a range key for index: ${ix.IndexName}`);
    if (keys[0] !== tableHash) {
      throw invalidParam(`Index KeySchema does not have the same leading hash key as table KeySchema for index: ${ix.IndexName}. index hash key: ${keys[0]}, table hash key: ${tableHash}`);
    }
  }
  const pt = ix.Projection.ProjectionType;
  if (pt == null) throw invalidParam('Unknown ProjectionType: null');
  if (ix.Projection.NonKeyAttributes && pt !== 'INCLUDE') throw invalidParam(`ProjectionType is ${pt}, but NonKeyAttributes is specified`);
  if (gsi && billing === 'PAY_PER_REQUEST' && ix.ProvisionedThroughput) {
    throw invalidParam(`ProvisionedThroughput should not be specified for index: ${ix.IndexName} when BillingMode is PAY_PER_REQUEST`);
  }
  if (gsi && billing !== 'PAY_PER_REQUEST' && !ix.ProvisionedThroughput) {
    throw invalidParam(`ProvisionedThroughput must be specified for index: ${ix.IndexName}`);
  }
  if (names.has(ix.IndexName)) throw invalidParam(`Duplicate index name: ${ix.IndexName}`);
  names.add(ix.IndexName);
}

export function indexInfo(ix: any, kind: 'GSI' | 'LSI', types: Map<string, ScalarType>, now: number): IndexInfo {
  const def = (name: string): KeyDef => ({ name, type: types.get(name)! });
  const info: IndexInfo = {
    name: ix.IndexName,
    kind,
    id: 0,
    hash: def(ix.KeySchema[0].AttributeName),
    projection: { ProjectionType: ix.Projection.ProjectionType, ...(ix.Projection.NonKeyAttributes ? { NonKeyAttributes: ix.Projection.NonKeyAttributes } : {}) } as Projection,
    status: 'ACTIVE',
    created: now,
  };
  if (ix.KeySchema[1]) info.range = def(ix.KeySchema[1].AttributeName);
  if (ix.ProvisionedThroughput) info.provisioned = { read: ix.ProvisionedThroughput.ReadCapacityUnits, write: ix.ProvisionedThroughput.WriteCapacityUnits };
  return info;
}

export function createTable(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.tableName(input.TableName, 'tableName');
    c.required(input.AttributeDefinitions, 'attributeDefinitions');
    (input.AttributeDefinitions ?? []).forEach((a: any, i: number) => {
      c.enumOf(a?.AttributeType, `attributeDefinitions.${i + 1}.member.attributeType`, ['B', 'N', 'S']);
    });
    checkKeySchemaConstraints(c, input.KeySchema, 'keySchema');
    c.enumOf(input.BillingMode, 'billingMode', ['PROVISIONED', 'PAY_PER_REQUEST']);
    if (input.ProvisionedThroughput) {
      c.required(input.ProvisionedThroughput.WriteCapacityUnits, 'provisionedThroughput.writeCapacityUnits');
      c.min(input.ProvisionedThroughput.WriteCapacityUnits, 'provisionedThroughput.writeCapacityUnits', 1);
      c.required(input.ProvisionedThroughput.ReadCapacityUnits, 'provisionedThroughput.readCapacityUnits');
      c.min(input.ProvisionedThroughput.ReadCapacityUnits, 'provisionedThroughput.readCapacityUnits', 1);
    }
    checkIndexConstraints(c, input.LocalSecondaryIndexes, 'localSecondaryIndexes', false);
    checkIndexConstraints(c, input.GlobalSecondaryIndexes, 'globalSecondaryIndexes', true);
    c.enumOf(input.StreamSpecification?.StreamViewType, 'streamSpecification.streamViewType', ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']);
    c.enumOf(input.TableClass, 'tableClass', ['STANDARD', 'STANDARD_INFREQUENT_ACCESS']);
    c.throwIfAny();

    const billing = input.BillingMode ?? 'PROVISIONED';
    const pt = input.ProvisionedThroughput;
    if (billing === 'PAY_PER_REQUEST') {
      if (pt) throw invalidParam('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    } else {
      if (!pt || !pt.ReadCapacityUnits || !pt.WriteCapacityUnits) throw invalidParam('ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
      if (pt.ReadCapacityUnits > MAX_THROUGHPUT) throw validation(`Given value ${pt.ReadCapacityUnits} for ReadCapacityUnits is out of bounds`);
      if (pt.WriteCapacityUnits > MAX_THROUGHPUT) throw validation(`Given value ${pt.WriteCapacityUnits} for WriteCapacityUnits is out of bounds`);
    }
    const defs: string[] = input.AttributeDefinitions.map((a: any) => a.AttributeName);
    const types = new Map<string, ScalarType>(input.AttributeDefinitions.map((a: any) => [a.AttributeName, a.AttributeType]));
    if (types.size !== defs.length) throw invalidParam('Cannot have two attributes with the same name');
    const keys: string[] = input.KeySchema.map((k: any) => k.AttributeName);
    if (keys.length > defs.length) throw validation('Invalid KeySchema: Some index key attribute have no definition');
    indexKeysDefined(keys, defs);
    if (keys[0] === keys[1]) throw validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
    if (input.KeySchema[0].KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
    if (input.KeySchema[1] && input.KeySchema[1].KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
    const lsis: any[] | undefined = input.LocalSecondaryIndexes;
    const gsis: any[] | undefined = input.GlobalSecondaryIndexes;
    if (!lsis && !gsis && keys.length !== defs.length) {
      throw invalidParam('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
    }
    const names = new Set<string>();
    if (lsis) {
      if (!lsis.length) throw invalidParam('List of LocalSecondaryIndexes is empty');
      if (keys.length !== 2) throw invalidParam('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
      for (const ix of lsis) checkIndexSchema(ix, defs, billing, false, keys[0]!, names);
      if (lsis.length > 5) throw invalidParam('Number of LocalSecondaryIndexes exceeds per-table limit of 5');
    }
    if (gsis) {
      if (!gsis.length) throw invalidParam('List of GlobalSecondaryIndexes is empty');
      for (const ix of gsis) checkIndexSchema(ix, defs, billing, true, keys[0]!, names);
      if (gsis.length > 20) throw invalidParam('GlobalSecondaryIndex count exceeds the per-table limit of 20');
    }
    const used = new Set([...keys, ...[...(lsis ?? []), ...(gsis ?? [])].flatMap((ix) => ix.KeySchema.map((k: any) => k.AttributeName as string))]);
    if (defs.some((d) => !used.has(d))) {
      throw invalidParam(`Some AttributeDefinitions are not used. AttributeDefinitions: [${defs.join(', ')}], keys used: [${[...used].join(', ')}]`);
    }
    const ss = input.StreamSpecification;
    if (ss?.StreamEnabled && !ss.StreamViewType) throw validation('StreamSpecification.StreamViewType must be specified when StreamEnabled is true');
    if (ss && !ss.StreamEnabled && ss.StreamViewType) throw validation('StreamSpecification.StreamViewType cannot be specified when StreamEnabled is false');
    const tags = tagsOf(input.Tags);

    const now = ctx.gateway.clock.now();
    const info: Omit<TableInfo, 'id'> = {
      name: input.TableName,
      uuid: randomUUID(),
      account: ctx.accountId,
      region: ctx.region,
      created: now,
      status: 'ACTIVE',
      hash: { name: keys[0]!, type: types.get(keys[0]!)! },
      attributeDefinitions: input.AttributeDefinitions.map((a: any) => ({ AttributeName: a.AttributeName, AttributeType: a.AttributeType })),
      indexes: [...(lsis ?? []).map((ix) => indexInfo(ix, 'LSI', types, now)), ...(gsis ?? []).map((ix) => indexInfo(ix, 'GSI', types, now))],
      billingMode: billing,
      provisioned: { read: pt?.ReadCapacityUnits ?? 0, write: pt?.WriteCapacityUnits ?? 0, decreasesToday: 0 },
      deletionProtection: !!input.DeletionProtectionEnabled,
      tags,
    };
    if (keys[1]) info.range = { name: keys[1], type: types.get(keys[1])! };
    if (ss?.StreamEnabled) info.stream = { enabled: true, viewType: ss.StreamViewType, label: new Date(now).toISOString().replace('Z', '') };
    if (input.SSESpecification?.Enabled) info.sse = { enabled: true, type: input.SSESpecification.SSEType ?? 'KMS', kmsKey: input.SSESpecification.KMSMasterKeyId };
    if (input.TableClass) info.tableClass = input.TableClass;
    if (input.OnDemandThroughput) info.onDemand = { read: input.OnDemandThroughput.MaxReadRequestUnits, write: input.OnDemandThroughput.MaxWriteRequestUnits };
    const t = await backend.createTable(info);
    const d = await describeTable(backend, t, 'CREATING');
    for (const g of (d.GlobalSecondaryIndexes as any[] | undefined) ?? []) g.IndexStatus = 'CREATING';
    return { TableDescription: d };
  };
}

export function tagsOf(tags: any[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    if (typeof t?.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw validation('One or more parameter values were invalid: Tag key must be between 1 and 128 characters');
    out[t.Key] = String(t.Value ?? '');
  }
  if (Object.keys(out).length > 50) throw validation('One or more parameter values were invalid: The number of tags exceeds the limit of 50');
  return out;
}

export function tableNotFoundNamed(name: string) {
  return resourceNotFound(`Requested resource not found: Table: ${name} not found`);
}

/** TableName checked, then the table or "Requested resource not found: Table: X not found". */
export async function namedTable(backend: DynamoBackend, account: string, input: In): Promise<TableInfo> {
  const c = new ConstraintErrors();
  c.tableName(input.TableName, 'tableName');
  c.throwIfAny();
  const t = await backend.getTable(account, input.TableName);
  if (!t) throw tableNotFoundNamed(input.TableName);
  return t;
}

export function describeTableOp(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await namedTable(backend, ctx.accountId, input);
    return { Table: await describeTable(backend, t) };
  };
}

export function listTables(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const c = new ConstraintErrors();
    c.tableName(input.ExclusiveStartTableName, 'exclusiveStartTableName', false);
    c.min(input.Limit, 'limit', 1);
    c.max(input.Limit, 'limit', 100);
    c.throwIfAny();
    const limit = input.Limit ?? 100;
    const names = await backend.listTables(ctx.accountId, input.ExclusiveStartTableName, limit + 1);
    const out: In = { TableNames: names.slice(0, limit) };
    if (names.length > limit) out.LastEvaluatedTableName = names[limit - 1];
    return out;
  };
}

export function deleteTable(backend: DynamoBackend): Handler {
  return async (ctx, input: In) => {
    const t = await namedTable(backend, ctx.accountId, input);
    if (t.deletionProtection) throw validation('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
    const d = await describeTable(backend, t, 'DELETING');
    await backend.deleteTable(ctx.accountId, input.TableName);
    return { TableDescription: d };
  };
}
