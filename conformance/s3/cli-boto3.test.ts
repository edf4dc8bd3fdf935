// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * aws-cli v2 (`s3 mb/cp/sync/ls/rm/presign`, multipart through s3transfer, checked by sha256) and
 * boto3 against the real server. boto3 presigns with SigV2 unless told s3v4; the gateway's auth
 * accepts SigV4 only, so the script asks for s3v4. The large file is 24 MiB by default (three 8 MiB parts);
 * MCGW_S3_BIG=1 makes it 1 GiB, as the acceptance run.
 */
import { createHash } from 'node:crypto';
import { createReadStream, utimesSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AWS_CLI_V2, run, startTestGateway } from '../harness.js';

const BIG = process.env.MCGW_S3_BIG === '1' ? 1024 * 1024 * 1024 : 24 * 1024 * 1024;

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

function writeBigFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let off = 0; off < size; off += chunk.length) {
    for (let i = 0; i < chunk.length; i += 4096) chunk.writeUInt32BE((off + i) >>> 0, i);
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
  }
  closeSync(fd);
}

t.test('aws-cli v2: s3 mb/cp/sync/ls/rm/presign with a multipart upload', { skip: AWS_CLI_V2 ? false : 'aws-cli v2 (/usr/bin/aws) not installed' }, async (t) => {
  const gw = await startTestGateway(t);
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-s3cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Debian's aws-cli 2.9 predates AWS_ENDPOINT_URL: pass the endpoint explicitly
  const aws = (...args: string[]) => run(AWS_CLI_V2!, ['--endpoint-url', gw.url, ...args], { env: gw.env(), timeoutMs: 600_000 });
  const ok = async (...args: string[]) => {
    const r = await aws(...args);
    t.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await ok('s3', 'mb', 's3://cli-bucket');
  const big = join(dir, 'big.bin');
  writeBigFile(big, BIG);
  // the gateway runs in this process: its memory must stay flat while the object streams through
  const rss0 = process.memoryUsage().rss;
  let rssMax = rss0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
  await ok('s3', 'cp', big, 's3://cli-bucket/data/big.bin');
  const head = JSON.parse((await ok('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'data/big.bin')).stdout);
  t.equal(head.ContentLength, BIG);
  t.match(head.ETag, /-\d+"$/, 'uploaded as multipart');
  await ok('s3', 'cp', 's3://cli-bucket/data/big.bin', join(dir, 'back.bin'));
  clearInterval(sampler);
  t.ok(rssMax - rss0 < 256 * 1024 * 1024, `memory flat while streaming ${BIG} bytes up and down (grew ${Math.round((rssMax - rss0) / 1048576)} MiB)`);
  t.equal(await sha256File(join(dir, 'back.bin')), await sha256File(big), 'download is byte-identical');

  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'a.txt'), 'a');
  writeFileSync(join(tree, 'sub', 'b c.txt'), 'b');
  // S3's Last-Modified has one-second resolution and sync compares it with the local mtime to the
  // microsecond: files written in the same second as their upload would look newer. Age them.
  const past = new Date(Date.now() - 60_000);
  for (const f of [join(tree, 'a.txt'), join(tree, 'sub', 'b c.txt')]) utimesSync(f, past, past);
  await ok('s3', 'sync', tree, 's3://cli-bucket/tree');
  const ls = await ok('s3', 'ls', '--recursive', 's3://cli-bucket/tree/');
  t.match(ls.stdout, /tree\/a\.txt/);
  t.match(ls.stdout, /tree\/sub\/b c\.txt/);
  const again = await ok('s3', 'sync', tree, 's3://cli-bucket/tree');
  t.equal(again.stdout.trim(), '', 'a second sync uploads nothing');
  const down = join(dir, 'down');
  await ok('s3', 'sync', 's3://cli-bucket/tree', down);
  t.equal(await sha256File(join(down, 'sub', 'b c.txt')), await sha256File(join(tree, 'sub', 'b c.txt')));

  const url = (await ok('s3', 'presign', 's3://cli-bucket/tree/a.txt', '--expires-in', '60')).stdout.trim();
  const res = await fetch(url);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'a');

  const missing = await aws('s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'nope', join(dir, 'x'));
  t.not(missing.code, 0);
  t.match(missing.stderr, /NoSuchKey/);
  await ok('s3', 'rm', '--recursive', 's3://cli-bucket/');
  await ok('s3', 'rb', 's3://cli-bucket');
});

const BOTO = String.raw`
import boto3, botocore, json, hashlib, io, os
from botocore.config import Config
s3 = boto3.client('s3', config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
out = {}
s3.create_bucket(Bucket='boto-bucket')
try:
    s3.create_bucket(Bucket='boto-bucket', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
except botocore.exceptions.ClientError as e:
    out['conflict'] = e.response['Error']['Code']
s3.put_object(Bucket='boto-bucket', Key='a/1.txt', Body=b'one', Metadata={'k': 'v'})
s3.put_object(Bucket='boto-bucket', Key='a/2.txt', Body=b'two')
s3.put_object(Bucket='boto-bucket', Key='b.txt', Body=b'three', ChecksumAlgorithm='SHA256')
o = s3.get_object(Bucket='boto-bucket', Key='a/1.txt')
out['get'] = [o['Body'].read().decode(), o['Metadata'], o['ContentLength']]
out['sha'] = s3.head_object(Bucket='boto-bucket', Key='b.txt', ChecksumMode='ENABLED').get('ChecksumSHA256') is not None
pages = s3.get_paginator('list_objects_v2').paginate(Bucket='boto-bucket', PaginationConfig={'PageSize': 1})
out['keys'] = [c['Key'] for p in pages for c in p.get('Contents', [])]
v1 = s3.list_objects(Bucket='boto-bucket', Delimiter='/')
out['v1'] = [[c['Key'] for c in v1.get('Contents', [])], [p['Prefix'] for p in v1.get('CommonPrefixes', [])]]
data = os.urandom(9 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(data), 'boto-bucket', 'big', Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
buf = io.BytesIO()
s3.download_fileobj('boto-bucket', 'big', buf)
out['big'] = hashlib.sha256(buf.getvalue()).hexdigest() == hashlib.sha256(data).hexdigest()
out['big_etag'] = s3.head_object(Bucket='boto-bucket', Key='big')['ETag'].endswith('-2"')
try:
    s3.get_object(Bucket='boto-bucket', Key='missing')
except botocore.exceptions.ClientError as e:
    out['missing'] = [e.response['Error']['Code'], e.response['Error'].get('Key'), e.response['ResponseMetadata']['HTTPStatusCode']]
try:
    s3.head_object(Bucket='boto-bucket', Key='missing')
except botocore.exceptions.ClientError as e:
    out['head'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
try:
    s3.get_object(Bucket='boto-bucket', Key='a/1.txt', Range='bytes=10-')
except botocore.exceptions.ClientError as e:
    out['range'] = e.response['Error']['Code']
s3.put_bucket_versioning(Bucket='boto-bucket', VersioningConfiguration={'Status': 'Enabled'})
vid = s3.put_object(Bucket='boto-bucket', Key='b.txt', Body=b'four')['VersionId']
s3.delete_object(Bucket='boto-bucket', Key='b.txt')
vs = s3.list_object_versions(Bucket='boto-bucket', Prefix='b.txt')
out['versions'] = [[v['VersionId'] == vid for v in vs['Versions']], len(vs['DeleteMarkers'])]
r = s3.delete_objects(Bucket='boto-bucket', Delete={'Objects': [{'Key': 'a/1.txt'}, {'Key': 'a/2.txt'}]})
out['deleted'] = sorted(d['Key'] for d in r['Deleted'])
s3.put_object_tagging(Bucket='boto-bucket', Key='big', Tagging={'TagSet': [{'Key': 't', 'Value': '1'}]})
out['tags'] = s3.get_object_tagging(Bucket='boto-bucket', Key='big')['TagSet']
out['location'] = s3.get_bucket_location(Bucket='boto-bucket')['LocationConstraint']
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'big'}, ExpiresIn=60)
import urllib.request
out['presigned'] = hashlib.sha256(urllib.request.urlopen(url).read()).hexdigest() == hashlib.sha256(data).hexdigest()
print(json.dumps(out))
`;

t.test('boto3', async (t) => {
  const gw = await startTestGateway(t);
  const r = await run('python3', ['-c', BOTO], { env: gw.env(), timeoutMs: 300_000 });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout || '{}');
  t.same(out, {
    conflict: 'IllegalLocationConstraintException',
    get: ['one', { k: 'v' }, 3],
    sha: true,
    keys: ['a/1.txt', 'a/2.txt', 'b.txt'],
    v1: [['b.txt'], ['a/']],
    big: true,
    big_etag: true,
    missing: ['NoSuchKey', 'missing', 404],
    head: ['404', 404],
    range: 'InvalidRange',
    versions: [[true, false], 1],
    deleted: ['a/1.txt', 'a/2.txt'],
    tags: [{ Key: 't', Value: '1' }],
    location: null,
    presigned: true,
  });
});

const BOTO_CONFIG = String.raw`
import boto3, botocore, json, datetime, urllib.request
from botocore.config import Config
s3 = boto3.client('s3', config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
out = {}
b = 'cfg-bucket'
s3.create_bucket(Bucket=b)
def code(f):
    try:
        f()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return e.response['Error']['Code']
out['nocors'] = code(lambda: s3.get_bucket_cors(Bucket=b))
s3.put_bucket_cors(Bucket=b, CORSConfiguration={'CORSRules': [{'AllowedOrigins': ['https://a.example'], 'AllowedMethods': ['GET', 'PUT'], 'AllowedHeaders': ['*'], 'ExposeHeaders': ['ETag'], 'MaxAgeSeconds': 300}]})
out['cors'] = s3.get_bucket_cors(Bucket=b)['CORSRules']
s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={'Rules': [
    {'ID': 'tmp', 'Status': 'Enabled', 'Filter': {'Prefix': 'tmp/'}, 'Expiration': {'Days': 7}},
    {'ID': 'tagged', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'x/', 'Tags': [{'Key': 'k', 'Value': 'v'}]}}, 'NoncurrentVersionExpiration': {'NoncurrentDays': 3}},
    {'ID': 'mpu', 'Status': 'Disabled', 'Filter': {}, 'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 2}}]})
out['lifecycle'] = s3.get_bucket_lifecycle_configuration(Bucket=b)['Rules']
out['noenc'] = code(lambda: s3.get_bucket_encryption(Bucket=b))
s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]})
out['enc'] = s3.get_bucket_encryption(Bucket=b)['ServerSideEncryptionConfiguration']['Rules'][0]['ApplyServerSideEncryptionByDefault']
out['sse'] = s3.put_object(Bucket=b, Key='secret', Body=b'x')['ServerSideEncryption']
s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': [{'Key': 'team', 'Value': 'storage'}]})
out['btags'] = s3.get_bucket_tagging(Bucket=b)['TagSet']
s3.put_bucket_policy(Bucket=b, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::cfg-bucket/pub/*'}]}))
out['policy'] = json.loads(s3.get_bucket_policy(Bucket=b)['Policy'])['Statement'][0]['Action']
out['public'] = s3.get_bucket_policy_status(Bucket=b)['PolicyStatus']['IsPublic']
s3.put_object(Bucket=b, Key='pub/a', Body=b'public')
out['anon'] = urllib.request.urlopen(s3.meta.endpoint_url + '/cfg-bucket/pub/a').read().decode()
s3.put_bucket_acl(Bucket=b, ACL='public-read')
out['acl'] = sorted(g['Permission'] for g in s3.get_bucket_acl(Bucket=b)['Grants'])
s3.put_object_acl(Bucket=b, Key='secret', ACL='public-read')
out['oacl'] = [g['Grantee'].get('URI') for g in s3.get_object_acl(Bucket=b, Key='secret')['Grants'] if g['Permission'] == 'READ']
out['website'] = code(lambda: s3.get_bucket_website(Bucket=b))
out['off'] = [s3.get_bucket_request_payment(Bucket=b)['Payer'], 'Status' in s3.get_bucket_accelerate_configuration(Bucket=b), 'LoggingEnabled' in s3.get_bucket_logging(Bucket=b), code(lambda: s3.put_bucket_accelerate_configuration(Bucket=b, AccelerateConfiguration={'Status': 'Enabled'}))]
out['attrs'] = s3.get_object_attributes(Bucket=b, Key='secret', ObjectAttributes=['ObjectSize', 'StorageClass'])['ObjectSize']
s3.delete_bucket_cors(Bucket=b)
s3.delete_bucket_lifecycle(Bucket=b)
s3.delete_bucket_encryption(Bucket=b)
s3.delete_bucket_tagging(Bucket=b)
s3.delete_bucket_policy(Bucket=b)
out['gone'] = [code(lambda: s3.get_bucket_cors(Bucket=b)), code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b)), code(lambda: s3.get_bucket_policy(Bucket=b)), code(lambda: s3.get_bucket_tagging(Bucket=b))]
print(json.dumps(out, default=str))
`;

t.test('boto3: bucket configurations (CORS, lifecycle, encryption, tagging, policy, ACLs)', async (t) => {
  const gw = await startTestGateway(t);
  const r = await run('python3', ['-c', BOTO_CONFIG], { env: gw.env(), timeoutMs: 120_000 });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout || '{}');
  t.same(out, {
    nocors: 'NoSuchCORSConfiguration',
    cors: [{ AllowedOrigins: ['https://a.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 300 }],
    lifecycle: [
      { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } },
      { ID: 'tagged', Status: 'Enabled', Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'k', Value: 'v' }] } }, NoncurrentVersionExpiration: { NoncurrentDays: 3 } },
      { ID: 'mpu', Status: 'Disabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
    ],
    noenc: 'ServerSideEncryptionConfigurationNotFoundError',
    enc: { SSEAlgorithm: 'AES256' },
    sse: 'AES256',
    btags: [{ Key: 'team', Value: 'storage' }],
    policy: 's3:GetObject',
    public: true,
    anon: 'public',
    acl: ['FULL_CONTROL', 'READ'],
    oacl: ['http://acs.amazonaws.com/groups/global/AllUsers'],
    website: 'NotImplemented',
    off: ['BucketOwner', false, false, 'NotImplemented'],
    attrs: 1,
    gone: ['NoSuchCORSConfiguration', 'NoSuchLifecycleConfiguration', 'NoSuchBucketPolicy', 'NoSuchTagSet'],
  });
});

const BOTO_LOCK = String.raw`
import boto3, botocore, json, datetime
from botocore.config import Config
s3 = boto3.client('s3', config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4'))
out = {}
s3.create_bucket(Bucket='lock-bucket', ObjectLockEnabledForBucket=True)
s3.put_object_lock_configuration(Bucket='lock-bucket', ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}})
out['config'] = s3.get_object_lock_configuration(Bucket='lock-bucket')['ObjectLockConfiguration']
until = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
v = s3.put_object(Bucket='lock-bucket', Key='k', Body=b'x', ObjectLockMode='COMPLIANCE', ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus='ON')['VersionId']
r = s3.get_object_retention(Bucket='lock-bucket', Key='k')['Retention']
out['retention'] = [r['Mode'], r['RetainUntilDate'].isoformat()]
out['hold'] = s3.get_object_legal_hold(Bucket='lock-bucket', Key='k')['LegalHold']['Status']
s3.put_object_legal_hold(Bucket='lock-bucket', Key='k', LegalHold={'Status': 'OFF'})
h = s3.head_object(Bucket='lock-bucket', Key='k')
out['head'] = [h['ObjectLockMode'], h['ObjectLockLegalHoldStatus']]
try:
    s3.delete_object(Bucket='lock-bucket', Key='k', VersionId=v)
except botocore.exceptions.ClientError as e:
    out['delete'] = e.response['Error']['Code']
print(json.dumps(out))
`;

t.test('boto3: object lock', async (t) => {
  const gw = await startTestGateway(t);
  const r = await run('python3', ['-c', BOTO_LOCK], { env: gw.env(), timeoutMs: 120_000 });
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout || '{}'), {
    config: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
    retention: ['COMPLIANCE', '2099-01-01T00:00:00+00:00'],
    hold: 'ON',
    head: ['COMPLIANCE', 'OFF'],
    delete: 'AccessDenied',
  });
});
