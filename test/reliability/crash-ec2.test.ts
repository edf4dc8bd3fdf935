// SPDX-License-Identifier: AGPL-3.0-or-later
/** EC2 crash consistency, CI form: MCGW_CRASH_TRIALS kills (default 8); test/long runs 100. */
import t from 'tap';
import { crashSuite, trialsFromEnv } from './crash-runner.js';
import { ec2Workload } from './crash-ec2.js';

t.test('ec2 crash consistency', (t) => crashSuite(t, ec2Workload(), { trials: trialsFromEnv(8) }));
