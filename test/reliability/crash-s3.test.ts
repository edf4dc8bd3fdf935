// SPDX-License-Identifier: AGPL-3.0-or-later
/** S3 crash consistency, CI form: MCGW_CRASH_TRIALS kills (default 10); test/long runs 100. */
import t from 'tap';
import { crashSuite, trialsFromEnv } from './crash-runner.js';
import { s3Workload } from './crash-s3.js';

t.test('s3 crash consistency', (t) => crashSuite(t, s3Workload(), { trials: trialsFromEnv(10) }));
