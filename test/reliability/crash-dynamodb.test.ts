// SPDX-License-Identifier: AGPL-3.0-or-later
/** DynamoDB crash consistency, CI form: MCGW_CRASH_TRIALS kills (default 10); test/long runs 100. */
import t from 'tap';
import { crashSuite, trialsFromEnv } from './crash-runner.js';
import { dynamodbWorkload } from './crash-dynamodb.js';

t.test('dynamodb crash consistency', (t) => crashSuite(t, dynamodbWorkload(), { trials: trialsFromEnv(10) }));
