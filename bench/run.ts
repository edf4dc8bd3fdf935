// SPDX-License-Identifier: AGPL-3.0-or-later
/** `npm run bench`: every bench, each as a ratio to its named peer measured in the same run. */
import { benchAlternator } from './alternator.js';
import { benchCephS3 } from './ceph-s3.js';
import { benchCloudWatch } from './cloudwatch.js';
import { benchCore } from './core.js';
import { benchDynamo } from './dynamodb.js';
import { benchDynamoScale } from './dynamodb-scale.js';
import { benchEbsRbd } from './ebs-rbd.js';
import { benchEc2 } from './ec2.js';
import { benchGrafana } from './grafana.js';
import { benchProxmox } from './proxmox.js';
import { have, printRows, type Row } from './lib.js';
import { benchS3 } from './s3.js';
import { benchScaleOut } from './scale-out.js';
import { benchSigV4 } from './sigv4.js';

/** `npm run bench -- NAME` runs one of: sigv4, core, s3, dynamodb, dynamodb-scale, ec2, ebs-rbd, cloudwatch, ceph-s3, proxmox, alternator, scale-out, grafana. */
const only = process.argv[2];

async function sigv4Rows(): Promise<Row[]> {
  const r = await benchSigV4();
  const row = (workload: string, perSec: number, target: number | undefined): Row => ({
    workload,
    ours: `${Math.round(perSec)} verifications/s`,
    peerName: 'target',
    peer: target ? `${target}/s` : '—',
    ratio: target ? perSec / target : 1,
    target: target ? `≥ ${target}/s on one core` : 'reported',
    pass: target ? perSec >= target : true,
  });
  return [row('SigV4 verify, cached signing key', r.cachedPerSec, 50_000), row('SigV4 verify, signing key derived each time', r.uncachedPerSec, undefined)];
}

const benches: Array<[string, () => Promise<Row[]>]> = [
  ['sigv4', sigv4Rows],
  ['core', () => benchCore()],
  ['s3', () => benchS3()],
  ['dynamodb', () => benchDynamo()],
  ['dynamodb-scale', () => benchDynamoScale()],
  ['ec2', () => benchEc2()],
  ['ebs-rbd', () => benchEbsRbd()],
  ['cloudwatch', () => benchCloudWatch()],
  ['grafana', () => benchGrafana()],
  ['ceph-s3', () => benchCephS3()],
  ['proxmox', () => benchProxmox()],
  ['alternator', () => benchAlternator()],
  ['scale-out', () => benchScaleOut()],
];

if (!have('wrk')) {
  console.error('bench needs wrk (Debian package wrk)');
  process.exit(2);
}
let missed = 0;
for (const [name, fn] of benches) {
  if (only && only !== name) continue;
  const rows = await fn();
  printRows(name, rows);
  missed += rows.filter((r) => !r.pass).length;
}
console.log(missed ? `\n${missed} target(s) missed` : '\nall targets met');
