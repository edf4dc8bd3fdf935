// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * A full disk under a real `mcgw serve` process: the data dir lives on a small tmpfs of its own
 * (mounted here; needs root — skipped with the reason otherwise). Writes fail with AWS's error for
 * it (S3 InternalError, DynamoDB InternalServerError, 500, request id), reads keep working, the
 * process stays up, and writes succeed again once space returns. A read-only data dir:
 * read-only.test.ts.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnGateway, type GatewayProc } from './proc.js';
import { keptEntries, outcome } from './sdk.js';

const root = process.getuid?.() === 0;

t.test('disk full', { skip: root ? false : 'needs root to mount a small tmpfs' }, async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'mcgw-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
  let gw: GatewayProc | undefined;
  t.teardown(async () => {
    await gw?.kill('SIGKILL');
    try {
      execFileSync('umount', [mnt]);
    } catch {
      execFileSync('umount', ['-l', mnt]);
    }
    rmSync(mnt, { recursive: true, force: true });
  });
  const dataDir = join(mnt, 'data');
  gw = await spawnGateway(dataDir);
  const { s3, db } = await keptEntries(gw.clientConfig, 'full');
  // ballast: what is freed later to give space back
  const ballast = join(mnt, 'ballast');
  writeFileSync(ballast, Buffer.alloc(8 * 1024 * 1024, 1));

  await t.test('the disk fills up', async (t) => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let s3err: Awaited<ReturnType<typeof outcome>> | undefined;
    for (let i = 0; i < 80 && !s3err; i++) {
      const r = await outcome(s3.send(new PutObjectCommand({ Bucket: 'full', Key: `fill/${i}`, Body: chunk })));
      if (r.name !== 'success') s3err = r;
    }
    t.match(s3err, { name: 'InternalError', status: 500 }, `S3 PutObject on a full disk: ${s3err?.name} ${s3err?.status}`);
    t.ok(s3err?.requestId, 'with a request id');
    let dberr: Awaited<ReturnType<typeof outcome>> | undefined;
    for (let i = 0; i < 400 && !dberr; i++) {
      const r = await outcome(db.send(new PutItemCommand({ TableName: 'full', Item: { pk: { S: `fill${i}` }, v: { S: 'x'.repeat(300 * 1024) } } })));
      if (r.name !== 'success') dberr = r;
    }
    t.match(dberr, { name: 'InternalServerError', status: 500 }, `DynamoDB PutItem on a full disk: ${dberr?.name} ${dberr?.status}`);
    t.ok(dberr?.requestId, 'with a request id');
    const kept = await s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'before' }));
    t.equal(await kept.Body!.transformToString(), 'kept', 'reads still work');
    t.equal((await db.send(new GetItemCommand({ TableName: 'full', Key: { pk: { S: 'before' } } }))).Item?.v?.S, 'kept', 'item reads still work');
    t.equal((await fetch(`${gw!.url}/_mcgw/health`)).status === 200 || gw!.child.exitCode === null, true, 'the process stays up');
  });

  await t.test('space returns', async (t) => {
    unlinkSync(ballast);
    t.match(await outcome(s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'after', Body: 'ok' }))), { name: 'success' }, 'S3 writes work again');
    t.match(await outcome(db.send(new PutItemCommand({ TableName: 'full', Item: { pk: { S: 'after' } } }))), { name: 'success' }, 'DynamoDB writes work again');
  });

  s3.destroy();
  db.destroy();
  t.equal(await gw.kill('SIGTERM'), 0, 'stops cleanly');
});
