// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A read-only data dir, two ways (root only; skipped with the reason otherwise):
 *  - at start-up: the data dir is a read-only bind mount; `mcgw serve` refuses to start, exits
 *    non-zero and says why (the file system is read-only) instead of serving what it cannot keep.
 *  - during the run: the kernel refuses `mount -o remount,ro` while LMDB holds its files open
 *    (EBUSY) and this machine has no device-mapper to fail writes below the file system, so the data
 *    dir is mounted through rofs.py, a pass-through FUSE file system that answers EROFS to every
 *    write while a flag file exists — what a file system remounted read-only answers. Writes fail
 *    with AWS's errors (S3 InternalError, DynamoDB InternalServerError, 500, with a request id),
 *    reads keep working, the process stays up, writes work again once the flag is gone, and a
 *    restart finds every acknowledged write.
 */
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sleep, spawnGateway, type GatewayProc } from './proc.js';
import { keptEntries, outcome } from './sdk.js';

const root = process.getuid?.() === 0;
const PYTHON = '/usr/bin/python3';
// the .py file is not compiled: it is read from the source tree beside this file's source
const ROFS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'reliability', 'rofs.py');

function fuseMissing(): string | false {
  if (!root) return 'needs root to mount';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse on this machine';
  try {
    execFileSync(PYTHON, ['-c', 'import fusepy'], { stdio: 'pipe' });
  } catch {
    return 'needs Debian python3-fusepy (apt-get install python3-fusepy)';
  }
  return existsSync(ROFS) ? false : `rofs.py not found at ${ROFS}`;
}

const mounted = (dir: string) => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);

function unmount(dir: string): void {
  if (!mounted(dir)) return;
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

t.test('a read-only data dir at start-up: refused, with the reason', { skip: root ? false : 'needs root for a read-only bind mount' }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-ro-'));
  const data = join(base, 'data');
  const ro = join(base, 'ro');
  mkdirSync(ro);
  t.teardown(() => {
    unmount(ro);
    rmSync(base, { recursive: true, force: true });
  });
  const first = await spawnGateway(data);
  t.equal(await first.kill('SIGTERM'), 0, 'a data dir made by a first run');
  execFileSync('mount', ['--bind', data, ro]);
  execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
  const refused = await spawnGateway(ro).then(
    async (gw) => {
      await gw.kill('SIGKILL');
      return 'it started';
    },
    (e: Error) => e.message,
  );
  t.match(refused, /gateway exited with [1-9]/, 'mcgw serve exits non-zero');
  t.match(refused, /read-only file system/i, `and says why: ${refused.replace(/\s+/g, ' ').slice(0, 160)}`);
});

t.test('the data dir turns read-only under a running gateway, and back', { skip: fuseMissing() }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-rofs-'));
  const source = join(base, 'source');
  const mnt = join(base, 'mnt');
  const flag = join(base, 'read-only');
  mkdirSync(source);
  mkdirSync(mnt);
  let gw: GatewayProc | undefined;
  const fuse: ChildProcess = spawn(PYTHON, [ROFS, source, mnt, flag], { stdio: ['ignore', 'ignore', 'pipe'] });
  let fuseErr = '';
  fuse.stderr!.on('data', (d) => (fuseErr += d));
  t.teardown(async () => {
    await gw?.kill('SIGKILL');
    unmount(mnt);
    fuse.kill('SIGTERM');
    rmSync(base, { recursive: true, force: true });
  });
  for (let i = 0; i < 100 && !mounted(mnt); i++) await sleep(50);
  if (!mounted(mnt)) {
    t.fail(`rofs.py did not mount: ${fuseErr}`);
    return;
  }
  const dataDir = join(mnt, 'data');
  gw = await spawnGateway(dataDir);
  let { s3, db } = await keptEntries(gw.clientConfig, 'rodir');

  await t.test('read-only', async (t) => {
    writeFileSync(flag, '');
    t.throws(() => writeFileSync(join(dataDir, 'probe'), 'x'), { code: 'EROFS' }, 'the data dir answers EROFS to writes');
    for (const body of ['x', Buffer.alloc(2 * 1024 * 1024, 3)]) {
      const s = await outcome(s3.send(new PutObjectCommand({ Bucket: 'rodir', Key: `ro-${body.length}`, Body: body })));
      t.match(s, { name: 'InternalError', status: 500 }, `S3 PutObject of ${body.length} bytes: ${s.name} ${s.status}`);
      t.ok(s.requestId, 'with a request id');
    }
    const d = await outcome(db.send(new PutItemCommand({ TableName: 'rodir', Item: { pk: { S: 'ro' } } })));
    t.match(d, { name: 'InternalServerError', status: 500 }, `DynamoDB PutItem: ${d.name} ${d.status}`);
    t.ok(d.requestId, 'with a request id');
    const b = await outcome(s3.send(new CreateBucketCommand({ Bucket: 'rodir-new' })));
    t.match(b, { status: 500 }, `S3 CreateBucket: ${b.name} ${b.status}`);
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'rodir', Key: 'before' }));
    t.equal(await kept.Body!.transformToString(), 'kept', 'S3 reads still work');
    t.equal((await db.send(new GetItemCommand({ TableName: 'rodir', Key: { pk: { S: 'before' } } }))).Item?.v?.S, 'kept', 'DynamoDB reads still work');
    t.equal(gw!.child.exitCode, null, 'the process stays up');
    t.equal((await fetch(`${gw!.url}/_mcgw/health`)).status, 200, 'and answers its health check');
  });

  await t.test('writable again', async (t) => {
    unlinkSync(flag);
    t.match(await outcome(s3.send(new PutObjectCommand({ Bucket: 'rodir', Key: 'after', Body: 'ok' }))), { name: 'success' }, 'S3 writes work again');
    t.match(await outcome(db.send(new PutItemCommand({ TableName: 'rodir', Item: { pk: { S: 'after' }, v: { S: 'ok' } } }))), { name: 'success' }, 'DynamoDB writes work again');
    t.match(await outcome(s3.send(new CreateBucketCommand({ Bucket: 'rodir-new' }))), { name: 'success' }, 'S3 CreateBucket works again');
  });

  await t.test('a restart finds every acknowledged write, and none of the refused ones', async (t) => {
    s3.destroy();
    db.destroy();
    t.equal(await gw!.kill('SIGTERM'), 0, 'stops cleanly');
    gw = await spawnGateway(dataDir);
    s3 = new S3Client(gw.clientConfig);
    db = new DynamoDBClient(gw.clientConfig);
    for (const [k, v] of [['before', 'kept'], ['after', 'ok']]) {
      t.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'rodir', Key: k }))).Body!.transformToString(), v, `object ${k}`);
      t.equal((await db.send(new GetItemCommand({ TableName: 'rodir', Key: { pk: { S: k } } }))).Item?.v?.S, v, `item ${k}`);
    }
    t.match(await outcome(s3.send(new GetObjectCommand({ Bucket: 'rodir', Key: 'ro-1' }))), { name: 'NoSuchKey' }, 'the refused object is not there');
    t.notOk((await db.send(new GetItemCommand({ TableName: 'rodir', Key: { pk: { S: 'ro' } } }))).Item, 'the refused item is not there');
    s3.destroy();
    db.destroy();
    t.equal(await gw.kill('SIGTERM'), 0, 'stops cleanly');
  });
});
