// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * S3 on Ceph RGW: a plain PUT (Content-Length, UNSIGNED-PAYLOAD, no checksum) goes to RGW without
 * the verifying transform (translators/ceph/s3/core.ts writeBody). It must stay atomic: a body
 * cut short by the client leaves no object and no new version, and an existing object untouched.
 * Needs the scratch Ceph (conformance/backends/ceph/up.sh).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import aws4 from 'aws4';
import t from 'tap';
import { startTestGateway, type TestGatewayHandle } from '../../conformance/harness.js';

function signed(gw: TestGatewayHandle, method: string, path: string, length?: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  if (length !== undefined) headers['content-length'] = String(length);
  const s = aws4.sign({ host: `127.0.0.1:${gw.port}`, path, method, service: 's3', region: gw.region, headers }, gw.credentials);
  return s.headers as Record<string, string>;
}

async function call(gw: TestGatewayHandle, method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`http://127.0.0.1:${gw.port}${path}`, { method, headers: signed(gw, method, path), body: body ? new Uint8Array(body) : undefined });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Sends the head of a PUT declaring `declared` bytes and `sent` of them, then drops the connection. */
async function cutShort(gw: TestGatewayHandle, path: string, declared: number, sent: number): Promise<void> {
  const h = signed(gw, 'PUT', path, declared);
  const head = `PUT ${path} HTTP/1.1\r\n` + Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  await new Promise<void>((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1', () => {
      s.write(head);
      s.write(randomBytes(sent), () => setTimeout(() => s.destroy(), 200));
    });
    s.on('close', () => resolve());
    s.on('error', reject);
  });
  // the gateway and RGW notice the abort
  await new Promise((r) => setTimeout(r, 500));
}

t.test('plain PUT on RGW: stored whole, and a body cut short leaves nothing', async (t) => {
  const gw = await startTestGateway(t, { s3Backend: 'ceph' });
  const bucket = `plain-${gw.accountId}`;
  t.equal((await call(gw, 'PUT', `/${bucket}`)).status, 200);

  const data = randomBytes(700 * 1024 + 3);
  const put = await call(gw, 'PUT', `/${bucket}/whole`, data);
  t.equal(put.status, 200);
  t.equal(put.headers.get('etag'), `"${createHash('md5').update(data).digest('hex')}"`, 'ETag is the MD5 of the body');
  const got = await call(gw, 'GET', `/${bucket}/whole`);
  t.equal(got.status, 200);
  t.ok(got.body.equals(data), 'the bytes read back');

  await cutShort(gw, `/${bucket}/cut`, 2 * 1024 * 1024, 300 * 1024);
  t.equal((await call(gw, 'HEAD', `/${bucket}/cut`)).status, 404, 'no object from a body cut short');

  await cutShort(gw, `/${bucket}/whole`, 2 * 1024 * 1024, 300 * 1024);
  const still = await call(gw, 'GET', `/${bucket}/whole`);
  t.ok(still.body.equals(data), 'an overwrite cut short left the object as it was');

  const list = await call(gw, 'GET', `/${bucket}?list-type=2`);
  t.match(list.body.toString(), /<KeyCount>1<\/KeyCount>/, 'only the whole object is listed');

  for (const k of ['whole']) t.equal((await call(gw, 'DELETE', `/${bucket}/${k}`)).status, 204);
  t.equal((await call(gw, 'DELETE', `/${bucket}`)).status, 204);
});
