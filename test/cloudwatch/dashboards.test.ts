// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { rejects, setup } from './helpers.js';

const body = JSON.stringify({
  widgets: [
    { type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { metrics: [['AWS/EC2', 'CPUUtilization', 'InstanceId', 'i-1']], period: 300, stat: 'Average', region: 'us-east-1' } },
    { type: 'text', x: 12, y: 0, width: 12, height: 2, properties: { markdown: '# hi' } },
  ],
});

t.test('dashboards: put, get, list, delete', async (t) => {
  const { call, alice, gw } = await setup(t);
  t.same(await call('PutDashboard', { DashboardName: 'main', DashboardBody: body }), { DashboardValidationMessages: [] });
  await call('PutDashboard', { DashboardName: 'other-1', DashboardBody: '{"widgets":[]}' });
  const g = await call('GetDashboard', { DashboardName: 'main' });
  t.same(g, { DashboardArn: `arn:aws:cloudwatch::${alice.accountId}:dashboard/main`, DashboardBody: body, DashboardName: 'main' });
  const l = await call('ListDashboards', {});
  t.same(l.DashboardEntries.map((d: { DashboardName: string; Size: number }) => [d.DashboardName, d.Size]), [['main', Buffer.byteLength(body)], ['other-1', 14]]);
  t.equal((await call('ListDashboards', { DashboardNamePrefix: 'oth' })).DashboardEntries.length, 1);
  const bob = await gw.account('bob');
  t.same((await call('ListDashboards', {}, bob)).DashboardEntries, []);
  await rejects(t, call('GetDashboard', { DashboardName: 'main' }, bob), 'DashboardNotFoundError', 'ResourceNotFound', /main does not exist/);
  await rejects(t, call('DeleteDashboards', { DashboardNames: ['main', 'nope'] }), 'DashboardNotFoundError', 'ResourceNotFound', /nope/);
  t.equal((await call('ListDashboards', {})).DashboardEntries.length, 2, 'nothing deleted when one name is unknown');
  await call('DeleteDashboards', { DashboardNames: ['main', 'other-1'] });
  t.same((await call('ListDashboards', {})).DashboardEntries, []);
});

t.test('dashboard body validation', async (t) => {
  const { call } = await setup(t);
  const bad = async (b: string, path: string, msg: RegExp) => {
    try {
      await call('PutDashboard', { DashboardName: 'd', DashboardBody: b });
      t.fail('expected DashboardInvalidInputError');
    } catch (e) {
      const err = e as { code: string; queryCode: string; fields: { dashboardValidationMessages: Array<{ DataPath: string; Message: string }> } };
      t.equal(err.code, 'DashboardInvalidInputError');
      t.equal(err.queryCode, 'InvalidParameterInput');
      t.equal(err.fields.dashboardValidationMessages[0].DataPath, path);
      t.match(err.fields.dashboardValidationMessages[0].Message, msg);
    }
  };
  await bad('{', '', /Invalid JSON/);
  await bad('[]', '', /Should be object/);
  await bad('{}', '', /widgets/);
  await bad('{"widgets":[{"type":"pie"}]}', '/widgets/0/type', /allowed values/);
  await bad('{"widgets":[{"type":"metric","width":30,"properties":{"metrics":[]}}]}', '/widgets/0/width', /<= 24/);
  await bad('{"widgets":[{"type":"text","properties":{}}]}', '/widgets/0/properties', /markdown/);
  await rejects(t, call('PutDashboard', { DashboardName: 'bad name', DashboardBody: '{"widgets":[]}' }), 'DashboardInvalidInputError', 'InvalidParameterInput', /DashboardName/);
});
