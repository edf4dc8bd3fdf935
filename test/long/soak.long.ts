// SPDX-License-Identifier: AGPL-3.0-or-later
/** Soak, long form (`npm run test:long`): one hour of mixed load (MCGW_SOAK_SECONDS, MCGW_SOAK_RPS override). */
import t from 'tap';
import { soak, soakSecondsFromEnv } from '../reliability/soak-run.js';

const seconds = soakSecondsFromEnv(3600);
t.setTimeout((seconds + 300) * 1000);
t.test('soak', (t) => soak(t, { seconds, rps: Number(process.env.MCGW_SOAK_RPS) || 40 }));
