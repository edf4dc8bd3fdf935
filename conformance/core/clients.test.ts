// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The README's first commands with the CLIs users have: aws-cli v2 (Debian) and v1 (pip), boto3
 * new (pip) and old (Debian): get-caller-identity, IAM users and keys, errors as codes.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { AWS_CLI_V2, DEBIAN_PYTHON, run, startTestGateway } from '../harness.js';

const gw = await startTestGateway(t);

function found(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const CLIS: Array<[string, string | undefined]> = [
  ['aws-cli v2 (Debian)', AWS_CLI_V2],
  ['aws-cli v1 (pip)', found('aws') !== '/usr/bin/aws' ? found('aws') : undefined],
];

for (const [label, bin] of CLIS) {
  t.test(label, { skip: bin ? false : `${label} is not installed` }, async (t) => {
    const aws = (...args: string[]) => run(bin!, ['--endpoint-url', gw.url, '--output', 'json', ...args], { env: gw.env() });
    const who = await aws('sts', 'get-caller-identity');
    t.equal(who.code, 0, who.stderr);
    t.equal(JSON.parse(who.stdout).Account, gw.accountId);
    const user = `cli-${label.includes('v2') ? 'v2' : 'v1'}`;
    t.equal((await aws('iam', 'create-user', '--user-name', user)).code, 0);
    const key = await aws('iam', 'create-access-key', '--user-name', user);
    t.equal(key.code, 0, key.stderr);
    const ak = JSON.parse(key.stdout).AccessKey;
    t.match(ak.AccessKeyId, /^AKIA/);
    const asUser = await run(bin!, ['--endpoint-url', gw.url, '--output', 'json', 'sts', 'get-caller-identity'], {
      env: gw.env({ accessKeyId: ak.AccessKeyId, secretAccessKey: ak.SecretAccessKey }),
    });
    t.equal(asUser.code, 0, asUser.stderr);
    t.equal(JSON.parse(asUser.stdout).Arn, `arn:aws:iam::${gw.accountId}:user/${user}`);
    const missing = await aws('iam', 'get-user', '--user-name', 'nobody-here');
    t.not(missing.code, 0);
    t.match(missing.stderr, /NoSuchEntity/);
    const bad = await run(bin!, ['--endpoint-url', gw.url, 'sts', 'get-caller-identity'], {
      env: gw.env({ accessKeyId: gw.credentials.accessKeyId, secretAccessKey: 'not-the-secret-000000000000000000000000' }),
    });
    t.not(bad.code, 0);
    t.match(bad.stderr, /SignatureDoesNotMatch/);
  });
}

const PY = `
import json, sys, boto3, botocore
ep, region = sys.argv[1], sys.argv[2]
sts = boto3.client('sts', endpoint_url=ep, region_name=region)
iam = boto3.client('iam', endpoint_url=ep, region_name=region)
out = {'who': sts.get_caller_identity()['Arn']}
iam.create_role(RoleName='py-' + sys.argv[3], AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': []}))
acct = out['who'].split(':')[4]
r = sts.assume_role(RoleArn='arn:aws:iam::%s:role/py-%s' % (acct, sys.argv[3]), RoleSessionName='s1')
c = r['Credentials']
s2 = boto3.client('sts', endpoint_url=ep, region_name=region, aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'])
out['assumed'] = s2.get_caller_identity()['Arn']
try:
    iam.get_role(RoleName='nope')
except botocore.exceptions.ClientError as e:
    out['err'] = e.response['Error']['Code']
    out['status'] = e.response['ResponseMetadata']['HTTPStatusCode']
print(json.dumps(out))
`;

const PYTHONS: Array<[string, string | undefined]> = [
  ['boto3 (pip, current)', found('python3') !== '/usr/bin/python3' ? found('python3') : undefined],
  ['boto3 (Debian)', DEBIAN_PYTHON],
];

for (const [label, py] of PYTHONS) {
  t.test(label, { skip: py ? false : `${label} is not installed` }, async (t) => {
    const tag = label.includes('Debian') ? 'deb' : 'pip';
    const r = await run(py!, ['-c', PY, gw.url, gw.region, tag], { env: gw.env() });
    t.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    t.equal(o.who, `arn:aws:iam::${gw.accountId}:root`);
    t.equal(o.assumed, `arn:aws:sts::${gw.accountId}:assumed-role/py-${tag}/s1`);
    t.equal(o.err, 'NoSuchEntity');
    t.equal(o.status, 404);
  });
}
