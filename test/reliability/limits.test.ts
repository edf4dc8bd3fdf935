// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * Limits, each with AWS's error and the gateway still serving afterwards: URL length, S3 key
 * length, DynamoDB item size and nesting depth, a JSON document nested 100,000 deep, XML entity
 * expansion (billion laughs) and external entities (XXE), a PutLogEvents batch over 1 MiB, a slow
 * header sender (slowloris) and connections beyond limits.maxConnections.
 * Header-section size and the buffered-body limit are in conformance/core/bad-input.test.ts.
 */
import t, { type Test } from 'tap';
import { connect, type Socket } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Client, CreateBucketCommand, PutObjectCommand, PutBucketTaggingCommand, GetBucketTaggingCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Sha256 } from '../../bench/sha256.js';
import { startTestGateway } from '../../conformance/harness.js';
import { defaultConfig } from '../../src/config.js';
import { outcome } from './sdk.js';

function rawExchange(port: number, send: (s: Socket) => void, ms: number): Promise<{ out: string; closedAfter: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => finish(), ms);
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ out, closedAfter: Date.now() - started });
    };
    s.on('connect', () => send(s));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', finish);
    s.on('error', finish);
  });
}

t.test('limits', async (t) => {
  const limits = { ...defaultConfig().limits, headersTimeoutMs: 1000, maxConnections: 8 };
  const gw = await startTestGateway(t, { config: { limits } as never });
  const alive = async (t: Test) => t.equal((await fetch(`${gw.url}/_mcgw/health`)).status, 200, 'still serving');
  const s3 = new S3Client({ ...gw.clientConfig, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: 'limits' }));

  await t.test('a 200 KB URL', async (t) => {
    const { out } = await rawExchange(gw.port, (s) => s.write(`GET /limits/${'k'.repeat(200 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), 3000);
    t.match(out, /^HTTP\/1\.1 (400|414|431)/);
    t.match(out, /<Code>\w+<\/Code>/);
    t.match(out, /<RequestId>\S+<\/RequestId>/);
    await alive(t);
  });

  await t.test('an S3 key over 1024 bytes', async (t) => {
    const e = await outcome(s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'k'.repeat(1025), Body: 'x' })));
    t.same([e.name, e.status], ['KeyTooLongError', 400]);
    t.ok(e.requestId);
  });

  const db = new DynamoDBClient({ ...gw.clientConfig, maxAttempts: 1 });
  await db.send(new CreateTableCommand({ TableName: 'limits', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));

  await t.test('a DynamoDB item over 400 KB', async (t) => {
    const e = await outcome(db.send(new PutItemCommand({ TableName: 'limits', Item: { pk: { S: 'big' }, v: { S: 'x'.repeat(400 * 1024) } } })));
    t.same([e.name, e.status], ['ValidationException', 400]);
    t.match(e.message, /Item size has exceeded the maximum allowed size/);
  });

  await t.test('DynamoDB nesting beyond 32 levels', async (t) => {
    let v: AttributeValue = { S: 'leaf' };
    for (let i = 0; i < 33; i++) v = { M: { n: v } };
    const e = await outcome(db.send(new PutItemCommand({ TableName: 'limits', Item: { pk: { S: 'deep' }, v } })));
    t.same([e.name, e.status], ['ValidationException', 400]);
    t.match(e.message, /Nesting Levels have exceeded supported limits/);
  });

  await t.test('a JSON document nested 100,000 deep', async (t) => {
    const body = `{"TableName":"limits","Item":{"pk":{"S":"x"},"v":${'{"L":['.repeat(100_000)}${']}'.repeat(100_000)}}}`;
    const signer = new SignatureV4({ service: 'dynamodb', region: gw.region, credentials: gw.credentials, sha256: Sha256 });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: gw.port, path: '/', headers: { host: `127.0.0.1:${gw.port}`, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' }, body });
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
    const started = Date.now();
    const r = await fetch(gw.url, { method: 'POST', headers, body });
    const json = (await r.json()) as { __type?: string };
    t.equal(r.status, 400, `400 in ${Date.now() - started} ms`);
    t.match(json.__type, /SerializationException|ValidationException/);
    t.ok(r.headers.get('x-amzn-requestid'));
    await alive(t);
  });

  await t.test('XML entity expansion and external entities', async (t) => {
    const lol = (n: number): string => (n === 1 ? '<!ENTITY lol1 "lol">' : `<!ENTITY lol${n} "${`&lol${n - 1};`.repeat(10)}">`);
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [${Array.from({ length: 9 }, (_, i) => lol(i + 1)).join('')}]><Tagging><TagSet><Tag><Key>k</Key><Value>&lol9;</Value></Tag></TagSet></Tagging>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>k</Key><Value>&xxe;</Value></Tag></TagSet></Tagging>`;
    for (const [what, body] of [['billion laughs', bomb], ['XXE', xxe]] as const) {
      const name = `swap-${what}`;
      s3.middlewareStack.add((next) => async (args) => {
        const req = args.request as { body: unknown; headers: Record<string, string> };
        req.body = body;
        req.headers['content-length'] = String(Buffer.byteLength(body));
        for (const h of Object.keys(req.headers)) if (/content-md5|x-amz-checksum|x-amz-sdk-checksum/i.test(h)) delete req.headers[h];
        return next(args);
      }, { step: 'build', name });
      const started = Date.now();
      const e = await outcome(s3.send(new PutBucketTaggingCommand({ Bucket: 'limits', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } })));
      s3.middlewareStack.remove(name);
      t.same([e.name, e.status], ['MalformedXML', 400], `${what}: MalformedXML in ${Date.now() - started} ms`);
      t.notMatch(e.message, /root:/, `${what}: nothing of /etc/passwd`);
    }
    t.same(await outcome(s3.send(new GetBucketTaggingCommand({ Bucket: 'limits' }))).then((e) => e.name), 'NoSuchTagSet', 'no tag set was stored');
    await alive(t);
  });

  await t.test('a PutLogEvents batch over 1 MiB', async (t) => {
    const logs = new CloudWatchLogsClient({ ...gw.clientConfig, maxAttempts: 1 });
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'limits' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'limits', logStreamName: 's' }));
    const now = Date.now();
    const logEvents = Array.from({ length: 5 }, (_, i) => ({ timestamp: now + i, message: 'm'.repeat(240 * 1024) }));
    const e = await outcome(logs.send(new PutLogEventsCommand({ logGroupName: 'limits', logStreamName: 's', logEvents })));
    t.same([e.name, e.status], ['InvalidParameterException', 400]);
    t.ok(e.requestId);
  });

  await t.test('a slow header sender is cut off near headersTimeoutMs', async (t) => {
    const { out, closedAfter } = await rawExchange(gw.port, (s) => {
      s.write(`GET /limits HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
      const iv = setInterval(() => (s.writable ? s.write('X-Slow: 1\r\n') : clearInterval(iv)), 200);
      s.on('close', () => clearInterval(iv));
    }, 10_000);
    t.ok(closedAfter < 5000, `closed after ${closedAfter} ms (limit ${limits.headersTimeoutMs} ms)`);
    t.match(out, /^HTTP\/1\.1 400/);
    t.match(out, /<Code>RequestTimeout<\/Code>/);
    t.match(out, /<RequestId>\S+<\/RequestId>/);
    await alive(t);
  });

  await t.test('connections beyond maxConnections get 503 SlowDown', async (t) => {
    const held: Socket[] = [];
    for (let i = 0; i < limits.maxConnections; i++) {
      const s = connect(gw.port, '127.0.0.1');
      await new Promise((r) => s.on('connect', r));
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 50));
    const { out } = await rawExchange(gw.port, (s) => s.write(`GET /_mcgw/health HTTP/1.1\r\nHost: x\r\n\r\n`), 3000);
    t.match(out, /^HTTP\/1\.1 503/);
    t.match(out, /<Code>SlowDown<\/Code>/);
    t.match(out, /<RequestId>\S+<\/RequestId>/);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    await alive(t);
  });
});
