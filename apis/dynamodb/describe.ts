// SPDX-License-Identifier: AGPL-3.0-or-later
/** TableDescription as DynamoDB returns it (DescribeTable, CreateTable, DeleteTable, UpdateTable). */
import type { DynamoBackend, IndexInfo, TableInfo } from './backend.js';

export function tableArn(t: Pick<TableInfo, 'region' | 'account' | 'name'>): string {
  return `arn:aws:dynamodb:${t.region}:${t.account}:table/${t.name}`;
}

function keySchema(hash: { name: string }, range?: { name: string }) {
  const ks = [{ AttributeName: hash.name, KeyType: 'HASH' }];
  if (range) ks.push({ AttributeName: range.name, KeyType: 'RANGE' });
  return ks;
}

function projection(i: IndexInfo) {
  const p: Record<string, unknown> = { ProjectionType: i.projection.ProjectionType };
  if (i.projection.NonKeyAttributes) p.NonKeyAttributes = i.projection.NonKeyAttributes;
  return p;
}

export async function describeTable(backend: DynamoBackend, t: TableInfo, status?: string): Promise<Record<string, unknown>> {
  const stats = await backend.tableStats(t);
  const arn = tableArn(t);
  const d: Record<string, unknown> = {
    AttributeDefinitions: t.attributeDefinitions,
    TableName: t.name,
    KeySchema: keySchema(t.hash, t.range),
    TableStatus: status ?? t.status,
    CreationDateTime: new Date(t.created),
    ProvisionedThroughput: {
      ...(t.provisioned.lastIncrease ? { LastIncreaseDateTime: new Date(t.provisioned.lastIncrease) } : {}),
      ...(t.provisioned.lastDecrease ? { LastDecreaseDateTime: new Date(t.provisioned.lastDecrease) } : {}),
      NumberOfDecreasesToday: t.provisioned.decreasesToday,
      ReadCapacityUnits: t.billingMode === 'PAY_PER_REQUEST' ? 0 : t.provisioned.read,
      WriteCapacityUnits: t.billingMode === 'PAY_PER_REQUEST' ? 0 : t.provisioned.write,
    },
    TableSizeBytes: stats.sizeBytes,
    ItemCount: stats.itemCount,
    TableArn: arn,
    TableId: t.uuid,
  };
  if (t.billingMode === 'PAY_PER_REQUEST' || t.billingModeUpdated) {
    d.BillingModeSummary = {
      BillingMode: t.billingMode,
      ...(t.billingModeUpdated ? { LastUpdateToPayPerRequestDateTime: new Date(t.billingModeUpdated) } : {}),
    };
  }
  const lsis = t.indexes.filter((i) => i.kind === 'LSI');
  const gsis = t.indexes.filter((i) => i.kind === 'GSI');
  if (lsis.length) {
    d.LocalSecondaryIndexes = await Promise.all(
      lsis.map(async (i) => {
        const s = await backend.tableStats(t, i.name);
        return { IndexName: i.name, KeySchema: keySchema(i.hash, i.range), Projection: projection(i), IndexSizeBytes: s.sizeBytes, ItemCount: s.itemCount, IndexArn: `${arn}/index/${i.name}` };
      }),
    );
  }
  if (gsis.length) {
    d.GlobalSecondaryIndexes = await Promise.all(
      gsis.map(async (i) => {
        const s = await backend.tableStats(t, i.name);
        const g: Record<string, unknown> = {
          IndexName: i.name,
          KeySchema: keySchema(i.hash, i.range),
          Projection: projection(i),
          IndexStatus: i.status,
          ProvisionedThroughput: {
            NumberOfDecreasesToday: 0,
            ReadCapacityUnits: t.billingMode === 'PAY_PER_REQUEST' ? 0 : i.provisioned?.read ?? 0,
            WriteCapacityUnits: t.billingMode === 'PAY_PER_REQUEST' ? 0 : i.provisioned?.write ?? 0,
          },
          IndexSizeBytes: s.sizeBytes,
          ItemCount: s.itemCount,
          IndexArn: `${arn}/index/${i.name}`,
        };
        if (i.status === 'CREATING') g.Backfilling = !!i.backfilling;
        if (i.onDemand) g.OnDemandThroughput = { MaxReadRequestUnits: i.onDemand.read ?? -1, MaxWriteRequestUnits: i.onDemand.write ?? -1 };
        return g;
      }),
    );
  }
  if (t.stream?.enabled) {
    d.StreamSpecification = { StreamEnabled: true, StreamViewType: t.stream.viewType };
  }
  if (t.stream?.label) {
    d.LatestStreamLabel = t.stream.label;
    d.LatestStreamArn = `${arn}/stream/${t.stream.label}`;
  }
  if (t.sse?.enabled) {
    d.SSEDescription = {
      Status: 'ENABLED',
      SSEType: t.sse.type ?? 'KMS',
      KMSMasterKeyArn: t.sse.kmsKey ?? `arn:aws:kms:${t.region}:${t.account}:key/aws/dynamodb`,
    };
  }
  if (t.tableClass) d.TableClassSummary = { TableClass: t.tableClass };
  if (t.onDemand) d.OnDemandThroughput = { MaxReadRequestUnits: t.onDemand.read ?? -1, MaxWriteRequestUnits: t.onDemand.write ?? -1 };
  d.DeletionProtectionEnabled = t.deletionProtection;
  return d;
}
