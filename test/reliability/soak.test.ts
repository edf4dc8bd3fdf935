// SPDX-License-Identifier: AGPL-3.0-or-later
/** Soak, CI form: MCGW_SOAK_SECONDS (default 120; the CI figure is 600) at MCGW_SOAK_RPS (default 40). test/long runs an hour. */
import t from 'tap';
import { soak, soakSecondsFromEnv } from './soak-run.js';

const rps = Number(process.env.MCGW_SOAK_RPS) || 40;
// beyond the runner's per-file timeout (300 s) when MCGW_SOAK_SECONDS asks for a long run
t.setTimeout((soakSecondsFromEnv(120) + 240) * 1000);
t.test('soak', { timeout: (soakSecondsFromEnv(120) + 120) * 1000 }, async (t) => {
  await soak(t, { seconds: soakSecondsFromEnv(120), rps });
});
