// SPDX-License-Identifier: AGPL-3.0-or-later
/** SDK helpers the reliability tests share: what a call answered, and a bucket and a table with one entry each. */
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClientCfg } from './proc.js';

export interface Outcome {
  /** 'success', or the error's name (its AWS code) */
  name: string;
  status?: number;
  requestId?: string;
  message: string;
}

/** Awaits an SDK call and says how it ended, without throwing. */
export async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { name: 'success', message: '' };
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, requestId: err.$metadata?.requestId, message: err.message };
  }
}

/** Clients on `cfg`, bucket and table `name` (hash key pk), object and item `before` holding 'kept'. */
export async function keptEntries(cfg: ClientCfg, name: string): Promise<{ s3: S3Client; db: DynamoDBClient }> {
  const s3 = new S3Client(cfg);
  const db = new DynamoDBClient(cfg);
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await db.send(new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  await s3.send(new PutObjectCommand({ Bucket: name, Key: 'before', Body: 'kept' }));
  await db.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'before' }, v: { S: 'kept' } } }));
  return { s3, db };
}
