// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Dashboards: PutDashboard (body validated like CloudWatch: errors reject the call with
 * DashboardValidationMessages), GetDashboard, ListDashboards, DeleteDashboards. Dashboards are
 * global per account (their ARNs carry no region): cw_dashboards <account>/<name> → record.
 * With a DashboardMirror (the grafana backend), each put and delete is applied there first, so a
 * dashboard that exists here also exists there; reads always answer the CloudWatch body from state.
 */
import type { Handler, RequestContext } from '../../src/context.js';
import { dashboardInvalid, dashboardNotFound, invalidValue } from './errors.js';
import { required } from './validate.js';

const TABLE = 'cw_dashboards';
const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
const WIDGET_TYPES = new Set(['metric', 'text', 'log', 'alarm', 'explorer', 'custom']);
const PAGE = 1000;

interface DashboardRecord {
  name: string;
  body: string;
  lastModified: number;
}

interface Message {
  DataPath: string;
  Message: string;
}

/** Somewhere dashboards are also shown (Grafana): told of every put and delete, before the state. */
export interface DashboardMirror {
  put(tenant: { accountId: string; region: string }, name: string, body: string): Promise<void>;
  delete(accountId: string, names: string[]): Promise<void>;
}

const arnOf = (ctx: RequestContext, name: string) => `arn:aws:cloudwatch::${ctx.accountId}:dashboard/${name}`;

/** Validation errors of a dashboard body (empty when valid). */
export function validateDashboardBody(body: string): Message[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return [{ DataPath: '', Message: `Invalid JSON: ${(e as Error).message}` }];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [{ DataPath: '', Message: 'Should be object' }];
  const d = doc as Record<string, unknown>;
  const msgs: Message[] = [];
  if (d.widgets === undefined) msgs.push({ DataPath: '', Message: 'Should have required property \'widgets\'' });
  else if (!Array.isArray(d.widgets)) msgs.push({ DataPath: '/widgets', Message: 'Should be array' });
  else {
    d.widgets.forEach((w: unknown, i: number) => {
      const at = `/widgets/${i}`;
      if (!w || typeof w !== 'object' || Array.isArray(w)) return void msgs.push({ DataPath: at, Message: 'Should be object' });
      const widget = w as Record<string, unknown>;
      if (typeof widget.type !== 'string') msgs.push({ DataPath: at, Message: "Should have required property 'type'" });
      else if (!WIDGET_TYPES.has(widget.type)) msgs.push({ DataPath: `${at}/type`, Message: `Should be equal to one of the allowed values [${[...WIDGET_TYPES].join(', ')}]` });
      for (const [k, min, max] of [['x', 0, 23], ['y', 0, Infinity], ['width', 1, 24], ['height', 1, 1000]] as const) {
        const v = widget[k];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isInteger(v)) msgs.push({ DataPath: `${at}/${k}`, Message: 'Should be integer' });
        else if (v < min || v > max) msgs.push({ DataPath: `${at}/${k}`, Message: `Should be ${v < min ? `>= ${min}` : `<= ${max}`}` });
      }
      const props = widget.properties;
      if (props !== undefined && (typeof props !== 'object' || props === null || Array.isArray(props))) {
        msgs.push({ DataPath: `${at}/properties`, Message: 'Should be object' });
        return;
      }
      const p = (props ?? {}) as Record<string, unknown>;
      if (widget.type === 'metric' && p.metrics === undefined && p.annotations === undefined) {
        msgs.push({ DataPath: `${at}/properties`, Message: "Should have required property 'metrics'" });
      }
      if (widget.type === 'metric' && p.metrics !== undefined && !Array.isArray(p.metrics)) {
        msgs.push({ DataPath: `${at}/properties/metrics`, Message: 'Should be array' });
      }
      if (widget.type === 'text' && typeof p.markdown !== 'string') {
        msgs.push({ DataPath: `${at}/properties`, Message: "Should have required property 'markdown'" });
      }
      if (widget.type === 'alarm' && !Array.isArray(p.alarms)) {
        msgs.push({ DataPath: `${at}/properties`, Message: "Should have required property 'alarms'" });
      }
      if (widget.type === 'log' && typeof p.query !== 'string') {
        msgs.push({ DataPath: `${at}/properties`, Message: "Should have required property 'query'" });
      }
    });
  }
  return msgs;
}

export function dashboardHandlers(mirror?: DashboardMirror): Record<string, Handler> {
  const table = (ctx: RequestContext) => ctx.gateway.state.table<DashboardRecord>(TABLE);
  const key = (ctx: RequestContext, name: string) => `${ctx.accountId}/${name}`;
  return {
    async PutDashboard(ctx: RequestContext, i: { DashboardName?: string; DashboardBody?: string }) {
      const name = required(i.DashboardName, 'DashboardName');
      if (!NAME_RE.test(name)) {
        throw dashboardInvalid('The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).');
      }
      const body = required(i.DashboardBody, 'DashboardBody');
      const msgs = validateDashboardBody(body);
      if (msgs.length) throw dashboardInvalid('The field DashboardBody must be a valid JSON object', msgs);
      await mirror?.put({ accountId: ctx.accountId, region: ctx.region }, name, body);
      await table(ctx).put(key(ctx, name), { name, body, lastModified: ctx.gateway.clock.now() });
      return { DashboardValidationMessages: [] };
    },

    async GetDashboard(ctx: RequestContext, i: { DashboardName?: string }) {
      const name = required(i.DashboardName, 'DashboardName');
      const d = await table(ctx).get(key(ctx, name));
      if (!d) throw dashboardNotFound(`Dashboard ${name} does not exist`);
      return { DashboardArn: arnOf(ctx, name), DashboardBody: d.body, DashboardName: name };
    },

    async ListDashboards(ctx: RequestContext, i: { DashboardNamePrefix?: string; NextToken?: string }) {
      const base = `${ctx.accountId}/`;
      let after: string | undefined;
      if (i.NextToken !== undefined) {
        after = Buffer.from(i.NextToken, 'base64url').toString('utf8');
        if (!after.startsWith(base)) throw invalidValue('The value of the parameter NextToken is invalid.');
      }
      const rows = await table(ctx).range({ prefix: base + (i.DashboardNamePrefix ?? ''), ...(after ? { start: after, exclusiveStart: true } : {}), limit: PAGE + 1 });
      const page = rows.slice(0, PAGE);
      return {
        DashboardEntries: page.map(([, d]) => ({ DashboardName: d.name, DashboardArn: arnOf(ctx, d.name), LastModified: new Date(d.lastModified), Size: Buffer.byteLength(d.body) })),
        ...(rows.length > PAGE ? { NextToken: Buffer.from(page[page.length - 1][0]).toString('base64url') } : {}),
      };
    },

    async DeleteDashboards(ctx: RequestContext, i: { DashboardNames?: string[] }) {
      const names = required(i.DashboardNames, 'DashboardNames');
      for (const n of names) if (!(await table(ctx).get(key(ctx, n)))) throw dashboardNotFound(`Dashboard ${n} does not exist`);
      await mirror?.delete(ctx.accountId, names);
      for (const n of names) await table(ctx).delete(key(ctx, n));
      return {};
    },
  };
}
