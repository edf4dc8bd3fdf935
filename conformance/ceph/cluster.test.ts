// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The scratch Ceph that conformance/backends/ceph/up.sh starts: healthy, its RGW answers S3 and the
 * admin ops API with the keys it prints, the rbd pool exists, and a second up.sh is a no-op.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import aws4 from 'aws4';
import t from 'tap';
import { cephProcessEnv, cephScriptsDir, cephUp, parseCephEnv } from '../backends/ceph/cluster.js';

const run = promisify(execFile);

t.test('parseCephEnv', async (t) => {
  t.throws(() => parseCephEnv('CEPH_DIR=/x\n'), /lacks CEPH_CONF/);
  const lines = ['CEPH_DIR=/d', 'CEPH_CONF=/d/ceph.conf', 'CEPH_KEYRING=/d/keyring', 'CEPH_CLIENT=client.admin',
    'CEPH_FSID=f', 'CEPH_MON_HOST=127.0.0.1:1', 'RBD_POOL=rbd', 'RGW_ENDPOINT=http://127.0.0.1:2',
    'RGW_ADMIN_UID=u', 'RGW_ADMIN_ACCESS_KEY=AK', 'RGW_ADMIN_SECRET_KEY=a=b', 'noise line'];
  const env = parseCephEnv(lines.join('\n'));
  t.equal(env.rgwAdminSecretKey, 'a=b');
  t.equal(env.rgwEndpoint, 'http://127.0.0.1:2');
  t.equal(Object.keys(env.vars).length, 11);
});

t.test('a running cluster', async (t) => {
  const env = await cephUp();
  t.same(parseCephEnv(readFileSync(join(env.dir, 'env'), 'utf8')), env, 'the env file holds what up.sh printed');

  const penv = cephProcessEnv(env);
  const health = await run('ceph', ['health'], { env: penv });
  t.equal(health.stdout.trim(), 'HEALTH_OK');
  const pools = (await run('ceph', ['osd', 'pool', 'ls'], { env: penv })).stdout.split('\n');
  t.ok(pools.includes(env.rbdPool), 'the rbd pool exists');
  t.ok(pools.includes('default.rgw.buckets.data'), 'the RGW pools exist');

  const url = new URL(env.rgwEndpoint);
  const anon = await fetch(url);
  t.equal(anon.status, 200, 'RGW answers');

  const path = `/admin/user?uid=${env.rgwAdminUid}&format=json`;
  const signed = aws4.sign({ host: url.host, path, method: 'GET', service: 's3', region: 'us-east-1' },
    { accessKeyId: env.rgwAdminAccessKey, secretAccessKey: env.rgwAdminSecretKey });
  const res = await fetch(new URL(path, url), { headers: signed.headers as Record<string, string> });
  t.equal(res.status, 200, 'the admin ops API accepts the admin keys');
  const user = (await res.json()) as { user_id: string; caps: { type: string; perm: string }[] };
  t.equal(user.user_id, env.rgwAdminUid);
  t.same(user.caps.map((c) => c.type).sort(), ['buckets', 'metadata', 'usage', 'users', 'zone']);

  const bad = aws4.sign({ host: url.host, path, method: 'GET', service: 's3', region: 'us-east-1' },
    { accessKeyId: env.rgwAdminAccessKey, secretAccessKey: 'wrong' + env.rgwAdminSecretKey });
  const denied = await fetch(new URL(path, url), { headers: bad.headers as Record<string, string> });
  t.equal(denied.status, 403, 'a wrong secret is refused');
  await denied.arrayBuffer();

  const t0 = Date.now();
  const again = await run('bash', [join(cephScriptsDir(), 'up.sh')]);
  t.same(parseCephEnv(again.stdout), env, 'up.sh again: same cluster');
  t.ok(Date.now() - t0 < 5000, `up.sh on a running cluster is fast (${Date.now() - t0} ms)`);
});
