// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { encode } from 'cbor-x';
import { CloudWatchClient, DeleteDashboardsCommand, GetMetricDataCommand, PutMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { AwsError } from '../../src/errors.js';
import { cborCodec } from '../../src/protocols/cbor.js';
import { selectCodec } from '../../src/protocols/index.js';
import { loadModel } from '../../src/protocols/model.js';
import type { ResponseContext } from '../../src/protocols/types.js';
import { capture, sdkRead, toWire } from './sdk.js';

const cw = loadModel('monitoring-2010-08-01');
const rc: ResponseContext = { requestId: 'cbor-req-1', service: 'monitoring', region: 'us-east-1' };
const useCbor = { protocol: AwsSmithyRpcV2CborProtocol };
const opts = { s3BaseDomains: ['localhost'] };

t.test('rpc-v2-cbor requests from the JS SDK', async (t) => {
  const ts = new Date('2026-01-02T03:04:05.500Z');
  const req = await capture(
    CloudWatchClient,
    new PutMetricDataCommand({
      Namespace: 'App',
      MetricData: [{ MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5, Values: [1, 2.5] }],
    }),
    useCbor,
  );
  t.equal(req.path, '/service/GraniteServiceVersion20100801/operation/PutMetricData');
  t.equal(req.headers['smithy-protocol'], 'rpc-v2-cbor');
  t.equal(selectCodec(cw, req, opts), cborCodec);
  const p = await cborCodec.parse(req, cw);
  t.equal(p.operation, 'PutMetricData');
  t.same(p.input, {
    Namespace: 'App',
    MetricData: [{ MetricName: 'Latency', Dimensions: [{ Name: 'Host', Value: 'h1' }], Timestamp: ts, Value: 1.5, Values: [1, 2.5] }],
  });
  t.ok((p.input.MetricData as Array<{ Timestamp: Date }>)[0]!.Timestamp instanceof Date);

  const list = await capture(CloudWatchClient, new ListMetricsCommand({}), useCbor);
  t.same(await cborCodec.parse(list, cw), { operation: 'ListMetrics', input: {} });
});

t.test('rpc-v2-cbor outputs and errors read back by the SDK', async (t) => {
  const ts = new Date('2026-01-02T03:04:05.500Z');
  let res = cborCodec.serialize(cw, 'GetMetricData', { MetricDataResults: [{ Id: 'm1', Timestamps: [ts], Values: [2.5, 3], StatusCode: 'Complete' }] }, rc);
  t.equal(res.headers['smithy-protocol'], 'rpc-v2-cbor');
  t.equal(res.headers['Content-Type'], 'application/cbor');
  let r = await sdkRead(CloudWatchClient, new GetMetricDataCommand({ MetricDataQueries: [], StartTime: ts, EndTime: ts }), res, useCbor);
  t.notOk(r.error);
  t.same(r.output!.MetricDataResults, [{ Id: 'm1', Timestamps: [ts], Values: [2.5, 3], StatusCode: 'Complete' }]);
  t.equal((r.output!.$metadata as { requestId: string }).requestId, 'cbor-req-1');

  res = cborCodec.serialize(cw, 'PutMetricData', {}, rc);
  r = await sdkRead(CloudWatchClient, new PutMetricDataCommand({ Namespace: 'n', MetricData: [] }), res, useCbor);
  t.notOk(r.error, 'output-less operation');

  res = cborCodec.serializeError(cw, new AwsError('DashboardNotFoundError', 'Dashboard d does not exist', { status: 404 }), rc);
  t.equal(res.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
  r = await sdkRead(CloudWatchClient, new DeleteDashboardsCommand({ DashboardNames: ['d'] }), res, useCbor);
  t.equal(r.error!.name, 'ResourceNotFound');
  t.equal(r.error!.message, 'Dashboard d does not exist');
  t.equal((r.error!.$metadata as { requestId: string }).requestId, 'cbor-req-1');
});

t.test('rpc-v2-cbor bad requests', async (t) => {
  const post = (path: string, body: Buffer) =>
    toWire({ method: 'POST', path, headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, body });
  await t.rejects(cborCodec.parse(post('/service/GraniteServiceVersion20100801/operation/Nope', Buffer.alloc(0)), cw), {
    code: 'UnknownOperationException',
    status: 404,
  });
  await t.rejects(cborCodec.parse(post('/service/Other/operation/ListMetrics', Buffer.alloc(0)), cw), { code: 'UnknownOperationException' });
  await t.rejects(cborCodec.parse(post('/service/GraniteServiceVersion20100801/operation/ListMetrics', Buffer.from([0xff, 0x00])), cw), {
    code: 'SerializationException',
  });
  await t.rejects(cborCodec.parse(post('/service/GraniteServiceVersion20100801/operation/ListMetrics', encode({ Namespace: 5 })), cw), {
    code: 'SerializationException',
  });
  await t.rejects(cborCodec.parse(post('/service/GraniteServiceVersion20100801/operation/PutMetricData', encode({ MetricData: [] })), cw), {
    code: 'MissingRequiredParameterException',
  });
  const ok = await cborCodec.parse(
    post('/service/GraniteServiceVersion20100801/operation/GetMetricStatistics', encode({ Namespace: 'n', MetricName: 'm', StartTime: 1767225600.5, EndTime: new Date(0), Period: 60 })),
    cw,
  );
  t.same(ok.input, { Namespace: 'n', MetricName: 'm', StartTime: new Date(1767225600500), EndTime: new Date(0), Period: 60 }, 'float and tagged timestamps');
  // Jackson (Java v2) writes indefinite-length maps and chunked long strings.
  const chunked = Buffer.concat([
    Buffer.from('bf', 'hex'),
    encode('Namespace'),
    Buffer.from('7f', 'hex'),
    encode('Long'),
    encode('Namespace'),
    Buffer.from('ff', 'hex'),
    encode('MetricName'),
    encode('m'),
    Buffer.from('ff', 'hex'),
  ]);
  const p = await cborCodec.parse(post('/service/GraniteServiceVersion20100801/operation/ListMetrics', chunked), cw);
  t.same(p.input, { Namespace: 'LongNamespace', MetricName: 'm' });
});
