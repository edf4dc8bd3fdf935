// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Debian's rclone (copy, check, sync), restic (init, backup, check, restore: byte-identical) and
 * s3cmd (mb, put, ls, get, del) against the real server. Each is skipped when not installed
 * (`apt-get install rclone restic s3cmd`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { run, startTestGateway, type TestGatewayHandle } from '../harness.js';

function has(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tree(t: { teardown(fn: () => void): void }): { dir: string; files: Record<string, Buffer> } {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-s3tools-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, Buffer> = {
    'src/a.txt': Buffer.from('alpha\n'),
    'src/sub dir/b.bin': Buffer.alloc(300_000, 0x5a),
    'src/sub dir/ü.txt': Buffer.from('unicode name\n'),
    'src/empty': Buffer.alloc(0),
  };
  for (const [p, b] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), b);
  }
  return { dir, files };
}

function rcloneEnv(gw: TestGatewayHandle): NodeJS.ProcessEnv {
  return {
    ...gw.env(),
    RCLONE_CONFIG_GW_TYPE: 's3',
    RCLONE_CONFIG_GW_PROVIDER: 'Other',
    RCLONE_CONFIG_GW_ENDPOINT: gw.url,
    RCLONE_CONFIG_GW_ACCESS_KEY_ID: gw.credentials.accessKeyId,
    RCLONE_CONFIG_GW_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
    RCLONE_CONFIG_GW_REGION: gw.region,
    RCLONE_CONFIG_GW_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG: '/dev/null',
  };
}

t.test('rclone copy, check, sync', { skip: has('rclone') ? false : 'rclone not installed' }, async (t) => {
  const gw = await startTestGateway(t);
  const { dir } = tree(t);
  const env = rcloneEnv(gw);
  const rc = async (...args: string[]) => {
    const r = await run('rclone', args, { env, timeoutMs: 300_000 });
    t.equal(r.code, 0, `rclone ${args.join(' ')}: ${r.stderr.slice(-2000)}`);
    return r;
  };
  await rc('mkdir', 'gw:rclone-bucket');
  await rc('copy', join(dir, 'src'), 'gw:rclone-bucket/copy');
  await rc('check', join(dir, 'src'), 'gw:rclone-bucket/copy');
  writeFileSync(join(dir, 'src', 'a.txt'), 'changed\n');
  rmSync(join(dir, 'src', 'empty'));
  await rc('sync', join(dir, 'src'), 'gw:rclone-bucket/copy');
  await rc('check', join(dir, 'src'), 'gw:rclone-bucket/copy');
  const ls = await rc('lsf', '-R', 'gw:rclone-bucket/copy');
  t.same(ls.stdout.trim().split('\n').sort(), ['a.txt', 'sub dir/', 'sub dir/b.bin', 'sub dir/ü.txt']);
});

t.test('restic init, backup, check, restore', { skip: has('restic') ? false : 'restic not installed' }, async (t) => {
  const gw = await startTestGateway(t);
  const { dir, files } = tree(t);
  const env = { ...gw.env(), RESTIC_REPOSITORY: `s3:${gw.url}/restic-bucket`, RESTIC_PASSWORD: 'correct horse battery staple', RESTIC_CACHE_DIR: join(dir, 'cache') };
  const rs = async (...args: string[]) => {
    const r = await run('restic', args, { env, timeoutMs: 300_000 });
    t.equal(r.code, 0, `restic ${args.join(' ')}: ${r.stderr.slice(-2000)}`);
    return r;
  };
  await rs('init');
  await rs('backup', join(dir, 'src'));
  await rs('check', '--read-data');
  await rs('restore', 'latest', '--target', join(dir, 'out'));
  for (const [p, b] of Object.entries(files)) t.ok(readFileSync(join(dir, 'out', dir, p)).equals(b), `${p} restored byte-identical`);
});

t.test('s3cmd mb, put, ls, get, del', { skip: has('s3cmd') ? false : 's3cmd not installed' }, async (t) => {
  const gw = await startTestGateway(t);
  const { dir, files } = tree(t);
  const host = gw.url.replace(/^http:\/\//, '');
  const cfg = join(dir, 's3cfg');
  writeFileSync(cfg, `[default]\naccess_key = ${gw.credentials.accessKeyId}\nsecret_key = ${gw.credentials.secretAccessKey}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nbucket_location = ${gw.region}\nsignature_v2 = False\n`);
  const s3cmd = async (...args: string[]) => {
    const r = await run('s3cmd', ['-c', cfg, ...args], { env: { PATH: process.env.PATH, HOME: dir }, timeoutMs: 300_000 });
    t.equal(r.code, 0, `s3cmd ${args.join(' ')}: ${r.stderr.slice(-2000)}`);
    return r;
  };
  await s3cmd('mb', 's3://s3cmd-bucket');
  await s3cmd('put', join(dir, 'src', 'a.txt'), 's3://s3cmd-bucket/dir/a.txt');
  await s3cmd('put', join(dir, 'src', 'sub dir', 'b.bin'), 's3://s3cmd-bucket/dir/b.bin');
  const ls = await s3cmd('ls', 's3://s3cmd-bucket/dir/');
  t.match(ls.stdout, /s3:\/\/s3cmd-bucket\/dir\/a\.txt/);
  t.match(ls.stdout, /300000 +s3:\/\/s3cmd-bucket\/dir\/b\.bin/);
  await s3cmd('get', 's3://s3cmd-bucket/dir/b.bin', join(dir, 'b.back'));
  t.ok(readFileSync(join(dir, 'b.back')).equals(files['src/sub dir/b.bin']));
  await s3cmd('del', 's3://s3cmd-bucket/dir/a.txt');
  const after = await s3cmd('ls', 's3://s3cmd-bucket/dir/');
  t.notMatch(after.stdout, /a\.txt/);
});
