// SPDX-License-Identifier: AGPL-3.0-or-later
/** Soak, CI form: 10 minutes (MCGW_SOAK_SECONDS overrides) at MCGW_SOAK_RPS (default 40). test/long runs an hour. */
import t from 'tap';
import { soak, soakSecondsFromEnv } from './soak-run.js';

const seconds = soakSecondsFromEnv(600);
const rps = Number(process.env.MCGW_SOAK_RPS) || 40;
// beyond the runner's per-file timeout (300 s)
t.setTimeout((seconds + 240) * 1000);
t.test('soak', { timeout: (seconds + 120) * 1000 }, async (t) => {
  await soak(t, { seconds, rps });
});
