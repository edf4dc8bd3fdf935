// SPDX-License-Identifier: AGPL-3.0-or-later
// The fake PVE's wire behaviour: TLS pinning, auth (token, ticket + CSRF), envelope, error shapes.
import t from 'tap';
import { passwordClient, raw, tokenClient } from './client.js';
import { startFakePve } from './index.js';

t.test('wire', async (t) => {
  const pve = await startFakePve({ unauthorizedDelayMs: 0, taskMs: 10 });
  t.teardown(() => pve.close());

  t.test('token auth through proxmox-api with the CA pinned', async (t) => {
    const api = tokenClient(pve);
    const v = (await api.version.$get()) as { version: string };
    t.match(v.version, /^\d+\.\d+/);
    const nodes = (await api.nodes.$get()) as { node: string; status: string }[];
    t.same(nodes.map((n) => n.node), ['pve1', 'pve2', 'pve3']);
    t.ok(nodes.every((n) => n.status === 'online'));
  });

  t.test('fingerprint is the certificate SHA-256', async (t) => {
    t.match(pve.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    t.match(pve.caPem, /BEGIN CERTIFICATE/);
  });

  t.test('envelope and headers', async (t) => {
    const r = await raw(pve, 'GET', '/api2/json/version');
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'application/json;charset=UTF-8');
    t.equal(r.headers.server, 'pve-api-daemon/3.0');
    t.equal(r.headers['cache-control'], 'max-age=0');
    t.same(Object.keys(r.json!), ['data']);
  });

  t.test('401 without body, with PVE reason phrases', async (t) => {
    const none = await raw(pve, 'GET', '/api2/json/version', { auth: false });
    t.equal(none.status, 401);
    t.equal(none.reason, 'No ticket');
    t.equal(none.body, '');
    t.notOk(none.headers['content-type']);
    const bad = await raw(pve, 'GET', '/api2/json/version', { headers: { Authorization: `PVEAPIToken=${pve.tokenId}=00000000-0000-0000-0000-000000000000` }, auth: false });
    t.equal(bad.status, 401);
    t.equal(bad.reason, 'invalid token value!');
    const nouser = await raw(pve, 'GET', '/api2/json/version', { headers: { Authorization: 'PVEAPIToken=ghost@pve!x=00000000-0000-0000-0000-000000000000' }, auth: false });
    t.equal(nouser.reason, "user 'ghost@pve' does not exist");
    const notoken = await raw(pve, 'GET', '/api2/json/version', { headers: { Authorization: 'PVEAPIToken=root@pam!nope=00000000-0000-0000-0000-000000000000' }, auth: false });
    t.equal(notoken.reason, "no such token 'nope' for user 'root@pam'");
    const ticket = await raw(pve, 'GET', '/api2/json/version', { headers: { Cookie: 'PVEAuthCookie=PVE:root@pam:00000000::forged' }, auth: false });
    t.equal(ticket.reason, 'permission denied - invalid PVE ticket');
  });

  t.test('unauthorized answers are delayed as pveproxy does', async (t) => {
    const slow = await startFakePve({ unauthorizedDelayMs: 300 });
    t.teardown(() => slow.close());
    const t0 = Date.now();
    const r = await raw(slow, 'GET', '/api2/json/version', { auth: false });
    t.equal(r.status, 401);
    t.ok(Date.now() - t0 >= 290);
  });

  t.test('ticket auth with CSRF token on writes', async (t) => {
    const api = passwordClient(pve);
    await api.pools.$post({ poolid: 'ticketpool' });
    const pools = (await api.pools.$get()) as { poolid: string }[];
    t.ok(pools.some((p) => p.poolid === 'ticketpool'));
    const login = await raw(pve, 'POST', '/api2/json/access/ticket', { auth: false, body: `username=root%40pam&password=${encodeURIComponent(pve.password)}` });
    const data = login.json!.data as { ticket: string; CSRFPreventionToken: string };
    t.match(data.ticket, /^PVE:root@pam:[0-9A-F]{8}::/);
    const cookie = `PVEAuthCookie=${encodeURIComponent(data.ticket)}`;
    const get = await raw(pve, 'GET', '/api2/json/pools', { auth: false, headers: { Cookie: cookie } });
    t.equal(get.status, 200);
    const noCsrf = await raw(pve, 'POST', '/api2/json/pools', { auth: false, headers: { Cookie: cookie }, body: 'poolid=x1' });
    t.equal(noCsrf.status, 401);
    t.equal(noCsrf.reason, 'Permission denied - invalid csrf token');
    const withCsrf = await raw(pve, 'POST', '/api2/json/pools', { auth: false, headers: { Cookie: cookie, CSRFPreventionToken: data.CSRFPreventionToken }, body: 'poolid=x1' });
    t.equal(withCsrf.status, 200);
    t.same(withCsrf.json, { data: null });
  });

  t.test('wrong password: 401 authentication failure with a JSON body', async (t) => {
    const r = await raw(pve, 'POST', '/api2/json/access/ticket', { auth: false, body: 'username=root%40pam&password=wrong' });
    t.equal(r.status, 401);
    t.equal(r.reason, 'authentication failure');
    t.same(r.json, { data: null, message: 'authentication failure\n' });
  });

  t.test('400 with the errors map', async (t) => {
    const r = await raw(pve, 'POST', '/api2/json/pools', { body: 'poolid=bad%20id&color=red' });
    t.equal(r.status, 400);
    t.equal(r.reason, 'Parameter verification failed.');
    t.equal(r.json!.message, 'Parameter verification failed.\n');
    t.same(r.json!.errors, {
      poolid: "invalid format - invalid pool ID 'bad id'\n",
      color: 'property is not defined in schema and the schema does not allow additional properties',
    });
    const missing = await raw(pve, 'POST', '/api2/json/pools', { body: '' });
    t.same(missing.json!.errors, { poolid: 'property is missing and it is not optional' });
    const vmid = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/abc/config');
    t.same(vmid.json!.errors, { vmid: "type check ('integer') failed - got 'abc'" });
    const small = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/99/config');
    t.same(small.json!.errors, { vmid: 'value must have a minimum value of 100' });
    const dup = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/100/config?vmid=101');
    t.same(dup.json!.errors, { vmid: 'duplicate parameter (already defined in URI) with conflicting values!' });
  });

  t.test('JSON bodies are accepted like form bodies', async (t) => {
    const r = await raw(pve, 'POST', '/api2/json/pools', { body: JSON.stringify({ poolid: 'jsonpool', comment: 'from json' }), headers: { 'Content-Type': 'application/json' } });
    t.equal(r.status, 200);
    const g = await raw(pve, 'GET', '/api2/json/pools?poolid=jsonpool');
    t.equal((g.json!.data as { comment: string }[])[0]!.comment, 'from json');
  });

  t.test('garbage input: PVE-shaped answers, the server stays up', async (t) => {
    const json = await raw(pve, 'POST', '/api2/json/pools', { body: '{"poolid":', headers: { 'Content-Type': 'application/json' } });
    t.equal(json.status, 501);
    t.match(json.reason, /^malformed JSON string/);
    const pct = await raw(pve, 'POST', '/api2/json/pools', { body: 'poolid=%zz%E2%82' });
    t.equal(pct.status, 400);
    const ct = await raw(pve, 'POST', '/api2/json/pools', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    t.equal(ct.status, 506);
    const deep = await raw(pve, 'GET', `/api2/json/nodes/pve1/qemu/100/config/${'x/'.repeat(200)}`);
    t.equal(deep.status, 501);
    const fmt = await raw(pve, 'GET', '/api2/extjs/version');
    t.equal(fmt.status, 501);
    t.equal((await raw(pve, 'GET', '/api2/json/version')).status, 200);
  });

  t.test('500 with the die text as reason and message', async (t) => {
    const r = await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu/4242/config');
    t.equal(r.status, 500);
    t.equal(r.reason, "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
    t.same(r.json, { data: null, message: "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist\n" });
  });

  t.test('501 for unknown paths and methods', async (t) => {
    const r = await raw(pve, 'GET', '/api2/json/cluster/nope');
    t.equal(r.status, 501);
    t.same(r.json, { data: null, message: "Method 'GET /cluster/nope' not implemented" });
    const m = await raw(pve, 'PATCH', '/api2/json/version');
    t.equal(m.status, 501);
    t.equal(m.reason, "method 'PATCH' not available");
    const body = await raw(pve, 'GET', '/api2/json/version', { body: 'a=1' });
    t.equal(body.status, 501);
    t.equal(body.reason, "Unexpected content for method 'GET'");
  });

  t.test('403 Permission check failed', async (t) => {
    const secret = '11111111-2222-3333-4444-555555555555';
    pve.control.addUser('tenant@pve', 'pw');
    pve.control.addToken('tenant@pve!gw', secret, true);
    pve.control.setAcl('tenant@pve!gw', [{ path: '/pool/ticketpool', privs: ['VM.Audit', 'Pool.Audit'] }]);
    const r = await raw(pve, 'POST', '/api2/json/pools', { headers: { Authorization: `PVEAPIToken=tenant@pve!gw=${secret}` }, auth: false, body: 'poolid=evil' });
    t.equal(r.status, 403);
    t.equal(r.reason, 'Permission check failed (/pool, Pool.Allocate)');
    const list = await raw(pve, 'GET', '/api2/json/pools', { headers: { Authorization: `PVEAPIToken=tenant@pve!gw=${secret}` }, auth: false });
    t.same((list.json!.data as { poolid: string }[]).map((p) => p.poolid), ['ticketpool']);
  });

  t.test('595 from the proxy when a node is down', async (t) => {
    pve.control.nodeDown('pve3', 'No route to host');
    const r = await raw(pve, 'GET', '/api2/json/nodes/pve3/qemu');
    t.equal(r.status, 595);
    t.equal(r.reason, 'No route to host');
    t.equal(r.body, '');
    const nodes = (await raw(pve, 'GET', '/api2/json/nodes')).json!.data as { node: string; status: string }[];
    t.equal(nodes.find((n) => n.node === 'pve3')!.status, 'offline');
    const status = (await raw(pve, 'GET', '/api2/json/cluster/status')).json!.data as { type: string; name: string; online?: number; quorate?: number }[];
    t.same(status.map((s) => [s.type, s.name, s.online ?? s.quorate]), [['cluster', 'fakepve', 1], ['node', 'pve1', 1], ['node', 'pve2', 1], ['node', 'pve3', 0]]);
    pve.control.nodeDown('pve2');
    const noQuorum = await raw(pve, 'POST', '/api2/json/pools', { body: 'poolid=nq' });
    t.same([noQuorum.status, noQuorum.reason], [500, 'cluster not ready - no quorum?']);
    t.equal((await raw(pve, 'GET', '/api2/json/pools')).status, 200, 'reads still work');
    pve.control.nodeUp('pve2');
    pve.control.nodeDown('pve3', 'Connection timed out', 596);
    const timedOut = await raw(pve, 'GET', '/api2/json/nodes/pve3/qemu');
    t.same([timedOut.status, timedOut.reason], [596, 'Connection timed out']);
    pve.control.nodeUp('pve3');
    t.equal((await raw(pve, 'GET', '/api2/json/nodes/pve3/qemu')).status, 200);
  });

  t.test('call counters per path template', async (t) => {
    pve.control.resetCalls();
    await raw(pve, 'GET', '/api2/json/cluster/resources?type=vm');
    await raw(pve, 'GET', '/api2/json/cluster/resources');
    await raw(pve, 'GET', '/api2/json/nodes/pve1/qemu');
    t.equal(pve.control.callCount('GET', '/cluster/resources'), 2);
    t.equal(pve.control.callCount('GET', '/nodes/{node}/qemu'), 1);
    t.equal(pve.control.totalCalls(), 3);
  });
});
