// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * UpstreamSigner (the gateway's SigV4 for its requests to RGW and Alternator): the same
 * signature as @smithy/signature-v4 (the AWS SDK's signer) over the same headers, and accepted
 * by the gateway's own Authenticator.
 */
import t from 'tap';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { parseSignature } from '../../src/auth/index.js';
import { amzDateNow, UpstreamSigner } from '../../src/auth/upstream.js';
import { authenticator, testIdentity, wire } from './helpers.js';

const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

interface Case {
  name: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}

const cases: Case[] = [
  { name: 'GET with a version id', method: 'GET', path: '/bucket/photos/cat%20picture.jpg', query: 'versionId=null', headers: { range: 'bytes=0-1023' } },
  { name: 'sub-resource and sorted parameters', method: 'GET', path: '/bucket', query: 'versions&prefix=a%2Fb&max-keys=1000&key-marker=%E2%82%AC', headers: {} },
  { name: 'PUT with metadata (spaces collapsed)', method: 'PUT', path: '/bucket/k%2Bplus', query: '', headers: { 'content-type': 'text/plain', 'x-amz-meta-note': '  two   spaces  ', 'content-length': '5' } },
  { name: 'admin ops', method: 'PUT', path: '/admin/user', query: 'uid=mcgw-1&display-name=mcgw%20account%201&format=json', headers: {} },
];

t.test('the AWS SDK signer computes the same signature', async (t) => {
  const signer = new UpstreamSigner('us-east-1', 's3');
  for (const c of cases) {
    const headers: Record<string, string> = { host: 'rgw.example:7480', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...c.headers };
    signer.sign(creds, { method: c.method, path: c.path, query: c.query, headers, payloadHash: 'UNSIGNED-PAYLOAD' });
    const amzDate = headers['x-amz-date']!;
    const when = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
    const query: Record<string, string> = {};
    for (const p of c.query ? c.query.split('&') : []) {
      const eq = p.indexOf('=');
      query[decodeURIComponent(eq < 0 ? p : p.slice(0, eq))] = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1));
    }
    const sdk = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: creds, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const { authorization: _a, 'x-amz-date': _d, ...toSign } = headers;
    const signed = await sdk.sign({ method: c.method, protocol: 'http:', hostname: 'rgw.example', port: 7480, path: c.path, query, headers: toSign }, { signingDate: when });
    const ours = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1];
    const theirs = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization!)![1];
    t.equal(ours, theirs, c.name);
    t.match(headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=/, `${c.name}: header form`);
  }
});

t.test("the gateway's own Authenticator accepts what it signs", async (t) => {
  const id = testIdentity();
  const key = await id.addKey(creds);
  const signer = new UpstreamSigner('us-east-1', 's3');
  for (const c of cases) {
    const headers: Record<string, string> = { host: 'localhost:4566', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...c.headers };
    signer.sign({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, { method: c.method, path: c.path, query: c.query, headers, payloadHash: 'UNSIGNED-PAYLOAD' });
    const rawHeaders = Object.entries(headers).flat();
    const req = wire({ method: c.method, target: c.query ? `${c.path}?${c.query}` : c.path, rawHeaders, body: c.method === 'PUT' && headers['content-length'] ? Buffer.from('hello') : undefined });
    const sig = parseSignature(req, 's3');
    t.ok(sig, `${c.name}: signed`);
    await t.resolves(authenticator(id.identity, Date.now()).authenticate(req, sig!, 's3'), `${c.name}: verified`);
  }
});

t.test('X-Amz-Date of the current second', async (t) => {
  t.equal(amzDateNow(Date.UTC(2026, 10, 24, 21, 5, 9, 999)), '20261124T210509Z');
  t.equal(amzDateNow(Date.UTC(2026, 10, 24, 21, 5, 9, 1)), '20261124T210509Z', 'same second, same text');
  t.equal(amzDateNow(Date.UTC(2026, 10, 24, 21, 5, 10)), '20261124T210510Z');
});

t.test('a DynamoDB-API request (non-S3 path rules) verifies as dynamodb', async (t) => {
  const id = testIdentity();
  const key = await id.addKey(creds);
  const signer = new UpstreamSigner('us-east-1', 'dynamodb');
  const body = Buffer.from('{"TableName":"t"}');
  const { sha256Hex } = await import('../../src/auth/signing.js');
  for (const path of ['/', '/dynamo/']) {
    const headers: Record<string, string> = { host: 'localhost:8000', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.DescribeTable' };
    signer.sign({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, { method: 'POST', path, query: '', headers, payloadHash: sha256Hex(body) });
    const req = wire({ method: 'POST', target: path, rawHeaders: Object.entries(headers).flat(), body });
    req.bodyBuffer = body;
    await t.resolves(authenticator(id.identity, Date.now()).authenticate(req, parseSignature(req, 'dynamodb')!, 'dynamodb'), `${path}: verified`);
  }
});
