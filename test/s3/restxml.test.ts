// SPDX-License-Identifier: AGPL-3.0-or-later
import { Readable } from 'node:stream';
import t from 'tap';
import type { WireRequest } from '../../src/context.js';
import { AwsError } from '../../src/errors.js';
import { loadModel } from '../../src/protocols/model.js';
import { createRestXmlCodec } from '../../src/protocols/restxml.js';
import { bucketFromHost, parseQuery } from '../../src/protocols/restxml-route.js';
import { escapeXml, parseXml } from '../../src/protocols/restxml-xml.js';

const model = loadModel('s3-2006-03-01');
const codec = createRestXmlCodec({ s3BaseDomains: ['localhost', 's3.localhost'] });

function req(method: string, url: string, headers: Record<string, string> = {}, body = ''): WireRequest {
  const q = url.indexOf('?');
  const buf = Buffer.from(body);
  return {
    method,
    rawUrl: url,
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers: { host: 'localhost:4566', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) },
    rawHeaders: [],
    host: headers.host ?? 'localhost:4566',
    remoteAddress: '127.0.0.1',
    body: Readable.from([buf]),
  };
}

const rc = (method = 'GET') => ({ requestId: 'RID1', service: 's3', region: 'us-east-1', request: req(method, '/') });

t.test('operation routing: method, path shape, sub-resources, required members', async (t) => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    ['GET', '/', {}, 'ListBuckets'],
    ['PUT', '/bkt', {}, 'CreateBucket'],
    ['HEAD', '/bkt', {}, 'HeadBucket'],
    ['GET', '/bkt', {}, 'ListObjects'],
    ['GET', '/bkt?list-type=2&prefix=a', {}, 'ListObjectsV2'],
    ['GET', '/bkt/?location', {}, 'GetBucketLocation'],
    ['GET', '/bkt?versions', {}, 'ListObjectVersions'],
    ['GET', '/bkt?uploads', {}, 'ListMultipartUploads'],
    ['POST', '/bkt?delete', {}, 'DeleteObjects'],
    ['PUT', '/bkt?versioning', {}, 'PutBucketVersioning'],
    ['GET', '/bkt?lifecycle', {}, 'GetBucketLifecycleConfiguration'],
    ['GET', '/bkt?analytics', {}, 'ListBucketAnalyticsConfigurations'],
    ['GET', '/bkt?analytics&id=x', {}, 'GetBucketAnalyticsConfiguration'],
    ['PUT', '/bkt/k', {}, 'PutObject'],
    ['PUT', '/bkt/k', { 'x-amz-copy-source': 'a/b' }, 'CopyObject'],
    ['PUT', '/bkt/k?partNumber=1&uploadId=u', {}, 'UploadPart'],
    ['PUT', '/bkt/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': 'a/b' }, 'UploadPartCopy'],
    ['GET', '/bkt/k', {}, 'GetObject'],
    ['GET', '/bkt/k?x-id=GetObject', {}, 'GetObject'],
    ['GET', '/bkt/k?uploadId=u', {}, 'ListParts'],
    ['DELETE', '/bkt/k', {}, 'DeleteObject'],
    ['DELETE', '/bkt/k?uploadId=u', {}, 'AbortMultipartUpload'],
    ['POST', '/bkt/k?uploads', {}, 'CreateMultipartUpload'],
    ['POST', '/bkt/k?uploadId=u', {}, 'CompleteMultipartUpload'],
    ['GET', '/bkt/k?tagging', {}, 'GetObjectTagging'],
    ['GET', '/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc', {}, 'GetObject'],
  ];
  for (const [m, url, h, op] of cases) {
    const p = await codec.parse(req(m, url, h, m === 'POST' || url.endsWith('?versioning') ? '<X/>' : ''), model);
    t.equal(p.operation, op, `${m} ${url}`);
  }
});

t.test('bucket and key: path style, virtual-hosted style, greedy keys', async (t) => {
  const p1 = await codec.parse(req('GET', '/bkt/a%2Fb/..%2F..%2Fc//d/'), model);
  t.same([p1.input.Bucket, p1.input.Key], ['bkt', 'a/b/../../c//d/']);
  const p2 = await codec.parse(req('GET', '/dir/k%20%E2%9C%93', { host: 'my.bucket.localhost:4566' }), model);
  t.same([p2.operation, p2.input.Bucket, p2.input.Key], ['GetObject', 'my.bucket', 'dir/k ✓']);
  const p3 = await codec.parse(req('GET', '/?list-type=2', { host: 'bkt.s3.localhost' }), model);
  t.same([p3.operation, p3.input.Bucket], ['ListObjectsV2', 'bkt']);
  const p4 = await codec.parse(req('GET', '/', { host: '127.0.0.1:4566' }), model);
  t.equal(p4.operation, 'ListBuckets', 'an IP host is path-style');
  t.equal(bucketFromHost('a.b.s3.localhost', ['localhost', 's3.localhost']), 'a.b', 'longest base domain wins');
  t.equal(bucketFromHost('localhost:80', ['localhost']), undefined);
  t.same([...parseQuery('prefix=a+b%2Bc&delimiter=%2F&flag')], [['prefix', 'a b+c'], ['delimiter', '/'], ['flag', '']]);
  await t.rejects(codec.parse(req('GET', '/bkt/%E0%A4%A'), model), { code: 'InvalidURI' });
});

t.test('locations: headers, x-amz-meta-, query, timestamps, XML payloads', async (t) => {
  const put = await codec.parse(
    req('PUT', '/bkt/k', { 'content-type': 'text/plain', 'content-length': '3', 'x-amz-meta-Color': 'blue', 'x-amz-meta-n': '1', expires: 'Thu, 01 Dec 2033 16:00:00 GMT', 'if-none-match': '*' }, 'abc'),
    model,
  );
  t.equal(put.input.ContentType, 'text/plain');
  t.equal(put.input.ContentLength, 3);
  t.same(put.input.Metadata, { color: 'blue', n: '1' });
  t.same(put.input.Expires, new Date('2033-12-01T16:00:00Z'));
  t.ok(put.input.Body instanceof Readable, 'streaming payload stays a stream');
  const list = await codec.parse(req('GET', '/bkt?list-type=2&max-keys=5&fetch-owner=true'), model);
  t.equal(list.input.MaxKeys, 5);
  t.equal(list.input.FetchOwner, true);
  await t.rejects(codec.parse(req('GET', '/bkt?list-type=2&max-keys=x'), model), { code: 'InvalidArgument' });
  const del = await codec.parse(
    req('POST', '/bkt?delete', {}, '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key> a&amp;b </Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>'),
    model,
  );
  t.same(del.input.Delete, { Objects: [{ Key: ' a&b ' }, { Key: 'c', VersionId: 'v' }], Quiet: true });
  const cmu = await codec.parse(req('POST', '/bkt/k?uploadId=u', {}, '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>'), model);
  t.same(cmu.input.MultipartUpload, { Parts: [{ PartNumber: 1, ETag: '"e"' }] });
  await t.rejects(codec.parse(req('POST', '/bkt?delete', {}, '<Delete><Object>'), model), { code: 'MalformedXML' });
  await t.rejects(codec.parse(req('POST', '/bkt?delete', {}, ''), model), { code: 'MissingRequestBodyError' });
  await t.rejects(codec.parse(req('POST', '/bkt?delete', { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' }, '<Delete/>'), model), { code: 'BadDigest' });
  await t.rejects(codec.parse(req('POST', '/bkt?delete', {}, '<!DOCTYPE x [<!ENTITY e "x">]><Delete/>'), model), { code: 'MalformedXML' });
});

t.test('unknown sub-resources answer NotImplemented naming them', async (t) => {
  const e = await codec.parse(req('GET', '/bkt?metadataTable'), model).catch((x: AwsError) => x);
  t.equal((e as AwsError).code, 'NotImplemented');
  t.equal((e as AwsError).status, 501);
  t.match((e as AwsError).message, /metadataTable/);
  await t.rejects(codec.parse(req('PATCH', '/bkt/k'), model), { code: 'MethodNotAllowed' });
  const ok = await codec.parse(req('GET', '/bkt?prefix=&delimiter'), model);
  t.equal(ok.operation, 'ListObjects', 'empty member values are not sub-resources');
});

t.test('serialization: XML bodies, roots, namespaces, headers, status', async (t) => {
  const list = codec.serialize(model, 'ListObjectsV2', {
    Name: 'bkt',
    KeyCount: 1,
    IsTruncated: false,
    Contents: [{ Key: 'a<&>', LastModified: new Date('2026-01-02T03:04:05.678Z'), ETag: '"e"', Size: 3, StorageClass: 'STANDARD', ChecksumAlgorithm: ['CRC32'] }],
    CommonPrefixes: [{ Prefix: 'p/' }],
  }, rc());
  t.equal(list.status, 200);
  t.equal(list.headers['Content-Type'], 'application/xml');
  t.equal(list.headers['x-amz-request-id'], 'RID1');
  t.ok(list.headers['x-amz-id-2']);
  t.match(String(list.body), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><IsTruncated>false<\/IsTruncated><Contents><Key>a&lt;&amp;&gt;<\/Key><LastModified>2026-01-02T03:04:05.678Z<\/LastModified><ETag>&quot;e&quot;<\/ETag><ChecksumAlgorithm>CRC32<\/ChecksumAlgorithm><Size>3<\/Size>/);
  t.match(String(list.body), /<CommonPrefixes><Prefix>p\/<\/Prefix><\/CommonPrefixes>/, 'flattened list');
  const loc = codec.serialize(model, 'GetBucketLocation', { LocationConstraint: 'eu-west-1' }, rc());
  t.match(String(loc.body), /<LocationConstraint xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">eu-west-1<\/LocationConstraint>$/);
  const locEmpty = codec.serialize(model, 'GetBucketLocation', {}, rc());
  t.match(String(locEmpty.body), /<LocationConstraint xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"\/>$/);
  const get = codec.serialize(model, 'GetObject', { Body: Readable.from(['x']), ContentLength: 1, LastModified: new Date('2026-01-02T03:04:05Z'), Metadata: { a: 'b' }, $status: 206 }, rc());
  t.equal(get.status, 206);
  t.equal(get.headers['Last-Modified'], 'Fri, 02 Jan 2026 03:04:05 GMT');
  t.equal(get.headers['x-amz-meta-a'], 'b');
  t.equal(get.headers['Content-Length'], '1');
  t.ok(get.body instanceof Readable);
  const head = codec.serialize(model, 'HeadObject', { ContentLength: 5 }, rc('HEAD'));
  t.equal(head.body, undefined);
  t.equal(head.headers['Content-Length'], '5', 'HEAD keeps the object length');
  const del = codec.serialize(model, 'DeleteObject', {}, rc('DELETE'));
  t.equal(del.status, 204);
  const acl = codec.serialize(model, 'GetBucketAcl', { Owner: { ID: 'o' }, Grants: [{ Grantee: { Type: 'Group', URI: 'http://g' }, Permission: 'READ' }] }, rc());
  t.match(String(acl.body), /<AccessControlPolicy xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Owner><ID>o<\/ID><\/Owner><AccessControlList><Grant><Grantee xmlns:xsi="http:\/\/www.w3.org\/2001\/XMLSchema-instance" xsi:type="Group"><URI>http:\/\/g<\/URI><\/Grantee><Permission>READ<\/Permission><\/Grant><\/AccessControlList><\/AccessControlPolicy>/);
});

t.test('errors: S3 XML with fields, request ids; HEAD and 304 without body', async (t) => {
  const err = new AwsError('NoSuchKey', 'The specified key does not exist.', { status: 404, fields: { Key: 'a&b' } });
  const r = codec.serializeError(model, err, rc());
  t.equal(r.status, 404);
  t.equal(r.headers['Content-Type'], 'application/xml');
  t.equal(
    r.body,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key><RequestId>RID1</RequestId><HostId>${r.headers['x-amz-id-2']}</HostId></Error>`,
  );
  const h = codec.serializeError(model, err, rc('HEAD'));
  t.equal(h.body, undefined);
  t.equal(h.status, 404);
  const nm = codec.serializeError(model, new AwsError('NotModified', 'Not Modified', { status: 304, headers: { ETag: '"e"' } }), rc());
  t.same([nm.status, nm.body, nm.headers.ETag], [304, undefined, '"e"']);
});

t.test('XML reader and escaping', async (t) => {
  const el = parseXml('<?xml version="1.0"?><!-- c --><a x="1&amp;2"><b>t&#x41;&#66;<![CDATA[<raw>]]></b><c/></a>');
  t.equal(el.name, 'a');
  t.equal(el.attrs.x, '1&2');
  t.equal(el.children[0].text, 'tAB<raw>');
  t.equal(el.children[1].name, 'c');
  t.throws(() => parseXml('<a><b></a></b>'));
  t.throws(() => parseXml('<a>&unknown;</a>'));
  t.throws(() => parseXml('<a/><b/>'));
  t.equal(escapeXml('a\u0001\r"\''), 'a&#x1;&#xD;&quot;&apos;');
});

t.test('checksum headers of XML bodies are verified', async (t) => {
  const { checksumBase64 } = await import('../../src/checksums.js');
  const body = '<Delete><Object><Key>a</Key></Object></Delete>';
  const ok = await codec.parse(req('POST', '/bkt?delete', { 'x-amz-checksum-crc32': checksumBase64('CRC32', Buffer.from(body)) }, body), model);
  t.equal(ok.operation, 'DeleteObjects');
  await t.rejects(codec.parse(req('POST', '/bkt?delete', { 'x-amz-checksum-crc32': checksumBase64('CRC32', Buffer.from('other')) }, body), model), { code: 'BadDigest' });
});

t.test('checksum headers of CompleteMultipartUpload describe the object, not the XML body', async (t) => {
  const body = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>';
  const p = await codec.parse(req('POST', '/bkt/k?uploadId=u', { 'x-amz-checksum-crc32': 'AAAAAA==' }, body), model);
  t.equal(p.operation, 'CompleteMultipartUpload');
  t.equal(p.input.ChecksumCRC32, 'AAAAAA==');
});

t.test('header values beyond latin1 leave as UTF-8 bytes', async (t) => {
  const r = codec.serialize(model, 'GetObject', { ContentDisposition: 'attachment; filename="✓.txt"', Metadata: { note: 'ü' } }, rc());
  t.equal(r.headers['Content-Disposition'], Buffer.from('attachment; filename="✓.txt"', 'utf8').toString('latin1'));
  t.equal(r.headers['x-amz-meta-note'], 'ü', 'latin1 values unchanged');
});
