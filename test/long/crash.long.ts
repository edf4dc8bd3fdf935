// SPDX-License-Identifier: AGPL-3.0-or-later
/** Crash consistency, long form (`npm run test:long`): 100 SIGKILL trials per workload (MCGW_CRASH_TRIALS overrides). */
import t from 'tap';
import { crashSuite, trialsFromEnv } from '../reliability/crash-runner.js';
import { s3Workload } from '../reliability/crash-s3.js';
import { dynamodbWorkload } from '../reliability/crash-dynamodb.js';
import { ec2Workload } from '../reliability/crash-ec2.js';

const trials = trialsFromEnv(100);
t.setTimeout(trials * 3 * 20_000 + 600_000);
t.test('s3 crash consistency', (t) => crashSuite(t, s3Workload(), { trials }));
t.test('dynamodb crash consistency', (t) => crashSuite(t, dynamodbWorkload(), { trials }));
t.test('ec2 crash consistency', (t) => crashSuite(t, ec2Workload(), { trials }));
