// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The checks each item operation (and the TTL operations) makes before it reads or writes
 * anything, by operation name: the same functions the handlers of items.ts, read.ts, batch.ts and
 * tableops.ts start with. A backend that
 * passes requests through to a store validating differently (translators/alternator) runs them
 * first, so clients get DynamoDB's errors whichever backend serves the table.
 */
import type { RequestContext } from '../../src/context.js';
import type { DynamoBackend } from './backend.js';
import { prepareBatchGetItem, prepareBatchWriteItem } from './batch.js';
import { prepareDeleteItem, prepareGetItem, preparePutItem, prepareUpdateItem } from './items.js';
import { prepareQuery, prepareScan } from './read.js';
import { prepareDescribeTimeToLive, prepareUpdateTimeToLive } from './tableops.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Validator = (backend: DynamoBackend, ctx: RequestContext, input: Record<string, any>) => Promise<unknown>;

export const itemValidators: Readonly<Record<string, Validator>> = {
  PutItem: preparePutItem,
  GetItem: prepareGetItem,
  DeleteItem: prepareDeleteItem,
  UpdateItem: prepareUpdateItem,
  Query: prepareQuery,
  Scan: prepareScan,
  BatchGetItem: prepareBatchGetItem,
  BatchWriteItem: prepareBatchWriteItem,
  UpdateTimeToLive: prepareUpdateTimeToLive,
  DescribeTimeToLive: prepareDescribeTimeToLive,
};
