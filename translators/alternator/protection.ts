// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * DeletionProtectionEnabled, which Alternator does not keep: the gateway stores the flag beside
 * the transaction log (row `P#<alternator table name>` of `txTable`, so every gateway sharing the
 * cluster sees it), reports it in table descriptions and refuses DeleteTable while it is set, with
 * DynamoDB's error.
 */
import type { AlternatorClient } from './client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

export class ProtectionStore {
  constructor(
    private readonly client: AlternatorClient,
    private readonly table: string,
    private readonly ready: () => Promise<void>,
  ) {}

  async get(upName: string): Promise<boolean> {
    await this.ready();
    const r = await this.client.call<Doc>('GetItem', { TableName: this.table, Key: { pk: { S: `P#${upName}` } }, ConsistentRead: true }, true);
    return r.Item?.on?.BOOL === true;
  }

  async set(upName: string, on: boolean): Promise<void> {
    await this.ready();
    if (on) await this.client.call('PutItem', { TableName: this.table, Item: { pk: { S: `P#${upName}` }, on: { BOOL: true } } }, true);
    else await this.client.call('DeleteItem', { TableName: this.table, Key: { pk: { S: `P#${upName}` } } }, true);
  }
}
