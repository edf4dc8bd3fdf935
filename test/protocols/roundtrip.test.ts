// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Every operation's input and output shapes, filled with sample values: inputs serialized by the
 * real SDK v3 client and parsed by our codec, outputs serialized by our codec and read back by the
 * client. What comes out must be what went in.
 */
import t from 'tap';
import * as sts from '@aws-sdk/client-sts';
import * as iam from '@aws-sdk/client-iam';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as logs from '@aws-sdk/client-cloudwatch-logs';
import * as ddb from '@aws-sdk/client-dynamodb';
import * as ec2 from '@aws-sdk/client-ec2';
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { cborCodec } from '../../src/protocols/cbor.js';
import { jsonCodec } from '../../src/protocols/json.js';
import { loadModel } from '../../src/protocols/model.js';
import { ec2Codec, queryCodec } from '../../src/protocols/query.js';
import type { Codec } from '../../src/protocols/types.js';
import { asSdk, sample } from './fake.js';
import { capture, sdkRead, type ClientCtor } from './sdk.js';

interface Suite {
  name: string;
  stem: string;
  codec: Codec;
  sdk: Record<string, unknown>;
  client: string;
  extra?: Record<string, unknown>;
  /** Take every n-th operation (EC2 has ~600). */
  every?: number;
}

const suites: Suite[] = [
  { name: 'sts query', stem: 'sts-2011-06-15', codec: queryCodec, sdk: sts, client: 'STSClient' },
  { name: 'iam query', stem: 'iam-2010-05-08', codec: queryCodec, sdk: iam, client: 'IAMClient' },
  { name: 'cloudwatch query', stem: 'monitoring-2010-08-01', codec: queryCodec, sdk: cw, client: 'CloudWatchClient', extra: { protocol: AwsQueryProtocol } },
  { name: 'cloudwatch json', stem: 'monitoring-2010-08-01', codec: jsonCodec, sdk: cw, client: 'CloudWatchClient' },
  { name: 'cloudwatch cbor', stem: 'monitoring-2010-08-01', codec: cborCodec, sdk: cw, client: 'CloudWatchClient', extra: { protocol: AwsSmithyRpcV2CborProtocol } },
  { name: 'logs json', stem: 'logs-2014-03-28', codec: jsonCodec, sdk: logs, client: 'CloudWatchLogsClient' },
  { name: 'dynamodb json', stem: 'dynamodb-2012-08-10', codec: jsonCodec, sdk: ddb, client: 'DynamoDBClient' },
  { name: 'ec2', stem: 'ec2-2016-11-15', codec: ec2Codec, sdk: ec2, client: 'EC2Client', every: 7 },
];

const rc = { requestId: 'rt-1', service: 'x', region: 'us-east-1' };

for (const s of suites) {
  t.test(s.name, async (t) => {
    const model = loadModel(s.stem);
    const Client = s.sdk[s.client] as ClientCtor<{ send(c: unknown): Promise<unknown>; destroy(): void }>;
    let i = 0;
    let checked = 0;
    let inputs = 0;
    for (const [name, op] of model.operations) {
      // MCGW_FULL_ROUNDTRIP=1 checks every operation (EC2's ~600 too).
      if (i++ % (process.env.MCGW_FULL_ROUNDTRIP ? 1 : (s.every ?? 1)) !== 0) continue;
      const Command = s.sdk[`${name}Command`] as (new (input: unknown) => unknown) | undefined;
      if (!Command) continue;
      if (op.input && !Object.values(op.input.members ?? {}).some((m) => m.eventstream || m.streaming || m.location)) {
        const input = sample(op.input, name) as Record<string, unknown>;
        const req = await capture(Client, new Command(input), s.extra);
        const parsed = await s.codec.parse(req, model);
        t.equal(parsed.operation, name);
        t.strictSame(asSdk(parsed.input), asSdk(input), `${name} input`);
        inputs++;
      }
      if (!op.output || Object.values(op.output.members ?? {}).some((m) => m.eventstream || m.streaming)) continue;
      const value = sample(op.output, name) as Record<string, unknown>;
      const res = s.codec.serialize(model, name, value, rc);
      const r = await sdkRead(Client, new Command({}), res, s.extra);
      if (r.error) {
        t.fail(`${name}: ${r.error.name}: ${r.error.message}`);
        continue;
      }
      const { $metadata, ...out } = r.output!;
      t.strictSame(asSdk(out), asSdk(value), name);
      checked++;
    }
    t.ok(checked > 0, `${checked} outputs round-tripped`);
    t.ok(inputs > 0, `${inputs} inputs round-tripped`);
  });
}
