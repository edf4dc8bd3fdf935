// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Alarms through @aws-sdk/client-cloudwatch: the Terraform aws_cloudwatch_metric_alarm call
 * sequence (DescribeAlarms, PutMetricAlarm with Tags, ListTagsForResource, DeleteAlarms), the
 * running gateway's own scheduler moving an alarm to ALARM, and history; boto3 for SetAlarmState.
 */
import t from 'tap';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { run, startTestGateway } from '../harness.js';
import { metricBackends } from '../backends/suites.js';

for (const b of metricBackends()) {
  t.test(`Terraform-style alarm lifecycle over rpc-v2-cbor, evaluated by the scheduler on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const cw = new CloudWatchClient({
      ...gw.clientConfig,
      protocol: AwsSmithyRpcV2CborProtocol,
      protocolSettings: { defaultNamespace: 'com.amazonaws.cloudwatch', serviceTarget: 'GraniteServiceVersion20100801', awsQueryCompatible: true },
    } as never);
    const name = 'tf-cpu';
    const before = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
    t.same(before.MetricAlarms, []);
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: name, Namespace: 'Conf', MetricName: 'Cpu', Statistic: 'Average', Period: 60, EvaluationPeriods: 1,
      Threshold: 80, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', Tags: [{ Key: 'env', Value: 'test' }],
    }));
    const created = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }))).MetricAlarms![0];
    t.equal(created.StateValue, 'INSUFFICIENT_DATA');
    t.equal(created.Threshold, 80);
    t.ok(created.AlarmConfigurationUpdatedTimestamp instanceof Date);
    t.same((await cw.send(new ListTagsForResourceCommand({ ResourceARN: created.AlarmArn }))).Tags, [{ Key: 'env', Value: 'test' }]);
    // a breaching datapoint in the last complete minute; the gateway's 5-second scheduler evaluates
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    await cw.send(new PutMetricDataCommand({ Namespace: 'Conf', MetricData: [{ MetricName: 'Cpu', Value: 95, Timestamp: new Date(minute - 30_000) }] }));
    let state = '';
    for (let i = 0; i < 30 && state !== 'ALARM'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      state = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms![0].StateValue!;
    }
    t.equal(state, 'ALARM');
    const hist = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'StateUpdate' }));
    t.match(hist.AlarmHistoryItems?.[0]?.HistorySummary, /to ALARM/);
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
    t.same((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms, []);
  });
}

for (const b of metricBackends()) {
  t.test(`boto3: put_metric_alarm, set_alarm_state, describe_alarms, errors on ${b.name}`, { skip: b.skip }, async (t) => {
    const gw = await startTestGateway(t, { config: await b.config(t) });
    const script = `
import boto3, json
cw = boto3.client('cloudwatch')
cw.put_metric_alarm(AlarmName='b', Namespace='N', MetricName='m', Statistic='Sum', Period=60, EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=1.0, ComparisonOperator='GreaterThanThreshold')
cw.set_alarm_state(AlarmName='b', StateValue='ALARM', StateReason='manual')
a = cw.describe_alarms(AlarmNames=['b'])['MetricAlarms'][0]
out = {'state': a['StateValue'], 'reason': a['StateReason'], 'n': a['EvaluationPeriods'], 'm': a['DatapointsToAlarm']}
try:
    cw.set_alarm_state(AlarmName='missing', StateValue='OK', StateReason='x')
except cw.exceptions.ResourceNotFound as e:
    out['err'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps(out))
  `;
    const r = await run('python3', ['-c', script], { env: gw.env() });
    t.equal(r.code, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { state: 'ALARM', reason: 'manual', n: 2, m: 1, err: ['ResourceNotFound', 404] });
  });
}
