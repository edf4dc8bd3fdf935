// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Graceful shutdown of a real `mcgw serve` process: SIGTERM lets an in-flight upload finish,
 * refuses new work, closes LMDB and exits 0; a restart finds every acknowledged write. With a
 * grace period shorter than the upload, the process still exits on time and the cut upload
 * leaves nothing half-visible behind.
 */
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnGateway, sleep } from './proc.js';

/** A body that arrives in `n` pieces, `gapMs` apart. */
function slowBody(data: Buffer, n: number, gapMs: number): Readable {
  const size = Math.ceil(data.length / n);
  let i = 0;
  return new Readable({
    read() {
      if (i >= n) return void this.push(null);
      const piece = data.subarray(i * size, (i + 1) * size);
      i++;
      setTimeout(() => this.push(piece), gapMs);
    },
  });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

t.test('SIGTERM drains in-flight requests and a restart loses nothing', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-term-'));
  const dataDir = join(base, 'data');
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const config = { limits: { shutdownGraceMs: 8000 } };
  let gw = await spawnGateway(dataDir, { config });
  t.teardown(() => gw.kill('SIGKILL'));
  const s3 = new S3Client(gw.clientConfig);
  const db = new DynamoDBClient(gw.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: 'drain' }));
  await db.send(new CreateTableCommand({ TableName: 'drain', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  for (let i = 0; i < 20; i++) await db.send(new PutItemCommand({ TableName: 'drain', Item: { pk: { S: `i${i}` }, v: { N: String(i) } } }));
  const data = randomBytes(2 * 1024 * 1024);
  const upload = s3.send(new PutObjectCommand({ Bucket: 'drain', Key: 'slow', Body: slowBody(data, 10, 150), ContentLength: data.length }));
  await sleep(400);
  const termAt = Date.now();
  await gw.kill('SIGTERM').then(() => undefined, () => undefined);
  void 0;
  const put = await upload.then((r) => r, (e: Error) => e);
  t.notOk(put instanceof Error, `the upload in flight at SIGTERM completes (${put instanceof Error ? put.message : 'ETag ' + put.ETag})`);
  const code = await gw.exited;
  t.equal(code, 0, `exit code 0 after ${Date.now() - termAt} ms`);
  t.notMatch(gw.output(), /shutdown failed|Error/, 'no error while closing');
  s3.destroy();
  db.destroy();

  gw = await spawnGateway(dataDir, { config });
  const s3b = new S3Client(gw.clientConfig);
  const dbb = new DynamoDBClient(gw.clientConfig);
  const got = await s3b.send(new GetObjectCommand({ Bucket: 'drain', Key: 'slow' }));
  t.equal(sha(await got.Body!.transformToByteArray()), sha(data), 'after the restart the drained upload is intact');
  let items = 0;
  for (let i = 0; i < 20; i++) if ((await dbb.send(new GetItemCommand({ TableName: 'drain', Key: { pk: { S: `i${i}` } }, ConsistentRead: true }))).Item?.v?.N === String(i)) items++;
  t.equal(items, 20, 'every acknowledged item is there');
  s3b.destroy();
  dbb.destroy();
  t.equal(await gw.kill('SIGTERM'), 0, 'an idle gateway stops with 0');
});

t.test('a grace period shorter than the upload: exit on time, nothing half-visible', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'mcgw-term-'));
  const dataDir = join(base, 'data');
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const config = { limits: { shutdownGraceMs: 500 } };
  let gw = await spawnGateway(dataDir, { config });
  t.teardown(() => gw.kill('SIGKILL'));
  const s3 = new S3Client(gw.clientConfig);
  await s3.send(new CreateBucketCommand({ Bucket: 'cut' }));
  const data = randomBytes(1024 * 1024);
  const upload = s3.send(new PutObjectCommand({ Bucket: 'cut', Key: 'slow', Body: slowBody(data, 20, 200), ContentLength: data.length })).then((r) => r, (e: Error) => e);
  await sleep(300);
  const termAt = Date.now();
  gw.child.kill('SIGTERM');
  const code = await gw.exited;
  const took = Date.now() - termAt;
  t.ok(took < 3000, `exited ${took} ms after SIGTERM (grace 500 ms)`);
  t.equal(code, 0, 'exit code 0');
  t.ok((await upload) instanceof Error, 'the cut upload was not acknowledged');
  s3.destroy();
  gw = await spawnGateway(dataDir, { config });
  const s3b = new S3Client(gw.clientConfig);
  const e = await s3b.send(new GetObjectCommand({ Bucket: 'cut', Key: 'slow' })).then(() => 'found', (err: Error) => err.name);
  t.equal(e, 'NoSuchKey', 'the cut upload is not visible after the restart');
  t.same(readdirSync(join(dataDir, 's3', 'tmp')), [], 'its temp file was swept');
  s3b.destroy();
  await gw.kill('SIGTERM');
});
